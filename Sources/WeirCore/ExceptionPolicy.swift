// SPDX-License-Identifier: MIT

/// What the engine does when it reaches an exception: a memcap, a TCP session picked up midstream, an app-layer
/// parser error (Suricata's exception policies, `util-exception-policy.c`).
public enum ExceptionPolicy: UInt8, Sendable, CaseIterable, Hashable {
    /// Nothing (Suricata's `EXCEPTION_POLICY_NOT_SET`); still recorded in the flow record.
    case ignore
    /// Resolved at start-up: drop-flow (or drop-packet) in IPS mode, ignore in IDS mode.
    case auto
    /// No detection for this packet.
    case passPacket
    /// No detection for the rest of the flow; tracking, parsing and logging go on.
    case passFlow
    /// The flow is bypassed (then as pass-flow).
    case bypass
    /// IPS: the packet is dropped and not inspected.
    case dropPacket
    /// IPS: the packet and the rest of its flow are dropped and not inspected.
    case dropFlow
    /// As drop-flow, and the packet's sender gets a reset / unreachable.
    case reject
    /// As reject, to both ends.
    case rejectBoth

    /// The value as `suricata.yaml` spells it; `nil` for any other text (start-up stops naming the key).
    public init?(configValue text: String) {
        switch text {
        case "ignore": self = .ignore
        case "auto": self = .auto
        case "pass-packet": self = .passPacket
        case "pass-flow": self = .passFlow
        case "bypass": self = .bypass
        case "drop-packet": self = .dropPacket
        case "drop-flow": self = .dropFlow
        case "reject": self = .reject
        case "rejectboth": self = .rejectBoth
        default: return nil
        }
    }

    /// The configuration spelling (`drop-flow`).
    public var configName: String {
        switch self {
        case .ignore: "ignore"
        case .auto: "auto"
        case .passPacket: "pass-packet"
        case .passFlow: "pass-flow"
        case .bypass: "bypass"
        case .dropPacket: "drop-packet"
        case .dropFlow: "drop-flow"
        case .reject: "reject"
        case .rejectBoth: "rejectboth"
        }
    }

    /// The EVE and counter spelling (`drop_flow`, `reject_both`).
    public var eveName: String {
        switch self {
        case .ignore: "ignore"
        case .auto: "auto"
        case .passPacket: "pass_packet"
        case .passFlow: "pass_flow"
        case .bypass: "bypass"
        case .dropPacket: "drop_packet"
        case .dropFlow: "drop_flow"
        case .reject: "reject"
        case .rejectBoth: "reject_both"
        }
    }

    /// The values the configuration accepts, as the start-up error lists them.
    public static let configChoices =
        "drop-flow, pass-flow, bypass, reject, rejectboth, drop-packet, pass-packet, ignore or auto"

    /// Whether the packet's content is left uninspected by detection.
    public var skipsPacketInspection: Bool {
        switch self {
        case .ignore, .auto: false
        default: true
        }
    }
}

/// Where an exception happened (Suricata's `EXCEPTION_TARGET_FLAG_*`, in its flag order, which is the order of the
/// flow record's `exception_policy` array).
public enum ExceptionTarget: UInt8, Sendable, CaseIterable, Hashable {
    case defragMemcap = 0
    case streamMemcap = 1
    case streamReassemblyMemcap = 2
    case flowMemcap = 3
    case streamMidstream = 4
    case appLayerError = 5

    /// The flow record's `target` value.
    public var eveName: String {
        switch self {
        case .defragMemcap: "defrag_memcap"
        case .streamMemcap: "stream_memcap"
        case .streamReassemblyMemcap: "stream_reassembly_memcap"
        case .flowMemcap: "flow_memcap"
        case .streamMidstream: "stream_midstream"
        case .appLayerError: "app_layer_error"
        }
    }

    /// The setting that chooses the target's policy.
    public var configKey: String {
        switch self {
        case .defragMemcap: "defrag.memcap-policy"
        case .streamMemcap: "stream.memcap-policy"
        case .streamReassemblyMemcap: "stream.reassembly.memcap-policy"
        case .flowMemcap: "flow.memcap-policy"
        case .streamMidstream: "stream.midstream-policy"
        case .appLayerError: "app-layer.error-policy"
        }
    }

    /// The stats counter prefix; the policy's EVE name follows (`exception_policy.tcp.ssn_memcap.drop_flow`).
    public var counterPrefix: String {
        switch self {
        case .defragMemcap: "exception_policy.defrag.memcap."
        case .streamMemcap: "exception_policy.tcp.ssn_memcap."
        case .streamReassemblyMemcap: "exception_policy.tcp.reassembly."
        case .flowMemcap: "exception_policy.flow.memcap."
        case .streamMidstream: "exception_policy.tcp.midstream."
        case .appLayerError: "exception_policy.app_layer.error."
        }
    }

    /// Whether the policy can act on the whole flow; the flow and defrag memcaps leave a packet without a flow,
    /// so only packet actions apply there.
    public var supportsFlowActions: Bool {
        switch self {
        case .defragMemcap, .flowMemcap: false
        default: true
        }
    }

    /// The policies that get a stats counter when the target's policy is not `ignore` (Suricata's
    /// `valid_settings_ids` / `valid_settings_ips` tables). `midstream`: `stream.midstream` is on.
    public func countedPolicies(ips: Bool, midstream: Bool) -> [ExceptionPolicy] {
        switch self {
        case .defragMemcap, .flowMemcap:
            ips ? [.passPacket, .bypass, .dropPacket, .reject, .rejectBoth] : [.passPacket, .bypass, .reject, .rejectBoth]
        case .streamMemcap, .streamReassemblyMemcap, .appLayerError:
            ips
                ? [.passPacket, .passFlow, .bypass, .dropPacket, .dropFlow, .reject, .rejectBoth]
                : [.passPacket, .passFlow, .bypass, .reject, .rejectBoth]
        case .streamMidstream:
            if midstream { [.passFlow] } else if ips { [.passFlow, .bypass, .dropFlow, .reject, .rejectBoth] } else {
                [.passFlow, .bypass, .reject, .rejectBoth]
            }
        }
    }
}

/// A set of ``ExceptionTarget``s: the exceptions a flow met (Suricata's `Flow.applied_exception_policy`).
public struct ExceptionTargets: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ target: ExceptionTarget) { self.rawValue = 1 << target.rawValue }

    public func contains(_ target: ExceptionTarget) -> Bool { self.rawValue & (1 << target.rawValue) != 0 }
    public mutating func insert(_ target: ExceptionTarget) { self.formUnion(ExceptionTargets(target)) }

    /// The targets in the set, in flag order. Most flows meet no exception: the empty set returns at once
    /// (every flow record asks).
    public var targets: [ExceptionTarget] {
        self.rawValue == 0 ? [] : ExceptionTarget.allCases.filter { self.contains($0) }
    }
}

/// The policy of every target, resolved for the run's mode (no `auto` left).
public struct ExceptionPolicies: Sendable, Equatable {
    private var values: [ExceptionPolicy]

    /// Every target `ignore`.
    public init() { self.values = [ExceptionPolicy](repeating: .ignore, count: ExceptionTarget.allCases.count) }

    public subscript(target: ExceptionTarget) -> ExceptionPolicy {
        get { self.values[Int(target.rawValue)] }
        set { self.values[Int(target.rawValue)] = newValue }
    }
}
