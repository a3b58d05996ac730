// SPDX-License-Identifier: MIT
import Testing
import WeirDecode
@testable import WeirFlow
@testable import WeirStream

@Test func idsRawStreamIsInspectedOnceAckedPastChunkSize() {
    let h = Harness(StreamSettings(toServerChunkSize: 10))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "xxxxEVIL".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1009)
    // 8 ACKed bytes < chunk size 10: nothing yet.
    h.send(toServer: true, flags: F.ack, seq: 1009, ack: 5001, payload: "PATTERNyy".bytes)
    #expect(h.raw[true]?.isEmpty == true)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1018)
    // The server's ACK is processed for the server direction; the client stream is inspected on the client's
    // next packet, as Suricata checks the packet's own direction.
    #expect(h.raw[true]?.isEmpty == true)
    h.send(toServer: true, flags: F.ack, seq: 1018, ack: 5001)
    #expect(h.rawBytes(toServer: true).text == "xxxxEVILPATTERNyy")
    #expect(h.session.rawChunks.first?.includesDataBeforePacket == true)
    #expect(h.session.rawChunks.first?.alreadyInspectedUpTo == 0)
    // Nothing is handed out twice, at flow end either.
    h.finish()
    #expect(h.rawBytes(toServer: true).text == "xxxxEVILPATTERNyy")
}

@Test func unackedDataIsInspectedAtFlowEnd() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "small request".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1014, payload: "reply".bytes)
    h.send(toServer: true, flags: F.ack, seq: 1014, ack: 5006)
    #expect(h.rawBytes(toServer: true).isEmpty)
    h.finish()
    #expect(h.rawBytes(toServer: true).text == "small request")
    #expect(h.rawBytes(toServer: false).text == "reply")
    #expect(h.endOfStream[true] == true)
}

@Test func appLayerTriggerInspectsBelowChunkSize() {
    let h = Harness()
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "GET /a".bytes)
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1007)
    h.session.triggerRawInspection(toServer: true)
    h.send(toServer: true, flags: F.ack, seq: 1007, ack: 5001)
    #expect(h.rawBytes(toServer: true).text == "GET /a")
}

@Test func inlineInspectsEachPacketWithTheWindowBeforeIt() {
    let h = Harness(StreamSettings(toServerChunkSize: 12, inline: true))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "aaaaaaEVIL".bytes)
    #expect(h.session.rawChunks.count == 1)
    #expect(Array(h.session.rawChunks[0].block.bytes).text == "aaaaaaEVIL")
    h.send(toServer: true, flags: F.ack, seq: 1011, ack: 5001, payload: "PATTERN".bytes)
    let chunk = h.session.rawChunks[0]
    // 12-byte window ending at the packet: the split pattern is whole in it.
    #expect(Array(chunk.block.bytes).text == "aEVILPATTERN")
    #expect(chunk.block.offset == 5)
    #expect(chunk.includesDataBeforePacket)
    #expect(chunk.alreadyInspectedUpTo == 10)
    // App layer gets in-order data at once in inline mode.
    #expect(h.appBytes(toServer: true).text == "aaaaaaEVILPATTERN")
}

@Test func inlineRetransmissionIsInspectedAgainAsSuricataDoes() {
    // suricata-verify eve-payload-03-tcp-exact-overlap-ips: the overlapping packet is rewritten to the accepted
    // data and its window inspected again, so a stream match on it alerts a second time.
    let h = Harness(StreamSettings(inline: true))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "GOOD".bytes)
    #expect(h.session.rawChunks.map { Array($0.block.bytes).text } == ["GOOD"])
    let r = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "EVIL".bytes)
    #expect(r.payloadNormalised)
    #expect(h.session.rawChunks.map { Array($0.block.bytes).text } == ["GOOD"])
}

@Test func inlineWindowIsCentredOnARetransmissionInsideTheData() {
    let h = Harness(StreamSettings(toServerChunkSize: 8, inline: true))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "0123456789abcdef".bytes)
    // Bytes 6..<8 again: chunk size 8 → room 6, 3 bytes either side.
    h.send(toServer: true, flags: F.ack, seq: 1007, ack: 5001, payload: "67".bytes)
    #expect(h.session.rawChunks.map { Array($0.block.bytes).text } == ["3456789a"])
}

@Test func inlineOverlapKeepsAcceptedDataAndNormalisesThePacket() {
    let h = Harness(StreamSettings(inline: true, overlapPolicy: .last))
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "benign".bytes)
    let r = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "EVIL!!".bytes)
    #expect(r.events.contains(.reassemblyOverlapDifferentData))
    #expect(r.payloadNormalised)
    #expect(h.session.normalisedPayload.map { Array($0).text } == "benign")
    h.finish()
    #expect(h.appBytes(toServer: true).text == "benign")
}

@Test func depthIsEnforcedAndReported() {
    let h = Harness(StreamSettings(reassemblyDepth: 100))
    var reported: [Bool] = []
    h.session.onDepthReached = { _, toServer in reported.append(toServer) }
    h.handshake()
    h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: [UInt8](repeating: 0x61, count: 60))
    #expect(reported.isEmpty)
    let r = h.send(toServer: true, flags: F.ack, seq: 1061, ack: 5001, payload: [UInt8](repeating: 0x62, count: 60))
    #expect(r.events.contains(.reassemblyDepthReached))
    #expect(reported == [true])
    #expect(h.context.statistics.depthReached == 1)
    h.send(toServer: true, flags: F.ack, seq: 1121, ack: 5001, payload: [UInt8](repeating: 0x63, count: 60))
    #expect(reported == [true])
    h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1181)
    // Depth reached: the ACKed data up to the depth is inspected at once, below chunk size.
    h.send(toServer: true, flags: F.ack, seq: 1181, ack: 5001)
    #expect(h.rawBytes(toServer: true).count == 100)
    #expect(h.appBytes(toServer: true).count == 100)
    #expect(!h.session.bothDirectionsAtDepth)
}

@Test func reassemblyMemcapDropsAndCounts() {
    let h = Harness(StreamSettings(reassemblyMemcap: 20_000))
    h.handshake()
    let r1 = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: [UInt8](repeating: 1, count: 1000))
    #expect(r1.addedToStream)
    // Far ahead (out of order): the buffer would have to grow past the cap.
    let r2 = h.send(toServer: true, flags: F.ack, seq: 1001 + 30_000, ack: 5001, payload: [UInt8](repeating: 2, count: 1000))
    #expect(!r2.addedToStream)
    #expect(r2.events.contains(.reassemblyInsertMemcap))
    #expect(h.context.statistics.segmentMemcapDrops == 1)
    #expect(h.context.statistics.reassemblyMemuse <= 20_000)
}

@Test func sessionMemcapRefusesNewSessions() {
    let h = Harness(StreamSettings(memcap: 100))
    let r = h.send(toServer: true, flags: F.syn, seq: 1)
    #expect(r.status == .noSession)
    #expect(h.context.statistics.sessionMemcapDrops == 1)
}

@Test func engineKeysSessionsByFlowAndFlushesAtFlowEnd() {
    let engine = StreamEngine()
    var p = Packet()
    p.ipVersion = 4
    p.hasL4 = true
    p.l4Protocol = 6
    p.tcpFlags = F.syn
    p.tcpSequence = 10
    let empty: [UInt8] = []
    let handle = FlowHandle(slot: 3, toServer: true)
    let first = empty.withUnsafeBytes { engine.handle(p, flow: handle, flowID: 42, frame: $0) }
    #expect(first.state == .synSent)
    let firstSession = engine.session(slot: 3, flowID: 42)
    #expect(firstSession != nil)
    #expect(firstSession?.client.isn == 10)
    // A new flow in the same slot gets a session of its own, started afresh (the previous flow's session
    // object, reset and taken back from the engine's pool).
    p.tcpSequence = 700
    _ = empty.withUnsafeBytes { engine.handle(p, flow: handle, flowID: 43, frame: $0) }
    let secondSession = engine.session(slot: 3, flowID: 43)
    #expect(secondSession?.state == .synSent && secondSession?.client.isn == 700)
    #expect(engine.session(slot: 3, flowID: 42) == nil)
    #expect(engine.statistics.memuse == UInt64(StreamSettings.bytesPerSession))
    var ended = false
    engine.endFlow(flowID: 42) { _ in Issue.record("flow 42's session was replaced already") }
    engine.endFlow(flowID: 43) { session in ended = session.isFinished }
    #expect(ended)
    #expect(engine.session(slot: 3, flowID: 43) == nil)
    #expect(engine.statistics.sessions == 2)
}

@Test func engineTrackFollowsTheSlotOwnerAndReportsTheSessionAroundThePacket() {
    let engine = StreamEngine()
    func packet(_ flags: UInt8, seq: UInt32, ack: UInt32 = 0) -> Packet {
        var p = Packet()
        p.ipVersion = 4
        p.hasL4 = true
        p.l4Protocol = 6
        p.tcpFlags = flags
        p.tcpSequence = seq
        p.tcpAcknowledgement = ack
        p.tcpWindow = 65535
        return p
    }
    let toServer = FlowHandle(slot: 5, toServer: true)
    let toClient = FlowHandle(slot: 5, toServer: false)
    func track(_ p: Packet, _ flow: FlowHandle, _ flowID: UInt64, _ bytes: [UInt8] = []) -> StreamTrackResult {
        var tracked = StreamTrackResult()
        bytes.withUnsafeBytes { engine.track(p, flow: flow, flowID: flowID, frame: $0, into: &tracked) }
        return tracked
    }
    let syn = track(packet(F.syn, seq: 100), toServer, 7)
    #expect(syn.result.state == .synSent && !syn.wasEstablished)
    let synAck = track(packet(F.syn | F.ack, seq: 900, ack: 101), toClient, 7)
    #expect(synAck.result.state == .synReceived)
    let ack = track(packet(F.ack, seq: 101, ack: 901), toServer, 7)
    // Established by this packet, not before it.
    #expect(ack.result.state == .established && !ack.wasEstablished)
    let data: [UInt8] = Array("hello".utf8)
    var p = packet(F.ack | F.psh, seq: 101, ack: 901)
    p.payloadLength = data.count
    let sent = track(p, toServer, 7, data)
    #expect(sent.wasEstablished && sent.result.addedToStream)
    #expect(sent.clientSize == 6 && sent.serverSize == 1)
    #expect(engine.session(slot: 5, flowID: 7)?.client.nextSeq == 106)
    // Another flow reusing the slot starts over with a session of its own.
    let reused = track(packet(F.syn, seq: 5000), toServer, 8)
    #expect(reused.result.state == .synSent && !reused.wasEstablished && reused.clientSize == 1)
    #expect(engine.session(slot: 5, flowID: 7) == nil)
    engine.endFlow(flowID: 8)
    #expect(!engine.hasSession(slot: 5))
    // And after the flow ended, a packet for the slot gets a fresh session rather than a dangling one.
    let again = track(packet(F.syn, seq: 1), toServer, 8)
    #expect(again.result.state == .synSent)
    #expect(engine.statistics.sessions == 3)
}

@Test func everyBundledStreamEventNameIsKnown() throws {
    // The names used by Suricata's bundled stream-events.rules, including the commented-out rules.
    let names = [
        "3whs_ack_in_wrong_dir", "3whs_async_wrong_seq", "3whs_right_seq_wrong_ack_evasion",
        "3whs_synack_in_wrong_direction", "3whs_synack_resend_with_different_ack", "3whs_synack_resend_with_diff_seq",
        "3whs_synack_toserver_on_syn_recv", "3whs_synack_with_wrong_ack", "3whs_synack_flood",
        "3whs_synack_tfo_data_ignored", "3whs_syn_flood", "3whs_syn_resend_diff_seq_on_syn_recv",
        "3whs_syn_toclient_on_syn_recv", "3whs_wrong_seq_wrong_ack", "3whs_ack_data_inject",
        "4whs_synack_with_wrong_ack", "4whs_synack_with_wrong_syn", "4whs_wrong_seq", "4whs_invalid_ack",
        "closewait_ack_out_of_window", "closewait_fin_out_of_window", "closewait_invalid_ack", "closing_ack_wrong_seq",
        "closing_invalid_ack", "est_packet_out_of_window", "est_synack_resend", "est_synack_resend_with_different_ack",
        "est_synack_resend_with_diff_seq", "est_synack_toserver", "est_syn_resend", "est_syn_resend_diff_seq",
        "est_syn_toclient", "est_invalid_ack", "fin_invalid_ack", "fin1_ack_wrong_seq", "fin1_fin_wrong_seq",
        "fin1_invalid_ack", "fin2_ack_wrong_seq", "fin2_fin_wrong_seq", "fin2_invalid_ack", "fin_but_no_session",
        "fin_out_of_window", "lastack_ack_wrong_seq", "lastack_invalid_ack", "rst_but_no_session",
        "timewait_ack_wrong_seq", "timewait_invalid_ack", "pkt_invalid_timestamp", "pkt_invalid_ack",
        "pkt_broken_ack", "rst_invalid_ack", "shutdown_syn_resend", "reassembly_seq_gap",
        "reassembly_overlap_different_data", "pkt_bad_window_update", "suspected_rst_inject",
        "est_pkt_before_last_ack", "closewait_pkt_before_last_ack", "reassembly_segment_before_base_seq",
        "pkt_retransmission", "wrong_thread", "fin_syn", "pkt_spurious_retransmission", "reassembly_depth_reached",
        "reassembly_urgent_oob_limit_reached",
    ]
    for name in names {
        let event = try #require(StreamEvent(name: name), "\(name)")
        #expect(event.name == name)
    }
    #expect(StreamEvent(name: "no_such_event") == nil)
    var set = StreamEventSet()
    set.insert(.reassemblyInsertMemcap)
    set.insert(.threeWayAckInWrongDir)
    #expect(set.elements == [.threeWayAckInWrongDir, .reassemblyInsertMemcap])
}

@Test func overlapCheckKeepsConsumedDataToCompareLateRetransmissions() {
    for check in [false, true] {
        let h = Harness(StreamSettings(toServerChunkSize: 4, checkOverlapDifferentData: check))
        h.handshake(window: 1000)
        h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "harmless".bytes)
        h.send(toServer: false, flags: F.ack, seq: 5001, ack: 1009, window: 1000)
        h.send(toServer: true, flags: F.ack, seq: 1009, ack: 5001)
        #expect(h.rawBytes(toServer: true).text == "harmless")
        // Consumed by raw inspection and the app layer; now a different copy arrives.
        let r = h.send(toServer: true, flags: F.ack, seq: 1001, ack: 5001, payload: "HARMFUL!".bytes)
        #expect(r.events.contains(.reassemblyOverlapDifferentData) == check)
        #expect(r.events.contains(.reassemblySegmentBeforeBaseSeq) == !check)
        #expect(h.rawBytes(toServer: true).text == "harmless")
    }
}

@Test func closedSessionBuffersAreFreedAtTheNextCallIntoAnySession() {
    // The packet that closes a session is usually its last: its buffers must not wait for that session's next
    // packet (or the flow timeout), but go back once its final chunks were consumed, at the next call into any
    // session of the engine.
    let h = Harness()
    h.handshake()
    let request = [UInt8](repeating: 0x41, count: 3000)
    h.send(toServer: true, flags: F.ack | F.psh, seq: 1001, ack: 5001, payload: request)
    h.send(toServer: true, flags: F.fin | F.ack, seq: 4001, ack: 5001)
    h.send(toServer: false, flags: F.fin | F.ack, seq: 5001, ack: 4002)
    let last = h.send(toServer: true, flags: F.ack, seq: 4002, ack: 5002)
    #expect(last.state == .closed)
    // The final flush handed the whole request out, and its bytes are still readable.
    #expect(h.rawBytes(toServer: true) == request)
    #expect(h.appBytes(toServer: true) == request)
    #expect(h.context.statistics.reassemblyMemuse > 0)
    // Another session of the same engine gets a packet: the closed one's memory is returned.
    let other = TCPSession(context: h.context)
    var p = Packet()
    p.hasL4 = true
    p.l4Protocol = 6
    p.tcpFlags = F.syn
    p.tcpSequence = 77
    _ = other.handle(p, toServer: true, frame: UnsafeRawBufferPointer(start: nil, count: 0))
    #expect(h.context.statistics.reassemblyMemuse == 0)
    #expect(h.session.clientReassembler.storedSegmentCount == 0)
    // The closed session's flow end afterwards hands out nothing more and frees nothing twice.
    h.finish()
    #expect(h.rawBytes(toServer: true) == request)
    h.session.release()
    #expect(h.context.statistics.reassemblyMemuse == 0)
}

@Test func anEngineWhoseLastPacketClosedASessionIsFreedWithItsSessionsAndContext() {
    weak var weakContext: StreamContext?
    weak var weakSession: TCPSession?
    do {
        let engine = StreamEngine()
        weakContext = engine.context
        func send(_ flags: UInt8, seq: UInt32, ack: UInt32, toServer: Bool) -> StreamResult {
            var p = Packet()
            p.ipVersion = 4
            p.hasL4 = true
            p.l4Protocol = 6
            p.tcpFlags = flags
            p.tcpSequence = seq
            p.tcpAcknowledgement = ack
            p.tcpWindow = 65535
            var tracked = StreamTrackResult()
            engine.track(p, flow: FlowHandle(slot: 0, toServer: toServer), flowID: 1,
                frame: UnsafeRawBufferPointer(start: nil, count: 0), into: &tracked)
            return tracked.result
        }
        _ = send(F.syn, seq: 1, ack: 0, toServer: true)
        _ = send(F.syn | F.ack, seq: 50, ack: 2, toServer: false)
        _ = send(F.ack, seq: 2, ack: 51, toServer: true)
        weakSession = engine.session(slot: 0, flowID: 1)
        let reset = send(F.rst | F.ack, seq: 2, ack: 51, toServer: true)
        #expect(reset.state == .closed)
        #expect(weakSession != nil)
    }
    // The closed session waited in the context for its deferred release; dropping the engine frees it all.
    #expect(weakSession == nil)
    #expect(weakContext == nil)
}

/// Issue 15, point 2: a SYN flood past `stream.memcap` used to leave a session object in every flow slot
/// (refused sessions were kept, uncharged), so memory grew with the flood. A refused session is freed.
@Test func sessionsRefusedByTheMemcapAreNotKept() {
    let engine = StreamEngine(settings: StreamSettings(memcap: 3 * StreamSettings.bytesPerSession))
    var p = Packet()
    p.ipVersion = 4
    p.hasL4 = true
    p.l4Protocol = 6
    p.tcpFlags = F.syn
    p.tcpSequence = 10
    let empty: [UInt8] = []
    for slot in Int32(0)..<1000 {
        var tracked = StreamTrackResult()
        empty.withUnsafeBytes {
            engine.track(p, flow: FlowHandle(slot: slot, toServer: true), flowID: UInt64(slot) + 1, frame: $0, into: &tracked)
        }
        #expect(tracked.result.status == (slot < 3 ? .accepted : .noSession))
    }
    #expect((0..<1000).filter { engine.hasSession(slot: $0) } == [0, 1, 2])
    #expect(engine.statistics.sessionMemcapDrops == 997)
    // A packet without a handshake (midstream off) leaves no session behind either.
    p.tcpFlags = F.ack
    _ = empty.withUnsafeBytes { engine.handle(p, flow: FlowHandle(slot: 2000, toServer: true), flowID: 5000, frame: $0) }
    #expect(!engine.hasSession(slot: 2000))
}
