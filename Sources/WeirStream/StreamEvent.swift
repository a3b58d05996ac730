// SPDX-License-Identifier: MIT

/// A TCP stream-engine anomaly, named as Suricata names it: `stream-event:<name>` in rules,
/// `decoder.event.stream.<name>` in stats. The list is Suricata's (the names its bundled `stream-events.rules` uses).
///
/// Raw values are stable within a build only; use ``name`` or ``init(name:)`` to cross a process boundary.
public enum StreamEvent: UInt8, CaseIterable, Sendable {
    /// `stream-event:3whs_ack_in_wrong_dir`
    case threeWayAckInWrongDir = 0
    /// `stream-event:3whs_async_wrong_seq`
    case threeWayAsyncWrongSeq = 1
    /// `stream-event:3whs_right_seq_wrong_ack_evasion`
    case threeWayRightSeqWrongAckEvasion = 2
    /// `stream-event:3whs_synack_in_wrong_direction`
    case threeWaySynackInWrongDirection = 3
    /// `stream-event:3whs_synack_resend_with_different_ack`
    case threeWaySynackResendWithDifferentAck = 4
    /// `stream-event:3whs_synack_resend_with_diff_seq`
    case threeWaySynackResendWithDiffSeq = 5
    /// `stream-event:3whs_synack_toserver_on_syn_recv`
    case threeWaySynackToserverOnSynRecv = 6
    /// `stream-event:3whs_synack_with_wrong_ack`
    case threeWaySynackWithWrongAck = 7
    /// `stream-event:3whs_synack_flood`
    case threeWaySynackFlood = 8
    /// `stream-event:3whs_synack_tfo_data_ignored`
    case threeWaySynackTfoDataIgnored = 9
    /// `stream-event:3whs_syn_flood`
    case threeWaySynFlood = 10
    /// `stream-event:3whs_syn_resend_diff_seq_on_syn_recv`
    case threeWaySynResendDiffSeqOnSynRecv = 11
    /// `stream-event:3whs_syn_toclient_on_syn_recv`
    case threeWaySynToclientOnSynRecv = 12
    /// `stream-event:3whs_wrong_seq_wrong_ack`
    case threeWayWrongSeqWrongAck = 13
    /// `stream-event:3whs_ack_data_inject`
    case threeWayAckDataInject = 14
    /// `stream-event:4whs_synack_with_wrong_ack`
    case fourWaySynackWithWrongAck = 15
    /// `stream-event:4whs_synack_with_wrong_syn`
    case fourWaySynackWithWrongSyn = 16
    /// `stream-event:4whs_wrong_seq`
    case fourWayWrongSeq = 17
    /// `stream-event:4whs_invalid_ack`
    case fourWayInvalidAck = 18
    /// `stream-event:closewait_ack_out_of_window`
    case closewaitAckOutOfWindow = 19
    /// `stream-event:closewait_fin_out_of_window`
    case closewaitFinOutOfWindow = 20
    /// `stream-event:closewait_invalid_ack`
    case closewaitInvalidAck = 21
    /// `stream-event:closewait_pkt_before_last_ack`
    case closewaitPktBeforeLastAck = 22
    /// `stream-event:closing_ack_wrong_seq`
    case closingAckWrongSeq = 23
    /// `stream-event:closing_invalid_ack`
    case closingInvalidAck = 24
    /// `stream-event:est_packet_out_of_window`
    case estPacketOutOfWindow = 25
    /// `stream-event:est_pkt_before_last_ack`
    case estPktBeforeLastAck = 26
    /// `stream-event:est_synack_resend`
    case estSynackResend = 27
    /// `stream-event:est_synack_resend_with_different_ack`
    case estSynackResendWithDifferentAck = 28
    /// `stream-event:est_synack_resend_with_diff_seq`
    case estSynackResendWithDiffSeq = 29
    /// `stream-event:est_synack_toserver`
    case estSynackToserver = 30
    /// `stream-event:est_syn_resend`
    case estSynResend = 31
    /// `stream-event:est_syn_resend_diff_seq`
    case estSynResendDiffSeq = 32
    /// `stream-event:est_syn_toclient`
    case estSynToclient = 33
    /// `stream-event:est_invalid_ack`
    case estInvalidAck = 34
    /// `stream-event:fin_invalid_ack`
    case finInvalidAck = 35
    /// `stream-event:fin1_ack_wrong_seq`
    case fin1AckWrongSeq = 36
    /// `stream-event:fin1_fin_wrong_seq`
    case fin1FinWrongSeq = 37
    /// `stream-event:fin1_invalid_ack`
    case fin1InvalidAck = 38
    /// `stream-event:fin2_ack_wrong_seq`
    case fin2AckWrongSeq = 39
    /// `stream-event:fin2_fin_wrong_seq`
    case fin2FinWrongSeq = 40
    /// `stream-event:fin2_invalid_ack`
    case fin2InvalidAck = 41
    /// `stream-event:fin_but_no_session`
    case finButNoSession = 42
    /// `stream-event:fin_out_of_window`
    case finOutOfWindow = 43
    /// `stream-event:fin_syn`
    case finSyn = 44
    /// `stream-event:lastack_ack_wrong_seq`
    case lastackAckWrongSeq = 45
    /// `stream-event:lastack_invalid_ack`
    case lastackInvalidAck = 46
    /// `stream-event:rst_but_no_session`
    case rstButNoSession = 47
    /// `stream-event:rst_invalid_ack`
    case rstInvalidAck = 48
    /// `stream-event:timewait_ack_wrong_seq`
    case timewaitAckWrongSeq = 49
    /// `stream-event:timewait_invalid_ack`
    case timewaitInvalidAck = 50
    /// `stream-event:shutdown_syn_resend`
    case shutdownSynResend = 51
    /// `stream-event:pkt_invalid_timestamp`
    case pktInvalidTimestamp = 52
    /// `stream-event:pkt_invalid_ack`
    case pktInvalidAck = 53
    /// `stream-event:pkt_broken_ack`
    case pktBrokenAck = 54
    /// `stream-event:pkt_bad_window_update`
    case pktBadWindowUpdate = 55
    /// `stream-event:pkt_retransmission`
    case pktRetransmission = 56
    /// `stream-event:pkt_spurious_retransmission`
    case pktSpuriousRetransmission = 57
    /// `stream-event:suspected_rst_inject`
    case suspectedRstInject = 58
    /// `stream-event:wrong_thread`
    case wrongThread = 59
    /// `stream-event:reassembly_segment_before_base_seq`
    case reassemblySegmentBeforeBaseSeq = 60
    /// `stream-event:reassembly_seq_gap`
    case reassemblySeqGap = 61
    /// `stream-event:reassembly_overlap_different_data`
    case reassemblyOverlapDifferentData = 62
    /// `stream-event:reassembly_depth_reached`
    case reassemblyDepthReached = 63
    /// `stream-event:reassembly_urgent_oob_limit_reached`
    case reassemblyUrgentOobLimitReached = 64
    /// `stream-event:reassembly_insert_memcap`
    case reassemblyInsertMemcap = 65

    /// Suricata's name, for example `3whs_synack_in_wrong_direction`.
    public var name: String {
        switch self {
        case .threeWayAckInWrongDir: return "3whs_ack_in_wrong_dir"
        case .threeWayAsyncWrongSeq: return "3whs_async_wrong_seq"
        case .threeWayRightSeqWrongAckEvasion: return "3whs_right_seq_wrong_ack_evasion"
        case .threeWaySynackInWrongDirection: return "3whs_synack_in_wrong_direction"
        case .threeWaySynackResendWithDifferentAck: return "3whs_synack_resend_with_different_ack"
        case .threeWaySynackResendWithDiffSeq: return "3whs_synack_resend_with_diff_seq"
        case .threeWaySynackToserverOnSynRecv: return "3whs_synack_toserver_on_syn_recv"
        case .threeWaySynackWithWrongAck: return "3whs_synack_with_wrong_ack"
        case .threeWaySynackFlood: return "3whs_synack_flood"
        case .threeWaySynackTfoDataIgnored: return "3whs_synack_tfo_data_ignored"
        case .threeWaySynFlood: return "3whs_syn_flood"
        case .threeWaySynResendDiffSeqOnSynRecv: return "3whs_syn_resend_diff_seq_on_syn_recv"
        case .threeWaySynToclientOnSynRecv: return "3whs_syn_toclient_on_syn_recv"
        case .threeWayWrongSeqWrongAck: return "3whs_wrong_seq_wrong_ack"
        case .threeWayAckDataInject: return "3whs_ack_data_inject"
        case .fourWaySynackWithWrongAck: return "4whs_synack_with_wrong_ack"
        case .fourWaySynackWithWrongSyn: return "4whs_synack_with_wrong_syn"
        case .fourWayWrongSeq: return "4whs_wrong_seq"
        case .fourWayInvalidAck: return "4whs_invalid_ack"
        case .closewaitAckOutOfWindow: return "closewait_ack_out_of_window"
        case .closewaitFinOutOfWindow: return "closewait_fin_out_of_window"
        case .closewaitInvalidAck: return "closewait_invalid_ack"
        case .closewaitPktBeforeLastAck: return "closewait_pkt_before_last_ack"
        case .closingAckWrongSeq: return "closing_ack_wrong_seq"
        case .closingInvalidAck: return "closing_invalid_ack"
        case .estPacketOutOfWindow: return "est_packet_out_of_window"
        case .estPktBeforeLastAck: return "est_pkt_before_last_ack"
        case .estSynackResend: return "est_synack_resend"
        case .estSynackResendWithDifferentAck: return "est_synack_resend_with_different_ack"
        case .estSynackResendWithDiffSeq: return "est_synack_resend_with_diff_seq"
        case .estSynackToserver: return "est_synack_toserver"
        case .estSynResend: return "est_syn_resend"
        case .estSynResendDiffSeq: return "est_syn_resend_diff_seq"
        case .estSynToclient: return "est_syn_toclient"
        case .estInvalidAck: return "est_invalid_ack"
        case .finInvalidAck: return "fin_invalid_ack"
        case .fin1AckWrongSeq: return "fin1_ack_wrong_seq"
        case .fin1FinWrongSeq: return "fin1_fin_wrong_seq"
        case .fin1InvalidAck: return "fin1_invalid_ack"
        case .fin2AckWrongSeq: return "fin2_ack_wrong_seq"
        case .fin2FinWrongSeq: return "fin2_fin_wrong_seq"
        case .fin2InvalidAck: return "fin2_invalid_ack"
        case .finButNoSession: return "fin_but_no_session"
        case .finOutOfWindow: return "fin_out_of_window"
        case .finSyn: return "fin_syn"
        case .lastackAckWrongSeq: return "lastack_ack_wrong_seq"
        case .lastackInvalidAck: return "lastack_invalid_ack"
        case .rstButNoSession: return "rst_but_no_session"
        case .rstInvalidAck: return "rst_invalid_ack"
        case .timewaitAckWrongSeq: return "timewait_ack_wrong_seq"
        case .timewaitInvalidAck: return "timewait_invalid_ack"
        case .shutdownSynResend: return "shutdown_syn_resend"
        case .pktInvalidTimestamp: return "pkt_invalid_timestamp"
        case .pktInvalidAck: return "pkt_invalid_ack"
        case .pktBrokenAck: return "pkt_broken_ack"
        case .pktBadWindowUpdate: return "pkt_bad_window_update"
        case .pktRetransmission: return "pkt_retransmission"
        case .pktSpuriousRetransmission: return "pkt_spurious_retransmission"
        case .suspectedRstInject: return "suspected_rst_inject"
        case .wrongThread: return "wrong_thread"
        case .reassemblySegmentBeforeBaseSeq: return "reassembly_segment_before_base_seq"
        case .reassemblySeqGap: return "reassembly_seq_gap"
        case .reassemblyOverlapDifferentData: return "reassembly_overlap_different_data"
        case .reassemblyDepthReached: return "reassembly_depth_reached"
        case .reassemblyUrgentOobLimitReached: return "reassembly_urgent_oob_limit_reached"
        case .reassemblyInsertMemcap: return "reassembly_insert_memcap"
        }
    }

    /// The event called `name` (as written after `stream-event:`), or `nil` when Suricata has no such event.
    public init?(name: String) {
        guard let event = StreamEvent.byName[name] else { return nil }
        self = event
    }

    private static let byName: [String: StreamEvent] = {
        var table: [String: StreamEvent] = [:]
        for event in StreamEvent.allCases { table[event.name] = event }
        return table
    }()
}

/// A fixed-size set of ``StreamEvent``s: 128 bits inline, no allocation. Attached to each packet's
/// ``StreamResult`` so `stream-event:` rules can test it, as ``DecodeEventSet`` does for decoder events.
public struct StreamEventSet: Sendable, Equatable {
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var high: UInt64 = 0

    /// The empty set.
    @inlinable public init() {}

    /// Adds `event`.
    @inlinable
    public mutating func insert(_ event: StreamEvent) {
        let raw = event.rawValue
        if raw < 64 { self.low |= UInt64(1) << UInt64(raw) } else { self.high |= UInt64(1) << UInt64(raw - 64) }
    }

    /// True when `event` is in the set.
    @inlinable
    public func contains(_ event: StreamEvent) -> Bool {
        let raw = event.rawValue
        if raw < 64 { return self.low & (UInt64(1) << UInt64(raw)) != 0 }
        return self.high & (UInt64(1) << UInt64(raw - 64)) != 0
    }

    /// True when no event was raised.
    @inlinable public var isEmpty: Bool { self.low | self.high == 0 }

    /// Adds every event of `other`.
    @inlinable
    public mutating func formUnion(_ other: StreamEventSet) {
        self.low |= other.low
        self.high |= other.high
    }

    /// The events in raw-value order (allocates; for logging and tests, not the hot path).
    public var elements: [StreamEvent] { StreamEvent.allCases.filter { self.contains($0) } }
}
