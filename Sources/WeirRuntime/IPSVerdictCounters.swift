// SPDX-License-Identifier: MIT
import WeirDetect

/// Suricata 8's per-packet verdict counters of IPS mode: `ips.accepted`, `ips.blocked`, `ips.rejected`,
/// `ips.replaced`, and `ips.drop_reason.<reason>` for every dropped packet. Counted once per captured frame (a
/// tunnel's frame once, for its outer and inner packets together), only when the run is inline, as Suricata
/// registers them only in IPS mode.
struct IPSVerdictCounters {
    /// Suricata's drop reasons that are not the firewall's, in its order: each a counter whether or not Weir
    /// ever gives that reason (a zero says it never happened).
    enum Reason: Int, CaseIterable {
        case decodeError, defragError, defragMemcap, flowMemcap, flowDrop, exceptionPolicyFlowDrop
        case appLayerError, appLayerMemcap, rules, threshold
        case streamError, streamMemcap, streamMidstream, streamReassembly, streamUrgent
        case nfqError, tunnelPacketDrop

        var counterName: String {
            switch self {
            case .decodeError: "ips.drop_reason.decode_error"
            case .defragError: "ips.drop_reason.defrag_error"
            case .defragMemcap: "ips.drop_reason.defrag_memcap"
            case .flowMemcap: "ips.drop_reason.flow_memcap"
            case .flowDrop: "ips.drop_reason.flow_drop"
            case .exceptionPolicyFlowDrop: "ips.drop_reason.exception_policy_flow_drop"
            case .appLayerError: "ips.drop_reason.applayer_error"
            case .appLayerMemcap: "ips.drop_reason.applayer_memcap"
            case .rules: "ips.drop_reason.rules"
            case .threshold: "ips.drop_reason.threshold_detection_filter"
            case .streamError: "ips.drop_reason.stream_error"
            case .streamMemcap: "ips.drop_reason.stream_memcap"
            case .streamMidstream: "ips.drop_reason.stream_midstream"
            case .streamReassembly: "ips.drop_reason.stream_reassembly"
            case .streamUrgent: "ips.drop_reason.stream_urgent"
            case .nfqError: "ips.drop_reason.nfq_error"
            case .tunnelPacketDrop: "ips.drop_reason.tunnel_packet_drop"
            }
        }

        init(_ reason: DropReason) {
            switch reason {
            case .rules: self = .rules
            case .threshold: self = .threshold
            case .flowDrop: self = .flowDrop
            case .exceptionPolicyFlowDrop: self = .exceptionPolicyFlowDrop
            case .defragMemcap: self = .defragMemcap
            case .flowMemcap: self = .flowMemcap
            case .streamMemcap: self = .streamMemcap
            case .streamMidstream: self = .streamMidstream
            case .streamReassembly: self = .streamReassembly
            case .appLayerError: self = .appLayerError
            }
        }
    }

    private(set) var accepted: UInt64 = 0
    private(set) var blocked: UInt64 = 0
    private(set) var rejected: UInt64 = 0
    private var reasons = [UInt64](repeating: 0, count: Reason.allCases.count)

    /// One frame's verdict: rejected before dropped, as Suricata counts a reject (which also drops) only as
    /// `rejected`; a dropped frame also counts its reason. Weir rewrites no payload (`replace` is not built),
    /// so nothing is counted as replaced.
    mutating func count(dropped: Bool, rejected: Bool, reason: Reason?) {
        if rejected {
            self.rejected &+= 1
        } else if dropped {
            self.blocked &+= 1
        } else {
            self.accepted &+= 1
        }
        if let reason { self.reasons[reason.rawValue] &+= 1 }
    }

    func value(_ reason: Reason) -> UInt64 { self.reasons[reason.rawValue] }

    /// The counters with Suricata's names.
    var namedValues: [(String, UInt64)] {
        var out: [(String, UInt64)] = [
            ("ips.accepted", self.accepted), ("ips.blocked", self.blocked), ("ips.rejected", self.rejected),
            ("ips.replaced", 0),
        ]
        for reason in Reason.allCases { out.append((reason.counterName, self.reasons[reason.rawValue])) }
        return out
    }
}
