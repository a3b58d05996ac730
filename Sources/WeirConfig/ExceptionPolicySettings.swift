// SPDX-License-Identifier: MIT
import WeirCore

/// The exception-policy settings as written: the master switch `exception-policy` and the per-target keys
/// (`stream.memcap-policy`, `stream.reassembly.memcap-policy`, `stream.midstream-policy`, `flow.memcap-policy`,
/// `defrag.memcap-policy`, `app-layer.error-policy`). What they mean depends on the run's mode (IDS or IPS) and
/// on `stream.midstream`, so ``resolve(ips:midstream:)`` turns them into policies at start-up, as Suricata's
/// `ExceptionPolicyParse` / `ExceptionPolicyMidstreamParse` do.
public struct ExceptionPolicySettings: Sendable, Equatable {
    /// `exception-policy`; `nil` when not written (Suricata's built-in default then applies per target).
    public var master: ExceptionPolicy? = nil
    /// The per-target keys that were written, by target.
    public var targets: [ExceptionTarget: ExceptionPolicy] = [:]
    /// `stats.exception-policy.per-app-proto-errors`: app-layer error policy counters per protocol as well.
    public var perAppProtoErrorCounters = false

    public init() {}

    /// A setting the mode makes impossible (Suricata stops at start-up with these).
    public struct ResolveError: Error, Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var message: String
        public var description: String { "\(self.key): \(self.message)" }
    }

    /// The policy of every target for a run in IPS (`ips`) or IDS mode with `stream.midstream` on or off, and a
    /// note for each value the mode changed (Suricata logs these at start-up).
    public func resolve(ips: Bool, midstream: Bool) throws(ResolveError) -> (policies: ExceptionPolicies, notes: [String]) {
        var notes: [String] = []
        var master = self.master
        if let value = master, !ips, value == .dropPacket || value == .dropFlow {
            notes.append("exception-policy: \(value.configName) has no effect in IDS mode; using ignore")
            master = .ignore
        }
        func pickAuto(midstream: Bool, supportsFlow: Bool) -> ExceptionPolicy {
            guard !midstream && ips else { return .ignore }
            return supportsFlow ? .dropFlow : .dropPacket
        }
        func packetAction(_ key: String, _ policy: ExceptionPolicy) -> ExceptionPolicy {
            let replacement: ExceptionPolicy
            switch policy {
            case .dropFlow: replacement = .dropPacket
            case .passFlow: replacement = .passPacket
            case .bypass: replacement = .ignore
            default: return policy
            }
            notes.append(
                "\(key): flow actions are not supported here; \(policy.configName) becomes \(replacement.configName)")
            return replacement
        }
        func byDefault(_ target: ExceptionTarget, midstream: Bool) -> ExceptionPolicy {
            if var policy = master {
                if policy == .auto { policy = pickAuto(midstream: midstream, supportsFlow: target.supportsFlowActions) }
                if !target.supportsFlowActions { policy = packetAction(target.configKey, policy) }
                return policy
            }
            // Suricata's built-in default: drop-flow in IPS mode (the flow-less targets then drop the packet).
            return ips && !midstream ? .dropFlow : .ignore
        }

        var policies = ExceptionPolicies()
        for target in ExceptionTarget.allCases where target != .streamMidstream {
            guard var policy = self.targets[target] else {
                policies[target] = byDefault(target, midstream: false)
                continue
            }
            if policy == .auto { policy = pickAuto(midstream: false, supportsFlow: target.supportsFlowActions) }
            if !target.supportsFlowActions { policy = packetAction(target.configKey, policy) }
            policies[target] = policy
        }

        let key = ExceptionTarget.streamMidstream.configKey
        var midstreamPolicy: ExceptionPolicy
        if let written = self.targets[.streamMidstream] {
            midstreamPolicy = written
            if written == .auto {
                midstreamPolicy = pickAuto(midstream: midstream, supportsFlow: true)
            } else if midstream, written != .ignore, written != .passFlow {
                throw ResolveError(
                    key: key,
                    message: "'\(written.configName)' is not valid when stream.midstream is enabled "
                        + "(valid: pass-flow, ignore)")
            }
            if !ips && midstreamPolicy == .dropFlow {
                throw ResolveError(key: key, message: "'drop-flow' is not valid in IDS mode")
            }
        } else {
            midstreamPolicy = byDefault(.streamMidstream, midstream: midstream)
        }
        if midstreamPolicy == .passPacket || midstreamPolicy == .dropPacket {
            // Midstream pick-up concerns the whole flow; Suricata refuses packet actions (also from the master switch).
            let source = self.targets[.streamMidstream] == nil ? "exception-policy" : key
            throw ResolveError(
                key: source,
                message: "'\(midstreamPolicy.configName)' is not valid for stream.midstream-policy "
                    + "(a midstream pick-up concerns the whole flow)")
        }
        policies[.streamMidstream] = midstreamPolicy

        if !ips {
            for target in ExceptionTarget.allCases where policies[target] == .reject || policies[target] == .rejectBoth {
                notes.append(
                    "\(target.configKey): \(policies[target].configName) in IDS mode is recorded, but Weir sends "
                        + "resets only inline")
            }
        }
        return (policies, notes)
    }
}
