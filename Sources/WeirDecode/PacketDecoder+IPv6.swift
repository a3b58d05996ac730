// SPDX-License-Identifier: MIT
import WeirCore

extension PacketDecoder {
    /// Decodes an IPv6 header (RFC 8200) at `offset` and walks its extension-header chain to the transport.
    ///
    /// The payload length trims anything after the packet (Ethernet padding). Extension headers follow Suricata's
    /// DecodeIPV6ExtHdrs: duplicates raise `ipv6.exthdr_dupl_*` and are skipped, option areas of hop-by-hop and
    /// destination-options headers are checked (`ipv6.exthdr_invalid_optlen`, `ipv6.zero_len_padn`,
    /// `*_only_padding`, `*_unknown_opt`), a routing header of type 0 raises `ipv6.rh_type_0`, ESP and No Next
    /// Header end the chain. A fragment header with a non-zero offset or M set marks the packet a fragment (no L4);
    /// one with offset 0 and M clear is "useless" (`ipv6.exthdr_useless_fh`) and decoding continues past it.
    mutating func decodeIPv6(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.ipv6 &+= 1
        guard self.enterLayer(&packet) else { return }
        guard length >= 40 else {
            self.raiseInvalid(.ipv6PktTooSmall, &packet)
            return
        }
        let first = frame.be32(offset)
        guard first >> 28 == 6 else {
            self.raiseInvalid(.ipv6WrongIPVersion, &packet)
            return
        }
        let payloadLength = Int(frame.be16(offset + 4))
        guard length >= 40 + payloadLength else {
            self.raiseInvalid(.ipv6TruncPkt, &packet)
            return
        }
        packet.ipVersion = 6
        packet.l3Offset = offset
        self.pseudoHeaderDestination = offset + 24
        packet.tos = UInt8(truncatingIfNeeded: first >> 20)
        packet.ttl = frame.u8(offset + 7)
        packet.ipTotalLength = 40 + payloadLength
        packet.source = IPAddress(v6High: frame.be64(offset + 8), low: frame.be64(offset + 16))
        packet.destination = IPAddress(v6High: frame.be64(offset + 24), low: frame.be64(offset + 32))

        var next = frame.u8(offset + 6)
        var cursor = offset + 40
        var remaining = payloadLength
        var inExtensionHeaders = false
        var seenHopByHop = false
        var seenRouting = false
        var seenAH = false
        var seenFragment = false
        var destinationOptionsCount = 0

        while true {
            packet.ipHeaderLength = cursor - offset
            packet.payloadOffset = cursor
            packet.payloadLength = remaining
            if !inExtensionHeaders {
                switch next {
                case 0, 43, 44, 50, 51, 59, 60, 135, 139, 140: inExtensionHeaders = true
                default: break
                }
            }
            if inExtensionHeaders {
                if next == 59 {
                    packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.noNextHeader.bit
                    packet.l4Protocol = next
                    if remaining > 0 { self.raise(.ipv6DataAfterNoneHeader, &packet) }
                    return
                }
                // Every extension header has at least a next-header and a length byte.
                if remaining < 2 {
                    self.raiseInvalid(.ipv6TruncExthdr, &packet)
                    return
                }
            }
            switch next {
            case IPProtocol.tcp:
                packet.l4Protocol = next
                self.decodeTCP(frame, offset: cursor, length: remaining, into: &packet)
                return
            case IPProtocol.udp:
                packet.l4Protocol = next
                self.decodeUDP(frame, offset: cursor, length: remaining, into: &packet)
                return
            case IPProtocol.icmpv6:
                packet.l4Protocol = next
                self.decodeICMPv6(frame, offset: cursor, length: remaining, into: &packet)
                return
            case IPProtocol.sctp:
                packet.l4Protocol = next
                self.decodeSCTP(frame, offset: cursor, length: remaining, into: &packet)
                return
            case IPProtocol.gre:
                packet.l4Protocol = next
                self.decodeGRE(frame, offset: cursor, length: remaining, into: &packet)
                return
            case 4:
                // IPv4 in IPv6 (RFC 2473).
                packet.l4Protocol = next
                if remaining < 20 {
                    self.raiseInvalid(.ipv6IPv4InIPv6TooSmall, &packet)
                } else if frame.u8(cursor) >> 4 != 4 {
                    self.raiseInvalid(.ipv6IPv4InIPv6WrongVersion, &packet)
                } else if self.setTunnel(.ipv4, .ipv6, offset: cursor, length: remaining, &packet) {
                    self.statistics.ipv4InIPv6 &+= 1
                }
                return
            case 41:
                packet.l4Protocol = next
                if remaining < 40 {
                    self.raiseInvalid(.ipv6IPv6InIPv6TooSmall, &packet)
                } else if frame.u8(cursor) >> 4 != 6 {
                    self.raiseInvalid(.ipv6IPv6InIPv6WrongVersion, &packet)
                } else if self.setTunnel(.ipv6, .ipv6, offset: cursor, length: remaining, &packet) {
                    self.statistics.ipv6InIPv6 &+= 1
                }
                return
            case 50:
                // ESP: everything after its header is encrypted.
                packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.esp.bit
                packet.l4Protocol = next
                self.decodeESP(frame, offset: cursor, length: remaining, into: &packet)
                return
            case IPProtocol.icmp:
                self.raise(.ipv6ICMPv4, &packet)
                packet.l4Protocol = next
                return
            case 43:
                packet.l4Protocol = next
                let headerLength = 8 + Int(frame.u8(cursor + 1)) * 8
                guard headerLength <= remaining else {
                    self.raiseInvalid(.ipv6TruncExthdr, &packet)
                    return
                }
                packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.routing.bit
                if seenRouting {
                    self.raise(.ipv6ExthdrDuplRH, &packet)
                } else {
                    seenRouting = true
                    let routingType = frame.u8(cursor + 2)
                    // RFC 5095 deprecates type 0 (amplification and filter evasion).
                    if routingType == 0 { self.raise(.ipv6RHType0, &packet) }
                    // RFC 8200 8.1: with segments left, transport checksums use the final destination, which
                    // is the last address of a type 0/2 header and the first segment of an SRH (RFC 8754).
                    if frame.u8(cursor + 3) > 0 && headerLength >= 24 {
                        switch routingType {
                        case 0, 2: self.pseudoHeaderDestination = cursor + headerLength - 16
                        case 4: self.pseudoHeaderDestination = cursor + 8
                        default: break
                        }
                    }
                }
            case 0, 60:
                packet.l4Protocol = next
                let headerLength = (Int(frame.u8(cursor + 1)) + 1) << 3
                guard headerLength <= remaining else {
                    self.raiseInvalid(.ipv6TruncExthdr, &packet)
                    return
                }
                let isHopByHop = next == 0
                var duplicate = false
                if isHopByHop {
                    packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.hopByHop.bit
                    if seenHopByHop {
                        self.raise(.ipv6ExthdrDuplHH, &packet)
                        duplicate = true
                    }
                    seenHopByHop = true
                } else {
                    packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.destinationOptions.bit
                    // Two destination-options headers are legal (before and after a routing header).
                    if destinationOptionsCount >= 2 {
                        self.raise(.ipv6ExthdrDuplDH, &packet)
                        duplicate = true
                    }
                    destinationOptionsCount += 1
                }
                if !duplicate {
                    self.checkIPv6Options(
                        frame,
                        offset: cursor + 2,
                        length: headerLength - 2,
                        hopByHop: isHopByHop,
                        into: &packet
                    )
                }
                next = frame.u8(cursor)
                cursor += headerLength
                remaining -= headerLength
                inExtensionHeaders = true
                continue
            case 44:
                packet.l4Protocol = next
                guard remaining >= 8 else {
                    self.raiseInvalid(.ipv6TruncExthdr, &packet)
                    return
                }
                packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.fragment.bit
                // RFC 8200 4.5: the second byte is reserved.
                if frame.u8(cursor + 1) != 0 { self.raise(.ipv6FHNonZeroReservedField, &packet) }
                if seenFragment {
                    self.raise(.ipv6ExthdrDuplFH, &packet)
                } else {
                    seenFragment = true
                    let offsetAndFlags = frame.be16(cursor + 2)
                    let fragmentOffset = Int(offsetAndFlags & 0xfff8)
                    let moreFragments = offsetAndFlags & 1 != 0
                    packet.fragmentOffset = fragmentOffset
                    packet.ipID = frame.be32(cursor + 4)
                    if moreFragments { packet.ipFlags |= 0x1 }
                    if fragmentOffset != 0 || moreFragments {
                        // RFC 8200 4.5: every fragment but the last carries a multiple of 8 bytes.
                        if moreFragments && (remaining - 8) % 8 != 0 { self.raise(.ipv6FragInvalidLength, &packet) }
                        packet.isFragment = true
                        packet.ipHeaderLength = cursor + 8 - offset
                        packet.payloadOffset = cursor + 8
                        packet.payloadLength = remaining - 8
                        return
                    }
                    // An atomic fragment: nothing to reassemble, so decode on.
                    self.raise(.ipv6ExthdrUselessFH, &packet)
                }
                next = frame.u8(cursor)
                cursor += 8
                remaining -= 8
                inExtensionHeaders = true
                continue
            case IPProtocol.ah:
                packet.l4Protocol = next
                // RFC 4302: the length is in 4-byte units minus 2; Suricata computes 12 + (len - 1) × 4.
                let lengthField = Int(frame.u8(cursor + 1))
                let headerLength = 12 + (lengthField > 0 ? (lengthField - 1) * 4 : 0)
                guard headerLength <= remaining else {
                    self.raiseInvalid(.ipv6TruncExthdr, &packet)
                    return
                }
                packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.authentication.bit
                if frame.be16(cursor + 2) != 0 { self.raise(.ipv6ExthdrAHReservedNotNull, &packet) }
                if seenAH { self.raise(.ipv6ExthdrDuplAH, &packet) }
                seenAH = true
                next = frame.u8(cursor)
                cursor += headerLength
                remaining -= headerLength
                inExtensionHeaders = true
                continue
            case 135, 139, 140:
                // Mobility, HIP, Shim6: skipped without parsing, as Suricata.
                packet.l4Protocol = next
                let headerLength = 8 + Int(frame.u8(cursor + 1)) * 8
                guard headerLength <= remaining else {
                    self.raiseInvalid(.ipv6TruncExthdr, &packet)
                    return
                }
                packet.ipv6ExtensionHeaders |= IPv6ExtensionHeader.mobilityHIPOrShim6.bit
                next = frame.u8(cursor)
                cursor += headerLength
                remaining -= headerLength
                inExtensionHeaders = true
                continue
            default:
                self.raise(.ipv6UnknownNextHeader, &packet)
                packet.l4Protocol = next
                return
            }
            // Routing header: advance past it.
            let headerLength = 8 + Int(frame.u8(cursor + 1)) * 8
            next = frame.u8(cursor)
            cursor += headerLength
            remaining -= headerLength
            inExtensionHeaders = true
        }
    }

    /// Checks the TLV options of a hop-by-hop or destination-options header (RFC 8200 4.2), as Suricata.
    ///
    /// `offset`/`length` cover the option area (after the next-header and length bytes), inside the packet.
    private func checkIPv6Options(
        _ frame: UnsafeRawBufferPointer,
        offset: Int,
        length: Int,
        hopByHop: Bool,
        into packet: inout Packet
    ) {
        var position = 0
        var paddingCount = 0
        var otherCount = 0
        options: while position < length {
            let type = frame.u8(offset + position)
            if type == 0 {
                // Pad1.
                paddingCount += 1
                position += 1
                continue
            }
            if position + 1 >= length {
                self.raiseInvalid(.ipv6ExthdrInvalidOptlen, &packet)
                break options
            }
            let optionLength = Int(frame.u8(offset + position + 1))
            // Suricata's bound allows the option to end one byte past the area; no option value is read here.
            if position + 1 + optionLength > length {
                self.raiseInvalid(.ipv6ExthdrInvalidOptlen, &packet)
                break options
            }
            switch type {
            case 1:
                // PadN.
                paddingCount += 1
                if optionLength == 0 { self.raise(.ipv6ZeroLenPadN, &packet) }
            case 5:
                // Router Alert (RFC 2711): a 2-byte value.
                if optionLength < 2 {
                    self.raiseInvalid(.ipv6ExthdrInvalidOptlen, &packet)
                    break options
                }
                otherCount += 1
            case 0xc2:
                // Jumbo Payload (RFC 2675): a 4-byte length. Suricata does not count it as a real option.
                if optionLength < 4 {
                    self.raiseInvalid(.ipv6ExthdrInvalidOptlen, &packet)
                    break options
                }
            case 0xc9:
                // Home Address (RFC 6275): a 16-byte address.
                if optionLength < 16 {
                    self.raiseInvalid(.ipv6ExthdrInvalidOptlen, &packet)
                    break options
                }
                otherCount += 1
            default:
                self.raise(hopByHop ? .ipv6HopoptsUnknownOpt : .ipv6DstoptsUnknownOpt, &packet)
                otherCount += 1
            }
            position += optionLength + 2
        }
        if paddingCount > 0 && otherCount == 0 {
            self.raise(hopByHop ? .ipv6HopoptsOnlyPadding : .ipv6DstoptsOnlyPadding, &packet)
        }
    }
}
