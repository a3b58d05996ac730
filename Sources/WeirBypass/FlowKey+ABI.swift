// SPDX-License-Identifier: MIT
import CWeirLinux
import WeirCore
import WeirDecode
import WeirFlow

/// A flow key in the kernel's layout: `weir_flow_key_v4` or `weir_flow_key_v6` from `weir_abi.h`.
public enum ABIFlowKey {
    /// An IPv4 key.
    case v4(weir_flow_key_v4)
    /// An IPv6 key.
    case v6(weir_flow_key_v6)

    /// The key's bytes exactly as the kernel hashes them.
    public var bytes: [UInt8] {
        switch self {
        case .v4(var key): return withUnsafeBytes(of: &key) { Array($0) }
        case .v6(var key): return withUnsafeBytes(of: &key) { Array($0) }
        }
    }
}

/// This file is the only place that converts between ``FlowKey`` and the kernel's key layout.
///
/// The kernel builds its key from the raw headers: addresses and ports as they are on the wire (network
/// order), endpoints ordered by (address, port) compared as unsigned big-endian numbers, VLAN ids masked
/// to 12 bits, ports only for TCP and UDP. `FlowKey.make(for:)` orders endpoints the same way (IPAddress
/// compares IPv4 as its host-order value and IPv6 as two big-endian words, which is the same order), so
/// `FlowKey.first` is the kernel's endpoint "a" and a packet whose source is `first` travels in direction
/// `WEIR_DIR_A_TO_B`.
extension FlowKey {
    /// The protocols the kernel programs key on; any other flow is never found in a flow table.
    public static func kernelKeysProtocol(_ proto: UInt8) -> Bool {
        proto == IPProtocol.tcp || proto == IPProtocol.udp || proto == IPProtocol.icmp
            || proto == IPProtocol.icmpv6
    }

    /// The key as the kernel table holds it, which ``init(abi:)`` gives back: an ICMPv4 flow's message types
    /// (in place of ports) are not part of it.
    public var kernelForm: FlowKey {
        guard self.proto == IPProtocol.icmp else { return self }
        var key = self
        key.firstPort = 0
        key.secondPort = 0
        return key
    }

    /// The kernel key for this flow, or nil when the kernel could never match it (mixed address families,
    /// a protocol other than TCP/UDP/ICMP/ICMPv6, ports on a protocol that has none in the kernel key, or a
    /// third VLAN id: the kernel key holds the outer two tags and its parser passes deeper frames up unlooked).
    public var abiKey: ABIFlowKey? {
        guard Self.kernelKeysProtocol(self.proto), self.vlan2 == 0 else { return nil }
        let hasPorts = self.proto == IPProtocol.tcp || self.proto == IPProtocol.udp
        // ICMPv4 flows hold their message types where ports would be; the kernel keys ICMP by address only.
        if !hasPorts && self.proto != IPProtocol.icmp && (self.firstPort != 0 || self.secondPort != 0) { return nil }
        let portA = hasPorts ? self.firstPort : 0
        let portB = hasPorts ? self.secondPort : 0
        // A FlowKey from outside FlowKey.make might not be normalised; the kernel would never build it.
        guard
            self.firstAddress < self.secondAddress
                || (self.firstAddress == self.secondAddress && portA <= portB)
        else { return nil }
        let vlanOuter = (self.vlan0 & 0x0fff).bigEndian
        let vlanInner = (self.vlan1 & 0x0fff).bigEndian
        switch (self.firstAddress.family, self.secondAddress.family) {
        case (.v4, .v4):
            var key = weir_flow_key_v4()
            key.addr_a = self.firstAddress.v4Value.bigEndian
            key.addr_b = self.secondAddress.v4Value.bigEndian
            key.port_a = portA.bigEndian
            key.port_b = portB.bigEndian
            key.vlan_outer = vlanOuter
            key.vlan_inner = vlanInner
            key.proto = self.proto
            return .v4(key)
        case (.v6, .v6):
            var key = weir_flow_key_v6()
            withUnsafeMutableBytes(of: &key.addr_a) { Self.store(self.firstAddress, into: $0) }
            withUnsafeMutableBytes(of: &key.addr_b) { Self.store(self.secondAddress, into: $0) }
            key.port_a = portA.bigEndian
            key.port_b = portB.bigEndian
            key.vlan_outer = vlanOuter
            key.vlan_inner = vlanInner
            key.proto = self.proto
            return .v6(key)
        default:
            return nil
        }
    }

    /// The IPv6 extension headers the kernel walks (hop-by-hop, routing, destination options, AH).
    static let kernelWalkedExtensions: UInt16 =
        IPv6ExtensionHeader.hopByHop.bit | IPv6ExtensionHeader.routing.bit
        | IPv6ExtensionHeader.destinationOptions.bit | IPv6ExtensionHeader.authentication.bit

    /// The kernel key for the flow of a decoded packet, applying the kernel parser's own limits: nil for
    /// fragments (atomic ones included), invalid packets, TCP/UDP whose header was not fully decoded, more
    /// than two VLAN tags (`WEIR_VLAN_MAX_DEPTH`; the decoder keeps three), IPv6 extension headers the kernel
    /// does not walk or more of them than it walks,
    /// and any packet the kernel would pass without a lookup. User space must not insert a key the kernel
    /// cannot hit (Suricata's weakness #9: such entries never match and leak).
    ///
    /// - Parameter frame: the frame the packet was decoded from; needed only to count a long IPv6
    ///   extension chain. Without it such packets are refused.
    /// - Returns: the key, and the direction (`WEIR_DIR_A_TO_B` or `WEIR_DIR_B_TO_A`) of this packet.
    public static func abiKey(
        for packet: Packet,
        frame: UnsafeRawBufferPointer? = nil
    ) -> (key: ABIFlowKey, direction: Int)? {
        guard packet.ipVersion == 4 || packet.ipVersion == 6, !packet.isFragment, !packet.isInvalid,
            packet.vlanCount <= UInt8(WEIR_VLAN_MAX_DEPTH)
        else {
            return nil
        }
        guard kernelKeysProtocol(packet.l4Protocol) else { return nil }
        if packet.ipVersion == 6 && packet.ipv6ExtensionHeaders != 0 {
            guard packet.ipv6ExtensionHeaders & ~kernelWalkedExtensions == 0 else { return nil }
            // Every extension header is at least 8 octets: a short chain cannot exceed the kernel's bound.
            if packet.ipHeaderLength - 40 > 8 * Int(WEIR_IPV6_EXT_MAX) {
                guard let frame, let count = ipv6ExtensionCount(frame, l3Offset: packet.l3Offset),
                    count <= Int(WEIR_IPV6_EXT_MAX)
                else { return nil }
            }
        }
        if packet.l4Protocol == IPProtocol.tcp || packet.l4Protocol == IPProtocol.udp {
            guard packet.hasL4 else { return nil }
        }
        let (flow, sourceIsFirst) = FlowKey.make(for: packet)
        guard let key = flow.abiKey else { return nil }
        return (key, sourceIsFirst ? Int(WEIR_DIR_A_TO_B) : Int(WEIR_DIR_B_TO_A))
    }

    /// Counts the extension headers after the IPv6 header at `l3Offset`, as the kernel walks them.
    static func ipv6ExtensionCount(_ frame: UnsafeRawBufferPointer, l3Offset: Int) -> Int? {
        guard l3Offset >= 0, l3Offset + 40 <= frame.count else { return nil }
        var next = frame[l3Offset + 6]
        var offset = l3Offset + 40
        var count = 0
        while next == 0 || next == 43 || next == 60 || next == 51 {
            guard offset + 2 <= frame.count else { return nil }
            let current = next
            let length = Int(frame[offset + 1])
            next = frame[offset]
            offset += current == 51 ? (length + 2) * 4 : (length + 1) * 8
            count += 1
            if count > Int(WEIR_IPV6_EXT_MAX) { return count }
        }
        return count
    }

    /// The flow a kernel IPv4 key stands for.
    public init(abi key: weir_flow_key_v4) {
        self.init(
            firstAddress: IPAddress(v4: UInt32(bigEndian: key.addr_a)),
            secondAddress: IPAddress(v4: UInt32(bigEndian: key.addr_b)),
            firstPort: UInt16(bigEndian: key.port_a),
            secondPort: UInt16(bigEndian: key.port_b),
            proto: key.proto,
            vlan0: UInt16(bigEndian: key.vlan_outer),
            vlan1: UInt16(bigEndian: key.vlan_inner)
        )
    }

    /// The flow a kernel IPv6 key stands for.
    public init(abi key: weir_flow_key_v6) {
        var key = key
        let first = withUnsafeBytes(of: &key.addr_a) { Self.load($0) }
        let second = withUnsafeBytes(of: &key.addr_b) { Self.load($0) }
        self.init(
            firstAddress: first,
            secondAddress: second,
            firstPort: UInt16(bigEndian: key.port_a),
            secondPort: UInt16(bigEndian: key.port_b),
            proto: key.proto,
            vlan0: UInt16(bigEndian: key.vlan_outer),
            vlan1: UInt16(bigEndian: key.vlan_inner)
        )
    }

    /// The flow a kernel key stands for (never a third VLAN id: the kernel key has no room for one).
    public init(abi key: ABIFlowKey) {
        switch key {
        case .v4(let k): self.init(abi: k)
        case .v6(let k): self.init(abi: k)
        }
    }

    private static func store(_ address: IPAddress, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
    }

    private static func load(_ buffer: UnsafeRawBufferPointer) -> IPAddress {
        IPAddress(
            v6High: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            low: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        )
    }
}

extension Flow {
    /// The key the kernel programs build for this flow's frames, which user space inserts, looks up and removes:
    /// the flow's key with the VLAN tags of its first packet (the key holds none when `vlan.use-for-tracking` is
    /// off; a flow made outside a flow table records none and keeps its key's).
    ///
    /// `nil` when those frames carry more tags than the kernel key and parser hold (`WEIR_VLAN_MAX_DEPTH`, two):
    /// the kernel passes such frames up without a lookup, so the flow is bypassed in the worker instead. With
    /// tracking off, frames of the flow on other VLANs miss the entry and reach user space, which counts them
    /// in the same flow.
    public var kernelKey: FlowKey? {
        guard self.vlanCount <= UInt8(WEIR_VLAN_MAX_DEPTH) else { return nil }
        guard self.vlanCount > 0 else { return self.key }
        var key = self.key
        key.vlan0 = self.vlanIDs.0
        key.vlan1 = self.vlanIDs.1
        key.vlan2 = 0
        return key
    }
}
