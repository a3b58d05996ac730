// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode

/// The identity of a bidirectional flow: both endpoints, the transport protocol and the VLAN ids.
///
/// The key is direction-normalised: packets in both directions of one conversation produce the same key.
/// The endpoint that sorts first (address, then port) is stored as `first`; ``init(packet:)`` reports which
/// side the packet came from. ICMP flows use port 0 on both sides.
public struct FlowKey: Hashable, Sendable {
    public var firstAddress: IPAddress
    public var secondAddress: IPAddress
    public var firstPort: UInt16
    public var secondPort: UInt16
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …).
    public var proto: UInt8
    /// Outer and inner VLAN ids (0 when absent).
    public var vlan0: UInt16
    public var vlan1: UInt16
    /// Tunnel depth of the flow's packets (0 outside any tunnel), as Suricata's `recursion_level` in its flow
    /// hash: an inner flow never merges with an outer one of the same addresses.
    public var depth: UInt8

    /// Builds the normalised key for a decoded packet.
    ///
    /// - Returns: the key, and `true` when the packet's source is the key's `first` endpoint.
    @inlinable
    public static func make(for packet: Packet) -> (key: FlowKey, sourceIsFirst: Bool) {
        let usePorts = packet.hasL4 && (packet.l4Protocol == IPProtocol.tcp || packet.l4Protocol == IPProtocol.udp)
        let sp: UInt16 = usePorts ? packet.sourcePort : 0
        let dp: UInt16 = usePorts ? packet.destinationPort : 0
        let sourceFirst = packet.source < packet.destination || (packet.source == packet.destination && sp <= dp)
        let key = FlowKey(
            firstAddress: sourceFirst ? packet.source : packet.destination,
            secondAddress: sourceFirst ? packet.destination : packet.source,
            firstPort: sourceFirst ? sp : dp,
            secondPort: sourceFirst ? dp : sp,
            proto: packet.l4Protocol,
            vlan0: packet.vlanCount > 0 ? packet.vlanIDs.0 : 0,
            vlan1: packet.vlanCount > 1 ? packet.vlanIDs.1 : 0,
            depth: packet.tunnelDepth
        )
        return (key, sourceFirst)
    }

    @inlinable
    public init(
        firstAddress: IPAddress,
        secondAddress: IPAddress,
        firstPort: UInt16,
        secondPort: UInt16,
        proto: UInt8,
        vlan0: UInt16 = 0,
        vlan1: UInt16 = 0,
        depth: UInt8 = 0
    ) {
        self.firstAddress = firstAddress
        self.secondAddress = secondAddress
        self.firstPort = firstPort
        self.secondPort = secondPort
        self.proto = proto
        self.vlan0 = vlan0
        self.vlan1 = vlan1
        self.depth = depth
    }
}
