// SPDX-License-Identifier: MIT
import Testing
import WeirDetect

@Test func moduleIsNamed() {
    #expect(WeirDetectModule.name == "WeirDetect")
}
