// SPDX-License-Identifier: MIT
import Testing
@testable import WeirRuntime

@Suite struct FormatTests {
    @Test func groupsThousands() {
        #expect(Format.count(0) == "0")
        #expect(Format.count(999) == "999")
        #expect(Format.count(1000) == "1,000")
        #expect(Format.count(1_234_567) == "1,234,567")
    }

    @Test func fixedPointAndUnits() {
        #expect(Format.fixed(1.005, 1) == "1.0")
        #expect(Format.fixed(2.25, 2) == "2.25")
        #expect(Format.bytes(1_500_000) == "1.5 MB")
        #expect(Format.rate(2_340_000) == "2.34 Mpps")
    }
}
