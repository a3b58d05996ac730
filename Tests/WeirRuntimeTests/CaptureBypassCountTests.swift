// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirRuntime

/// The late-frame accounting of a capture-bypassed flow (``CaptureBypass``), without a kernel: a
/// ``KernelBypass`` with no data plane accepts every entry, and the ring backlog is whatever the test says.
@Suite struct CaptureBypassCountTests {
    /// A TCP flow from 10.0.0.1:`port` to 10.0.0.2:443, made by a flow table as the pipeline makes them.
    static func flow(_ table: inout FlowTable, port: UInt16) throws -> (flow: Flow, slot: Int32) {
        var packet = Packet()
        packet.timestamp = Timestamp(microseconds: 1_700_000_000_000_000)
        packet.ipVersion = 4
        packet.source = try #require(IPAddress("10.0.0.1"))
        packet.destination = try #require(IPAddress("10.0.0.2"))
        packet.l4Protocol = IPProtocol.tcp
        packet.hasL4 = true
        packet.sourcePort = port
        packet.destinationPort = 443
        packet.tcpFlags = 0x02
        let handle = try #require(table.process(packet) { _, _ in })
        return (table[handle.slot], handle.slot)
    }

    /// Frames read after the write up to the sampled backlog plus one NAPI poll's worth may have passed the
    /// kernel's check before the entry existed; one more is a kernel miss, and only that flow is counted.
    @Test func lateFramesBeyondBacklogAndFramesInFlightAreCounted() throws {
        var table = FlowTable()
        let bypass = CaptureBypass(kernel: KernelBypass(planes: []))
        let backlog: UInt64 = 10
        bypass.ringBacklog = { backlog }
        let inFlight = CaptureBypass.framesInFlight
        var within = try Self.flow(&table, port: 40000)
        var beyond = try Self.flow(&table, port: 40001)
        #expect(within.flow.flowID != beyond.flow.flowID)
        #expect(bypass.offer(within.flow, slot: within.slot))
        #expect(bypass.offer(beyond.flow, slot: beyond.slot))
        for _ in 0..<(backlog + inFlight) { bypass.sawFrame(of: within.flow.flowID, flowEnd: false) }
        for _ in 0..<(backlog + inFlight + 1) { bypass.sawFrame(of: beyond.flow.flowID, flowEnd: false) }
        // The FIN the kernel passes up on purpose is not a late frame.
        bypass.sawFrame(of: within.flow.flowID, flowEnd: true)
        bypass.finish(&within.flow)
        bypass.finish(&beyond.flow)
        let counters = Dictionary(uniqueKeysWithValues: bypass.counters)
        #expect(counters["flow_bypassed.capture_offered"] == 2)
        #expect(counters["flow_bypassed.capture_ring_backlog"] == 2 * backlog)
        #expect(counters["flow_bypassed.capture_late_pkts"] == 2 * (backlog + inFlight) + 1)
        #expect(counters["flow_bypassed.capture_late_flows"] == 2)
        #expect(counters["flow_bypassed.capture_late_beyond_backlog"] == 1)
        #expect(counters["flow_bypassed.capture_flow_end_pkts"] == 1)
    }
}
