// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode

/// The identity of a bidirectional flow: both endpoints, the transport protocol and the VLAN ids.
///
/// The VLAN ids are the packet's three (Suricata's `VLAN_MAX_LAYERS`), or all zero when `vlan.use-for-tracking`
/// is off (the flow table clears them: Suricata's `g_vlan_mask`); the flow keeps the tags it saw first in
/// ``Flow/vlanIDs`` either way, for its records.
///
/// The key is direction-normalised: packets in both directions of one conversation produce the same key.
/// The endpoint that sorts first (address, then port) is stored as `first`; ``init(packet:)`` reports which
/// side the packet came from. ICMPv4 flows hold ICMP types where ports would be: the packet source's side gets
/// the packet's type, the other side the type's request/reply counterpart (0 when it has none), so an echo
/// request and its reply meet in one flow while other ICMP messages between the same hosts are flows of their
/// own, as Suricata compares ICMPv4 flows. ICMPv6 flows use port 0 on both sides (Suricata keys them by
/// address only).
public struct FlowKey: Hashable, Sendable {
    public var firstAddress: IPAddress
    public var secondAddress: IPAddress
    public var firstPort: UInt16
    public var secondPort: UInt16
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …).
    public var proto: UInt8
    /// VLAN ids, outermost first (0 when absent). `vlan2` and `depth` fill what was padding: the key stays at
    /// 56 bytes.
    public var vlan0: UInt16
    public var vlan1: UInt16
    public var vlan2: UInt16
    /// Tunnel depth of the flow's packets (0 outside any tunnel), as Suricata's `recursion_level` in its flow
    /// hash: an inner flow never merges with an outer one of the same addresses.
    public var depth: UInt8

    /// Builds the normalised key for a decoded packet.
    ///
    /// - Returns: the key, and `true` when the packet's source is the key's `first` endpoint.
    /// Always inlined into the flow table's per-packet lookup, where the call cost about 30 instructions a packet.
    @inlinable @inline(__always)
    public static func make(for packet: Packet) -> (key: FlowKey, sourceIsFirst: Bool) {
        // SCTP flows are told apart by their ports too (Suricata compares a flow's ports for every protocol).
        let usePorts =
            packet.hasL4
            && (packet.l4Protocol == IPProtocol.tcp || packet.l4Protocol == IPProtocol.udp
                || packet.l4Protocol == IPProtocol.sctp)
        var sp: UInt16 = usePorts ? packet.sourcePort : 0
        var dp: UInt16 = usePorts ? packet.destinationPort : 0
        if packet.hasL4 && packet.l4Protocol == IPProtocol.icmp {
            sp = UInt16(packet.icmpType)
            dp = UInt16(ICMPMessage.counterpart(of: packet.icmpType, ipProtocol: IPProtocol.icmp) ?? 0)
        }
        if packet.hasL4 && packet.l4Protocol == IPProtocol.esp {
            // An ESP security association goes one way: its flow is its SPI from this source to this destination
            // (Suricata's FlowCompareESP), never the reverse direction's. The key is not reordered.
            let key = FlowKey(
                firstAddress: packet.source, secondAddress: packet.destination, firstPort: packet.sourcePort,
                secondPort: packet.destinationPort, proto: IPProtocol.esp, vlan0: packet.vlanIDs.0,
                vlan1: packet.vlanIDs.1, vlan2: packet.vlanIDs.2, depth: packet.tunnelDepth)
            return (key, true)
        }
        return Self.normalised(
            source: packet.source, sourcePort: sp, destination: packet.destination, destinationPort: dp,
            proto: packet.l4Protocol, of: packet)
    }

    /// The key of the flow an ICMPv4 destination unreachable belongs to: the quoted packet's flow.
    @inlinable
    public static func make(quoted: ICMPQuotedFlow, of packet: Packet) -> (key: FlowKey, sourceIsFirst: Bool) {
        Self.normalised(
            source: quoted.source, sourcePort: quoted.sourcePort, destination: quoted.destination,
            destinationPort: quoted.destinationPort, proto: quoted.proto, of: packet)
    }

    /// The key of a conversation between two endpoints, the one that sorts first (address, then port) stored
    /// as `first`, with `packet`'s VLAN ids and tunnel depth.
    @inlinable
    static func normalised(
        source: IPAddress, sourcePort sp: UInt16, destination: IPAddress, destinationPort dp: UInt16, proto: UInt8,
        of packet: Packet
    ) -> (key: FlowKey, sourceIsFirst: Bool) {
        let sourceFirst = source < destination || (source == destination && sp <= dp)
        let key = FlowKey(
            firstAddress: sourceFirst ? source : destination,
            secondAddress: sourceFirst ? destination : source,
            firstPort: sourceFirst ? sp : dp,
            secondPort: sourceFirst ? dp : sp,
            proto: proto,
            vlan0: packet.vlanIDs.0,
            vlan1: packet.vlanIDs.1,
            vlan2: packet.vlanIDs.2,
            depth: packet.tunnelDepth
        )
        return (key, sourceFirst)
    }

    /// The key without its VLAN ids: what the flow table compares when `vlan.use-for-tracking` is off.
    @inlinable
    public var withoutVLANs: FlowKey {
        var key = self
        key.vlan0 = 0
        key.vlan1 = 0
        key.vlan2 = 0
        return key
    }

    /// ICMPv4 error messages (unreachable, source quench, redirect, time exceeded, parameter problem): they
    /// never start a flow; a destination unreachable quoting TCP or UDP joins the quoted packet's flow.
    @inlinable
    public static func isICMPv4Error(_ type: UInt8) -> Bool {
        type == 3 || type == 4 || type == 5 || type == 11 || type == 12
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
        vlan2: UInt16 = 0,
        depth: UInt8 = 0
    ) {
        self.firstAddress = firstAddress
        self.secondAddress = secondAddress
        self.firstPort = firstPort
        self.secondPort = secondPort
        self.proto = proto
        self.vlan0 = vlan0
        self.vlan1 = vlan1
        self.vlan2 = vlan2
        self.depth = depth
    }
}
