// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

/// VLAN ids in flow identity, as Suricata's flow hash and comparison (`flow-hash.c`): all three ids take part,
/// and none when `vlan.use-for-tracking` is off. The flow keeps its first packet's tags for its records.
@Suite struct VLANTrackingTests {
    /// A UDP packet 10.0.0.1:1000 → 10.0.0.2:53 (or the reply) carrying `ids` as VLAN tags.
    func udp(_ ids: [UInt16], reply: Bool = false, t: Int64 = 1) -> Packet {
        var p = Packet()
        p.timestamp = Timestamp(microseconds: t * 1_000_000)
        p.ipVersion = 4
        p.source = IPAddress(reply ? "10.0.0.2" : "10.0.0.1") ?? .zeroV4
        p.destination = IPAddress(reply ? "10.0.0.1" : "10.0.0.2") ?? .zeroV4
        p.l4Protocol = IPProtocol.udp
        p.hasL4 = true
        p.sourcePort = reply ? 53 : 1000
        p.destinationPort = reply ? 1000 : 53
        for id in ids { p.appendVLAN(id) }
        return p
    }

    func slot(_ table: inout FlowTable, _ packet: Packet) throws -> Int32 {
        let handle = table.process(packet, emit: { _, _ in })
        return try #require(handle, "no flow").slot
    }

    @Test func theThirdTagIsPartOfTheKey() {
        let a = FlowKey.make(for: udp([10, 20, 30])).key
        let b = FlowKey.make(for: udp([10, 20, 31])).key
        #expect(a.vlan2 == 30)
        #expect(a != b)
        #expect(a.withoutVLANs == b.withoutVLANs)
    }

    @Test func flowsDifferingInTheThirdTagAreDifferentFlows() throws {
        var table = FlowTable()
        let first = try slot(&table, udp([10, 20, 30]))
        let second = try slot(&table, udp([10, 20, 31]))
        #expect(first != second)
        #expect(table.activeCount == 2)
        // The reply on the same three tags joins the first flow.
        #expect(try slot(&table, udp([10, 20, 30], reply: true)) == first)
        #expect(table[first].packetsToClient == 1)
        #expect(table[first].vlanCount == 3)
        #expect(table[first].vlanID(at: 2) == 30)
        #expect(table[second].vlanID(at: 2) == 31)
    }

    @Test func withoutTrackingTheTagsDoNotSeparateFlows() throws {
        var table = FlowTable(settings: FlowSettings(vlanTracking: false))
        let first = try slot(&table, udp([10, 20, 30]))
        #expect(try slot(&table, udp([10, 20, 31], reply: true)) == first)
        #expect(try slot(&table, udp([])) == first)
        #expect(table.activeCount == 1)
        #expect(table[first].packetsToServer == 2 && table[first].packetsToClient == 1)
        // The key holds no ids; the flow keeps the first packet's three for its records.
        #expect(table[first].key.vlan0 == 0 && table[first].key.vlan2 == 0)
        #expect(table[first].vlanCount == 3)
        #expect([0, 1, 2].map { table[first].vlanID(at: $0) } == [10, 20, 30])
    }

    @Test func tunnelDepthSeparatesFlowsUnlessRecursionTrackingIsOff() throws {
        var plain = self.udp([])
        var tunnelled = self.udp([], reply: true)
        tunnelled.tunnelDepth = 1
        var tracked = FlowTable()
        let a = try slot(&tracked, plain)
        #expect(try slot(&tracked, tunnelled) != a)
        // `decoder.recursion-level.use-for-tracking: false`: the reply inside the tunnel joins the plain request.
        var untracked = FlowTable(settings: FlowSettings(recursionTracking: false))
        let b = try slot(&untracked, plain)
        #expect(try slot(&untracked, tunnelled) == b)
        #expect(untracked[b].packetsToServer == 1 && untracked[b].packetsToClient == 1)
        plain.tunnelDepth = 2
        #expect(try slot(&untracked, plain) == b)
    }

    @Test func aTagWithIdZeroIsRecordedAsALayer() throws {
        // Priority-tagged frames (id 0): the same flow as untagged ones (the ids are equal), one layer recorded.
        var table = FlowTable()
        let tagged = try slot(&table, udp([0]))
        #expect(try slot(&table, udp([], reply: true)) == tagged)
        #expect(table[tagged].vlanCount == 1)
    }
}
