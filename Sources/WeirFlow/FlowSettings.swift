// SPDX-License-Identifier: MIT

/// Idle timeouts for one protocol, in seconds, as `flow-timeouts.<proto>` in suricata.yaml.
public struct FlowTimeouts: Sendable, Equatable {
    public var new: Int64
    public var established: Int64
    public var closed: Int64
    public var bypassed: Int64
    public var emergencyNew: Int64
    public var emergencyEstablished: Int64
    public var emergencyClosed: Int64
    public var emergencyBypassed: Int64

    public init(
        new: Int64,
        established: Int64,
        closed: Int64 = 0,
        bypassed: Int64,
        emergencyNew: Int64,
        emergencyEstablished: Int64,
        emergencyClosed: Int64 = 0,
        emergencyBypassed: Int64
    ) {
        self.new = new
        self.established = established
        self.closed = closed
        self.bypassed = bypassed
        self.emergencyNew = emergencyNew
        self.emergencyEstablished = emergencyEstablished
        self.emergencyClosed = emergencyClosed
        self.emergencyBypassed = emergencyBypassed
    }

    /// Suricata's defaults for protocols other than TCP, UDP and ICMP.
    public static let defaultOther = FlowTimeouts(
        new: 30, established: 300, bypassed: 100, emergencyNew: 10, emergencyEstablished: 100,
        emergencyBypassed: 50)
    /// Suricata's TCP defaults.
    public static let defaultTCP = FlowTimeouts(
        new: 60, established: 600, closed: 60, bypassed: 100, emergencyNew: 5, emergencyEstablished: 100,
        emergencyClosed: 10, emergencyBypassed: 50)
    /// Suricata's UDP defaults.
    public static let defaultUDP = FlowTimeouts(
        new: 30, established: 300, bypassed: 100, emergencyNew: 10, emergencyEstablished: 100,
        emergencyBypassed: 50)
    /// Suricata's ICMP defaults.
    public static let defaultICMP = FlowTimeouts(
        new: 30, established: 300, bypassed: 100, emergencyNew: 10, emergencyEstablished: 100,
        emergencyBypassed: 50)

    /// The timeout for a flow in `state`, normal or emergency.
    @inlinable
    public func seconds(for state: FlowState, emergency: Bool) -> Int64 {
        switch state {
        case .new: return emergency ? self.emergencyNew : self.new
        case .established: return emergency ? self.emergencyEstablished : self.established
        case .closed: return emergency ? self.emergencyClosed : self.closed
        case .bypassed: return emergency ? self.emergencyBypassed : self.bypassed
        }
    }
}

/// Flow-table settings: sizes, timeouts and TCP pickup behaviour.
public struct FlowSettings: Sendable, Equatable {
    /// Most flows held at once (derived from `flow.memcap`); at the cap the table evicts and counts.
    public var maxFlows: Int
    /// Initial bucket count hint (`flow.hash-size`).
    public var hashSize: Int
    public var tcp: FlowTimeouts
    public var udp: FlowTimeouts
    public var icmp: FlowTimeouts
    public var other: FlowTimeouts
    /// `stream.midstream`: pick up TCP sessions whose handshake was not seen.
    public var midstream: Bool
    /// `stream.async-oneside`: treat a one-sided TCP session as established once the handshake's own side is seen.
    public var asyncOneside: Bool
    /// `flow.emergency-recovery`: percent of the cap that must be free again to leave emergency mode.
    public var emergencyRecovery: Int
    /// `vlan.use-for-tracking`: VLAN ids are part of a flow's identity. Off, packets that differ only in their
    /// tags share one flow (asymmetric VLANs on a tap), as Suricata's `g_vlan_mask`.
    public var vlanTracking: Bool
    /// `decoder.recursion-level.use-for-tracking`: the tunnel depth is part of a flow's identity. Off, a packet
    /// and the same 5-tuple inside a tunnel share one flow, as Suricata's `g_recurlvl_mask`.
    public var recursionTracking: Bool

    public init(
        maxFlows: Int = 131_072,
        hashSize: Int = 65_536,
        tcp: FlowTimeouts = .defaultTCP,
        udp: FlowTimeouts = .defaultUDP,
        icmp: FlowTimeouts = .defaultICMP,
        other: FlowTimeouts = .defaultOther,
        midstream: Bool = false,
        asyncOneside: Bool = false,
        emergencyRecovery: Int = 30,
        vlanTracking: Bool = true,
        recursionTracking: Bool = true
    ) {
        self.maxFlows = maxFlows
        self.hashSize = hashSize
        self.tcp = tcp
        self.udp = udp
        self.icmp = icmp
        self.other = other
        self.midstream = midstream
        self.asyncOneside = asyncOneside
        self.emergencyRecovery = min(max(emergencyRecovery, 1), 100)
        self.vlanTracking = vlanTracking
        self.recursionTracking = recursionTracking
    }

    /// The timeouts that apply to protocol `proto`.
    @inlinable
    public func timeouts(for proto: UInt8) -> FlowTimeouts {
        switch proto {
        case 6: return self.tcp
        case 17: return self.udp
        case 1, 58: return self.icmp
        default: return self.other
        }
    }
}
