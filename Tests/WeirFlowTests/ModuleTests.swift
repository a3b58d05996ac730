// SPDX-License-Identifier: MIT
import Testing
import WeirFlow

@Test func moduleIsNamed() {
    #expect(WeirFlowModule.name == "WeirFlow")
}
