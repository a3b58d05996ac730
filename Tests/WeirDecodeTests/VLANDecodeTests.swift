// SPDX-License-Identifier: MIT
import Testing
import WeirCore

@testable import WeirDecode

// VLAN layers as Suricata 8 keeps them (decode-vlan.c): three tags, a fourth is the `vlan.too_many_layers` event.

@Test func threeTagsAreKeptOutermostFirst() {
    let frame = taggedIPv4UDP([(0x88a8, 200), (0x8100, 300), (0x8100, 400)])
    let (p, d) = decoded(frame, checksums: .all)
    #expect(p.vlanCount == 3)
    #expect(p.vlanIDs.0 == 200)
    #expect(p.vlanIDs.1 == 300)
    #expect(p.vlanIDs.2 == 400)
    #expect(p.vlanID(at: 2) == 400)
    #expect(p.vlanID(at: 3) == 0)
    #expect(p.events.isEmpty)
    #expect(!p.isInvalid)
    // The IP and UDP layers behind the third tag decode as usual.
    #expect(p.isUDP)
    #expect(p.l3Offset == 26)
    #expect(p.destinationPort == 53)
    #expect(p.l4Checksum == .valid)
    // One count per depth: decoder.vlan, decoder.vlan_qinq, decoder.vlan_qinqinq.
    #expect(d.statistics.vlan == 1)
    #expect(d.statistics.vlanQinQ == 1)
    #expect(d.statistics.vlanQinQinQ == 1)
}

@Test(arguments: [UInt16(0x8100), 0x88a8, 0x9100])
func everyTagEthertypeIsATag(tpid: UInt16) {
    // 802.1Q, 802.1ad and the pre-standard QinQ 0x9100, in any position.
    let (p, _) = decoded(taggedIPv4UDP([(tpid, 10), (tpid, 20), (tpid, 30)]))
    #expect(p.vlanCount == 3)
    #expect(vlanIDs(p) == [10, 20, 30])
    #expect(p.isUDP)
}

@Test func aFourthTagRaisesTooManyLayersAndStopsDecoding() {
    let (p, d) = decoded(taggedIPv4UDP(ids: [5, 6, 7, 8]))
    #expect(p.events.elements == [.vlanTooManyLayers])
    // Not an invalid packet (Suricata's ENGINE_SET_EVENT, not ENGINE_SET_INVALID_EVENT) …
    #expect(!p.isInvalid)
    #expect(d.statistics.invalid == 0)
    // … but nothing behind the fourth tag is decoded, and the three kept tags stay.
    #expect(p.ipVersion == 0)
    #expect(p.vlanCount == 3)
    #expect(vlanIDs(p) == [5, 6, 7])
    #expect(d.statistics.vlan == 1)
    #expect(d.statistics.vlanQinQ == 1)
    #expect(d.statistics.vlanQinQinQ == 1)
    #expect(d.statistics.count(of: .vlanTooManyLayers) == 1)
    #expect(d.statistics.ipv4 == 0)
    #expect(d.statistics.unknownEthertype == 0)
}

@Test func countersFollowTheDepthOfEachFrame() {
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    for ids in [[1], [1, 2], [1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5]] as [[UInt16]] {
        var packet = Packet()
        taggedIPv4UDP(ids: ids).withUnsafeBytes { decoder.decode($0, into: &packet) }
    }
    #expect(decoder.statistics.vlan == 5)
    #expect(decoder.statistics.vlanQinQ == 4)
    #expect(decoder.statistics.vlanQinQinQ == 3)
    #expect(decoder.statistics.count(of: .vlanTooManyLayers) == 2)
    var names: [String: UInt64] = [:]
    decoder.statistics.forEachCounter { names[$0] = $1 }
    #expect(names["decoder.vlan_qinqinq"] == 3)
    #expect(names["decoder.event.vlan.too_many_layers"] == 2)
}

@Test func aShortThirdTagIsHeaderTooSmall() {
    // Two full tags, then two bytes of a third: counted at its depth, then refused as invalid.
    let frame = Array(taggedIPv4UDP(ids: [1, 2, 3])[0..<24])
    let (p, d) = decoded(frame)
    #expect(p.events.contains(.vlanHeaderTooSmall))
    #expect(p.isInvalid)
    #expect(p.vlanCount == 2)
    #expect(d.statistics.vlanQinQinQ == 1)
}

@Test func packetDoesNotGrowForTheThirdTag() {
    // The count sits in the tuple's trailing padding: three ids and the count take 8 bytes.
    #expect(MemoryLayout<Packet>.offset(of: \Packet.vlanCount) == MemoryLayout<Packet>.offset(of: \Packet.vlanIDs)
        .map { $0 + 6 })
    #expect(MemoryLayout<Packet>.offset(of: \Packet.ipVersion) == MemoryLayout<Packet>.offset(of: \Packet.vlanIDs)
        .map { $0 + 7 })
}

@Test func resetClearsAllThreeTags() {
    var (p, _) = decoded(taggedIPv4UDP(ids: [7, 8, 9]))
    #expect(p.vlanCount == 3)
    p.reset()
    #expect(p.vlanCount == 0)
    #expect(vlanIDs(p) == [0, 0, 0])
}

/// The packet's three VLAN slots as an array.
private func vlanIDs(_ packet: Packet) -> [UInt16] { [packet.vlanIDs.0, packet.vlanIDs.1, packet.vlanIDs.2] }
