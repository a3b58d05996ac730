// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDecode

/// The IPv4 option walk after an option fails its own validation: Suricata raises the option's invalid event,
/// skips the option by its length and goes on; only a length byte past the options stops the header.
@Suite struct IPv4OptionWalkTests {
    /// `ethIPv4OptionsUDP` with its 16 option bytes replaced.
    static func frame(options: [UInt8]) -> [UInt8] {
        var bytes = Fixtures.ethIPv4OptionsUDP
        precondition(options.count == 16)
        bytes.replaceSubrange(34..<50, with: options)
        return bytes
    }

    @Test func malformedOptionIsSkippedAndTheHeaderStillDecodes() {
        // Record route with pointer 5 (malformed), then NOPs and EOL.
        let options: [UInt8] = [0x07, 0x0b, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x01, 0x00, 0x00, 0x00]
        let (p, _) = decoded(Self.frame(options: options))
        #expect(p.events.contains(.ipv4OptMalformed))
        #expect(p.isInvalid)
        #expect(p.ipVersion == 4)
        #expect(p.hasL4 && p.l4Protocol == IPProtocol.udp)
        #expect(p.ipv4Options & IPv4Option.recordRoute.bit == 0, "a malformed option is not recorded")
        #expect(p.ipv4Options & IPv4Option.noOperation.bit != 0, "the walk went on past it")
    }

    @Test func aLengthPastTheOptionsStillStopsTheHeader() {
        // Security option too short (invalid length, skipped), then an option whose length runs past the end.
        let options: [UInt8] = [0x82, 0x02, 0xf1, 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let (p, _) = decoded(Self.frame(options: options))
        #expect(p.events.contains(.ipv4OptInvalidLen))
        #expect(p.ipVersion == 0)
        #expect(!p.hasL4)
    }
}
