// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow

/// How `flags` and `fragbits` compare the packet's bits with the rule's (Suricata's modifiers).
package enum BitsModifier: Sendable, Equatable {
    /// No modifier: exactly these bits (after the ignore mask).
    case exact
    /// `+`: these bits, and possibly others.
    case all
    /// `*`: any of these bits.
    case any
    /// `!`: not exactly these bits (Suricata: none of them set).
    case not
}

/// `flags` / `fragbits`: a bit set with a modifier and, for `flags`, a mask of bits to ignore.
package struct BitsCondition: Sendable, Equatable {
    /// The bits the rule names.
    package var bits: UInt8
    /// The comparison.
    package var modifier: BitsModifier
    /// Bits cleared from the packet's value before comparing (`flags:SA,CE` ignores CWR and ECE).
    package var ignore: UInt8 = 0

    /// Makes a condition.
    package init(bits: UInt8, modifier: BitsModifier = .exact, ignore: UInt8 = 0) {
        self.bits = bits
        self.modifier = modifier
        self.ignore = ignore
    }

    /// Whether the packet's `value` satisfies the condition (Suricata's `detect-tcp-flags.c` logic).
    @inline(__always)
    package func matches(_ value: UInt8) -> Bool {
        let v = value & ~self.ignore
        switch self.modifier {
        case .exact: return v == self.bits
        case .all: return v & self.bits == self.bits
        case .any: return v & self.bits != 0 || (self.bits == 0 && v == 0)
        case .not: return v & self.bits != self.bits || (self.bits == 0 && v != 0)
        }
    }
}

/// A condition on decoded header fields; evaluated before any payload keyword.
package enum HeaderCheck: Sendable, Equatable {
    case ttl(UIntCondition)
    /// `tos`, optionally negated.
    case tos(UInt8, negated: Bool)
    case dsize(UIntCondition)
    /// `flags` (TCP only).
    case tcpFlags(BitsCondition)
    /// `fragbits` over (reserved 0x4, DF 0x2, MF 0x1).
    case fragbits(BitsCondition)
    /// `fragoffset`: -1 less than, 0 equal, 1 greater than the value.
    case fragOffset(comparison: Int8, UInt16)
    /// `ipopts`: one IPv4 option by its bit in ``Packet/ipv4Options``, or any option.
    case ipOption(mask: UInt32)
    case itype(UIntCondition)
    case icode(UIntCondition)
    case icmpID(UIntCondition)
    case icmpSequence(UIntCondition)
    /// `decode-event`: the decoder raised this event on the packet.
    case decodeEvent(DecodeEvent)
    /// `ip_proto`.
    case ipProto(UIntCondition)
    /// `sameip`.
    case sameIP
    /// `window` as `[!]n` (legacy form).
    case tcpWindow(UInt16, negated: Bool)
    /// `window` / `tcp.window` through the integer comparison.
    case tcpWindowSize(UIntCondition)
    /// `ack` / `tcp.ack`.
    case tcpAck(UIntCondition)
    /// `seq` / `tcp.seq`.
    case tcpSeq(UIntCondition)
    /// `tcp.mss`: the SYN's MSS option (no match without the option).
    case tcpMSS(UIntCondition)
    /// `vlan.id`: the packet's VLAN ids.
    case vlanID(VLANIDCondition)
    /// `vlan.layers`: how many VLAN tags the packet has (0 for an untagged one).
    case vlanLayers(UIntCondition)

    /// Whether `packet` satisfies the check.
    @inline(__always)
    package func matches(_ packet: Packet) -> Bool {
        switch self {
        case .ttl(let c): return packet.ipVersion != 0 && c.matches(UInt64(packet.ttl))
        case .tos(let value, let negated): return packet.ipVersion == 4 && (packet.tos == value) != negated
        case .dsize(let c):
            // Suricata: dsize never matches a packet without a decoded transport layer's payload notion.
            return packet.ipVersion != 0 && c.matches(UInt64(packet.payloadLength))
        case .tcpFlags(let c): return packet.isTCP && c.matches(packet.tcpFlags)
        case .fragbits(let c): return packet.ipVersion == 4 && c.matches(packet.ipFlags)
        case .fragOffset(let comparison, let value):
            // Suricata reads IPv4's field in 8-byte units and IPv6's fragment header offset in bytes.
            let offset: Int
            if packet.ipVersion == 4 {
                offset = packet.fragmentOffset >> 3
            } else if packet.ipVersion == 6 && packet.ipv6ExtensionHeaders & IPv6ExtensionHeader.fragment.bit != 0 {
                offset = packet.fragmentOffset
            } else {
                return false
            }
            switch comparison {
            case -1: return offset < Int(value)
            case 1: return offset > Int(value)
            default: return offset == Int(value)
            }
        case .ipOption(let mask): return packet.ipVersion == 4 && packet.ipv4Options & mask != 0
        case .itype(let c): return Self.isICMP(packet) && c.matches(UInt64(packet.icmpType))
        case .icode(let c): return Self.isICMP(packet) && c.matches(UInt64(packet.icmpCode))
        case .icmpID(let c):
            return Self.isICMP(packet) && packet.icmpHasIDAndSequence && c.matches(UInt64(packet.icmpID))
        case .icmpSequence(let c):
            return Self.isICMP(packet) && packet.icmpHasIDAndSequence && c.matches(UInt64(packet.icmpSequence))
        case .decodeEvent(let event): return packet.events.contains(event)
        case .ipProto(let c): return packet.ipVersion != 0 && c.matches(UInt64(packet.l4Protocol))
        case .sameIP: return packet.ipVersion != 0 && packet.source == packet.destination
        case .tcpWindow(let value, let negated): return packet.isTCP && (packet.tcpWindow == value) != negated
        case .tcpWindowSize(let c): return packet.isTCP && c.matches(UInt64(packet.tcpWindow))
        case .tcpAck(let c): return packet.isTCP && c.matches(UInt64(packet.tcpAcknowledgement))
        case .tcpSeq(let c): return packet.isTCP && c.matches(UInt64(packet.tcpSequence))
        case .tcpMSS(let c):
            guard packet.isTCP, let mss = packet.tcpOptions.mss else { return false }
            return c.matches(UInt64(mss))
        case .vlanID(let c): return c.matches(packet)
        case .vlanLayers(let c): return c.matches(UInt64(packet.vlanCount))
        }
    }

    @inline(__always)
    static func isICMP(_ packet: Packet) -> Bool {
        packet.hasL4 && (packet.l4Protocol == IPProtocol.icmp || packet.l4Protocol == IPProtocol.icmpv6)
    }
}

/// `vlan.id`: an id comparison on one VLAN layer, on any or on all, as Suricata 8's `detect-vlan.c` evaluates it.
package struct VLANIDCondition: Sendable, Equatable {
    /// The layers compared.
    package enum Layer: Sendable, Equatable {
        case any, all
        /// 0 is the outermost tag; negative indexes count from the innermost (-1).
        case index(Int8)
    }

    /// The id comparison.
    package var condition: UIntCondition
    /// The layers compared.
    package var layer: Layer

    /// Makes a condition.
    package init(_ condition: UIntCondition, layer: Layer) {
        self.condition = condition
        self.layer = layer
    }

    /// Whether the packet's VLAN ids satisfy the condition. An untagged packet never does, whatever the
    /// comparison (`!200` included). A negative index past the outermost tag does not match. A positive index
    /// beyond the tags does not match either, except the one right after the last tag: Suricata reads that
    /// empty slot, id 0 (`vlan.id:0,1` matches a packet with one tag).
    @inline(__always)
    package func matches(_ packet: Packet) -> Bool {
        let count = Int(packet.vlanCount)
        guard count > 0 else { return false }
        switch self.layer {
        case .any:
            for index in 0..<count where self.condition.matches(UInt64(packet.vlanID(at: index))) { return true }
            return false
        case .all:
            for index in 0..<count where !self.condition.matches(UInt64(packet.vlanID(at: index))) { return false }
            return true
        case .index(let layer):
            let index = layer < 0 ? count + Int(layer) : Int(layer)
            guard index >= 0, index <= count else { return false }
            return self.condition.matches(UInt64(packet.vlanID(at: index)))
        }
    }
}

/// `flow.age`, `flow.pkts*`, `flow.bytes*`: a comparison on the flow's counters (this packet included).
package struct FlowValueCheck: Sendable, Equatable {
    /// The counter compared.
    package enum Field: Sendable, Equatable {
        /// Seconds since the flow's first packet.
        case age
        case packets, bytes, packetsToServer, packetsToClient, bytesToServer, bytesToClient
        /// One direction's counter or the other's (`either`).
        case packetsEither, bytesEither
    }
    /// The counter compared.
    package var field: Field
    /// The comparison.
    package var condition: UIntCondition

    /// Makes a check.
    package init(field: Field, condition: UIntCondition) {
        self.field = field
        self.condition = condition
    }

    /// Whether `flow` satisfies the check at packet time `now`.
    package func matches(_ flow: Flow, now: Timestamp) -> Bool {
        let value: UInt64
        switch self.field {
        case .age: value = UInt64(max(0, now.seconds - flow.start.seconds))
        case .packets: value = flow.packetsToServer + flow.packetsToClient
        case .bytes: value = flow.bytesToServer + flow.bytesToClient
        case .packetsToServer: value = flow.packetsToServer
        case .packetsToClient: value = flow.packetsToClient
        case .bytesToServer: value = flow.bytesToServer
        case .bytesToClient: value = flow.bytesToClient
        case .packetsEither:
            return self.condition.matches(flow.packetsToClient) || self.condition.matches(flow.packetsToServer)
        case .bytesEither:
            return self.condition.matches(flow.bytesToClient) || self.condition.matches(flow.bytesToServer)
        }
        return self.condition.matches(value)
    }
}

/// The `flow` keyword's options.
package struct FlowCondition: Sendable, Equatable {
    /// `to_server`/`from_client`.
    package var toServer = false
    /// `to_client`/`from_server`.
    package var toClient = false
    /// `established`.
    package var established = false
    /// `not_established`.
    package var notEstablished = false
    /// `stateless`: matches whatever the state.
    package var stateless = false
    /// `only_stream`: reassembled stream data only.
    package var onlyStream = false
    /// `no_stream`: packets only, never reassembled data.
    package var noStream = false
    /// `only_frag` / `no_frag`.
    package var onlyFragment = false
    /// `no_frag`.
    package var noFragment = false

    /// No option set.
    package init() {}
}

/// An address set as sorted, merged closed ranges (IPv4 before IPv6 by ``IPAddress`` ordering), searched by
/// bisection: block-list rules with hundreds of entries cost a few comparisons per packet.
package struct AddressMatcher: Sendable, Equatable {
    /// Inclusive ranges, sorted by lower bound, non-overlapping and non-adjacent.
    package private(set) var ranges: [ClosedRange<IPAddress>]
    /// True when the set is every address (no check needed).
    package var isAny: Bool

    /// Every address.
    package static let any = AddressMatcher(ranges: [], isAny: true)

    /// Makes a matcher; ranges are sorted and merged.
    package init(ranges: [ClosedRange<IPAddress>], isAny: Bool = false) {
        self.isAny = isAny
        var merged: [ClosedRange<IPAddress>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, last.upperBound.family == range.lowerBound.family,
                range.lowerBound <= last.upperBound
            {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        self.ranges = merged
    }

    /// Whether `address` is in the set: one bisection.
    @inline(__always)
    package func contains(_ address: IPAddress) -> Bool {
        if self.isAny { return true }
        // The last range whose lower bound is ≤ address is the only candidate.
        var low = 0
        var high = self.ranges.count
        while low < high {
            let mid = (low + high) >> 1
            if self.ranges[mid].lowerBound <= address { low = mid + 1 } else { high = mid }
        }
        return low > 0 && address <= self.ranges[low - 1].upperBound
    }
}

/// A port set as closed ranges.
package struct PortMatcher: Sendable, Equatable {
    /// Inclusive port ranges.
    package var ranges: [ClosedRange<UInt16>]
    /// True when every port matches.
    package var isAny: Bool

    /// Every port.
    package static let any = PortMatcher(ranges: [], isAny: true)

    /// Makes a matcher.
    package init(ranges: [ClosedRange<UInt16>], isAny: Bool = false) {
        self.ranges = ranges
        self.isAny = isAny
    }

    /// Whether `port` is in the set.
    @inline(__always)
    package func contains(_ port: UInt16) -> Bool {
        if self.isAny { return true }
        for range in self.ranges where range.contains(port) { return true }
        return false
    }

    /// The individual ports when the set is small enough to index by port, else `nil`.
    package func enumerated(limit: Int) -> [UInt16]? {
        if self.isAny { return nil }
        var ports: [UInt16] = []
        for range in self.ranges {
            if range.count + ports.count > limit { return nil }
            ports.append(contentsOf: range)
        }
        return ports
    }
}
