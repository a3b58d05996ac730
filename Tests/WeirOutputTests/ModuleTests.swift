// SPDX-License-Identifier: MIT
import Testing
import WeirOutput

@Test func moduleIsNamed() {
    #expect(WeirOutputModule.name == "WeirOutput")
}
