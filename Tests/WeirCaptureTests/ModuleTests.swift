// SPDX-License-Identifier: MIT
import Testing
import WeirCapture

@Test func moduleIsNamed() {
    #expect(WeirCaptureModule.name == "WeirCapture")
}
