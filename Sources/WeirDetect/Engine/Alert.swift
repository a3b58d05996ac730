// SPDX-License-Identifier: MIT
import WeirCore

/// One alert raised on a packet, with everything the output stage writes (EVE `alert`, fast.log).
///
/// Strings are shared with the compiled signature (no copy per alert).
public struct Alert: Sendable {
    /// Position of the signature in the engine's evaluation order (Suricata's internal `num`).
    public var signatureIndex: Int
    /// `signature_id`.
    public var sid: UInt32
    /// `gid`.
    public var gid: UInt32
    /// `rev`.
    public var rev: UInt32
    /// `msg`.
    public var message: String
    /// The classtype's description (EVE `alert.category`), empty when none.
    public var category: String
    /// The classtype short name, if any.
    public var classtype: String?
    /// Priority: EVE `alert.severity`.
    public var severity: Int
    /// The rule's action after rate filters.
    public var action: RuleVerdictAction
    /// True when this alert dropped the packet in IPS mode (EVE `alert.action` "blocked").
    public var isBlocking: Bool
    /// Suricata's `pcap_cnt` of the packet.
    public var packetNumber: UInt64
    /// The flow's table slot, or -1 without a flow.
    public var flowSlot: Int32
    /// The flow's id (EVE `flow_id`), 0 without a flow.
    public var flowID: UInt64
    /// The match was on reassembled stream data (Suricata's `PACKET_ALERT_FLAG_STREAM_MATCH`): EVE logs the
    /// stream data as the payload, with `stream: 1`.
    public var streamMatch = false
    /// The app-layer transaction the alert matched (EVE `tx_id`), `nil` for packet and stream matches.
    public var txID: UInt64? = nil

    /// EVE's `alert.action`.
    public var eveAction: String { self.isBlocking ? "blocked" : "allowed" }
}

/// The side(s) a reject answers.
public enum RejectTarget: Sendable, Equatable {
    case source
    case destination
    case both

    /// From a rule's action keyword (`reject`, `rejectsrc`, `rejectdst`, `rejectboth`).
    init(action: String?) {
        switch action {
        case "rejectdst": self = .destination
        case "rejectboth": self = .both
        default: self = .source
        }
    }

    /// This target and `other` together.
    public func adding(_ other: RejectTarget) -> RejectTarget { self == other ? self : .both }

    /// Whether the source is answered.
    public var toSource: Bool { self != .destination }
    /// Whether the destination is answered.
    public var toDestination: Bool { self != .source }
}

/// What the engine decided for one packet.
public struct PacketVerdict: Sendable, Equatable {
    /// The packet is dropped (IPS mode: a drop/reject rule matched, or its flow was dropped earlier).
    public var drop = false
    /// A reject rule matched: Suricata sends a TCP reset or ICMP unreachable.
    public var reject = false
    /// Where the reset or unreachable goes (`reject`/`rejectsrc`: the source, `rejectdst`, `rejectboth`).
    public var rejectTarget: RejectTarget = .source
    /// A pass rule matched: no further alerts on this packet.
    public var pass = false
    /// Detection did not run because the flow was passed or dropped before.
    public var skipped = false
    /// A matching rule has the `bypass` keyword: the rest of the flow is not inspected.
    public var bypass = false
    /// Why the packet is dropped (the drop record's `reason`); the first cause wins, as Suricata's `PacketDrop`.
    public var dropReason: DropReason?

    /// No decision: forward, keep inspecting.
    public init() {}

    /// Marks the packet dropped for `reason`, keeping an earlier reason.
    public mutating func markDropped(_ reason: DropReason) {
        self.drop = true
        if self.dropReason == nil { self.dropReason = reason }
    }
}

/// Why detection dropped a packet: the `drop.reason` of its EVE record, spelt as Suricata's
/// `PacketDropReasonToString`.
public enum DropReason: String, Sendable, Equatable {
    /// A drop or reject rule matched.
    case rules = "rules"
    /// A rate_filter changed the rule's action to drop or reject.
    case threshold = "threshold detection_filter"
    /// An earlier packet dropped the whole flow; this one belongs to it.
    case flowDrop = "flow drop"
    /// An exception policy dropped the flow earlier (drop-flow, reject); this packet belongs to it.
    case exceptionPolicyFlowDrop = "exception policy flow drop"
    /// Exception policies applied to the packet that met the exception (Suricata's drop reasons).
    case defragMemcap = "defrag memcap"
    case flowMemcap = "flow memcap"
    case streamMemcap = "stream memcap"
    case streamMidstream = "stream midstream"
    case streamReassembly = "stream reassembly"
    case appLayerError = "applayer error"
}

/// Engine counters (Suricata's `detect.alert`, `detect.alerts_suppressed`, `ips.*`).
public struct DetectCounters: Sendable, Equatable {
    /// Alert records produced.
    public var alerts: UInt64 = 0
    /// Matches that did not produce a record (noalert, threshold, suppress).
    public var alertsSuppressed: UInt64 = 0
    /// Alerts beyond `packet-alert-max`.
    public var alertsDiscarded: UInt64 = 0
    /// Packets dropped by rules (IPS), including later packets of dropped flows.
    public var dropped: UInt64 = 0
    /// Packets matched by reject rules.
    public var rejected: UInt64 = 0
    /// Packets matched by pass rules.
    public var passedPackets: UInt64 = 0
    /// Flows set to pass.
    public var passedFlows: UInt64 = 0
    /// Flows set to drop.
    public var droppedFlows: UInt64 = 0
    /// Packets inspected / signatures evaluated in full / prefilter candidates.
    public var packets: UInt64 = 0
    /// Signatures evaluated in full (prefilter candidates that passed deduplication).
    public var signaturesEvaluated: UInt64 = 0
    /// Candidates the prefilter and IP-only lookups produced.
    public var prefilterCandidates: UInt64 = 0
    /// Vectorscan scans: one per inspection buffer that has patterns to look for.
    public var prefilterScans: UInt64 = 0

    /// All counters at zero.
    public init() {}

    /// Dotted names and values for the stats: Suricata's where it has the counter; `detect.pass*`,
    /// `detect.packets`, `detect.signatures_evaluated`, `detect.prefilter_candidates`, `detect.prefilter_scans`
    /// and `ips.drop_flows` are Weir's own (docs/counters.md) and stay out of EVE. Suricata's `ips.blocked` and
    /// `ips.rejected` count every frame's verdict in IPS mode, whatever dropped it: the pipeline keeps them.
    public var namedValues: [(String, UInt64)] {
        [
            ("detect.alert", self.alerts), ("detect.alerts_suppressed", self.alertsSuppressed),
            ("detect.alert_queue_overflow", self.alertsDiscarded), ("detect.pass", self.passedPackets),
            ("detect.pass_flows", self.passedFlows), ("ips.drop_flows", self.droppedFlows),
            ("detect.packets", self.packets), ("detect.signatures_evaluated", self.signaturesEvaluated),
            ("detect.prefilter_candidates", self.prefilterCandidates),
            ("detect.prefilter_scans", self.prefilterScans),
        ]
    }
}
