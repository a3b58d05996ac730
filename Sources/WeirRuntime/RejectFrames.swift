// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode

/// Builds the frames an inline `reject` sends: a TCP reset, or for other protocols an ICMP / ICMPv6
/// destination unreachable (port unreachable), as Suricata's respond-reject does.
///
/// The reset follows RFC 9293 (and Linux's nf_reject): to a segment that carried an ACK, a bare RST whose
/// sequence number is that ACK; otherwise RST|ACK acknowledging the segment (its payload, SYN and FIN
/// counted). The link header is the packet's own (VLAN tags included), with the MAC addresses swapped when
/// the answer goes back to the source.
enum RejectFrames {
    /// The reply to `packet` (decoded from `frame`) towards its source, or towards its destination when
    /// `toSource` is false (then the reset looks as if the source sent it). Nil when the packet is not IP or
    /// is an ICMP error itself (never answered) or when an unreachable would go to the destination.
    static func build(frame: UnsafeRawBufferPointer, packet: Packet, toSource: Bool) -> [UInt8]? {
        guard packet.l3Offset >= 0, packet.hasL4, packet.ipVersion == 4 || packet.ipVersion == 6 else { return nil }
        var out: [UInt8] = Array(frame[0..<packet.l3Offset])
        if toSource && packet.linkType == .ethernet && out.count >= 12 {
            for i in 0..<6 { out.swapAt(i, i + 6) }
        }
        let (from, to) = toSource ? (packet.destination, packet.source) : (packet.source, packet.destination)
        if packet.isTCP {
            return out + Self.ip(packet.ipVersion, from: from, to: to, proto: IPProtocol.tcp, payload: Self.reset(packet, toSource: toSource, from: from, to: to))
        }
        // ICMP errors answer the source only, and never another ICMP error.
        guard toSource else { return nil }
        if packet.ipVersion == 4 {
            if packet.l4Protocol == IPProtocol.icmp && ![0, 8, 13, 15, 17].contains(packet.icmpType) { return nil }
            // RFC 792: the original IP header and the first 8 bytes of its payload.
            let quoted = Array(frame[packet.l3Offset..<min(frame.count, packet.l3Offset + packet.ipHeaderLength + 8)])
            var icmp: [UInt8] = [3, packet.isUDP ? 3 : 2, 0, 0, 0, 0, 0, 0] + quoted
            let sum = Self.checksum(icmp)
            icmp[2] = UInt8(sum >> 8)
            icmp[3] = UInt8(sum & 0xff)
            return out + Self.ip(4, from: from, to: to, proto: IPProtocol.icmp, payload: icmp)
        }
        if packet.l4Protocol == IPProtocol.icmpv6 && packet.icmpType < 128 { return nil }
        // RFC 4443: as much of the original as fits in a minimum-MTU packet.
        let quoted = Array(frame[packet.l3Offset..<min(frame.count, packet.l3Offset + 1280 - 48)])
        var icmp: [UInt8] = [1, packet.isUDP ? 4 : 1, 0, 0, 0, 0, 0, 0] + quoted
        let sum = Self.checksum(Self.pseudoHeader(from: from, to: to, proto: IPProtocol.icmpv6, length: icmp.count) + icmp)
        icmp[2] = UInt8(sum >> 8)
        icmp[3] = UInt8(sum & 0xff)
        return out + Self.ip(6, from: from, to: to, proto: IPProtocol.icmpv6, payload: icmp)
    }

    /// The 20-byte TCP reset, its checksum filled in.
    static func reset(_ packet: Packet, toSource: Bool, from: IPAddress, to: IPAddress) -> [UInt8] {
        let flags = packet.tcpFlags
        let syn: UInt32 = flags & 0x02 != 0 ? 1 : 0
        let fin: UInt32 = flags & 0x01 != 0 ? 1 : 0
        let end = packet.tcpSequence &+ UInt32(packet.payloadLength) &+ syn &+ fin
        let hasAck = flags & 0x10 != 0
        let (sport, dport) =
            toSource ? (packet.destinationPort, packet.sourcePort) : (packet.sourcePort, packet.destinationPort)
        let seq: UInt32
        let ack: UInt32
        let resetFlags: UInt8
        if toSource {
            (seq, ack, resetFlags) = hasAck ? (packet.tcpAcknowledgement, 0, 0x04) : (0, end, 0x14)
        } else {
            // As the source would continue: its next sequence number, acknowledging what it acknowledged.
            (seq, ack, resetFlags) = hasAck ? (end, packet.tcpAcknowledgement, 0x14) : (end, 0, 0x04)
        }
        var tcp: [UInt8] = Self.be16(sport) + Self.be16(dport) + Self.be32(seq) + Self.be32(ack)
        tcp += [0x50, resetFlags, 0, 0, 0, 0, 0, 0]
        let sum = Self.checksum(Self.pseudoHeader(from: from, to: to, proto: IPProtocol.tcp, length: tcp.count) + tcp)
        tcp[16] = UInt8(sum >> 8)
        tcp[17] = UInt8(sum & 0xff)
        return tcp
    }

    /// An IPv4 (with its header checksum) or IPv6 header and `payload`.
    static func ip(_ version: UInt8, from: IPAddress, to: IPAddress, proto: UInt8, payload: [UInt8]) -> [UInt8] {
        if version == 4 {
            var header: [UInt8] = [0x45, 0] + Self.be16(UInt16(20 + payload.count)) + [0, 0, 0x40, 0, 64, proto, 0, 0]
            header += from.bytes + to.bytes
            let sum = Self.checksum(header)
            header[10] = UInt8(sum >> 8)
            header[11] = UInt8(sum & 0xff)
            return header + payload
        }
        return [0x60, 0, 0, 0] + Self.be16(UInt16(payload.count)) + [proto, 64] + from.bytes + to.bytes + payload
    }

    /// The pseudo header of a transport checksum (IPv4 or IPv6, by the addresses' family).
    static func pseudoHeader(from: IPAddress, to: IPAddress, proto: UInt8, length: Int) -> [UInt8] {
        if from.isIPv4 { return from.bytes + to.bytes + [0, proto] + Self.be16(UInt16(length)) }
        return from.bytes + to.bytes + Self.be32(UInt32(length)) + [0, 0, 0, proto]
    }

    /// The Internet checksum of `bytes` (RFC 1071, the decoder's own ``InternetChecksum``), as the value whose
    /// high byte is stored first.
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        let sum = bytes.withUnsafeBytes { InternetChecksum.partialSum($0, offset: 0, length: $0.count) }
        return InternetChecksum.checksum(ofSum: sum)
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
}
