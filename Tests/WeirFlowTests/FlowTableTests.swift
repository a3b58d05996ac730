// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

private func packet(
    _ s: String, _ sp: UInt16, _ d: String, _ dp: UInt16, proto: UInt8 = IPProtocol.tcp, flags: UInt8 = 0,
    t: Int64 = 0, len: Int = 60
) -> Packet {
    var p = Packet()
    p.ipVersion = 4
    p.source = IPAddress(s)!
    p.destination = IPAddress(d)!
    p.l4Protocol = proto
    p.hasL4 = true
    p.sourcePort = sp
    p.destinationPort = dp
    p.tcpFlags = flags
    p.timestamp = Timestamp(seconds: t, microseconds: 0)
    p.wireLength = len
    return p
}

private let SYN: UInt8 = 0x02
private let SYNACK: UInt8 = 0x12
private let ACK: UInt8 = 0x10
private let FINACK: UInt8 = 0x11
private let RST: UInt8 = 0x04

private func handle(_ h: FlowHandle?) throws -> FlowHandle { try #require(h) }

@Suite struct FlowTableTests {
    /// Every flow knows its slot, reused slots included, and the flow handed to `emit` carries it: the flow-end
    /// path finds the stream and app-layer state under it.
    @Test func flowsCarryTheirSlotToTheirEnd() throws {
        var table = FlowTable()
        var ended: [(flowID: UInt64, slot: Int32)] = []
        let emit: (inout Flow, FlowEndReason) -> Void = { flow, _ in ended.append((flow.flowID, flow.slot)) }
        let a = try handle(table.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: SYN), emit: emit))
        let b = try handle(table.process(packet("10.0.0.9", 40001, "10.0.0.1", 80, flags: SYN), emit: emit))
        #expect(a.slot != b.slot)
        #expect(table[a.slot].slot == a.slot && table[b.slot].slot == b.slot)
        let firstID = table[a.slot].flowID
        table.flush(emit: emit)
        #expect(ended.count == 2 && ended.contains { $0.flowID == firstID && $0.slot == a.slot })
        // A later flow in a freed slot carries that slot.
        let c = try handle(table.process(packet("10.0.0.7", 40002, "10.0.0.1", 80, flags: SYN, t: 5), emit: emit))
        #expect(table[c.slot].slot == c.slot)
    }

    @Test func icmpFlowsKeepTheFirstPacketsTypeAndCode() throws {
        var table = FlowTable()
        let emit: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        var request = packet("10.0.0.9", 0, "10.0.0.1", 0, proto: IPProtocol.icmp)
        request.hasL4 = false
        request.icmpType = 8
        var reply = packet("10.0.0.1", 0, "10.0.0.9", 0, proto: IPProtocol.icmp, t: 1)
        reply.hasL4 = false
        reply.icmpType = 0
        reply.icmpCode = 0
        let h1 = try handle(table.process(request, emit: emit))
        let h2 = try handle(table.process(reply, emit: emit))
        #expect(h1.slot == h2.slot && h1.toServer && !h2.toServer)
        #expect(table[h1.slot].icmpType == 8 && table[h1.slot].icmpCode == 0, "the reply does not overwrite them")
        var unreachable = packet("10.0.0.5", 0, "10.0.0.9", 0, proto: IPProtocol.icmpv6, t: 2)
        unreachable.hasL4 = false
        unreachable.icmpType = 1
        unreachable.icmpCode = 4
        let h3 = try handle(table.process(unreachable, emit: emit))
        #expect(table[h3.slot].icmpType == 1 && table[h3.slot].icmpCode == 4)
        let tcp = try handle(table.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: SYN, t: 3), emit: emit))
        #expect(table[tcp.slot].icmpType == 0 && table[tcp.slot].icmpCode == 0)
    }

    /// An ICMPv4 message as the decoder leaves it: type, code, and the quoted flow of a destination unreachable.
    private func icmp(_ s: String, _ d: String, type: UInt8, code: UInt8 = 0, t: Int64 = 0, quoting: ICMPQuotedFlow? = nil)
        -> Packet
    {
        var p = packet(s, 0, d, 0, proto: IPProtocol.icmp, t: t)
        p.icmpType = type
        p.icmpCode = code
        p.icmpUnreachableFlow = quoting
        return p
    }

    @Test func icmpv4FlowsAreKeyedByTheirTypePair() throws {
        var table = FlowTable()
        let emit: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        let ping = try handle(table.process(icmp("10.0.0.9", "10.0.0.1", type: 8), emit: emit))
        let pong = try handle(table.process(icmp("10.0.0.1", "10.0.0.9", type: 0, t: 1), emit: emit))
        #expect(ping.slot == pong.slot && ping.toServer && !pong.toServer, "a reply joins its request's flow")
        // The other host pinging back, a timestamp request and an unpaired type are flows of their own, as
        // Suricata compares ICMPv4 flows by addresses and (type, counterpart) in either direction.
        let back = try handle(table.process(icmp("10.0.0.1", "10.0.0.9", type: 8, t: 2), emit: emit))
        let stamp = try handle(table.process(icmp("10.0.0.9", "10.0.0.1", type: 13, t: 3), emit: emit))
        let stampReply = try handle(table.process(icmp("10.0.0.1", "10.0.0.9", type: 14, t: 4), emit: emit))
        let unpaired = try handle(table.process(icmp("10.0.0.9", "10.0.0.1", type: 42, t: 5), emit: emit))
        #expect(Set([ping.slot, back.slot, stamp.slot, unpaired.slot]).count == 4)
        #expect(stamp.slot == stampReply.slot && !stampReply.toServer)
        #expect(table.statistics.icmpv4 == 4)
        // ICMPv6 stays keyed by address only (Suricata compares ICMPv6 flows by addresses and zero ports).
        var v6a = icmp("10.0.0.9", "10.0.0.1", type: 128, t: 6)
        v6a.l4Protocol = IPProtocol.icmpv6
        var v6b = icmp("10.0.0.9", "10.0.0.1", type: 135, t: 7)
        v6b.l4Protocol = IPProtocol.icmpv6
        let h6a = try handle(table.process(v6a, emit: emit))
        let h6b = try handle(table.process(v6b, emit: emit))
        #expect(h6a.slot == h6b.slot)
    }

    @Test func icmpv4ErrorsJoinTheQuotedFlowAndNeverStartOne() throws {
        var table = FlowTable()
        let emit: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        let client = "10.0.0.9"
        let server = "192.0.2.53"
        let udp = try handle(table.process(packet(client, 40000, server, 53, proto: IPProtocol.udp), emit: emit))
        let quotedUDP = ICMPQuotedFlow(
            source: IPAddress(client)!, destination: IPAddress(server)!, sourcePort: 40000, destinationPort: 53,
            proto: IPProtocol.udp)
        // Port unreachable from the server: to the client, in the UDP flow, counted there.
        let fromServer = try handle(
            table.process(icmp(server, client, type: 3, code: 3, t: 1, quoting: quotedUDP), emit: emit))
        #expect(fromServer.slot == udp.slot && !fromServer.toServer)
        #expect(table[udp.slot].packetsToClient == 1 && table[udp.slot].key.proto == IPProtocol.udp)
        // From a router in between: also to the client.
        let fromRouter = try handle(
            table.process(icmp("198.51.100.1", client, type: 3, code: 1, t: 2, quoting: quotedUDP), emit: emit))
        #expect(fromRouter.slot == udp.slot && !fromRouter.toServer)
        #expect(table.statistics.total == 1, "no ICMP flow was made")

        // A TCP flow keeps its own state: an error does not establish it.
        let syn = try handle(table.process(packet(client, 41000, server, 80, flags: SYN, t: 3), emit: emit))
        let quotedTCP = ICMPQuotedFlow(
            source: IPAddress(client)!, destination: IPAddress(server)!, sourcePort: 41000, destinationPort: 80,
            proto: IPProtocol.tcp)
        let error = try handle(table.process(icmp(server, client, type: 3, code: 10, t: 4, quoting: quotedTCP), emit: emit))
        #expect(error.slot == syn.slot)
        #expect(table[syn.slot].state == .new && table[syn.slot].tcpState == .synSent)

        // No flow for: an error quoting a flow never seen, an invalid one, and other error types.
        let unknown = ICMPQuotedFlow(
            source: IPAddress(client)!, destination: IPAddress(server)!, sourcePort: 1, destinationPort: 2,
            proto: IPProtocol.udp)
        #expect(table.process(icmp(server, client, type: 3, t: 5, quoting: unknown), emit: emit) == nil)
        var invalid = icmp(server, client, type: 3, t: 5, quoting: quotedUDP)
        invalid.isInvalid = true
        #expect(table.process(invalid, emit: emit) == nil)
        for type: UInt8 in [3, 4, 5, 11, 12] {
            #expect(table.process(icmp("198.51.100.1", client, type: type, t: 6), emit: emit) == nil)
        }
        #expect(table.statistics.total == 2 && table.statistics.noFlow == 0)
    }

    @Test func handshakeSetsDirectionAndEstablishes() throws {
        var table = FlowTable()
        var ended: [Flow] = []
        let emit: (inout Flow, FlowEndReason) -> Void = { f, _ in ended.append(f) }
        let h1 = try handle(table.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: SYN), emit: emit))
        let h2 = try handle(table.process(packet("10.0.0.1", 80, "10.0.0.9", 40000, flags: SYNACK), emit: emit))
        let h3 = try handle(table.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: ACK), emit: emit))
        #expect(h1.slot == h2.slot && h2.slot == h3.slot)
        #expect(h1.toServer && !h2.toServer && h3.toServer)
        let flow = table[h1.slot]
        #expect(flow.clientAddress == IPAddress("10.0.0.9"))
        #expect(flow.serverPort == 80)
        #expect(flow.tcpState == .established)
        #expect(flow.state == .established)
        #expect(flow.packetsToServer == 2 && flow.packetsToClient == 1)
        #expect(flow.bytesToServer == 120)
        #expect(table.statistics.tcpSessions == 1)
        #expect(ended.isEmpty)
    }

    @Test func tcpFlagsAreThoseOfPacketsASessionSaw() throws {
        // Without midstream pick-up, ACK and FIN packets of a flow whose handshake was missed start no session:
        // the flow record's flags stay 0 (Suricata's `tcp_packet_flags`).
        var table = FlowTable()
        let emit: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        let h = try handle(table.process(packet("10.0.0.1", 80, "10.0.0.9", 40000, flags: ACK), emit: emit))
        _ = table.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: FINACK), emit: emit)
        #expect(table[h.slot].tcpFlagsToServer == 0 && table[h.slot].tcpFlagsToClient == 0)
        // A session counts its packets from the SYN on.
        let s = try handle(table.process(packet("10.0.0.9", 40001, "10.0.0.1", 80, flags: SYN), emit: emit))
        _ = table.process(packet("10.0.0.1", 80, "10.0.0.9", 40001, flags: SYNACK), emit: emit)
        #expect(table[s.slot].tcpFlagsToServer == SYN && table[s.slot].tcpFlagsToClient == SYNACK)
    }

    /// ESP flows: one per SPI and direction, as Suricata's FlowCompareESP.
    @Test func espFlowsAreOneWayPerSPI() throws {
        func espPacket(_ s: String, _ d: String, spi: UInt32) -> Packet {
            var p = Packet()
            p.ipVersion = 4
            p.source = IPAddress(s) ?? .zeroV4
            p.destination = IPAddress(d) ?? .zeroV4
            p.l4Protocol = IPProtocol.esp
            p.hasL4 = true
            p.sourcePort = UInt16(spi >> 16)
            p.destinationPort = UInt16(spi & 0xffff)
            return p
        }
        var table = FlowTable()
        let emit: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        let a = try handle(table.process(espPacket("10.0.0.2", "10.0.0.1", spi: 123), emit: emit))
        let again = table.process(espPacket("10.0.0.2", "10.0.0.1", spi: 123), emit: emit)
        #expect(again?.slot == a.slot)
        // Another SPI, or the same SPI the other way: other flows.
        let other = table.process(espPacket("10.0.0.2", "10.0.0.1", spi: 321), emit: emit)
        #expect(other?.slot != a.slot)
        let reverse = table.process(espPacket("10.0.0.1", "10.0.0.2", spi: 123), emit: emit)
        #expect(reverse?.slot != a.slot)
        #expect(table.activeCount == 3)
        #expect(table[a.slot].packetsToServer == 2 && table[a.slot].clientAddress == IPAddress("10.0.0.2"))
    }

    @Test func synAckFirstMakesReceiverTheClient() throws {
        var table = FlowTable(settings: FlowSettings(midstream: true))
        let h = try handle(table.process(packet("10.0.0.1", 80, "10.0.0.9", 40000, flags: SYNACK), emit: { _, _ in }))
        #expect(!h.toServer)
        #expect(table[h.slot].clientAddress == IPAddress("10.0.0.9"))
        #expect(table[h.slot].isMidstream)
    }

    @Test func midstreamOffLeavesSessionUntracked() throws {
        var table = FlowTable()
        let h = try handle(table.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: ACK), emit: { _, _ in }))
        #expect(table[h.slot].tcpState == .none)
        #expect(table[h.slot].state == .new)
        #expect(table.statistics.tcpNoSession == 1)
        var on = FlowTable(settings: FlowSettings(midstream: true))
        let h2 = try handle(on.process(packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: ACK), emit: { _, _ in }))
        #expect(on[h2.slot].tcpState == .established)
        #expect(on.statistics.tcpMidstreamPickups == 1)
    }

    @Test func finExchangeAndResetClose() throws {
        var table = FlowTable()
        let e: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        let c = ("10.0.0.9", UInt16(40000))
        let s = ("10.0.0.1", UInt16(80))
        _ = table.process(packet(c.0, c.1, s.0, s.1, flags: SYN), emit: e)
        _ = table.process(packet(s.0, s.1, c.0, c.1, flags: SYNACK), emit: e)
        _ = table.process(packet(c.0, c.1, s.0, s.1, flags: ACK), emit: e)
        _ = table.process(packet(c.0, c.1, s.0, s.1, flags: FINACK), emit: e)
        let h = try handle(table.process(packet(s.0, s.1, c.0, c.1, flags: FINACK), emit: e))
        #expect(table[h.slot].tcpState == .timeWait)
        _ = table.process(packet(c.0, c.1, s.0, s.1, flags: ACK), emit: e)
        #expect(table[h.slot].tcpState == .closed)
        #expect(table[h.slot].state == .closed)

        var t2 = FlowTable()
        _ = t2.process(packet(c.0, c.1, s.0, s.1, flags: SYN), emit: e)
        let r = try handle(t2.process(packet(s.0, s.1, c.0, c.1, flags: RST), emit: e))
        #expect(t2[r.slot].tcpState == .closed)
        #expect(t2.statistics.tcpRst == 1)
    }

    @Test func udpBecomesEstablishedWithReplies() throws {
        var table = FlowTable()
        let e: (inout Flow, FlowEndReason) -> Void = { _, _ in }
        let h = try handle(table.process(packet("10.0.0.9", 5353, "10.0.0.1", 53, proto: IPProtocol.udp), emit: e))
        #expect(table[h.slot].state == .new)
        _ = table.process(packet("10.0.0.1", 53, "10.0.0.9", 5353, proto: IPProtocol.udp), emit: e)
        #expect(table[h.slot].state == .established)
    }

    @Test func timeoutsFollowStateAndProtocol() {
        var table = FlowTable()
        var reasons: [FlowEndReason] = []
        let e: (inout Flow, FlowEndReason) -> Void = { _, r in reasons.append(r) }
        _ = table.process(packet("10.0.0.9", 1, "10.0.0.1", 2, proto: IPProtocol.udp, t: 0), emit: e)  // new: 30 s
        _ = table.process(packet("10.0.0.9", 3, "10.0.0.1", 4, flags: SYN, t: 0), emit: e)  // tcp new: 60 s
        table.expire(now: Timestamp(seconds: 30, microseconds: 0), emit: e)
        #expect(table.activeCount == 2)
        table.expire(now: Timestamp(seconds: 31, microseconds: 0), emit: e)
        #expect(table.activeCount == 1)
        table.expire(now: Timestamp(seconds: 61, microseconds: 0), emit: e)
        #expect(table.activeCount == 0)
        #expect(reasons == [.timeout, .timeout])
        #expect(table.statistics.timeoutNew == 2)
    }

    @Test func aCapWithNothingToEvictLeavesThePacketWithoutAFlow() {
        // The flow memcap exception: at the cap and no flow can be freed, the packet gets none (its policy is
        // applied by the pipeline). A cap that holds flows always frees one.
        var table = FlowTable(settings: FlowSettings(maxFlows: 0, hashSize: 8))
        let handle = table.process(packet("10.0.0.9", 1000, "10.0.0.1", 80, flags: SYN, t: 0), emit: { _, _ in })
        #expect(handle == nil)
        #expect(table.activeCount == 0)
        #expect(table.statistics.noFlow == 1)
        #expect(table.statistics.namedValues.contains { $0.0 == "flow.no_flow" && $0.1 == 1 })
        var roomy = FlowTable(settings: FlowSettings(maxFlows: 1, hashSize: 8))
        for i in 0..<3 {
            #expect(roomy.process(packet("10.0.0.9", UInt16(1000 + i), "10.0.0.1", 80, flags: SYN, t: 0), emit: { _, _ in }) != nil)
        }
        #expect(roomy.statistics.noFlow == 0)
    }

    @Test func capEvictsAndCounts() {
        var table = FlowTable(settings: FlowSettings(maxFlows: 8, hashSize: 8))
        var forced = 0
        let e: (inout Flow, FlowEndReason) -> Void = { _, r in if r == .forced { forced += 1 } }
        for i in 0..<20 {
            _ = table.process(packet("10.0.0.9", UInt16(1000 + i), "10.0.0.1", 80, flags: SYN, t: 0), emit: e)
        }
        #expect(table.activeCount == 8)
        #expect(forced == 12)
        #expect(table.statistics.evicted == 12)
        #expect(table.statistics.emergencyModeEntered >= 1)
    }

    /// Random inserts and removals against a dictionary model: the index never loses or confuses a flow.
    @Test func indexMatchesModelUnderChurn() throws {
        var table = FlowTable(settings: FlowSettings(maxFlows: 100_000, hashSize: 16))
        var model: [FlowKey: Int32] = [:]
        var rng = SystemRandomNumberGenerator()
        var live: [(String, UInt16)] = []
        for step in 0..<5000 {
            if live.isEmpty || Int.random(in: 0..<3, using: &rng) > 0 {
                let addr = "10.\(Int.random(in: 0..<4, using: &rng)).0.\(Int.random(in: 1..<200, using: &rng))"
                let port = UInt16.random(in: 1..<400, using: &rng)
                let p = packet(addr, port, "192.168.0.1", 443, proto: IPProtocol.udp, t: Int64(step))
                let h = try handle(table.process(p, emit: { _, _ in }))
                let key = FlowKey.make(for: p).key
                if let existing = model[key] { #expect(existing == h.slot) } else { live.append((addr, port)) }
                model[key] = h.slot
            } else {
                let victim = live.remove(at: Int.random(in: 0..<live.count, using: &rng))
                let key = FlowKey.make(for: packet(victim.0, victim.1, "192.168.0.1", 443, proto: IPProtocol.udp)).key
                let removed = model.removeValue(forKey: key)
                let slot = try #require(removed)
                table.remove(slot: slot, reason: .forced, emit: { _, _ in })
            }
            #expect(table.activeCount == model.count)
        }
        for (key, slot) in model {
            let stored = table[slot].key
            #expect(stored == key)
        }
    }

    @Test func flowIDIsStableAndBounded() throws {
        var a = FlowTable()
        var b = FlowTable()
        let p = packet("10.0.0.9", 40000, "10.0.0.1", 80, flags: SYN, t: 1_700_000_000)
        let ha = try handle(a.process(p, emit: { _, _ in }))
        let hb = try handle(b.process(p, emit: { _, _ in }))
        #expect(a[ha.slot].flowID == b[hb.slot].flowID)
        #expect(a[ha.slot].flowID < (1 << 51) && a[ha.slot].flowID > 0)
    }
}

@Suite struct FlowEmergencyTests {
    /// At the cap the table first applies emergency timeouts (TCP new: 5 s), and only then forces evictions.
    @Test func emergencyTimeoutsComeBeforeForcedEviction() {
        var table = FlowTable(settings: FlowSettings(maxFlows: 4, hashSize: 8))
        var reasons: [FlowEndReason] = []
        let e: (inout Flow, FlowEndReason) -> Void = { _, r in reasons.append(r) }
        for i in 0..<4 {
            _ = table.process(packet("10.0.0.9", UInt16(1000 + i), "10.0.0.1", 80, flags: SYN, t: 0), emit: e)
        }
        _ = table.process(packet("10.0.0.9", 2000, "10.0.0.1", 80, flags: SYN, t: 6), emit: e)
        #expect(reasons == [.timeout, .timeout, .timeout, .timeout])
        #expect(table.activeCount == 1)
        #expect(table.statistics.evicted == 0)
    }
}

/// Issue 15, point 2: a table at its cap under a flood evicts the least recently seen flow, counts
/// emergency mode in and out, and keeps every live flow findable.
@Suite struct FlowFloodTests {
    /// A flood of new flows into a full table: after the one emergency sweep, each new flow evicts the flow
    /// that saw a packet least recently, not the one created first, so a busy old flow survives the flood.
    @Test func floodEvictsTheLeastRecentlySeenFlow() throws {
        var table = FlowTable(settings: FlowSettings(maxFlows: 100, hashSize: 16))
        var ended: [(UInt16, FlowEndReason)] = []
        let e: (inout Flow, FlowEndReason) -> Void = { f, r in ended.append((f.clientPort, r)) }
        for i in 0..<100 {
            _ = table.process(packet("10.0.0.9", UInt16(1000 + i), "10.0.0.1", 80, flags: SYN, t: 0), emit: e)
        }
        // Flow 1000, the oldest, stays busy through the flood.
        for i in 0..<5_000 {
            _ = table.process(packet("10.0.0.9", 1000, "10.0.0.1", 80, flags: ACK, t: 1), emit: e)
            _ = table.process(
                packet("10.1.\(i / 250).\(i % 250)", 7, "10.0.0.1", 80, flags: SYN, t: 1), emit: e)
            #expect(table.activeCount == 100)
        }
        #expect(!ended.contains { $0.0 == 1000 })
        #expect(ended.count == 5_000)
        // The 99 other first flows went first, oldest first, then the flood's own, in arrival order.
        #expect(ended.prefix(99).map(\.0) == Array(1001..<1100))
        #expect(ended.allSatisfy { $0.1 == .forced })
        #expect(table.statistics.evicted == 5_000)
        #expect(table.statistics.memcapReached == 5_000)
        #expect(table.statistics.emergencyModeEntered == 1)
        #expect(table.emergency)
        #expect(try handle(table.process(packet("10.0.0.9", 1000, "10.0.0.1", 80, flags: ACK, t: 1), emit: e)).slot >= 0)
        #expect(table.activeCount == 100)
    }

    /// Emergency timeouts (TCP new: 5 s) end idle flows before anything is forced; once
    /// `flow.emergency-recovery` percent of the cap is free, emergency mode is over, and counted.
    @Test func emergencyModeRecoversAndCounts() throws {
        var table = FlowTable(settings: FlowSettings(maxFlows: 10, hashSize: 16, emergencyRecovery: 50))
        var reasons: [FlowEndReason] = []
        let e: (inout Flow, FlowEndReason) -> Void = { _, r in reasons.append(r) }
        for i in 0..<10 {
            _ = table.process(packet("10.0.0.9", UInt16(1000 + i), "10.0.0.1", 80, flags: SYN, t: Int64(i)), emit: e)
        }
        // At t = 10 the flows of t = 0…4 are idle past 5 s: the emergency sweep ends them, leaving 5 free of 10
        // (50 %), which is recovery.
        _ = table.process(packet("10.0.0.9", 2000, "10.0.0.1", 80, flags: SYN, t: 10), emit: e)
        #expect(reasons == Array(repeating: .timeout, count: 5))
        #expect(table.statistics.emergencyModeEntered == 1)
        #expect(table.statistics.emergencyModeOver == 1)
        #expect(!table.emergency)
        #expect(table.activeCount == 6)
        let named = Dictionary(uniqueKeysWithValues: table.statistics.namedValues)
        #expect(named["flow.emerg_mode_entered"] == 1 && named["flow.emerg_mode_over"] == 1)
        #expect(named["flow.memuse"] == UInt64(6 * FlowTable.bytesPerFlow))
    }

    /// While still in emergency mode, a new flow whose oldest neighbour is idle past its emergency timeout ends
    /// that flow as a timeout, not a forced eviction.
    @Test func oldestIdleFlowEndsAsTimeout() throws {
        var table = FlowTable(settings: FlowSettings(maxFlows: 4, hashSize: 8, emergencyRecovery: 100))
        var reasons: [FlowEndReason] = []
        let e: (inout Flow, FlowEndReason) -> Void = { _, r in reasons.append(r) }
        for i in 0..<4 {
            _ = table.process(packet("10.0.0.9", UInt16(1000 + i), "10.0.0.1", 80, flags: SYN, t: 100), emit: e)
        }
        _ = table.process(packet("10.0.0.9", 3000, "10.0.0.1", 80, flags: SYN, t: 100), emit: e)
        #expect(reasons == [.forced])
        _ = table.process(packet("10.0.0.9", 3001, "10.0.0.1", 80, flags: SYN, t: 106), emit: e)
        #expect(reasons == [.forced, .timeout])
        #expect(table.statistics.timeoutNew == 1)
    }
}
