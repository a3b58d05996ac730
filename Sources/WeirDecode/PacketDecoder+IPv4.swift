// SPDX-License-Identifier: MIT
import WeirCore

extension PacketDecoder {
    /// Decodes an IPv4 header (RFC 791) at `offset`, with `length` bytes available, then its payload.
    ///
    /// Checks run in Suricata's order: 20 bytes present (`ipv4.pkt_too_small`), version (`ipv4.wrong_ip_version`),
    /// IHL ≥ 5 (`ipv4.hlen_too_small`), total length ≥ header (`ipv4.iplen_smaller_than_hlen`), total length
    /// captured (`ipv4.trunc_pkt`, which is also what a snaplen-truncated record gives), options. All are invalid
    /// events and leave ``Packet/ipVersion`` at 0. Bytes past the total length (Ethernet padding, FCS) are ignored.
    mutating func decodeIPv4(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.ipv4 &+= 1
        guard self.enterLayer(&packet) else { return }
        guard length >= 20 else {
            self.raiseInvalid(.ipv4PktTooSmall, &packet)
            return
        }
        let versionAndIHL = frame.u8(offset)
        guard versionAndIHL >> 4 == 4 else {
            self.raiseInvalid(.ipv4WrongIPVersion, &packet)
            return
        }
        let headerLength = Int(versionAndIHL & 0x0f) << 2
        guard headerLength >= 20 else {
            self.raiseInvalid(.ipv4HlenTooSmall, &packet)
            return
        }
        let totalLength = Int(frame.be16(offset + 2))
        guard totalLength >= headerLength else {
            self.raiseInvalid(.ipv4IplenSmallerThanHlen, &packet)
            return
        }
        guard length >= totalLength else {
            self.raiseInvalid(.ipv4TruncPkt, &packet)
            return
        }

        packet.l3Offset = offset
        packet.ipHeaderLength = headerLength
        packet.ipTotalLength = totalLength
        packet.tos = frame.u8(offset + 1)
        packet.ipID = UInt32(frame.be16(offset + 4))
        let flagsAndOffset = frame.be16(offset + 6)
        packet.ipFlags = UInt8(truncatingIfNeeded: flagsAndOffset >> 13)
        packet.fragmentOffset = Int(flagsAndOffset & 0x1fff) << 3
        packet.ttl = frame.u8(offset + 8)
        let proto = frame.u8(offset + 9)
        packet.source = IPAddress(v4: frame.be32(offset + 12))
        packet.destination = IPAddress(v4: frame.be32(offset + 16))

        if headerLength > 20 {
            guard self.decodeIPv4Options(frame, offset: offset + 20, length: headerLength - 20, into: &packet) else {
                return
            }
        }
        packet.ipVersion = 4
        packet.l4Protocol = proto

        if self.verifiesChecksums {
            let sum = InternetChecksum.partialSum(frame, offset: offset, length: headerLength)
            packet.ipChecksum = InternetChecksum.isValid(sum) ? .valid : .invalid
        }

        let payloadOffset = offset + headerLength
        let payloadLength = totalLength - headerLength
        packet.payloadOffset = payloadOffset
        packet.payloadLength = payloadLength

        // RFC 791: MF set or a non-zero offset means a fragment; only reassembly could give a transport header.
        if flagsAndOffset & 0x3fff != 0 {
            packet.isFragment = true
            return
        }

        switch proto {
        case IPProtocol.tcp:
            self.decodeTCP(frame, offset: payloadOffset, length: payloadLength, into: &packet)
        case IPProtocol.udp:
            self.decodeUDP(frame, offset: payloadOffset, length: payloadLength, into: &packet)
        case IPProtocol.icmp:
            self.decodeICMPv4(frame, offset: payloadOffset, length: payloadLength, into: &packet)
        case IPProtocol.icmpv6:
            self.raiseInvalid(.ipv4ICMPv6, &packet)
        case IPProtocol.gre:
            self.decodeGRE(frame, offset: payloadOffset, length: payloadLength, into: &packet)
        case 4:
            if self.setTunnel(.ipv4, .ipv4, offset: payloadOffset, length: payloadLength, &packet) {
                self.statistics.ipv4InIPv4 &+= 1
            }
        case 41:
            if self.setTunnel(.ipv6, .ipv4, offset: payloadOffset, length: payloadLength, &packet) {
                self.statistics.ipv6InIPv4 &+= 1
            }
        case IPProtocol.sctp:
            self.decodeSCTP(frame, offset: payloadOffset, length: payloadLength, into: &packet)
        case IPProtocol.esp:
            self.decodeESP(frame, offset: payloadOffset, length: payloadLength, into: &packet)
        case IPProtocol.igmp:
            // A protocol Suricata has a decoder for: known, not decoded here.
            break
        default:
            self.raise(.ipv4UnknownProtocol, &packet)
        }
    }

    /// Walks IPv4 options as Suricata's DecodeIPV4Options does, setting ``Packet/ipv4Options`` bits.
    ///
    /// - Returns: false when an option's length byte is below 2 or runs past the options (`ipv4.opt_invalid_len`;
    ///   the packet must not be decoded further), true otherwise: after warnings such as `ipv4.opt_duplicate`,
    ///   and after an option that failed its own validation (its invalid event is raised, the option is skipped
    ///   and not recorded, as Suricata does).
    mutating func decodeIPv4Options(
        _ frame: UnsafeRawBufferPointer,
        offset start: Int,
        length optionsLength: Int,
        into packet: inout Packet
    ) -> Bool {
        // Suricata warns when the options are not a multiple of 8 bytes long; it carries on.
        if optionsLength % 8 != 0 { self.raise(.ipv4OptPadRequired, &packet) }
        var offset = start
        var remaining = optionsLength
        var seen: UInt32 = 0
        while remaining > 0 {
            let type = frame.u8(offset)
            if type == 0 {
                packet.ipv4Options |= IPv4Option.endOfList.bit
                break
            }
            if type == 1 {
                packet.ipv4Options |= IPv4Option.noOperation.bit
                offset += 1
                remaining -= 1
                continue
            }
            guard remaining >= 2 else {
                self.raise(.ipv4OptEolRequired, &packet)
                break
            }
            let optionLength = Int(frame.u8(offset + 1))
            guard optionLength >= 2, optionLength <= remaining else {
                self.raiseInvalid(.ipv4OptInvalidLen, &packet)
                return false
            }
            let option: IPv4Option?
            switch type {
            case 7: option = .recordRoute
            case 68: option = .timestamp
            case 25: option = .quickStart
            case 130: option = .security
            case 133: option = .extendedSecurity
            case 131: option = .looseSourceRoute
            case 134: option = .cipso
            case 136: option = .streamID
            case 137: option = .strictSourceRoute
            case 148: option = .routerAlert
            default: option = nil
            }
            if let option {
                if seen & option.bit != 0 {
                    self.raise(.ipv4OptDuplicate, &packet)
                } else if self.validateIPv4Option(
                    option, frame, offset: offset, length: optionLength, hasData: remaining > 2, into: &packet)
                {
                    seen |= option.bit
                    packet.ipv4Options |= option.bit
                }
                // A malformed option (its event raised by the validation) is skipped by its length, and the walk
                // goes on, as Suricata's does: only a length past the options stops the header.
            } else {
                self.raise(.ipv4OptInvalid, &packet)
            }
            offset += optionLength
            remaining -= optionLength
        }
        return true
    }

    /// Suricata's per-option validation.
    ///
    /// `offset` is the option's type byte; `length` its length byte, already
    /// known to be at least 2 and to fit in the header. Raises an invalid event and returns false on failure.
    private func validateIPv4Option(
        _ option: IPv4Option,
        _ frame: UnsafeRawBufferPointer,
        offset: Int,
        length: Int,
        hasData: Bool,
        into packet: inout Packet
    ) -> Bool {
        switch option {
        case .recordRoute, .looseSourceRoute, .strictSourceRoute:
            // [type][len][ptr][addresses…]: the 1-based pointer is ≥ 4, a multiple of 4 and inside the option.
            guard length >= 3 else { return self.fail(.ipv4OptInvalidLen, &packet) }
            guard hasData else { return self.fail(.ipv4OptMalformed, &packet) }
            let pointer = Int(frame.u8(offset + 2))
            if pointer < 4 || pointer % 4 != 0 || pointer > length + 1 { return self.fail(.ipv4OptMalformed, &packet) }
        case .timestamp:
            // RFC 781: [type][len][ptr][overflow|flag][records…]; flags 1 and 3 give 8-byte address+time records.
            guard length >= 5 else { return self.fail(.ipv4OptInvalidLen, &packet) }
            guard hasData else { return self.fail(.ipv4OptMalformed, &packet) }
            let pointer = Int(frame.u8(offset + 2))
            guard pointer >= 5 else { return self.fail(.ipv4OptMalformed, &packet) }
            let flag = frame.u8(offset + 3) & 0x0f
            let recordSize = (flag == 1 || flag == 3) ? 8 : 4
            if (pointer - 5) % recordSize != 0 || pointer > length + 1 { return self.fail(.ipv4OptMalformed, &packet) }
        case .quickStart:
            if length < 8 { return self.fail(.ipv4OptInvalidLen, &packet) }
        case .security, .extendedSecurity:
            if length < 3 { return self.fail(.ipv4OptInvalidLen, &packet) }
        case .streamID, .routerAlert:
            if length != 4 { return self.fail(.ipv4OptInvalidLen, &packet) }
        case .cipso:
            return self.validateCIPSO(frame, offset: offset, length: length, hasData: hasData, into: &packet)
        case .endOfList, .noOperation:
            break
        }
        return true
    }

    /// CIPSO (draft-ietf-cipso-ipsecurity): [type][len][DOI ×4][tags…], each tag [type][len][data…].
    private func validateCIPSO(
        _ frame: UnsafeRawBufferPointer,
        offset: Int,
        length: Int,
        hasData: Bool,
        into packet: inout Packet
    ) -> Bool {
        guard length >= 10 else { return self.fail(.ipv4OptInvalidLen, &packet) }
        guard hasData else { return self.fail(.ipv4OptMalformed, &packet) }
        var tag = offset + 6
        var left = length - 6
        while left > 0 {
            guard left >= 2 else { return self.fail(.ipv4OptMalformed, &packet) }
            let tagType = frame.u8(tag)
            let tagLength = Int(frame.u8(tag + 1))
            guard tagLength <= left else { return self.fail(.ipv4OptMalformed, &packet) }
            switch tagType {
            case 1, 2, 5, 6, 7:
                guard tagLength >= 4 else { return self.fail(.ipv4OptMalformed, &packet) }
                // The alignment octet is zero except in tag type 7, which has none.
                if tagType != 7 && frame.u8(tag + 2) != 0 { return self.fail(.ipv4OptMalformed, &packet) }
                tag += tagLength
                left -= tagLength
            default:
                // Type 0 is reserved; others are unknown.
                return self.fail(.ipv4OptMalformed, &packet)
            }
        }
        return true
    }

    @inline(__always)
    private func fail(_ event: DecodeEvent, _ packet: inout Packet) -> Bool {
        self.raiseInvalid(event, &packet)
        return false
    }
}
