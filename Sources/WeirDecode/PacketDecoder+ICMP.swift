// SPDX-License-Identifier: MIT
import WeirCore

extension PacketDecoder {
    /// Decodes an ICMPv4 message (RFC 792 and successors) of `length` bytes.
    ///
    /// Fewer than 8 bytes is `icmpv4.pkt_too_small` (invalid). Types outside the ones Suricata knows raise
    /// `icmpv4.unknown_type`, codes outside a type's range `icmpv4.unknown_code`. Error messages (unreachable,
    /// redirect, time exceeded, parameter problem, source quench) quote the offending IPv4 header, which must be
    /// there (`icmpv4.ipv4_trunc_pkt`) and be version 4 (`icmpv4.ipv4_unknown_ver`); both are invalid events.
    mutating func decodeICMPv4(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.icmpv4 &+= 1
        guard self.decodeICMPHeader(frame, offset: offset, length: length, tooSmall: .icmpv4PktTooSmall, into: &packet)
        else { return }
        let type = packet.icmpType
        let code = packet.icmpCode

        switch type {
        case 0, 8, 13, 14, 15, 16, 17, 18:
            // Echo, timestamp, information and address-mask requests and replies carry an id and a sequence.
            packet.icmpID = frame.be16(offset + 4)
            packet.icmpSequence = frame.be16(offset + 6)
            packet.icmpHasIDAndSequence = true
            if code != 0 { self.raise(.icmpv4UnknownCode, &packet) }
        case 3, 4, 5, 11, 12:
            // Error messages quote the offending IPv4 header when their code is known.
            if code > Self.highestICMPv4ErrorCode(type) {
                self.raise(.icmpv4UnknownCode, &packet)
            } else {
                self.checkQuotedIPv4(frame, offset: offset, length: length, into: &packet)
            }
        default:
            self.raise(.icmpv4UnknownType, &packet)
        }

        if self.verifiesChecksums {
            let sum = InternetChecksum.partialSum(frame, offset: offset, length: length)
            packet.l4Checksum = InternetChecksum.isValid(sum) ? .valid : .invalid
        }
    }

    /// The 8-byte header both ICMP versions share: type, code, and the payload after it. Shorter messages raise
    /// `tooSmall` (an invalid event) and return false.
    private mutating func decodeICMPHeader(
        _ frame: UnsafeRawBufferPointer, offset: Int, length: Int, tooSmall: DecodeEvent, into packet: inout Packet
    ) -> Bool {
        guard length >= 8 else {
            self.raiseInvalid(tooSmall, &packet)
            return false
        }
        packet.l4Offset = offset
        packet.icmpType = frame.u8(offset)
        packet.icmpCode = frame.u8(offset + 1)
        packet.hasL4 = true
        packet.payloadOffset = offset + 8
        packet.payloadLength = length - 8
        return true
    }

    /// The highest known code of an ICMPv4 error type: destination unreachable 0–15 (RFC 1812 5.2.7.1), source
    /// quench and parameter problem 0, redirect 0–3, time exceeded in transit (0) or during reassembly (1).
    static func highestICMPv4ErrorCode(_ type: UInt8) -> UInt8 {
        switch type {
        case 3: return 15
        case 5: return 3
        case 11: return 1
        default: return 0  // 4, 12
        }
    }

    /// The highest known code of an ICMPv6 error type (RFC 4443): destination unreachable 0–6, packet too big 0,
    /// time exceeded 0–1, parameter problem 0–2 as Suricata checks them.
    static func highestICMPv6ErrorCode(_ type: UInt8) -> UInt8 {
        switch type {
        case 1: return 6
        case 3: return 1
        case 4: return 2
        default: return 0  // 2
        }
    }

    /// Suricata's DecodePartialIPV4: when an error message carries data, it must start with an IPv4 header.
    private func checkQuotedIPv4(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        guard length > 8 else { return }
        let quoted = offset + 8
        guard length - 8 >= 20 else {
            self.raiseInvalid(.icmpv4IPv4TruncPkt, &packet)
            return
        }
        guard frame.u8(quoted) >> 4 == 4 else {
            self.raiseInvalid(.icmpv4IPv4UnknownVersion, &packet)
            return
        }
        packet.icmpEmbeddedOffset = quoted
        if packet.icmpType == 3 {
            Self.noteQuotedFlow(frame, quoted: quoted, length: length - 8, into: &packet)
        }
    }

    /// A destination unreachable's quoted TCP or UDP endpoints, which tie the error to its flow. As Suricata's
    /// DecodePartialIPV4: the ports are read right after a 20-byte header (options are not skipped), TCP needs
    /// its two port fields (4 bytes), UDP its whole 8-byte header.
    private static func noteQuotedFlow(
        _ frame: UnsafeRawBufferPointer, quoted: Int, length: Int, into packet: inout Packet
    ) {
        let proto = frame.u8(quoted + 9)
        let needed: Int
        switch proto {
        case IPProtocol.tcp: needed = 20 + 4
        case IPProtocol.udp: needed = 20 + 8
        default: return
        }
        guard length >= needed else { return }
        packet.icmpUnreachableFlow = ICMPQuotedFlow(
            source: IPAddress(v4: frame.be32(quoted + 12)),
            destination: IPAddress(v4: frame.be32(quoted + 16)),
            sourcePort: frame.be16(quoted + 20),
            destinationPort: frame.be16(quoted + 22),
            proto: proto
        )
    }

    /// Decodes an ICMPv6 message (RFC 4443 and successors) of `length` bytes.
    ///
    /// Fewer than 8 bytes is `icmpv6.pkt_too_small` (invalid). Error messages (types 1–4) quote an IPv6 header
    /// (`icmpv6.ipv6_trunc_pkt`, `icmpv6.ipv6_unknown_version`, both invalid). MLD messages must arrive with hop
    /// limit 1 (RFC 2710, RFC 3810: `icmpv6.mld_message_with_invalid_hl`). Unknown types are classified as
    /// Suricata does: unassigned ranges, the experimentation types 100, 101, 200, 201, and the rest.
    mutating func decodeICMPv6(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.icmpv6 &+= 1
        guard self.decodeICMPHeader(frame, offset: offset, length: length, tooSmall: .icmpv6PktTooSmall, into: &packet)
        else { return }
        let type = packet.icmpType
        let code = packet.icmpCode

        switch type {
        case 1, 2, 3, 4:
            // Error messages quote the offending IPv6 packet when their code is known.
            if code > Self.highestICMPv6ErrorCode(type) {
                self.raise(.icmpv6UnknownCode, &packet)
            } else {
                self.checkQuotedIPv6(frame, offset: offset, length: length, into: &packet)
            }
        case 128, 129:
            if code != 0 {
                self.raise(.icmpv6UnknownCode, &packet)
            } else {
                packet.icmpID = frame.be16(offset + 4)
                packet.icmpSequence = frame.be16(offset + 6)
                packet.icmpHasIDAndSequence = true
            }
        case 130, 131, 132, 143:
            // MLD query, report, done; MLDv2 report. Link-local only, so the hop limit must be 1.
            if code != 0 { self.raise(.icmpv6UnknownCode, &packet) }
            if packet.ttl != 1 { self.raise(.icmpv6MLDMessageWithInvalidHopLimit, &packet) }
        case 133, 134, 135, 136, 137, 141, 142, 144, 145, 146, 147, 148, 149, 151, 152, 153:
            // Neighbour discovery, inverse ND, mobile IPv6, SEND, multicast router discovery: code 0 only.
            if code != 0 { self.raise(.icmpv6UnknownCode, &packet) }
        case 138:
            // Router renumbering: command (0), result (1), sequence number reset (255).
            if code != 0 && code != 1 && code != 255 { self.raise(.icmpv6UnknownCode, &packet) }
        case 139, 140:
            // Node information query and reply (RFC 4620), codes 0–2.
            if code > 2 { self.raise(.icmpv6UnknownCode, &packet) }
        case 150, 154, 155, 156, 157, 158, 159:
            // Seamoby, FMIPv6, RPL, ILNP, duplicate address request/confirm, MPL: known, codes not checked.
            break
        default:
            if (type > 4 && type < 100) || (type > 101 && type < 127) || (type > 159 && type < 200) {
                self.raise(.icmpv6UnassignedType, &packet)
            } else if type == 100 || type == 101 || type == 200 || type == 201 {
                self.raise(.icmpv6ExperimentationType, &packet)
            } else {
                self.raise(.icmpv6UnknownType, &packet)
            }
        }

        if self.verifiesChecksums {
            let sum =
                self.pseudoHeaderSum(frame, packet, protocol: IPProtocol.icmpv6, length: length)
                &+ InternetChecksum.partialSum(frame, offset: offset, length: length)
            packet.l4Checksum = InternetChecksum.isValid(sum) ? .valid : .invalid
        }
    }

    /// Suricata's DecodePartialIPV6: the quoted packet of an ICMPv6 error must start with an IPv6 header.
    private func checkQuotedIPv6(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        let quoted = offset + 8
        guard length - 8 >= 40 else {
            self.raiseInvalid(.icmpv6IPv6TruncPkt, &packet)
            return
        }
        guard frame.u8(quoted) >> 4 == 6 else {
            self.raiseInvalid(.icmpv6IPv6UnknownVersion, &packet)
            return
        }
        packet.icmpEmbeddedOffset = quoted
    }
}
