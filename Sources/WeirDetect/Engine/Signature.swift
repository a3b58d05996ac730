// SPDX-License-Identifier: MIT
import WeirCore
import WeirStream

/// What a matching rule asks for.
public enum RuleVerdictAction: UInt8, Sendable, Comparable, CaseIterable {
    case pass
    case drop
    case reject
    case alert

    /// The YAML `action-order` spelling.
    public var name: String {
        switch self {
        case .pass: return "pass"
        case .drop: return "drop"
        case .reject: return "reject"
        case .alert: return "alert"
        }
    }

    /// Orders by the default precedence (pass first).
    public static func < (a: RuleVerdictAction, b: RuleVerdictAction) -> Bool { a.rawValue < b.rawValue }
}

/// Which packets a signature's header protocol selects.
package enum SignatureProtocol: Sendable, Equatable {
    /// `ip`/`pkthdr`: any IP packet.
    case ip
    /// A transport protocol number (`tcp`, `udp`, `icmp` …).
    case transport(UInt8)
    /// `icmp`: ICMPv4 or ICMPv6, as Suricata treats it.
    case icmpAny
    /// An application-layer protocol over TCP or UDP (`http`, `dns` …); payload keywords read sticky buffers.
    case application(name: String, transports: [UInt8])

    @inline(__always)
    func matches(_ l4: UInt8) -> Bool {
        switch self {
        case .ip: return true
        case .transport(let p): return l4 == p
        case .icmpAny: return l4 == IPProtocol.icmp || l4 == IPProtocol.icmpv6
        case .application(_, let transports): return transports.contains(l4)
        }
    }
}

/// Which data a signature's `pkt_data` programs inspect.
package enum PayloadScope: Sendable, Equatable {
    case packetAndStream
    /// `tcp-pkt`, `flow:no_stream`.
    case packetOnly
    /// `tcp-stream`, `flow:only_stream`.
    case streamOnly
}

/// A flowbit, xbit or flowint name interned to a small integer at load.
package typealias VariableID = Int

/// Flowbit conditions (checked while matching) and commands (run after the rule matched).
package enum FlowbitOperation: Sendable, Equatable {
    case isSet([VariableID], anyOf: Bool)
    case isNotSet([VariableID], anyOf: Bool)
    case set([VariableID])
    case unset([VariableID])
    case toggle([VariableID])

    var isCondition: Bool {
        switch self {
        case .isSet, .isNotSet: return true
        default: return false
        }
    }
}

/// Where an xbit lives.
package enum XbitTrack: Sendable, Equatable {
    case sourceIP, destinationIP, ipPair
}

/// `xbits:<cmd>,<name>,track <t>[,expire <s>]`.
package struct XbitOperation: Sendable, Equatable {
    /// The xbits operations.
    package enum Command: Sendable, Equatable { case set, unset, toggle, isSet, isNotSet }
    /// The operation.
    package var command: Command
    /// The interned bit.
    package var bit: VariableID
    /// Where the bit is kept.
    package var track: XbitTrack
    /// Expiry in seconds (Suricata's default 30).
    package var expire: Int64 = 30

    /// Makes an xbits operation.
    package init(command: Command, bit: VariableID, track: XbitTrack, expire: Int64 = 30) {
        self.command = command
        self.bit = bit
        self.track = track
        self.expire = expire
    }
}

/// `flowint:<name>,<op>[,<value>]`.
package struct FlowintOperation: Sendable, Equatable {
    /// The flowint operators.
    package enum Operator: Sendable, Equatable {
        case assign, add, subtract
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        case isSet, isNotSet
    }
    /// The interned variable.
    package var variable: VariableID
    /// The operation.
    package var op: Operator
    /// A literal, or another flowint by id.
    package var value: FlowintValue

    /// Makes a flowint operation.
    package init(variable: VariableID, op: Operator, value: FlowintValue) {
        self.variable = variable
        self.op = op
        self.value = value
    }

    /// Modifications run after the match; comparisons are conditions.
    var isModifier: Bool { self.op == .assign || self.op == .add || self.op == .subtract }
}

/// A flowint operand.
package enum FlowintValue: Sendable, Equatable {
    case literal(Int64)
    case variable(VariableID)
    case none
}

/// How thresholds and detection filters count (`track by_src` …).
public enum ThresholdTrack: Sendable, Equatable {
    case bySource, byDestination, byRule, byBoth, byFlow, byEither
}

/// `threshold` / `detection_filter` / `threshold.config` event filters.
package struct ThresholdSpec: Sendable, Equatable {
    /// The counting rule.
    package enum Kind: Sendable, Equatable { case threshold, limit, both, detectionFilter, backoff }
    /// The counting rule.
    package var kind: Kind
    /// What the counter is kept per.
    package var track: ThresholdTrack
    /// `count`.
    package var count: Int
    /// `seconds`: the window length.
    package var seconds: Int64
    /// `unique_on src_port|dst_port` for detection_filter (Suricata 8): count distinct ports only.
    package var uniqueOn: UniquePort?
    /// `multiplier` of `type backoff`: alerts on the `count`th match, then `count × multiplier`th, and so on.
    package var multiplier: Int = 1

    /// Which port `unique_on` counts.
    package enum UniquePort: Sendable, Equatable { case sourcePort, destinationPort }

    /// Makes a threshold.
    package init(kind: Kind, track: ThresholdTrack, count: Int, seconds: Int64, uniqueOn: UniquePort? = nil) {
        self.kind = kind
        self.track = track
        self.count = count
        self.seconds = seconds
        self.uniqueOn = uniqueOn
    }
}

/// One payload program and the buffer it inspects.
package struct BufferProgram: Sendable {
    /// `nil`: packet payload / stream; otherwise the sticky buffer id.
    package var stickyBuffer: Int?
    /// The keywords on that buffer.
    package var program: PayloadProgram

    /// Makes a buffer program.
    package init(stickyBuffer: Int?, program: PayloadProgram) {
        self.stickyBuffer = stickyBuffer
        self.program = program
    }
}

/// A rule compiled for the engine: every name resolved, every keyword in its matching form.
///
/// A class so the hot path reads fields through one reference instead of copying (and retaining) every array
/// of the signature per evaluation; it is never mutated once the engine is built, so its fields are read
/// without dynamic exclusivity checks (`@exclusivity(unchecked)`: no access can overlap a write).
package final class Signature: @unchecked Sendable {
    // Identity and presentation.
    /// `sid`.
    @exclusivity(unchecked) package var sid: UInt32
    /// `gid`.
    @exclusivity(unchecked) package var gid: UInt32 = 1
    /// `rev`.
    @exclusivity(unchecked) package var rev: UInt32 = 0
    /// Where the rule was read (file and line), for reports about it.
    @exclusivity(unchecked) package var file: String = ""
    @exclusivity(unchecked) package var line: Int = 0
    /// `msg`.
    @exclusivity(unchecked) package var message: String = ""
    /// `classtype` short name.
    @exclusivity(unchecked) package var classtype: String?
    /// The rule's `metadata` entries that have a value (`signature_severity Major`), in rule order.
    @exclusivity(unchecked) package var metadata: [(key: String, value: String)] = []
    /// Human-readable category from classification.config.
    @exclusivity(unchecked) package var category: String = ""
    /// Severity (priority): rule `priority`, else the classtype's, else 3.
    @exclusivity(unchecked) package var severity: Int = 3
    /// The action (after `reject*` folding).
    @exclusivity(unchecked) package var action: RuleVerdictAction = .alert
    /// For `reject*`: which side gets the reset/unreachable.
    @exclusivity(unchecked) package var rejectKind: String?
    /// `bypass`: a match bypasses the flow (post-match, as Suricata's).
    @exclusivity(unchecked) package var bypass = false

    // Header.
    /// The header protocol.
    @exclusivity(unchecked) package var proto: SignatureProtocol = .ip
    /// 0 any, 4 or 6 (`ipv4`/`ipv6` protocols).
    @exclusivity(unchecked) package var ipVersion: UInt8 = 0
    /// Source addresses.
    @exclusivity(unchecked) package var source: AddressMatcher = .any
    /// Source ports.
    @exclusivity(unchecked) package var sourcePorts: PortMatcher = .any
    /// Destination addresses.
    @exclusivity(unchecked) package var destination: AddressMatcher = .any
    /// Destination ports.
    @exclusivity(unchecked) package var destinationPorts: PortMatcher = .any
    /// `<>`.
    @exclusivity(unchecked) package var bidirectional = false

    // Matching.
    /// Decoded-header conditions, in rule order.
    @exclusivity(unchecked) package var headerChecks: [HeaderCheck] = []
    /// `flow.age` / `flow.pkts*` / `flow.bytes*` conditions.
    @exclusivity(unchecked) package var flowValueChecks: [FlowValueCheck] = []
    /// The `flow` keyword, if any.
    @exclusivity(unchecked) package var flow: FlowCondition?
    /// `app-layer-protocol:[!]name`, each one: the flow's detected protocol must (not) be `name`; never matches
    /// while the protocol is unknown.
    @exclusivity(unchecked) package var appLayerProtocols: [(name: String, negated: Bool)] = []
    /// Suricata's PD-only signature: `app-layer-protocol` with nothing but IP-only-compatible keywords (and a
    /// `flow` direction); it is inspected only on a packet with which protocol detection finished. Set by the
    /// compiler.
    @exclusivity(unchecked) package var isProtocolDetectionOnly = false
    /// App-layer options answered by the inspected transaction (`ssl_state`, `tls.version`, `dns.opcode` …):
    /// every one must hold. Their rule is transactional.
    @exclusivity(unchecked) package var appLayerConditions: [(keyword: String, value: String)] = []
    /// Directions the conditions are inspected in (bit 1 to server, bit 2 to client): certificate keywords
    /// and `http.response_body` are the server's, the others either.
    @exclusivity(unchecked) package var conditionDirections: UInt8 = 3
    /// `filesize`, `filemd5` … : conditions on the inspected transaction's file, every one must hold. Their
    /// rule is transactional.
    @exclusivity(unchecked) package var fileChecks: [FileCheck] = []
    /// Which data `pkt_data` programs inspect: packets, reassembled stream chunks, or both (the default).
    @exclusivity(unchecked) package var payloadScope: PayloadScope = .packetAndStream
    /// Payload programs, one per buffer section.
    @exclusivity(unchecked) package var buffers: [BufferProgram] = []
    /// Flowbit conditions and commands, in rule order.
    @exclusivity(unchecked) package var flowbits: [FlowbitOperation] = []
    /// Xbit conditions and commands.
    @exclusivity(unchecked) package var xbits: [XbitOperation] = []
    /// Flowint conditions and modifiers.
    @exclusivity(unchecked) package var flowints: [FlowintOperation] = []
    /// `threshold` or `detection_filter` from the rule.
    @exclusivity(unchecked) package var threshold: ThresholdSpec?
    /// `noalert` (also `flowbits:noalert`).
    @exclusivity(unchecked) package var noalert = false
    /// The prefilter literal (`fast_pattern` or the longest content) and the buffer it belongs to.
    @exclusivity(unchecked) package var fastPattern: PrefilterPattern?
    /// The sticky buffer id of the fast pattern's section, `nil` for the payload.
    @exclusivity(unchecked) package var fastPatternBuffer: Int?
    /// Number of byte variables the payload programs use.
    @exclusivity(unchecked) package var variableSlots = 0

    /// Makes a signature with a sid and defaults everywhere else.
    package init(sid: UInt32) { self.sid = sid }

    /// Suricata's IP-only class: addresses only (no ports, payload, flow, or per-packet header keywords).
    /// Such rules are evaluated on the first packet of each flow direction only.
    package var isIPOnly: Bool {
        guard case .ip = self.proto else {
            if case .transport = self.proto {} else if case .icmpAny = self.proto {} else { return false }
            return self.isAddressOnly
        }
        return self.isAddressOnly
    }

    private var isAddressOnly: Bool {
        self.appLayerProtocols.isEmpty && self.sourcePorts.isAny && self.destinationPorts.isAny
            && self.headerChecks.isEmpty && self.flow == nil && self.flowValueChecks.isEmpty
            && self.buffers.isEmpty && !self.flowbits.contains(where: { $0.isCondition }) && self.xbits.isEmpty
            && self.flowints.isEmpty && self.fileChecks.isEmpty
    }

    /// Flowint modifiers before flowint readers, as Suricata's `SCSigOrderByFlowintCompare`.
    var flowintRole: Int {
        var sets = false
        var reads = false
        for op in self.flowints {
            if op.isModifier { sets = true } else { reads = true }
        }
        if sets && !reads { return 0 }
        if sets && reads { return 1 }
        if reads { return 2 }
        return 3
    }

    /// Suricata's "like IP-only": no payload or app-layer, and no direction in `flow`; its drop and pass
    /// actions apply to the whole flow like an IP-only rule's. Ports do not count: Suricata 8's
    /// `SignatureIsIPOnly` ignores them, so `pass tcp any any -> any 443` passes the flow (suricata-verify
    /// bug-5464-verdict-04).
    var isLikeIPOnly: Bool {
        if case .application = self.proto { return false }
        if !self.appLayerProtocols.isEmpty || !self.flowValueChecks.isEmpty { return false }
        guard self.buffers.isEmpty, self.headerChecks.isEmpty else { return false }
        if let flow = self.flow, flow.toServer != flow.toClient { return false }
        return true
    }

    /// Whether a `decode-event` condition is present (such rules also see packets without an IP layer).
    @exclusivity(unchecked) package var checksDecodeEvents = false
    /// `stream-event:` conditions: every one must be among the packet's stream events.
    @exclusivity(unchecked) package var streamEvents: [StreamEvent] = []
    /// `stream_size` conditions.
    @exclusivity(unchecked) package var streamSizes: [StreamSizeCheck] = []
    /// `app-layer-event:` names (lowercase): every one must be among the events of the inspected transaction
    /// (parser events) or of the flow on this packet (detection events).
    @exclusivity(unchecked) package var appLayerEvents: [String] = []

    /// Inspects app-layer transactions (an app-layer sticky buffer, or a parser event such as
    /// `http.missing_host_header`): evaluated when a transaction progresses, never per packet, and fires at most
    /// once per transaction and direction. Set by the compiler.
    @exclusivity(unchecked) package var isTransactional = false

    /// Drop and pass act on the flow, not only the packet (Suricata's `FlowApplySignatureActions`): IP-only and
    /// like-IP-only rules and app-layer rules; other rules only when they matched stream or app-layer data.
    var actionAppliesToFlow: Bool {
        // A rule that only names the app-layer protocol acts on the flow (Suricata's SIG_TYPE_APPLAYER); one
        // with packet properties (`dsize` …) or payload is a packet rule that reaches the flow only through a
        // stream or transaction match (matchedOnFlowData), as Suricata's flow_action "flow if stateful".
        if case .application = self.proto {
            return self.headerChecks.isEmpty && self.buffers.isEmpty && self.flowValueChecks.isEmpty
        }
        return self.isIPOnly || self.isLikeIPOnly
    }

    /// Whether a flowbit is set or toggled by this rule (for Suricata's ordering: setters before readers).
    var flowbitRole: Int {
        var sets = false
        var reads = false
        for op in self.flowbits {
            if op.isCondition { reads = true } else { sets = true }
        }
        if sets && !reads { return 0 }
        if sets && reads { return 1 }
        if reads { return 2 }
        return 3
    }
}
