// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

@Test func moduleIsNamed() {
    #expect(WeirConfigModule.name == "WeirConfig")
}
