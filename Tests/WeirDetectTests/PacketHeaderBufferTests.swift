// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// Frames the header-buffer tests need beyond ``FrameBuilder``: TCP options, IPv6 with and without extension
/// headers, ICMPv6 and ICMPv4 timestamps.
struct HeaderFrames {
    var f = FrameBuilder()

    /// A TCP segment 40000 → 80 whose header carries `options` (padded to 4 bytes with EOL).
    func tcp(options: [UInt8], flags: UInt8 = 0x18, payload: [UInt8] = []) -> [UInt8] {
        var options = options
        while options.count % 4 != 0 { options.append(0) }
        let words = UInt8((20 + options.count) / 4)
        var l4: [UInt8] = [0x9C, 0x40, 0x00, 0x50, 0, 0, 0, 101, 0, 0, 1, 0xF5]
        l4 += [words << 4, flags, 0xFF, 0xFF, 0, 0, 0, 0] + options
        return self.f.ipv4(proto: 6, l4: l4 + payload)
    }

    /// An Ethernet/IPv6 frame 2001:db8::1 → 2001:db8::2; `next` is the first next-header value, `body` the
    /// extension headers and transport data after the fixed header.
    func ipv6(next: UInt8, body: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xDD]
        frame += [0x60, 0, 0, 0, UInt8(body.count >> 8), UInt8(body.count & 0xFF), next, 64]
        frame += [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        frame += [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [2]
        return frame + body
    }

    /// UDP 5000 → 53 carrying `payload`, as transport data.
    static func udp(_ payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        return [0x13, 0x88, 0x00, 0x35, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + payload
    }

    /// An ICMPv6 echo request (type 128) with id 0x0707, sequence 1 and `payload`.
    static func icmpv6Echo(_ payload: [UInt8]) -> [UInt8] { [128, 0, 0, 0, 0x07, 0x07, 0, 1] + payload }
}

/// The packet-header sticky buffers (`ipv4.hdr`, `ipv6.hdr`, `tcp.hdr`, `udp.hdr`, `icmpv4.hdr`, `icmpv6.hdr`):
/// which bytes each holds, on which packets it exists, and that it is inspected per packet like Suricata's.
@Suite struct PacketHeaderBufferTests {
    let f = FrameBuilder()
    let h = HeaderFrames()
    /// TCP options: MSS 500, NOP, NOP, SACK permitted (a 28-byte header).
    let mssOption: [UInt8] = [0x02, 0x04, 0x01, 0xF4, 0x01, 0x01, 0x04, 0x02]

    @Test func tcpHeaderHoldsTheOptionsAndNotThePayload() throws {
        let e = try EngineHarness(
            """
            alert tcp any any -> any any (tcp.hdr; content:"|02 04|"; offset:20; byte_test:2,<,536,0,relative; sid:1;)
            alert tcp any any -> any any (msg:"payload"; content:"|02 04 01 f4|"; sid:2;)
            alert tcp any any -> any any (msg:"payload is not header"; tcp.hdr; content:"hello"; sid:3;)
            alert tcp any any -> any any (msg:"28 bytes"; tcp.hdr; bsize:28; sid:4;)
            alert tcp any any -> any any (msg:"20 bytes"; tcp.hdr; bsize:20; sid:5;)
            alert tcp any any -> any any (msg:"ports"; tcp.hdr; content:"|9c 40 00 50|"; depth:4; sid:6;)
            """
        )
        #expect(Set(e.feed(h.tcp(options: mssOption, payload: Array("hello".utf8)))) == [1, 4, 6])
        // The same bytes in the payload of a segment without options: the payload rule, not the header rule.
        let plain = f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101, payload: mssOption)
        #expect(Set(e.feed(plain)) == [2, 5, 6])
    }

    @Test func udpPacketsHaveAnEightByteUDPHeaderAndNoTCPHeader() throws {
        let e = try EngineHarness(
            """
            alert ip any any -> any any (msg:"any tcp header"; tcp.hdr; bsize:>0; sid:1;)
            alert ip any any -> any any (msg:"udp length 13"; udp.hdr; content:"|00 0d|"; offset:4; depth:2; sid:2;)
            alert ip any any -> any any (msg:"udp 8 bytes"; udp.hdr; bsize:8; sid:3;)
            alert ip any any -> any any (udp.hdr; content:"|00 0d|"; offset:4; depth:2; isdataat:1,relative; sid:4;)
            alert ip any any -> any any (udp.hdr; content:"|00 0d|"; offset:4; depth:2; isdataat:5,relative; sid:5;)
            """
        )
        #expect(Set(e.feed(f.udp(sport: 5000, dport: 53, payload: Array("hello".utf8)))) == [2, 3, 4])
        #expect(Set(e.feed(f.tcp(sport: 40000, dport: 80, flags: 0x02))) == [1])
        #expect(e.feed(f.icmpEcho(id: 1, seq: 1)) == [])
    }

    @Test func ipv4HeaderIncludesItsOptions() throws {
        let e = try EngineHarness(
            """
            alert ip any any -> any any (msg:"record route"; ipv4.hdr; content:"|07 07 04|"; offset:20; depth:3; sid:1;)
            alert ip any any -> any any (msg:"IHL 7"; ipv4.hdr; content:"|47|"; depth:1; bsize:28; sid:2;)
            alert ip any any -> any any (msg:"IHL 5"; ipv4.hdr; content:"|45|"; depth:1; bsize:20; sid:3;)
            alert ip any any -> any any (msg:"no ipv6 header"; ipv6.hdr; bsize:>0; sid:4;)
            """
        )
        var withRR = f
        withRR.ipOptions = [7, 7, 4, 0, 0, 0, 0, 0]
        #expect(Set(e.feed(withRR.udp(sport: 1, dport: 2, payload: [0]))) == [1, 2])
        #expect(Set(e.feed(f.udp(sport: 1, dport: 2, payload: [7, 7, 4]))) == [3])
    }

    @Test func ipv6HeaderIsTheFixedHeaderPlusExtensionHeaders() throws {
        let e = try EngineHarness(
            """
            alert ip any any -> any any (ipv6.hdr; bsize:40; content:"|40|"; offset:7; depth:1; sid:1;)
            alert ip any any -> any any (ipv6.hdr; content:"|11 00 01 04 00 00 00 00|"; offset:40; endswith; sid:2;)
            alert ip any any -> any any (msg:"no ipv4 header"; ipv4.hdr; bsize:>0; sid:3;)
            alert ip any any -> any any (msg:"udp header"; udp.hdr; content:"|13 88 00 35|"; startswith; sid:4;)
            alert ip any any -> any any (msg:"icmpv6"; icmpv6.hdr; content:"|80 00|"; startswith; bsize:8; sid:5;)
            alert ip any any -> any any (msg:"not icmpv4"; icmpv4.hdr; bsize:>0; sid:6;)
            """
        )
        #expect(Set(e.feed(h.ipv6(next: 17, body: HeaderFrames.udp(Array("hi".utf8))))) == [1, 4])
        let hopByHop: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0]
        #expect(Set(e.feed(h.ipv6(next: 0, body: hopByHop + HeaderFrames.udp(Array("hi".utf8))))) == [2, 4])
        #expect(Set(e.feed(h.ipv6(next: 58, body: HeaderFrames.icmpv6Echo(Array("ping".utf8))))) == [1, 5])
    }

    @Test func icmpv4HeaderLengthFollowsTheMessageType() throws {
        let e = try EngineHarness(
            """
            alert icmp any any -> any any (msg:"8 bytes"; icmpv4.hdr; bsize:8; sid:1;)
            alert icmp any any -> any any (icmpv4.hdr; bsize:20; content:"|00 00 00 2a|"; offset:8; depth:4; sid:2;)
            alert icmp any any -> any any (msg:"payload is not header"; icmpv4.hdr; content:"ping"; sid:3;)
            alert icmp any any -> any any (msg:"echo id and seq"; icmpv4.hdr; content:"|00 4d 00 03|"; offset:4; sid:4;)
            alert ip any any -> any any (msg:"not icmpv6"; icmpv6.hdr; bsize:>0; sid:5;)
            """
        )
        #expect(Set(e.feed(f.icmpEcho(id: 77, seq: 3))) == [1, 4])
        // Timestamp request: originate 42, receive and transmit 0.
        let timestamp = f.ipv4(
            proto: 1,
            l4: [13, 0, 0, 0, 0, 1, 0, 1] + [0, 0, 0, 42] + [UInt8](repeating: 0, count: 8)
        )
        #expect(e.feed(timestamp) == [2])
        // Too short for its timestamps: Suricata keeps the 8-byte header.
        #expect(e.feed(f.ipv4(proto: 1, l4: [13, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 42])) == [1])
    }

    @Test func icmpv4RouterAdvertisementCountsItsAddressEntries() throws {
        let e = try EngineHarness(
            "alert icmp any any -> any any (icmpv4.hdr; bsize:16; content:\"|0a 00 00 01|\"; sid:1;)"
        )
        // One entry of two 32-bit words (address, preference level): 8 + 1 × 2 × 4 = 16 bytes.
        let advert = f.ipv4(proto: 1, l4: [9, 0, 0, 0, 1, 2, 0x07, 0x08] + [10, 0, 0, 1] + [0, 0, 0, 0])
        #expect(e.feed(advert) == [1])
        // An entry count the message cannot hold: the header stays at 8 bytes.
        let short = f.ipv4(proto: 1, l4: [9, 0, 0, 0, 4, 2, 0x07, 0x08] + [10, 0, 0, 1] + [0, 0, 0, 0])
        #expect(e.feed(short) == [])
    }

    @Test func invalidOrTruncatedHeadersHaveNoBuffer() throws {
        let e = try EngineHarness(
            """
            alert ip any any -> any any (msg:"tcp"; tcp.hdr; bsize:>0; sid:1;)
            alert ip any any -> any any (msg:"ipv4"; ipv4.hdr; bsize:>0; sid:2;)
            """
        )
        // A TCP data offset of 60 bytes in a 20-byte segment: the decoder rejects TCP, the IPv4 header stays.
        var bad = f.tcp(sport: 40000, dport: 80, flags: 0x02)
        bad[14 + 20 + 12] = 0xF0
        #expect(e.feed(bad) == [2])
        // A fragment carries no transport header.
        var fragment = f
        fragment.ipFlags = 0x1
        #expect(e.feed(fragment.tcp(sport: 40000, dport: 80, flags: 0x02)) == [2])

        // Offsets past the bytes given (a frame cut short): no buffer, no crash.
        let frame = h.tcp(options: mssOption)
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            #expect(PacketHeaderBuffer.tcp.bytes(of: packet, in: bytes)?.count == 28)
            #expect(PacketHeaderBuffer.ipv4.bytes(of: packet, in: bytes)?.count == 20)
            let cut = UnsafeRawBufferPointer(rebasing: bytes[0..<(14 + 20 + 27)])
            #expect(PacketHeaderBuffer.tcp.bytes(of: packet, in: cut) == nil)
            #expect(PacketHeaderBuffer.ipv4.bytes(of: packet, in: cut)?.count == 20)
            let empty = UnsafeRawBufferPointer(start: nil, count: 0)
            for header in PacketHeaderBuffer.allCases { #expect(header.bytes(of: packet, in: empty) == nil) }
        }
    }

    @Test func headerRulesArePacketRulesOnEveryPacketWithOrWithoutAFlow() throws {
        let e = try EngineHarness(
            "alert tcp any any -> any any (tcp.hdr; content:\"|50 10|\"; offset:12; depth:2; sid:1;)"
        )
        let s = try #require(e.engine.signatures.first)
        #expect(!s.isTransactional)
        #expect(e.engine.transactionSignatureCount == 0)
        // Every ACK of the flow, not once per flow or transaction.
        e.handshake(f)
        #expect(e.feed(f.tcp(sport: 40000, dport: 80, flags: 0x10, seq: 101, ack: 501)) == [1])
        #expect(e.feed(f.tcp(sport: 40000, dport: 80, flags: 0x10, seq: 101, ack: 501)) == [1])
        // Without a flow (a fragment's path, or no flow table).
        let frame = f.tcp(sport: 1, dport: 2, flags: 0x10)
        var alerts: [Alert] = []
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            _ = e.context.inspect(packet: packet, frame: bytes, flow: nil, handle: nil, alerts: &alerts)
        }
        #expect(alerts.map(\.sid) == [1])
    }

    @Test func headerFastPatternsArePrefilteredAndCostNothingWithoutSuchRules() throws {
        let e = try EngineHarness(
            """
            alert tcp any any -> any any (tcp.hdr; content:"|02 04 01 f4|"; sid:1;)
            alert tcp any any -> any any (content:"unrelated"; sid:2;)
            """
        )
        #expect(e.engine.packetHeaderBuffers.map(\.buffer) == [.tcp])
        #expect(e.engine.signatures.allSatisfy { $0.fastPattern != nil })
        #expect(e.feed(f.tcp(sport: 40000, dport: 80, flags: 0x02)) == [])
        #expect(e.context.counters.signaturesEvaluated == 0)
        #expect(e.feed(h.tcp(options: mssOption, flags: 0x02)) == [1])
        #expect(e.context.counters.signaturesEvaluated == 1)

        let none = try EngineHarness("alert tcp any any -> any any (content:\"x\"; sid:1;)")
        #expect(none.engine.packetHeaderBuffers.isEmpty)
        #expect(none.engine.isPacketHeaderBuffer.isEmpty)
        _ = none.feed(h.tcp(options: mssOption, payload: Array("x".utf8)))
        #expect(none.context.packetBuffers.isEmpty)
    }

    @Test func anIPSDropOnAHeaderMatchDropsThePacketNotTheFlow() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        let e = try EngineHarness(
            "drop tcp any any -> any any (flow:established; tcp.hdr; content:\"|02 04|\"; offset:20; sid:1;)",
            settings: settings
        )
        e.handshake(f)
        #expect(e.feed(h.tcp(options: mssOption, payload: Array("x".utf8))) == [1])
        #expect(e.lastVerdict.drop)
        #expect(e.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 102, ack: 501, payload: [1])) == [])
        #expect(!e.lastVerdict.drop)
        #expect(e.context.counters.droppedFlows == 0)
    }

    @Test func transformsApplyToHeaderBuffers() throws {
        let e = try EngineHarness(
            "alert tcp any any -> any any (tcp.hdr; xor:\"ff\"; content:\"|fd fb|\"; offset:20; depth:2; sid:1;)"
        )
        #expect(e.engine.isPacketHeaderBuffer.allSatisfy { $0 })
        #expect(e.feed(h.tcp(options: mssOption)) == [1])
        #expect(e.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, payload: mssOption)) == [])
    }
}
