// SPDX-License-Identifier: MIT
import WeirCore

extension PacketDecoder {
    /// Decodes a TCP header (RFC 9293) of a segment `length` bytes long (the IP payload).
    ///
    /// Suricata's order: 20 bytes (`tcp.pkt_too_small`), data offset within the segment (`tcp.hlen_too_small`),
    /// then an options length over 40 (`tcp.invalid_optlen`), which in Suricata's 8-bit arithmetic is what a
    /// data offset below 5 produces. Bad individual options only raise warnings.
    mutating func decodeTCP(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.tcp &+= 1
        guard length >= 20 else {
            self.raiseInvalid(.tcpPktTooSmall, &packet)
            return
        }
        let headerLength = Int(frame.u8(offset + 12) >> 4) << 2
        guard length >= headerLength else {
            self.raiseInvalid(.tcpHlenTooSmall, &packet)
            return
        }
        guard headerLength >= 20 else {
            self.raiseInvalid(.tcpInvalidOptlen, &packet)
            return
        }
        packet.l4Offset = offset
        packet.sourcePort = frame.be16(offset)
        packet.destinationPort = frame.be16(offset + 2)
        packet.tcpSequence = frame.be32(offset + 4)
        packet.tcpAcknowledgement = frame.be32(offset + 8)
        packet.tcpFlags = frame.u8(offset + 13)
        packet.tcpWindow = frame.be16(offset + 14)
        packet.tcpHeaderLength = headerLength
        if headerLength > 20 {
            self.decodeTCPOptions(frame, offset: offset + 20, length: headerLength - 20, into: &packet)
        }
        packet.hasL4 = true
        packet.payloadOffset = offset + headerLength
        packet.payloadLength = length - headerLength
        if self.verifiesChecksums {
            let sum =
                self.pseudoHeaderSum(frame, packet, protocol: IPProtocol.tcp, length: length)
                &+ InternetChecksum.partialSum(frame, offset: offset, length: length)
            packet.l4Checksum = InternetChecksum.isValid(sum) ? .valid : .invalid
        }
    }

    /// Parses TCP options into ``Packet/tcpOptions`` as Suricata's DecodeTCPOptions: a length below 2 or past the
    /// end stops parsing with `tcp.opt_invalid_len`; a wrong length for a known kind raises the same event and
    /// the option is ignored; a repeated kind raises `tcp.opt_duplicate` and the first one wins.
    private func decodeTCPOptions(
        _ frame: UnsafeRawBufferPointer,
        offset start: Int,
        length optionsLength: Int,
        into packet: inout Packet
    ) {
        var offset = start
        var remaining = optionsLength
        var options = TCPOptions()
        while remaining > 0 {
            let kind = frame.u8(offset)
            if kind == 0 { break }
            if kind == 1 {
                offset += 1
                remaining -= 1
                continue
            }
            if remaining < 2 { break }
            let length = Int(frame.u8(offset + 1))
            if length < 2 || length > remaining {
                self.raise(.tcpOptInvalidLen, &packet)
                break
            }
            switch kind {
            case 2:
                if length != 4 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.mss != nil {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.mss = frame.be16(offset + 2)
                }
            case 3:
                if length != 3 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.windowScale != nil {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.windowScale = frame.u8(offset + 2)
                }
            case 4:
                if length != 2 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.sackPermitted {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.sackPermitted = true
                }
            case 5:
                // RFC 2018: 1 to 4 blocks of two 32-bit edges. An empty SACK option (length 2) is useless but
                // common, and Suricata raises nothing for it.
                if length == 2 {
                    break
                } else if length < 10 || length > 34 || (length - 2) % 8 != 0 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.hasSACK {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.hasSACK = true
                    options.sackBlockCount = UInt8((length - 2) / 8)
                    options.sackOffset = offset + 2
                }
            case 8:
                if length != 10 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.timestampValue != nil {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.timestampValue = frame.be32(offset + 2)
                    options.timestampEcho = frame.be32(offset + 6)
                }
            case 34:
                // RFC 7413: no cookie (length 2) or a cookie of 4 to 16 bytes, even.
                if !(length == 2 || (length >= 6 && length <= 18 && length % 2 == 0)) {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.hasFastOpen {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.hasFastOpen = true
                }
            case 253, 254:
                // RFC 6994 experimental options: TCP Fast Open's draft form has magic 0xF989, and a length of 4
                // (cookie request) or 12 (an 8-byte cookie), as Suricata's decoder accepts it.
                if (length == 4 || length == 12) && frame.be16(offset + 2) == 0xF989 {
                    if options.hasFastOpen {
                        self.raise(.tcpOptDuplicate, &packet)
                    } else {
                        options.hasFastOpen = true
                    }
                }
            case 19:
                if length != 18 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.hasMD5 {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.hasMD5 = true
                }
            case 29:
                if length < 4 {
                    self.raise(.tcpOptInvalidLen, &packet)
                } else if options.hasAO {
                    self.raise(.tcpOptDuplicate, &packet)
                } else {
                    options.hasAO = true
                }
            default:
                break
            }
            offset += length
            remaining -= length
        }
        packet.tcpOptions = options
    }

    /// Decodes a UDP header (RFC 768) of a datagram with `length` bytes of IP payload.
    ///
    /// Invalid when fewer than 8 bytes (`udp.hlen_too_small`), when the length field exceeds the IP payload
    /// (`udp.pkt_too_small`) or is below 8 (`udp.len_invalid`). The payload ends where the length field says.
    mutating func decodeUDP(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.udp &+= 1
        guard length >= 8 else {
            self.raiseInvalid(.udpHlenTooSmall, &packet)
            return
        }
        let udpLength = Int(frame.be16(offset + 4))
        guard length >= udpLength else {
            self.raiseInvalid(.udpPktTooSmall, &packet)
            return
        }
        guard udpLength >= 8 else {
            self.raiseInvalid(.udpLenInvalid, &packet)
            return
        }
        packet.l4Offset = offset
        packet.sourcePort = frame.be16(offset)
        packet.destinationPort = frame.be16(offset + 2)
        packet.hasL4 = true
        packet.payloadOffset = offset + 8
        packet.payloadLength = udpLength - 8
        self.decodeUDPTunnels(frame, into: &packet)
        if self.verifiesChecksums {
            let field = frame.be16(offset + 6)
            // RFC 768: over IPv4 a zero checksum means the sender computed none. RFC 8200 makes it mandatory on
            // IPv6, so there a zero is simply wrong.
            if field == 0 && packet.ipVersion == 4 { return }
            let sum =
                self.pseudoHeaderSum(frame, packet, protocol: IPProtocol.udp, length: udpLength)
                &+ InternetChecksum.partialSum(frame, offset: offset, length: udpLength)
            packet.l4Checksum = InternetChecksum.isValid(sum) ? .valid : .invalid
        }
    }

    /// SCTP's 12-byte common header, as Suricata's DecodeSCTP: the ports, and the chunks after the header as the
    /// payload (not walked). A shorter header is `sctp.pkt_too_small` and leaves the packet without layer 4.
    mutating func decodeSCTP(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.sctp &+= 1
        guard length >= 12 else {
            self.raiseInvalid(.sctpPktTooSmall, &packet)
            return
        }
        Self.setPortsAndPayload(frame, offset: offset, length: length, headerLength: 12, into: &packet)
    }

    /// ESP (RFC 4303, Suricata's decode-esp.c): the 8-byte header (SPI, sequence number), the rest payload. The
    /// SPI is kept in the port fields (high and low half), which no output prints for ESP: its flows are told
    /// apart by SPI, as Suricata's flow lookup compares it.
    mutating func decodeESP(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.esp &+= 1
        guard length >= 8 else {
            self.raiseInvalid(.espPktTooSmall, &packet)
            return
        }
        Self.setPortsAndPayload(frame, offset: offset, length: length, headerLength: 8, into: &packet)
    }

    /// A transport header whose first four bytes are two 16-bit "ports" (SCTP's ports, ESP's SPI), followed by
    /// the payload after `headerLength` bytes.
    @inline(__always)
    static func setPortsAndPayload(
        _ frame: UnsafeRawBufferPointer, offset: Int, length: Int, headerLength: Int, into packet: inout Packet
    ) {
        packet.l4Offset = offset
        packet.sourcePort = frame.be16(offset)
        packet.destinationPort = frame.be16(offset + 2)
        packet.hasL4 = true
        packet.payloadOffset = offset + headerLength
        packet.payloadLength = length - headerLength
    }

    /// The pseudo-header part of a TCP/UDP/ICMPv6 checksum (RFC 9293 3.1, RFC 8200 8.1), in memory order.
    @inline(__always)
    func pseudoHeaderSum(_ frame: UnsafeRawBufferPointer, _ packet: Packet, protocol proto: UInt8, length: Int)
        -> UInt64
    {
        let l3 = packet.l3Offset
        if packet.ipVersion == 4 {
            return InternetChecksum.partialSum(frame, offset: l3 + 12, length: 8)
                &+ InternetChecksum.wire16(UInt16(proto))
                &+ InternetChecksum.wire16(UInt16(truncatingIfNeeded: length))
        }
        return InternetChecksum.partialSum(frame, offset: l3 + 8, length: 16)
            &+ InternetChecksum.partialSum(frame, offset: self.pseudoHeaderDestination, length: 16)
            &+ InternetChecksum.wire16(UInt16(proto))
            &+ InternetChecksum.wire16(UInt16(truncatingIfNeeded: length >> 16))
            &+ InternetChecksum.wire16(UInt16(truncatingIfNeeded: length))
    }
}
