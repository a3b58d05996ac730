// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDecode

/// ESP's header, as Suricata's DecodeESP reads it: the SPI (kept in the port fields), the rest as payload,
/// `esp.pkt_too_small` below 8 bytes.
@Suite struct ESPDecodeTests {
    /// SPI `spi`, sequence 1, then four bytes of ciphertext.
    static func esp(spi: UInt32) -> [UInt8] {
        [UInt8(spi >> 24), UInt8(spi >> 16 & 0xff), UInt8(spi >> 8 & 0xff), UInt8(spi & 0xff), 0, 0, 0, 1]
            + [0xca, 0xfe, 0xba, 0xbe]
    }

    @Test func spiAndPayloadOverIPv4AndIPv6() {
        let frame = TunnelFrames.eth(0x0800, TunnelFrames.ipv4(IPProtocol.esp, Self.esp(spi: 0x0001_0002)))
        let (p, decoder) = decoded(frame)
        #expect(p.l4Protocol == IPProtocol.esp && p.hasL4)
        #expect(p.sourcePort == 1 && p.destinationPort == 2)
        #expect(p.payloadOffset == 14 + 20 + 8 && p.payloadLength == 4)
        #expect(p.events.isEmpty && decoder.statistics.esp == 1)
        let body = Self.esp(spi: 123)
        var v6: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(body.count), IPProtocol.esp, 64]
        v6 += [UInt8](repeating: 0, count: 15) + [1] + [UInt8](repeating: 0, count: 15) + [2]
        let (q, _) = decoded(TunnelFrames.eth(0x86dd, v6 + body))
        #expect(q.hasL4 && q.destinationPort == 123 && q.payloadLength == 4)
    }

    @Test func shortHeaderIsTooSmall() {
        let (p, decoder) = decoded(TunnelFrames.eth(0x0800, TunnelFrames.ipv4(IPProtocol.esp, [0, 0, 0, 1])))
        #expect(!p.hasL4 && p.events.contains(.espPktTooSmall))
        #expect(DecodeEvent(name: "decoder.event.esp.pkt_too_small") == .espPktTooSmall)
        #expect(decoder.statistics.esp == 1)
    }
}
