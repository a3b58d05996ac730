// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode

/// A packet-header sticky buffer: `ipv4.hdr`, `ipv6.hdr`, `tcp.hdr`, `udp.hdr`, `icmpv4.hdr` or `icmpv6.hdr`.
///
/// These buffers hold the raw bytes of one decoded header of the current packet, as Suricata 8 defines them, so
/// that `content`, `byte_test`, `isdataat`, `bsize` … can look at header fields no dedicated keyword covers (TCP
/// options, IPv4 options, reserved bits). They are packet buffers, not app-layer ones: built from the frame for
/// every inspected packet (with or without a flow), never per transaction, and only when a loaded rule reads
/// them. The bytes are a slice of the frame, nothing is copied.
///
/// A packet has the buffer only when the decoder accepted that layer, and only when the whole header lies in the
/// captured bytes; otherwise the buffer is absent and a rule that needs it does not match.
public enum PacketHeaderBuffer: UInt8, CaseIterable, Sendable {
    /// `ipv4.hdr`: the IPv4 header with its options (IHL × 4 bytes).
    case ipv4
    /// `ipv6.hdr`: the 40-byte IPv6 header and the extension headers decoded after it (for a fragment, the ones
    /// before its fragment header).
    case ipv6
    /// `tcp.hdr`: the TCP header with its options (data offset × 4 bytes).
    case tcp
    /// `udp.hdr`: the 8-byte UDP header.
    case udp
    /// `icmpv4.hdr`: the 8-byte ICMPv4 header, extended by the fields Suricata counts as header: the 12 bytes
    /// of timestamps of a timestamp request or reply, the address entries of a router advertisement.
    case icmpv4
    /// `icmpv6.hdr`: the 8-byte ICMPv6 header.
    case icmpv6

    /// The buffer a sticky-buffer name stands for; `nil` for every other name (including header buffers Weir
    /// does not serve: `igmp.hdr`, `sctp.hdr`, `ether.hdr`).
    public init?(name: String) {
        switch name {
        case "ipv4.hdr": self = .ipv4
        case "ipv6.hdr": self = .ipv6
        case "tcp.hdr": self = .tcp
        case "udp.hdr": self = .udp
        case "icmpv4.hdr": self = .icmpv4
        case "icmpv6.hdr": self = .icmpv6
        default: return nil
        }
    }

    /// The sticky-buffer name rules use.
    public var name: String {
        switch self {
        case .ipv4: "ipv4.hdr"
        case .ipv6: "ipv6.hdr"
        case .tcp: "tcp.hdr"
        case .udp: "udp.hdr"
        case .icmpv4: "icmpv4.hdr"
        case .icmpv6: "icmpv6.hdr"
        }
    }

    /// The header's bytes as a slice of `frame`, or `nil` when the packet has no such header (another protocol,
    /// a fragment without its transport header, a layer the decoder rejected) or it does not fit in `frame`.
    ///
    /// - Parameters:
    ///   - packet: The decoded packet; its offsets point into `frame`.
    ///   - frame: The frame the packet was decoded from (empty for pseudo packets, which have no headers).
    public func bytes(of packet: borrowing Packet, in frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let range = self.range(of: packet, in: frame) else { return nil }
        return UnsafeRawBufferPointer(rebasing: frame[range])
    }

    /// The frame range of the header (see ``bytes(of:in:)``), checked to lie within `frame`.
    func range(of packet: borrowing Packet, in frame: UnsafeRawBufferPointer) -> Range<Int>? {
        let start: Int
        let length: Int
        switch self {
        case .ipv4:
            guard packet.ipVersion == 4 else { return nil }
            start = packet.l3Offset
            length = packet.ipHeaderLength
        case .ipv6:
            guard packet.ipVersion == 6 else { return nil }
            start = packet.l3Offset
            // The decoder counts a fragment's own fragment header in the header length; Suricata's buffer ends
            // before it (the extension-header length it records stops at the fragment header).
            length = packet.isFragment ? packet.ipHeaderLength - 8 : packet.ipHeaderLength
        case .tcp:
            guard packet.isTCP else { return nil }
            start = packet.l4Offset
            length = packet.tcpHeaderLength
        case .udp:
            guard packet.isUDP else { return nil }
            start = packet.l4Offset
            length = 8
        case .icmpv4:
            guard packet.ipVersion == 4, packet.hasL4, packet.l4Protocol == IPProtocol.icmp else { return nil }
            start = packet.l4Offset
            length = Self.icmpv4HeaderLength(packet, in: frame)
        case .icmpv6:
            guard packet.ipVersion == 6, packet.hasL4, packet.l4Protocol == IPProtocol.icmpv6 else { return nil }
            start = packet.l4Offset
            length = 8
        }
        guard start >= 0, length > 0, start <= frame.count, length <= frame.count - start else { return nil }
        return start..<start + length
    }

    /// The ICMPv4 header length as Suricata's decoder counts it: 8 bytes, plus the originate, receive and
    /// transmit timestamps (12 bytes) of a timestamp request or reply (types 13, 14), plus the address entries
    /// (count × entry size in 32-bit words × 4) of a router advertisement (type 9); each extension only when the
    /// message is long enough to hold it.
    static func icmpv4HeaderLength(_ packet: borrowing Packet, in frame: UnsafeRawBufferPointer) -> Int {
        let start = packet.l4Offset
        // The message: from the ICMP header to the end of the IP payload the decoder accepted.
        let messageLength = packet.payloadOffset + packet.payloadLength - start
        switch packet.icmpType {
        case 13, 14:
            return messageLength >= 8 + 12 ? 8 + 12 : 8
        case 9:
            // The address count and entry size are bytes 4 and 5 (every ICMPv4 message the decoder accepts has 8).
            guard start >= 0, start + 6 <= frame.count else { return 8 }
            let entries = Int(frame[start + 4]) * Int(frame[start + 5]) * 4
            return messageLength >= 8 + entries ? 8 + entries : 8
        default:
            return 8
        }
    }
}
