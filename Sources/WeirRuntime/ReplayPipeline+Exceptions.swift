// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirDetect
import WeirFlow

/// How often each exception policy was applied, under Suricata's counter names
/// (`exception_policy.tcp.midstream.pass_flow` …). As in Suricata, a target whose policy is `ignore` has no
/// counters, and a target has counters only for the policies its mode allows (``ExceptionTarget/countedPolicies``).
struct ExceptionPolicyCounters {
    /// Counters per target, indexed by ``ExceptionPolicy/rawValue``; empty for a target without counters.
    private var counts: [[UInt64]]
    private var counted: [[ExceptionPolicy]]
    /// `stats.exception-policy.per-app-proto-errors`: the app-layer error policy counted per protocol too.
    let perAppProto: Bool
    private var perProtocol: [String: [UInt64]] = [:]

    init(policies: ExceptionPolicies, ips: Bool, midstream: Bool, perAppProto: Bool) {
        let policyCount = ExceptionPolicy.allCases.count
        var counts: [[UInt64]] = []
        var counted: [[ExceptionPolicy]] = []
        for target in ExceptionTarget.allCases {
            if policies[target] == .ignore {
                counts.append([])
                counted.append([])
            } else {
                counts.append([UInt64](repeating: 0, count: policyCount))
                counted.append(target.countedPolicies(ips: ips, midstream: midstream))
            }
        }
        self.counts = counts
        self.counted = counted
        self.perAppProto = perAppProto
    }

    /// Counts one application of `policy` at `target`; `proto`: the app-layer protocol's counter name.
    mutating func count(_ target: ExceptionTarget, _ policy: ExceptionPolicy, proto: String? = nil) {
        let t = Int(target.rawValue)
        guard !self.counts[t].isEmpty else { return }
        self.counts[t][Int(policy.rawValue)] &+= 1
        if self.perAppProto, let proto {
            self.perProtocol[proto, default: [UInt64](repeating: 0, count: ExceptionPolicy.allCases.count)][
                Int(policy.rawValue)] &+= 1
        }
    }

    /// How often `policy` was applied at `target`.
    func value(_ target: ExceptionTarget, _ policy: ExceptionPolicy) -> UInt64 {
        let row = self.counts[Int(target.rawValue)]
        return row.isEmpty ? 0 : row[Int(policy.rawValue)]
    }

    /// The counters, named as Suricata names them.
    var namedValues: [(String, UInt64)] {
        var out: [(String, UInt64)] = []
        for target in ExceptionTarget.allCases {
            let row = self.counts[Int(target.rawValue)]
            guard !row.isEmpty else { continue }
            for policy in self.counted[Int(target.rawValue)] {
                out.append((target.counterPrefix + policy.eveName, row[Int(policy.rawValue)]))
            }
        }
        let appLayer = Int(ExceptionTarget.appLayerError.rawValue)
        if self.perAppProto, !self.counts[appLayer].isEmpty {
            for (proto, row) in self.perProtocol.sorted(by: { $0.key < $1.key }) {
                for policy in self.counted[appLayer] {
                    out.append(("app_layer.error.\(proto).exception_policy.\(policy.eveName)", row[Int(policy.rawValue)]))
                }
            }
        }
        return out
    }
}

extension ExceptionTarget {
    /// The reason a drop record gives for a packet dropped by this target's policy.
    var dropReason: DropReason {
        switch self {
        case .defragMemcap: .defragMemcap
        case .streamMemcap: .streamMemcap
        case .streamReassemblyMemcap: .streamReassembly
        case .flowMemcap: .flowMemcap
        case .streamMidstream: .streamMidstream
        case .appLayerError: .appLayerError
        }
    }
}

extension ReplayPipeline {
    /// Records why the current frame is dropped, the first reason given: a drop met while inspecting a tunnel's
    /// inner packet drops the whole frame, which Suricata counts as `tunnel_packet_drop`.
    mutating func noteDropReason(_ reason: DropReason) {
        guard self.packetDropReason == nil else { return }
        self.packetDropReason = self.packet.tunnelDepth > 0 ? .tunnelPacketDrop : IPSVerdictCounters.Reason(reason)
    }

    /// Applies the policy of `target` to the current packet and its flow (`handle`), as Suricata's
    /// `ExceptionPolicyApply`: the flow records the exception whatever the policy; drop-packet / drop-flow / reject
    /// drop in IPS mode (and leave the packet uninspected in both modes), drop-flow marks the flow so its later
    /// packets go the same way, pass-packet and pass-flow leave the packet (flow) out of detection, bypass bypasses
    /// the flow (Weir's bypass path: kernel table in live capture with `bypass: yes`, else local). `proto` names the
    /// app-layer protocol for the per-protocol error counters.
    mutating func applyException(_ target: ExceptionTarget, handle: FlowHandle?, proto: String? = nil) {
        let policy = self.exceptionPolicies[target]
        if let handle { self.flows[handle.slot].exceptions.insert(target) }
        self.exceptionCounters.count(target, policy, proto: proto)
        switch policy {
        case .ignore, .auto:
            return
        case .reject, .rejectBoth:
            // Outside inline mode Suricata only rejects the packet (Weir sends nothing there); inline the flow
            // is dropped as well.
            guard self.inline else { return }
            self.packetRejected = policy == .rejectBoth ? .both : .source
            self.dropFlowByException(handle)
            self.dropPacketByException(target, handle: handle)
        case .dropFlow:
            self.dropFlowByException(handle)
            self.dropPacketByException(target, handle: handle)
        case .dropPacket:
            self.dropPacketByException(target, handle: handle)
        case .bypass:
            if let handle { self.bypass(slot: handle.slot) }
            fallthrough
        case .passFlow:
            if let handle {
                self.flows[handle.slot].isPassed = true
                self.flows[handle.slot].passedByException = true
            }
            self.exceptionSkipsInspection = true
        case .passPacket:
            self.exceptionSkipsInspection = true
        }
    }

    /// The flow's later packets are dropped (IPS) and none of them inspected (Suricata's `FLOW_ACTION_DROP` set by
    /// an exception policy).
    private mutating func dropFlowByException(_ handle: FlowHandle?) {
        guard let handle else { return }
        self.flows[handle.slot].isDropped = true
        self.flows[handle.slot].droppedByException = true
    }

    /// The current packet is not inspected and, inline, not forwarded; its drop record names the exception.
    private mutating func dropPacketByException(_ target: ExceptionTarget, handle: FlowHandle?) {
        self.exceptionSkipsInspection = true
        guard self.inline, !self.packetDropped else { return }
        self.packetDropped = true
        self.noteDropReason(target.dropReason)
        self.packetsDropped += 1
        var flow = handle.map { self.flows[$0.slot] }
        self.outputs.writeDrop(
            packet: self.packet, flow: &flow, toServer: handle?.toServer ?? true, reason: target.dropReason)
        if let handle, let flow {
            self.flows[handle.slot].dropLoggedToServer = flow.dropLoggedToServer
            self.flows[handle.slot].dropLoggedToClient = flow.dropLoggedToClient
        }
    }

    /// A packet of a flow an exception policy dropped: dropped inline (drop record `exception policy flow drop`,
    /// once per direction with `flows: start`), never inspected.
    mutating func dropPacketOfExceptionDroppedFlow(_ handle: FlowHandle) {
        guard self.inline else { return }
        self.packetDropped = true
        self.noteDropReason(.exceptionPolicyFlowDrop)
        self.packetsDropped += 1
        var flow: Flow? = self.flows[handle.slot]
        self.outputs.writeDrop(
            packet: self.packet, flow: &flow, toServer: handle.toServer, reason: .exceptionPolicyFlowDrop)
        if let flow {
            self.flows[handle.slot].dropLoggedToServer = flow.dropLoggedToServer
            self.flows[handle.slot].dropLoggedToClient = flow.dropLoggedToClient
        }
    }
}
