// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("1.2.3.4", "1.2.3.4"),
        ("::", "::"),
        ("::1", "::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
        ("fe80::1:2", "fe80::1:2"),
        ("::ffff:10.0.0.1", "::ffff:a00:1"),
        ("1::", "1::"),
    ])
    func parsesAndPrints(text: String, printed: String) throws {
        let a = try #require(IPAddress(text))
        #expect(a.description == printed)
        #expect(IPAddress(a.description) == a)
    }

    @Test(arguments: ["1.2.3", "1.2.3.256", "1:2:3:4:5:6:7:8:9", "1::2::3", "g::1", "", "01234::"])
    func rejectsMalformed(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func familyIsNotInferredFromValue() throws {
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(!mapped.isIPv4)
        #expect(mapped != IPAddress(v4: 0x0102_0304))
        #expect(IPAddress(v4: 0x0102_0304).bytes == [1, 2, 3, 4])
    }
}

@Suite struct TimestampTests {
    @Test func formatsAsEVE() {
        #expect(Timestamp(seconds: 0, microseconds: 0).eveString == "1970-01-01T00:00:00.000000+0000")
        #expect(Timestamp(seconds: 1_700_000_000, microseconds: 42).eveString == "2023-11-14T22:13:20.000042+0000")
        #expect(Timestamp(seconds: 951_782_400, microseconds: 999_999).eveString == "2000-02-29T00:00:00.999999+0000")
    }
}
