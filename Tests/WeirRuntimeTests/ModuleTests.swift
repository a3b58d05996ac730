// SPDX-License-Identifier: MIT
import Testing
import WeirRuntime

@Test func moduleIsNamed() {
    #expect(WeirRuntimeModule.name == "WeirRuntime")
}
