// SPDX-License-Identifier: MIT
import Testing
import WeirBypass

@Test func moduleIsNamed() {
    #expect(WeirBypassModule.name == "WeirBypass")
}
