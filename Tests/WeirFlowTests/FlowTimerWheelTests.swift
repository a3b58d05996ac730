// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

/// Expiry by the timer wheel against a full scan: the same flows end at the same sweep, in slot order.
@Suite struct FlowTimerWheelTests {
    private static func packet(_ source: UInt32, _ port: UInt16, reply: Bool, proto: UInt8, flags: UInt8, at micros: Int64)
        -> Packet
    {
        var p = Packet()
        p.ipVersion = 4
        let client = IPAddress(v4: 0x0a00_0000 | source)
        let server = IPAddress(v4: 0x0a01_0001)
        p.source = reply ? server : client
        p.destination = reply ? client : server
        p.l4Protocol = proto
        p.hasL4 = true
        p.sourcePort = reply ? 80 : port
        p.destinationPort = reply ? port : 80
        p.tcpFlags = flags
        p.timestamp = Timestamp(microseconds: micros)
        p.wireLength = 60
        return p
    }

    /// Random UDP and TCP traffic over 3 hours of packet time, with pauses longer than the wheel's span, flows
    /// bypassed through the subscript, and a sweep at each new second as the pipeline runs it. After every sweep
    /// the flows that ended are exactly those a scan over all live flows finds idle past their timeouts.
    @Test func wheelEndsWhatAFullScanEnds() throws {
        var settings = FlowSettings()
        settings.udp = FlowTimeouts(
            new: 30, established: 120, closed: 0, bypassed: 50, emergencyNew: 10, emergencyEstablished: 10,
            emergencyClosed: 0, emergencyBypassed: 10)
        settings.tcp = FlowTimeouts(
            new: 60, established: 600, closed: 5, bypassed: 100, emergencyNew: 10, emergencyEstablished: 20,
            emergencyClosed: 0, emergencyBypassed: 20)
        var table = FlowTable(settings: settings)
        var generator = SystemRandomNumberGenerator()
        var rng = UInt64.random(in: 1...UInt64.max, using: &generator)
        func next(_ bound: UInt64) -> UInt64 {
            rng ^= rng << 13
            rng ^= rng >> 7
            rng ^= rng << 17
            return rng % bound
        }
        var now: Int64 = 1_000_000_000
        var lastSweep = now / 1_000_000
        var ended: [UInt64] = []
        for step in 0..<60_000 {
            // Mostly small steps; now and then a pause of minutes, hours or more than the wheel's span.
            switch next(1000) {
            case 0: now += Int64(next(5_000)) * 1_000_000
            case 1...9: now += Int64(next(700)) * 1_000_000
            default: now += Int64(next(400_000))
            }
            if now / 1_000_000 != lastSweep {
                // The flows a full scan would end at this sweep, in slot order.
                var expected: [UInt64] = []
                table.forEach { flow in
                    let timeouts = settings.timeouts(for: flow.key.proto)
                    let timeout = timeouts.seconds(for: flow.state, emergency: table.emergency)
                    if now - flow.last.microseconds > timeout * 1_000_000 { expected.append(flow.flowID) }
                }
                ended.removeAll()
                table.expire(now: Timestamp(microseconds: now)) { flow, reason in
                    #expect(reason == .timeout)
                    ended.append(flow.flowID)
                }
                #expect(ended == expected, "step \(step): \(ended.count) ended, a scan finds \(expected.count)")
                lastSweep = now / 1_000_000
            }
            let source = UInt32(next(400))
            let port = UInt16(1024 + next(4))
            let reply = next(3) == 0
            let proto = next(2) == 0 ? IPProtocol.udp : IPProtocol.tcp
            var flags: UInt8 = 0
            if proto == IPProtocol.tcp {
                let flagChoices: [UInt8] = [0x02, 0x12, 0x10, 0x10, 0x10, 0x11, 0x04]
                flags = flagChoices[Int(next(UInt64(flagChoices.count)))]
            }
            let packet = Self.packet(source, port, reply: reply, proto: proto, flags: flags, at: now)
            guard let handle = table.process(packet, emit: { _, _ in }) else { continue }
            if next(50) == 0 { table[handle.slot].state = .bypassed }
        }
        #expect(table.statistics.timeoutNew + table.statistics.timeoutEstablished + table.statistics.timeoutClosed > 1000)
    }

    /// A flow that keeps seeing packets outlives its first deadline; one that goes quiet ends after its
    /// timeout, and a state change to a shorter timeout (closed, bypassed) takes effect at once.
    @Test func stateChangesShortenTheDeadline() throws {
        var settings = FlowSettings()
        settings.udp = FlowTimeouts(
            new: 30, established: 300, closed: 0, bypassed: 5, emergencyNew: 10, emergencyEstablished: 10,
            emergencyClosed: 0, emergencyBypassed: 5)
        var table = FlowTable(settings: settings)
        var ended: [UInt64] = []
        let emit: (inout Flow, FlowEndReason) -> Void = { flow, _ in ended.append(flow.flowID) }
        let second: Int64 = 1_000_000
        let busyHandle = table.process(Self.packet(1, 1000, reply: false, proto: IPProtocol.udp, flags: 0, at: 0), emit: emit)
        let quietHandle = table.process(Self.packet(2, 1000, reply: false, proto: IPProtocol.udp, flags: 0, at: 0), emit: emit)
        let bypassedHandle = table.process(Self.packet(3, 1000, reply: false, proto: IPProtocol.udp, flags: 0, at: 0), emit: emit)
        let busy = try #require(busyHandle)
        let quiet = try #require(quietHandle)
        let bypassed = try #require(bypassedHandle)
        let busyID = table[busy.slot].flowID
        let quietID = table[quiet.slot].flowID
        let bypassedID = table[bypassed.slot].flowID
        // Both ways: established (300 s).
        _ = table.process(Self.packet(3, 1000, reply: true, proto: IPProtocol.udp, flags: 0, at: 1 * second), emit: emit)
        table[bypassed.slot].state = .bypassed
        for t in stride(from: Int64(2), through: 40, by: 2) {
            _ = table.process(Self.packet(1, 1000, reply: false, proto: IPProtocol.udp, flags: 0, at: t * second), emit: emit)
            table.expire(now: Timestamp(microseconds: t * second), emit: emit)
            if t == 6 { #expect(ended == [], "bypassed: idle 5 s, not more, at 6 s") }
            if t == 8 { #expect(ended == [bypassedID], "bypassed flow ends 5 s after its last packet") }
        }
        #expect(ended == [bypassedID, quietID], "the quiet flow ends after 30 s, the busy one lives on")
        #expect(table[busy.slot].flowID == busyID)
        // Far beyond the wheel's span: still ends, once.
        table.expire(now: Timestamp(microseconds: 10_000 * second), emit: emit)
        #expect(ended == [bypassedID, quietID, busyID])
        #expect(table.activeCount == 0)
    }
}
