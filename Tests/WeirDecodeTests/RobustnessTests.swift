// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDecode

/// Every well-formed fixture with the link type it is decoded as.
let allFixtures: [([UInt8], LinkType)] = [
    (Fixtures.ethIPv4TCPSyn, .ethernet), (Fixtures.ethIPv4TCPData, .ethernet), (Fixtures.vlanIPv4UDP, .ethernet),
    (Fixtures.qinqIPv4ICMPEcho, .ethernet), (Fixtures.ethIPv4OptionsUDP, .ethernet),
    (Fixtures.ethIPv4FragmentFirst, .ethernet), (Fixtures.ethIPv6TCP, .ethernet), (Fixtures.ethIPv6ExtUDP, .ethernet),
    (Fixtures.ethIPv6FragmentFirst, .ethernet), (Fixtures.ethIPv6ICMPv6Echo, .ethernet),
    (Fixtures.ethIPv6ICMPv6Unreach, .ethernet), (Fixtures.ethIPv6MLD, .ethernet),
    (Fixtures.ethIPv4ICMPUnreach, .ethernet), (Fixtures.sllIPv4UDP, .linuxSLL), (Fixtures.sll2IPv6ICMPv6, .linuxSLL2),
    (Fixtures.nullLEIPv4TCP, .null), (Fixtures.nullBEIPv6UDP, .null), (Fixtures.loopIPv4UDP, .loop),
    (Fixtures.rawIPv4UDP, .raw), (Fixtures.rawIPv6TCP, .raw),
]

/// Checks that every offset the decoder wrote points inside the frame.
func expectOffsetsInside(_ packet: Packet, _ length: Int) {
    #expect(packet.l3Offset <= length)
    #expect(packet.l4Offset <= length)
    #expect(packet.payloadOffset >= 0 && packet.payloadLength >= 0)
    #expect(packet.payloadOffset + packet.payloadLength <= length)
    if packet.tcpOptions.sackOffset >= 0 {
        #expect(packet.tcpOptions.sackOffset + Int(packet.tcpOptions.sackBlockCount) * 8 <= length)
    }
}

/// Decodes `bytes` from an exactly-sized heap buffer, so that a read past the end is caught by the debug-build
/// bounds checks of `UnsafeRawBufferPointer` (and by ASan when enabled).
func decodeExact(_ bytes: [UInt8], _ decoder: inout PacketDecoder) -> Packet {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    defer { buffer.deallocate() }
    for (index, byte) in bytes.enumerated() { buffer[index] = byte }
    var packet = Packet()
    decoder.decode(UnsafeRawBufferPointer(buffer), into: &packet)
    return packet
}

@Test(arguments: [LinkType.ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .rawDLT12, .rawDLT14, .ipv4, .ipv6])
func randomBytesNeverCrash(link: LinkType) {
    var generator = SplitMix64(seed: UInt64(link.rawValue) &+ 99)
    var decoder = PacketDecoder(linkType: link, checksums: .all)
    for _ in 0..<4000 {
        let length = Int.random(in: 0...160, using: &generator)
        var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Steer a third of the frames into the IP decoders so that deeper layers get random input too.
        if length > 24 && Bool.random(using: &generator) {
            switch link {
            case .ethernet:
                let ipv6 = Bool.random(using: &generator)
                bytes[12] = ipv6 ? 0x86 : 0x08
                bytes[13] = ipv6 ? 0xdd : 0x00
                bytes[14] = ipv6 ? 0x60 : 0x45
            case .null:
                bytes[0] = 2
                bytes[1] = 0
                bytes[2] = 0
                bytes[3] = 0
            default: bytes[0] = Bool.random(using: &generator) ? 0x45 : 0x60
            }
        }
        let packet = decodeExact(bytes, &decoder)
        expectOffsetsInside(packet, length)
    }
    #expect(decoder.statistics.packets == 4000)
}

@Test func truncationsAndBitFlipsOfValidFramesNeverCrash() {
    var generator = SplitMix64(seed: 2024)
    for (fixture, link) in allFixtures {
        var decoder = PacketDecoder(linkType: link, checksums: .all)
        // Every truncation.
        for length in 0...fixture.count {
            let packet = decodeExact(Array(fixture[0..<length]), &decoder)
            expectOffsetsInside(packet, length)
        }
        // Random byte damage at random positions.
        for _ in 0..<1500 {
            var bytes = fixture
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            let packet = decodeExact(Array(bytes[0..<cut]), &decoder)
            expectOffsetsInside(packet, cut)
        }
        #expect(decoder.statistics.packets == UInt64(fixture.count + 1 + 1500))
    }
}

@Test func truncatedValidFramesAreCountedInvalid() {
    // Cutting a valid TCP frame anywhere inside its IP packet must make it invalid, never a silent success.
    let frame = Fixtures.ethIPv4TCPData
    for length in 0..<frame.count {
        let (packet, _) = decoded(frame.prefix(bytes: length))
        #expect(packet.isInvalid, "cut at \(length)")
        #expect(!packet.hasL4)
    }
}
