// SPDX-License-Identifier: MIT
import WeirCore

/// What a tunnel carries, and so which decoder its inner packet starts with (Suricata's DecodeTunnelProto).
public enum TunnelPayload: UInt8, Sendable {
    /// No tunnel.
    case none = 0
    /// An IPv4 packet (GRE 0x0800, IP-in-IP, Geneve).
    case ipv4
    /// An IPv6 packet (GRE 0x86dd, 6in4, IPv6-in-IPv6, Geneve).
    case ipv6
    /// An IPv6 packet found in UDP by the Teredo heuristic: dropped again when it does not decode cleanly.
    case teredo
    /// An Ethernet frame (GRE transparent bridging 0x6558, Geneve).
    case ethernet
    /// An Ethernet frame after a VXLAN header.
    case vxlan
    /// ERSPAN type I: an Ethernet frame directly after GRE (0x88be without a sequence number).
    case erspanTypeI
    /// ERSPAN type II: an 8-byte ERSPAN header, then an Ethernet frame.
    case erspanTypeII
    /// A PPP frame (PPTP's enhanced GRE).
    case ppp
    /// A VLAN tag then its ethertype (GRE 0x8100).
    case vlan
    /// ARP (GRE 0x0806): counted, not decoded further.
    case arp
}

/// The decoder that found a tunnel: the inner packet's EVE `pkt_src`.
public enum TunnelDecoder: UInt8, Sendable {
    case gre = 0
    case ipv4
    case ipv6
    case teredo
    case vxlan
    case geneve

    /// Suricata's PktSrcToString for packets of this decoder.
    public var packetSourceName: String {
        switch self {
        case .gre: return "gre tunnel"
        case .ipv4: return "ipv4 tunnel"
        case .ipv6: return "ipv6 tunnel"
        case .teredo: return "teredo tunnel"
        case .vxlan: return "vxlan encapsulation"
        case .geneve: return "geneve encapsulation"
        }
    }
}

/// A tunnel the decoder found in a packet: where its inner packet lies in the frame and how to decode it.
public struct PendingTunnel: Sendable, Equatable {
    /// What the tunnel carries; `.none` when the packet has no tunnel.
    public var payload: TunnelPayload = .none
    /// Which decoder found it.
    public var decoder: TunnelDecoder = .gre
    /// Frame offset of the inner packet.
    public var offset: Int = 0
    /// Bytes of the inner packet.
    public var length: Int = 0
    /// No tunnel.
    public init() {}
}

/// The outermost packet of a tunnel (Suricata's `p->root`), as an inner packet's EVE `tunnel` object names it.
public struct TunnelOrigin: Sendable, Equatable {
    /// The root packet's source address.
    public var source: IPAddress
    /// The root packet's destination address.
    public var destination: IPAddress
    /// The root packet's ports (0 unless TCP, UDP or SCTP).
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The root packet's IP protocol.
    public var proto: UInt8
    /// The root packet's number in its capture (`pcap_cnt`).
    public var packetNumber: UInt64

    /// The origin described by the root packet `root`.
    public init(root: Packet) {
        self.source = root.source
        self.destination = root.destination
        let ports =
            root.hasL4
            && (root.l4Protocol == IPProtocol.tcp || root.l4Protocol == IPProtocol.udp
                || root.l4Protocol == IPProtocol.sctp)
        self.sourcePort = ports ? root.sourcePort : 0
        self.destinationPort = ports ? root.destinationPort : 0
        self.proto = root.l4Protocol
        self.packetNumber = root.packetNumber
    }
}

/// Suricata's `decoder.*` settings for tunnels and layer recursion.
public struct DecoderSettings: Sendable, Equatable {
    /// `decoder.teredo.enabled`.
    public var teredoEnabled: Bool = true
    /// `decoder.teredo.ports`: empty means any UDP port (Suricata's `any`, its default).
    public var teredoPorts: [UInt16] = []
    /// `decoder.vxlan.enabled`.
    public var vxlanEnabled: Bool = true
    /// `decoder.vxlan.ports`: destination ports (at most 4).
    public var vxlanPorts: [UInt16] = [4789]
    /// `decoder.vxlan.reserved-bits-check: strict` (Suricata 9) refuses VXLAN headers with any reserved bit set;
    /// unset (Suricata 8.0's behaviour, the default here) or `permissive` checks the I flag and the last byte.
    public var vxlanStrictReservedBits: Bool = false
    /// `decoder.geneve.enabled`.
    public var geneveEnabled: Bool = true
    /// `decoder.geneve.ports`: source or destination ports (at most 4).
    public var genevePorts: [UInt16] = [6081]
    /// `decoder.max-layers`: decoded layers a packet and its tunnel parents may have (16).
    public var maxLayers: Int = 16

    /// Suricata's defaults.
    public init() {}

    /// True when Teredo detection runs on a UDP packet with these ports.
    @inlinable
    public func teredo(_ sourcePort: UInt16, _ destinationPort: UInt16) -> Bool {
        guard self.teredoEnabled else { return false }
        if self.teredoPorts.isEmpty { return true }
        return self.teredoPorts.contains(sourcePort) || self.teredoPorts.contains(destinationPort)
    }

    /// True when Geneve is looked for on a UDP packet with these ports.
    @inlinable
    public func geneve(_ sourcePort: UInt16, _ destinationPort: UInt16) -> Bool {
        self.geneveEnabled && (self.genevePorts.contains(sourcePort) || self.genevePorts.contains(destinationPort))
    }

    /// True when VXLAN is looked for on a UDP packet to this destination port.
    @inlinable
    public func vxlan(_ destinationPort: UInt16) -> Bool {
        self.vxlanEnabled && self.vxlanPorts.contains(destinationPort)
    }
}
