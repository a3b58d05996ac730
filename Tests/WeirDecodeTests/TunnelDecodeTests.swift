// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDecode

/// Frame builders for the tunnel and encapsulation decoders (checksums are left 0: the tests decode without
/// verifying them).
enum TunnelFrames {
    static let macs: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]

    static func eth(_ type: UInt16, _ body: [UInt8]) -> [UInt8] { macs + [UInt8(type >> 8), UInt8(type & 0xff)] + body }

    static func ipv4(_ proto: UInt8, _ body: [UInt8], src: UInt8 = 1) -> [UInt8] {
        let total = 20 + body.count
        return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, src, 10, 0, 0, 2]
            + body
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, _ body: [UInt8]) -> [UInt8] {
        let length = 8 + body.count
        return [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), UInt8(length >> 8),
            UInt8(length & 0xff), 0, 0] + body
    }

    /// The inner packet every tunnel here carries: UDP 10.0.0.9:53 -> 10.0.0.2:53 with 4 bytes.
    static let innerIPv4 = ipv4(17, udp(53, 53, [1, 2, 3, 4]), src: 9)
    static let innerEthernet = eth(0x0800, innerIPv4)

    static func greIPv4(_ gre: [UInt8]) -> [UInt8] { eth(0x0800, ipv4(47, gre)) }
}

/// Decodes a frame and every tunnel in it; returns the packets, outermost first, and the decoder.
func decodedChain(_ bytes: [UInt8], link: LinkType = .ethernet, settings: DecoderSettings = DecoderSettings())
    -> (packets: [Packet], decoder: PacketDecoder)
{
    var decoder = PacketDecoder(linkType: link, checksums: .none, settings: settings)
    var packets: [Packet] = []
    bytes.withUnsafeBytes { frame in
        var packet = Packet()
        packet.packetNumber = 1
        decoder.decode(frame, into: &packet)
        while packet.pendingTunnel.payload != .none {
            var inner = Packet()
            guard decoder.decodeTunnel(frame, parent: packet, into: &inner) else {
                packet.pendingTunnel = PendingTunnel()
                break
            }
            packets.append(packet)
            packet = inner
        }
        packets.append(packet)
    }
    return (packets, decoder)
}

let tunnelEventCases: [EventCase] = {
    typealias F = TunnelFrames
    let inner = F.innerIPv4
    return [
        EventCase(.grePktTooSmall, invalid: true, "3-byte GRE", F.greIPv4([0, 0, 8])),
        EventCase(.greWrongVersion, invalid: true, "version 2", F.greIPv4([0, 2, 8, 0] + inner)),
        EventCase(.greVersion0Recur, invalid: true, "recursion control 1", F.greIPv4([1, 0, 8, 0] + inner)),
        EventCase(.greVersion0Flags, invalid: true, "reserved flag bits", F.greIPv4([0, 0x08, 8, 0] + inner)),
        EventCase(.greVersion0HdrTooBig, invalid: true, "key flag, no key", F.greIPv4([0x20, 0, 8, 0])),
        EventCase(.greVersion0MalformedSreHdr, invalid: true, "routing flag, no SRE", F.greIPv4([0x40, 0, 8, 0, 0, 0, 0, 0])),
        EventCase(.greVersion1Chksum, invalid: true, "checksum flag", F.greIPv4([0xa0, 1, 0x88, 0x0b, 0, 0, 0, 0])),
        EventCase(.greVersion1Route, invalid: true, "routing flag", F.greIPv4([0x60, 1, 0x88, 0x0b, 0, 0, 0, 0])),
        EventCase(.greVersion1Ssr, invalid: true, "strict source route", F.greIPv4([0x28, 1, 0x88, 0x0b, 0, 0, 0, 0])),
        EventCase(.greVersion1Recur, invalid: true, "recursion control", F.greIPv4([0x21, 1, 0x88, 0x0b, 0, 0, 0, 0])),
        EventCase(.greVersion1Flags, invalid: true, "reserved flag bits", F.greIPv4([0x20, 0x09, 0x88, 0x0b, 0, 0, 0, 0])),
        EventCase(.greVersion1WrongProtocol, invalid: true, "IPv4, not PPP", F.greIPv4([0x20, 1, 8, 0, 0, 0, 0, 0])),
        EventCase(.greVersion1NoKey, invalid: true, "no key", F.greIPv4([0, 1, 0x88, 0x0b, 0, 0, 0, 0])),
        EventCase(.greVersion1HdrTooBig, invalid: true, "key flag, 4 bytes", F.greIPv4([0x20, 1, 0x88, 0x0b])),
        EventCase(.pppPktTooSmall, invalid: true, .ppp, "address byte only", [0xff]),
        EventCase(.pppVjuPktTooSmall, invalid: true, .ppp, "VJ uncompressed, 10 bytes", [0, 0x2f] + [UInt8](repeating: 0x45, count: 10)),
        EventCase(.pppIP4PktTooSmall, invalid: true, .ppp, "IPv4, 10 bytes", [0, 0x21] + [UInt8](repeating: 0x45, count: 10)),
        EventCase(.pppIP6PktTooSmall, invalid: true, .ppp, "IPv6, 20 bytes", [0, 0x57] + [UInt8](repeating: 0x60, count: 20)),
        EventCase(.pppWrongType, invalid: true, .ppp, "protocol 0x1234", [0x12, 0x34, 0, 0]),
        EventCase(.pppUnsupProto, invalid: false, .ppp, "IPX", [0, 0x2b, 0, 0]),
        EventCase(.pppoePktTooSmall, invalid: true, "3-byte discovery", F.eth(0x8863, [0x11, 9, 0])),
        EventCase(.pppoeWrongCode, invalid: true, "code 1", F.eth(0x8863, [0x11, 1, 0, 0, 0, 0])),
        EventCase(.pppoeMalformedTags, invalid: true, "tags longer than the packet", F.eth(0x8863, [0x11, 9, 0, 0, 0, 10])),
        EventCase(.mplsHeaderTooSmall, invalid: true, "2 bytes", F.eth(0x8847, [0, 6])),
        EventCase(.mplsPktTooSmall, invalid: true, "label 100, 2 bytes after", F.eth(0x8847, [0, 0x06, 0x41, 0x40, 0x45, 0])),
        EventCase(.mplsBadLabelRouterAlert, invalid: false, "label 1", F.eth(0x8847, [0, 0, 0x11, 0x40] + inner)),
        EventCase(.mplsBadLabelImplicitNull, invalid: false, "label 3", F.eth(0x8847, [0, 0, 0x31, 0x40] + inner)),
        EventCase(.mplsBadLabelReserved, invalid: false, "label 5", F.eth(0x8847, [0, 0, 0x51, 0x40] + inner)),
        EventCase(.mplsUnknownPayloadType, invalid: true, "nibble 7", F.eth(0x8847, [0, 0x06, 0x41, 0x40, 0x70, 0, 0, 0])),
        EventCase(
            .vxlanUnknownPayloadType, invalid: true, "ethertype 0x1234",
            F.eth(0x0800, F.ipv4(17, F.udp(5000, 4789, [8, 0, 0, 0, 0, 0, 42, 0] + F.eth(0x1234, [0, 0]))))),
        EventCase(
            .geneveUnknownPayloadType, invalid: true, "protocol 0x1234",
            F.eth(0x0800, F.ipv4(17, F.udp(5000, 6081, [0, 0, 0x12, 0x34, 0, 0, 0x42, 0] + inner)))),
        EventCase(.dcePktTooSmall, invalid: true, "10 bytes", F.eth(0x8903, [UInt8](repeating: 0, count: 10))),
        EventCase(.chdlcPktTooSmall, invalid: true, .ciscoHDLC, "2 bytes", [0x0f, 0]),
        EventCase(.nshHeaderTooSmall, invalid: true, "4 bytes", F.eth(0x894f, [0, 6, 1, 1])),
        EventCase(.nshUnsupportedVersion, invalid: false, "version 1", F.eth(0x894f, [0x40, 6, 1, 1] + [UInt8](repeating: 0, count: 28) + inner)),
        EventCase(.nshBadHeaderLength, invalid: true, "24-byte header in 8", F.eth(0x894f, [0, 6, 1, 1, 0, 0, 0, 0])),
        EventCase(.nshReservedType, invalid: false, "MD type 0", F.eth(0x894f, [0, 6, 0, 1] + [UInt8](repeating: 0, count: 28) + inner)),
        EventCase(.nshUnsupportedType, invalid: false, "MD type 3", F.eth(0x894f, [0, 6, 3, 1] + [UInt8](repeating: 0, count: 28) + inner)),
        EventCase(.nshUnknownPayload, invalid: false, "next protocol NSH", F.eth(0x894f, [0, 6, 1, 4] + [UInt8](repeating: 0, count: 28) + inner)),
        EventCase(.vntagHeaderTooSmall, invalid: true, "4 bytes", F.eth(0x8926, [0, 0, 0, 0])),
        EventCase(.vntagUnknownType, invalid: true, "ethertype 0x1234", F.eth(0x8926, [0, 0, 0, 0, 0x12, 0x34, 0, 0])),
        EventCase(.etagHeaderTooSmall, invalid: true, "6 bytes", F.eth(0x893f, [0, 0, 0, 0, 0, 0])),
        EventCase(.etagUnknownType, invalid: true, "ethertype 0x1234", F.eth(0x893f, [0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0])),
        EventCase(.ieee8021ahHeaderTooSmall, invalid: true, "10 bytes", F.eth(0x88e7, [UInt8](repeating: 0, count: 10))),
    ]
}()

/// ERSPAN headers Suricata's DecodeERSPAN refuses: the event lands on the inner packet, which is then dropped
/// with it (PacketTunnelPktSetup), so neither the event nor the packet is ever seen; the outer packet stays.
let innerEventCases: [EventCase] = {
    typealias F = TunnelFrames
    return [
        EventCase(.erspanHeaderTooSmall, invalid: false, "4-byte ERSPAN header", F.greIPv4([0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0, 5])),
        EventCase(
            .erspanUnsupportedVersion, invalid: false, "version 2",
            F.greIPv4([0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x20, 0, 0, 5, 0, 0, 0, 0] + F.innerEthernet)),
    ]
}()

@Test(arguments: tunnelEventCases)
func tunnelDecoderRaises(_ testCase: EventCase) {
    let (packet, decoder) = decoded(testCase.frame, link: testCase.link)
    #expect(packet.events.contains(testCase.event), "events: \(packet.events.elements.map(\.name))")
    #expect(packet.isInvalid == testCase.invalid)
    #expect(decoder.statistics.count(of: testCase.event) == 1)
}

@Test(arguments: innerEventCases)
func refusedInnerPacketIsDropped(_ testCase: EventCase) throws {
    let (packets, decoder) = decodedChain(testCase.frame, link: testCase.link)
    #expect(packets.count == 1)
    #expect(packets[0].l4Protocol == 47)
    #expect(!packets[0].isInvalid)
    #expect(decoder.statistics.erspan == 1)
    #expect(decoder.statistics.count(of: testCase.event) == 0)
}

@Test func innerIPv4ThatDoesNotDecodeIsDropped() {
    // GRE carrying 10 bytes that claim to be IPv4: ipv4.pkt_too_small on a packet Suricata throws away.
    let (packets, decoder) = decodedChain(TunnelFrames.greIPv4([0, 0, 8, 0] + [UInt8](repeating: 0x45, count: 10)))
    #expect(packets.count == 1)
    #expect(decoder.statistics.count(of: .ipv4PktTooSmall) == 0)
    #expect(decoder.statistics.ipv4 == 2)
}

@Test func tooManyLayersStopsDecoding() {
    var settings = DecoderSettings()
    settings.maxLayers = 3
    // Ethernet, VLAN, IPv4: the third layer is one too many.
    let (packets, decoder) = decodedChain(Fixtures.vlanIPv4UDP, settings: settings)
    #expect(packets[0].events.contains(.tooManyLayers))
    #expect(packets[0].isInvalid)
    #expect(packets[0].ipVersion == 0)
    #expect(decoder.statistics.count(of: .tooManyLayers) == 1)
    // With the default of 16 the same frame decodes.
    let (whole, _) = decodedChain(Fixtures.vlanIPv4UDP)
    #expect(whole[0].isUDP)
}

@Test func tooManyLayersRefusesATunnelOnItsParent() {
    // Ethernet, IPv4, GRE are 3 layers; the inner IPv4 would be the 4th.
    var settings = DecoderSettings()
    settings.maxLayers = 4
    let (packets, _) = decodedChain(TunnelFrames.greIPv4([0, 0, 8, 0] + TunnelFrames.innerIPv4), settings: settings)
    #expect(packets.count == 1)
    #expect(packets[0].events.contains(.tooManyLayers))
}

@Test func greWithKeyAndSequenceCarriesTheInnerPacket() throws {
    let gre: [UInt8] = [0x30, 0, 8, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 7]
    let (packets, decoder) = decodedChain(TunnelFrames.greIPv4(gre + TunnelFrames.innerIPv4))
    try #require(packets.count == 2)
    #expect(packets[0].l4Protocol == 47)
    #expect(packets[1].isUDP)
    #expect(packets[1].tunnelDepth == 1)
    #expect(packets[1].tunnelOrigin?.proto == 47)
    #expect(packets[1].tunnelOrigin?.packetNumber == 1)
    #expect(packets[1].source.description == "10.0.0.9")
    #expect(decoder.statistics.gre == 1)
}

@Test func teredoNeedsAValidInnerPacket() {
    // A UDP payload that looks like IPv6 by its first nibble but whose length does not match: plain UDP.
    var body = [UInt8](repeating: 0, count: 48)
    body[0] = 0x60
    body[5] = 100
    body[7] = 64
    let frame = TunnelFrames.eth(0x0800, TunnelFrames.ipv4(17, TunnelFrames.udp(3544, 3544, body)))
    let (packets, decoder) = decodedChain(frame)
    #expect(packets.count == 1)
    #expect(packets[0].isUDP)
    #expect(decoder.statistics.teredo == 0)
}

@Test func vxlanReservedBitsDependOnTheCheckMode() {
    // Flags 0x0c (I and a VXLAN-GPE bit): decoded by Suricata 8.0's check (the default), refused when strict.
    let frame = TunnelFrames.eth(
        0x0800, TunnelFrames.ipv4(17, TunnelFrames.udp(5000, 4789, [0x0c, 0, 0, 3, 0, 0, 42, 0] + TunnelFrames.innerEthernet)))
    let (packets, _) = decodedChain(frame)
    #expect(packets.count == 2)
    #expect(packets.last?.isUDP == true)
    var strict = DecoderSettings()
    strict.vxlanStrictReservedBits = true
    #expect(decodedChain(frame, settings: strict).packets.count == 1)
    // The last reserved byte must be zero in every mode.
    let lastByteSet = TunnelFrames.eth(
        0x0800, TunnelFrames.ipv4(17, TunnelFrames.udp(5000, 4789, [0x08, 0, 0, 0, 0, 0, 42, 1] + TunnelFrames.innerEthernet)))
    #expect(decodedChain(lastByteSet).packets.count == 1)
}

@Test func arpIsCountedQuietly() {
    let (p, d) = decoded(Fixtures.ethIPv4TCPData.setting16(12, 0x0806))
    #expect(p.events.isEmpty)
    #expect(p.ipVersion == 0)
    #expect(d.statistics.unknownEthertype == 0)
    #expect(d.statistics.arp == 1)
}
