// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDecode

/// SCTP's common header, as Suricata's DecodeSCTP reads it: ports, the chunks as payload, and
/// `sctp.pkt_too_small` for a header shorter than 12 bytes.
@Suite struct SCTPDecodeTests {
    /// Ports 7 -> 2905, verification tag 1, checksum 0, then `chunks`.
    static func sctp(_ chunks: [UInt8]) -> [UInt8] { [0, 7, 0x0b, 0x59, 0, 0, 0, 1, 0, 0, 0, 0] + chunks }

    @Test func portsAndPayloadOverIPv4() {
        let chunk: [UInt8] = [0, 3, 0, 8, 0xde, 0xad, 0xbe, 0xef]
        let (p, decoder) = decoded(TunnelFrames.eth(0x0800, TunnelFrames.ipv4(IPProtocol.sctp, Self.sctp(chunk))))
        #expect(p.l4Protocol == IPProtocol.sctp)
        #expect(p.hasL4)
        #expect(p.sourcePort == 7 && p.destinationPort == 2905)
        #expect(p.payloadOffset == 14 + 20 + 12 && p.payloadLength == chunk.count)
        #expect(p.events.isEmpty)
        #expect(decoder.statistics.sctp == 1)
    }

    @Test func portsOverIPv6() {
        let body = Self.sctp([])
        var v6: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(body.count), IPProtocol.sctp, 64]
        v6 += [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 0, count: 15) + [2]
        let (p, _) = decoded(TunnelFrames.eth(0x86dd, v6 + body))
        #expect(p.hasL4 && p.sourcePort == 7 && p.destinationPort == 2905)
        #expect(p.payloadLength == 0)
    }

    @Test func shortHeaderIsTooSmall() {
        let (p, decoder) = decoded(TunnelFrames.eth(0x0800, TunnelFrames.ipv4(IPProtocol.sctp, [0, 7, 0, 9, 0, 0])))
        #expect(!p.hasL4)
        #expect(p.events.contains(.sctpPktTooSmall))
        #expect(DecodeEvent(name: "decoder.event.sctp.pkt_too_small") == .sctpPktTooSmall)
        #expect(decoder.statistics.sctp == 1)
    }
}
