// SPDX-License-Identifier: MIT
import CWeirLinux
import Testing
import WeirBypass
import WeirCore
import WeirDecode
import WeirFlow

/// The kernel flow key holds two VLAN ids (`vlan_outer`, `vlan_inner`) and the kernel parser passes frames with
/// more tags up without a lookup (`WEIR_STAT_VLAN_DEPTH`), while the decoder keeps three: flows whose frames
/// carry a third tag are never offered to the kernel table (they are bypassed in the worker), and user space
/// builds the kernel key from the tags the flow's frames carry, whatever `vlan.use-for-tracking` says.
@Suite struct VLANDepthTests {
    func udp(_ ids: [UInt16]) -> Packet {
        var p = Packet()
        p.ipVersion = 4
        p.source = IPAddress(v4: 0x0a00_0001)
        p.destination = IPAddress(v4: 0x0a00_0002)
        p.l4Protocol = IPProtocol.udp
        p.hasL4 = true
        p.sourcePort = 1000
        p.destinationPort = 53
        for id in ids { p.appendVLAN(id) }
        return p
    }

    func flow(_ ids: [UInt16], tracking: Bool = true) throws -> Flow {
        var table = FlowTable(settings: FlowSettings(vlanTracking: tracking))
        let processed = table.process(self.udp(ids), emit: { _, _ in })
        let handle = try #require(processed)
        return table[handle.slot]
    }

    @Test func theKernelParsesTwoTags() {
        #expect(WEIR_VLAN_MAX_DEPTH == 2)
    }

    @Test func twoTagsHaveAKernelKey() throws {
        let packetKey = try #require(FlowKey.abiKey(for: self.udp([10, 20])))
        let flow = try self.flow([10, 20])
        let flowKey = try #require(flow.kernelKey)
        #expect(flowKey == flow.key)
        #expect(try #require(flowKey.abiKey).bytes == packetKey.key.bytes)
    }

    @Test func aThirdTagHasNoKernelKey() throws {
        // Neither from the packet (the kernel would pass it up unlooked) …
        #expect(FlowKey.abiKey(for: self.udp([10, 20, 30])) == nil)
        // … nor from the flow, so `offer` falls back to a local bypass …
        let flow = try self.flow([10, 20, 30])
        #expect(flow.key.vlan2 == 30)
        #expect(flow.kernelKey == nil)
        // … nor from a key that names a third id (it cannot be written into the two-id kernel key).
        #expect(flow.key.abiKey == nil)
        // A third tag whose id is 0 still makes three layers: no kernel key either.
        #expect(try self.flow([10, 20, 0]).kernelKey == nil)
    }

    @Test func withoutTrackingTheKernelKeyHoldsTheFramesTags() throws {
        let flow = try self.flow([10, 20], tracking: false)
        #expect(flow.key.vlan0 == 0 && flow.key.vlan1 == 0)
        let key = try #require(flow.kernelKey)
        #expect(key.vlan0 == 10 && key.vlan1 == 20)
        let packetKey = try #require(FlowKey.abiKey(for: self.udp([10, 20])))
        #expect(try #require(key.abiKey).bytes == packetKey.key.bytes)
        #expect(try self.flow([10, 20, 30], tracking: false).kernelKey == nil)
    }
}
