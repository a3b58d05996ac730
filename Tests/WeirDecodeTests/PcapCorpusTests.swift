// SPDX-License-Identifier: MIT
import Foundation
import Testing

@testable import WeirDecode

/// The committed captures in `<repo>/pcaps`, read by a minimal reader (classic pcap and pcapng enhanced packet
/// blocks only), so that these tests need neither libpcap nor the capture module.
enum PcapCorpus {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("pcaps")

    struct Capture {
        var linkType: Int32
        var frames: [[UInt8]]
    }

    static func read(_ name: String) throws -> Capture {
        try self.read(url: self.directory.appendingPathComponent(name))
    }

    static func read(url: URL) throws -> Capture {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u32(_ offset: Int) -> UInt32 {
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                | UInt32(bytes[offset + 3]) << 24
        }
        var frames: [[UInt8]] = []
        if u32(0) == 0xa1b2_c3d4 {
            var offset = 24
            while offset + 16 <= bytes.count {
                let captured = Int(u32(offset + 8))
                frames.append(Array(bytes[(offset + 16)..<(offset + 16 + captured)]))
                offset += 16 + captured
            }
            return Capture(linkType: Int32(u32(20)), frames: frames)
        }
        var offset = 0
        var linkType: Int32 = -1
        while offset + 12 <= bytes.count {
            let type = u32(offset)
            let length = Int(u32(offset + 4))
            if type == 1 { linkType = Int32(bytes[offset + 8]) | Int32(bytes[offset + 9]) << 8 }
            if type == 6 {
                let captured = Int(u32(offset + 20))
                frames.append(Array(bytes[(offset + 28)..<(offset + 28 + captured)]))
            }
            offset += length
        }
        return Capture(linkType: linkType, frames: frames)
    }

    /// Decodes every frame of `name` with checksum validation on.
    static func decodeAll(_ name: String) throws -> ([Packet], DecodeStatistics) {
        try self.decodeAll(url: self.directory.appendingPathComponent(name))
    }

    static func decodeAll(url: URL) throws -> ([Packet], DecodeStatistics) {
        let capture = try self.read(url: url)
        let link = try #require(LinkType(rawValue: capture.linkType))
        var decoder = PacketDecoder(linkType: link, checksums: .all)
        var packets: [Packet] = []
        for frame in capture.frames {
            var packet = Packet()
            frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
            packets.append(packet)
        }
        return (packets, decoder.statistics)
    }
}

@Test(arguments: [
    // (file, packets, events allowed in it)
    ("ethernet-ipv4-tcp.pcap", 18, [] as [DecodeEvent]),
    ("vlan-qinq.pcap", 20, []),
    ("linux-sll.pcap", 11, []),
    ("linux-sll2.pcap", 8, []),
    ("null-loopback.pcap", 17, []),
    ("raw-ip.pcap", 11, []),
    ("ipv4-options-fragments.pcap", 7, [.ipv4OptPadRequired]),
    ("ipv6-exthdrs-fragments.pcap", 10, [.ipv6ExthdrUselessFH]),
    ("udp-dns.pcap", 9, []),
    ("icmp.pcap", 11, []),
    ("mixed.pcapng", 13, []),
    ("sample.pcap", 214, []),
])
func wellFormedCaptureDecodesCleanly(file: String, count: Int, allowed: [DecodeEvent]) throws {
    let (packets, statistics) = try PcapCorpus.decodeAll(file)
    #expect(packets.count == count)
    #expect(statistics.packets == UInt64(count))
    #expect(statistics.invalid == 0)
    for (index, packet) in packets.enumerated() {
        let unexpected = packet.events.elements.filter { !allowed.contains($0) }
        #expect(unexpected.isEmpty, "\(file) #\(index + 1): \(unexpected.map(\.name))")
        #expect(packet.ipVersion != 0, "\(file) #\(index + 1) has no IP layer")
        #expect(packet.ipChecksum != .invalid && packet.l4Checksum != .invalid, "\(file) #\(index + 1)")
        #expect(packet.hasL4 || packet.isFragment || packet.l4Protocol == 59, "\(file) #\(index + 1)")
    }
}

@Test func sampleCaptureHasTheDemoContent() throws {
    let capture = try PcapCorpus.read("sample.pcap")
    let text = capture.frames.map { String(decoding: $0, as: UTF8.self) }
    #expect(text.contains { $0.contains("GET /testmyids HTTP/1.1") })
    #expect(text.contains { $0.contains("uid=0(root) gid=0(root)") })
    #expect(text.contains { $0.contains("www.example.com") && $0.utf8.first != nil })
    let (packets, statistics) = try PcapCorpus.decodeAll("sample.pcap")
    #expect(statistics.udp > 0 && statistics.tcp > 0 && statistics.icmpv4 > 0 && statistics.ipv6 > 0)
    #expect(packets.contains { $0.destinationPort == 443 && $0.payloadLength > 100 })
    #expect(packets.contains { $0.destinationPort == 53 })
}

@Test func malformedCaptureRaisesWhatItsReadmeSays() throws {
    let (packets, statistics) = try PcapCorpus.decodeAll("malformed.pcap")
    try #require(packets.count == 22)
    // Record number (1-based) → event it must raise; records not listed raise none.
    let expected: [Int: DecodeEvent] = [
        2: .ipv4TruncPkt, 3: .ipv4HlenTooSmall, 4: .ipv4IplenSmallerThanHlen, 5: .ipv4TruncPkt,
        8: .tcpInvalidOptlen, 9: .udpLenInvalid, 10: .udpPktTooSmall, 12: .ethernetPktTooSmall,
        13: .ethernetUnknownEthertype, 14: .ipv4WrongIPVersion, 15: .ipv4ICMPv6, 16: .ipv6TruncPkt,
        17: .ipv6RHType0, 18: .icmpv4IPv4TruncPkt, 19: .vlanTooManyLayers, 20: .ipv4OptMalformed,
        21: .ipv4UnknownProtocol,
    ]
    for (index, packet) in packets.enumerated() {
        let number = index + 1
        if let event = expected[number] {
            #expect(packet.events.contains(event), "#\(number): \(packet.events.elements.map(\.name))")
        } else {
            #expect(packet.events.isEmpty, "#\(number): \(packet.events.elements.map(\.name))")
        }
    }
    #expect(packets[5].ipChecksum == .invalid)
    #expect(packets[6].l4Checksum == .invalid)
    #expect(packets[10].l4Checksum == .invalid)
    #expect(packets[0].l4Checksum == .valid && packets[21].l4Checksum == .valid)
    #expect(statistics.invalid == 13)
}
