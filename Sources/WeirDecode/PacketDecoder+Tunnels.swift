// SPDX-License-Identifier: MIT
import WeirCore

/// Tunnels and the link layers that carry IP inside other framings, as Suricata's decode-gre.c, decode-erspan.c,
/// decode-vxlan.c, decode-geneve.c, decode-teredo.c, decode-mpls.c, decode-pppoe.c, decode-ppp.c, decode-nsh.c,
/// decode-vntag.c, decode-etag.c and decode-chdlc.c.
///
/// Two kinds of encapsulation, as in Suricata:
/// - *Tunnels* (GRE, ERSPAN, VXLAN, Geneve, Teredo, IPv4/IPv6 in IPv4/IPv6) give a second packet: the decoder
///   records a ``PendingTunnel`` on the outer packet and ``decodeTunnel(_:parent:into:)`` decodes the inner
///   packet into its own ``Packet`` with ``Packet/tunnelDepth`` one higher, so it gets its own flow.
/// - *Layers* (MPLS, PPPoE, PPP, NSH, VN-Tag, E-Tag, 802.1ah, Cisco HDLC) are peeled in place: the packet is
///   whatever they carry.
extension PacketDecoder {
    /// Suricata's PacketIncreaseCheckLayers: counts a decoded layer; past `decoder.max-layers` the packet is
    /// invalid (`too_many_layers`) and the layer is not decoded.
    @inline(__always)
    mutating func enterLayer(_ packet: inout Packet) -> Bool {
        packet.decodedLayers &+= 1
        if Int(packet.decodedLayers) >= self.settings.maxLayers {
            self.raiseInvalid(.tooManyLayers, &packet)
            return false
        }
        return true
    }

    /// Records a tunnel whose inner packet starts at `offset`, unless the layer budget is spent (Suricata's
    /// PacketTunnelPktSetup refuses then, with `too_many_layers` on the outer packet).
    @discardableResult
    mutating func setTunnel(
        _ payload: TunnelPayload, _ decoder: TunnelDecoder, offset: Int, length: Int, _ packet: inout Packet
    ) -> Bool {
        if Int(packet.decodedLayers) + 1 >= self.settings.maxLayers {
            self.raiseInvalid(.tooManyLayers, &packet)
            return false
        }
        packet.pendingTunnel.payload = payload
        packet.pendingTunnel.decoder = decoder
        packet.pendingTunnel.offset = offset
        packet.pendingTunnel.length = max(0, length)
        return true
    }

    /// Decodes the inner packet of `parent`'s ``Packet/pendingTunnel`` into `packet` (reset by the caller, with
    /// the capture metadata set).
    ///
    /// - Returns: false when the inner packet is not kept: a Teredo candidate that does not decode cleanly
    ///   (Suricata then treats the outer packet as plain UDP). The caller clears the parent's tunnel then.
    public mutating func decodeTunnel(_ frame: UnsafeRawBufferPointer, parent: Packet, into packet: inout Packet)
        -> Bool
    {
        let tunnel = parent.pendingTunnel
        packet.linkType = .rawDLT12  // Suricata gives tunnel packets DLT_RAW (12)
        packet.tunnelDepth = parent.tunnelDepth &+ 1
        packet.decodedLayers = parent.decodedLayers &+ 1
        packet.tunnelOrigin = parent.tunnelOrigin ?? TunnelOrigin(root: parent)
        packet.tunnelDecoder = tunnel.decoder
        let offset = tunnel.offset
        let length = min(tunnel.length, max(0, frame.count - offset))
        packet.frameStart = offset
        // Whether the first decoder accepted the packet (Suricata's TM_ECODE_OK): a refused inner packet is
        // dropped with its events, as PacketTunnelPktSetup drops it.
        let accepted: Bool
        switch tunnel.payload {
        case .none:
            return false
        case .ipv4:
            self.decodeIPv4(frame, offset: offset, length: min(length, 65_535), into: &packet)
            accepted = packet.ipVersion == 4
        case .ipv6, .teredo:
            self.decodeIPv6(frame, offset: offset, length: min(length, 65_535), into: &packet)
            accepted = packet.ipVersion == 6
        case .ethernet, .vxlan:
            accepted = self.decodeEthernet(frame, offset: offset, length: length, into: &packet)
        case .erspanTypeI:
            self.statistics.erspan &+= 1
            accepted = self.decodeEthernet(frame, offset: offset, length: length, into: &packet)
        case .erspanTypeII:
            accepted = self.decodeERSPAN(frame, offset: offset, length: length, into: &packet)
        case .ppp:
            accepted = self.decodePPP(frame, offset: offset, length: length, into: &packet)
        case .vlan:
            accepted = self.decodeVLAN(frame, offset: offset, length: length, into: &packet)
        case .arp:
            self.statistics.arp &+= 1
            accepted = true
        }
        guard accepted else { return false }
        if tunnel.payload == .teredo {
            if packet.isInvalid { return false }
            self.statistics.teredo &+= 1
        }
        // decoder.invalid counts captured packets only, as Suricata's PacketDecodeFinalize; events are counted for
        // every packet that goes on.
        self.statistics.record(packet.events)
        return true
    }

    // MARK: GRE (RFC 1701, RFC 2784, RFC 2890; version 1 is PPTP's enhanced GRE, RFC 2637)

    mutating func decodeGRE(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.gre &+= 1
        guard length >= 4 else {
            self.raiseInvalid(.grePktTooSmall, &packet)
            return
        }
        guard self.enterLayer(&packet) else { return }
        let flags = frame.u8(offset)
        let versionByte = frame.u8(offset + 1)
        let proto = frame.be16(offset + 2)
        var headerLength = 4
        switch versionByte & 0x07 {
        case 0:
            if flags & 0x07 != 0 { return self.raiseInvalid(.greVersion0Recur, &packet) }
            if versionByte & 0x78 != 0 { return self.raiseInvalid(.greVersion0Flags, &packet) }
            if flags & 0x20 != 0 { headerLength += 4 }  // key
            if flags & 0x10 != 0 { headerLength += 4 }  // sequence number
            if flags & 0xc0 != 0 { headerLength += 4 }  // checksum (or routing) and offset
            if headerLength > length { return self.raiseInvalid(.greVersion0HdrTooBig, &packet) }
            if flags & 0x40 != 0 {
                // Source route entries, ended by one with address family 0 and length 0.
                while true {
                    if headerLength + 4 > length { return self.raiseInvalid(.greVersion0MalformedSreHdr, &packet) }
                    let family = frame.be16(offset + headerLength)
                    let sreLength = Int(frame.u8(offset + headerLength + 3))
                    headerLength += 4
                    if family == 0 && sreLength == 0 { break }
                    headerLength += sreLength
                    if headerLength > length { return self.raiseInvalid(.greVersion0MalformedSreHdr, &packet) }
                }
            }
        case 1:
            if flags & 0x80 != 0 { return self.raiseInvalid(.greVersion1Chksum, &packet) }
            if flags & 0x40 != 0 { return self.raiseInvalid(.greVersion1Route, &packet) }
            if flags & 0x08 != 0 { return self.raiseInvalid(.greVersion1Ssr, &packet) }
            if flags & 0x07 != 0 { return self.raiseInvalid(.greVersion1Recur, &packet) }
            if versionByte & 0x78 != 0 { return self.raiseInvalid(.greVersion1Flags, &packet) }
            if proto != 0x880b { return self.raiseInvalid(.greVersion1WrongProtocol, &packet) }
            if flags & 0x20 == 0 { return self.raiseInvalid(.greVersion1NoKey, &packet) }
            headerLength += 4
            if flags & 0x10 != 0 { headerLength += 4 }
            if versionByte & 0x80 != 0 { headerLength += 4 }  // acknowledgement number
            if headerLength > length { return self.raiseInvalid(.greVersion1HdrTooBig, &packet) }
        default:
            return self.raiseInvalid(.greWrongVersion, &packet)
        }
        let inner = offset + headerLength
        let innerLength = length - headerLength
        switch proto {
        case 0x0800: self.setTunnel(.ipv4, .gre, offset: inner, length: innerLength, &packet)
        case 0x86dd: self.setTunnel(.ipv6, .gre, offset: inner, length: innerLength, &packet)
        case 0x880b:
            // PPTP: the key's high half is the payload length; an empty payload (a bare ack) carries nothing.
            if versionByte & 0x07 == 1 && frame.be16(offset + 4) == 0 { return }
            self.setTunnel(.ppp, .gre, offset: inner, length: innerLength, &packet)
        case 0x8100: self.setTunnel(.vlan, .gre, offset: inner, length: innerLength, &packet)
        case 0x88be:
            // ERSPAN: type I has no sequence number and no ERSPAN header; type II has both.
            let payload: TunnelPayload = flags & 0x10 == 0 ? .erspanTypeI : .erspanTypeII
            self.setTunnel(payload, .gre, offset: inner, length: innerLength, &packet)
        case 0x6558: self.setTunnel(.ethernet, .gre, offset: inner, length: innerLength, &packet)
        case 0x0806: self.setTunnel(.arp, .gre, offset: inner, length: innerLength, &packet)
        default: break
        }
    }

    /// ERSPAN type II: [version 4 bits | VLAN 12][COS, encapsulation, truncation, session id][index], then
    /// the mirrored Ethernet frame. A non-zero VLAN becomes the inner packet's VLAN tag.
    /// - Returns: false when Suricata's DecodeERSPAN fails (the inner packet is then dropped).
    mutating func decodeERSPAN(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        self.statistics.erspan &+= 1
        guard length >= 8 else {
            self.raise(.erspanHeaderTooSmall, &packet)
            return false
        }
        guard self.enterLayer(&packet) else { return false }
        let versionAndVLAN = frame.be16(offset)
        guard versionAndVLAN >> 12 == 1 else {
            self.raise(.erspanUnsupportedVersion, &packet)
            return false
        }
        let vlanID = versionAndVLAN & 0x0fff
        if vlanID > 0 {
            guard packet.vlanCount < Packet.maxVLANLayers else {
                self.raise(.erspanTooManyVlanLayers, &packet)
                return false
            }
            packet.appendVLAN(vlanID)
        }
        return self.decodeEthernet(frame, offset: offset + 8, length: length - 8, into: &packet)
    }

    // MARK: UDP encapsulations

    /// Suricata's DecodeUDP tunnel checks, in its order: Teredo, Geneve, VXLAN. Called with the UDP payload.
    mutating func decodeUDPTunnels(_ frame: UnsafeRawBufferPointer, into packet: inout Packet) {
        let offset = packet.payloadOffset
        let length = packet.payloadLength
        let sp = packet.sourcePort
        let dp = packet.destinationPort
        if self.settings.teredo(sp, dp), self.detectTeredo(frame, offset: offset, length: length, into: &packet) {
            return
        }
        if self.settings.geneve(sp, dp), self.decodeGeneve(frame, offset: offset, length: length, into: &packet) {
            return
        }
        if self.settings.vxlan(dp) {
            _ = self.decodeVXLAN(frame, offset: offset, length: length, into: &packet)
        }
    }

    /// Teredo (RFC 4380): an IPv6 packet, optionally after an 8-byte origin indication, filling the UDP payload
    /// exactly. The inner packet is decoded by the caller and dropped if invalid.
    mutating func detectTeredo(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        guard length >= 40 else { return false }
        var start = offset
        if frame.u8(offset) == 0 {
            guard frame.u8(offset + 1) == 0, length >= 48 else { return false }
            start += 8
        }
        guard frame.u8(start) >> 4 == 6 else { return false }
        // Hop limit 0, or a hop-by-hop header in a payload too short for one, is not a real IPv6 packet.
        guard frame.u8(start + 7) != 0 else { return false }
        let payloadLength = Int(frame.be16(start + 4))
        if frame.u8(start + 6) == 0 && payloadLength < 8 { return false }
        guard length == 40 + payloadLength + (start - offset) else { return false }
        return self.setTunnel(.teredo, .teredo, offset: start, length: offset + length - start, &packet)
    }

    /// Geneve (RFC 8926): 8-byte header plus options, then what its protocol type names.
    mutating func decodeGeneve(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        guard length >= 8 else { return false }
        guard self.enterLayer(&packet) else { return false }
        let first = frame.u8(offset)
        let headerLength = 8 + Int(first & 0x3f) << 2
        guard length >= headerLength else { return false }
        guard first >> 6 == 0 else { return false }
        guard frame.u8(offset + 1) & 0x3f == 0, frame.u8(offset + 7) == 0 else { return false }
        // The options must fill the option area exactly.
        var cursor = offset + 8
        let end = offset + headerLength
        while cursor < end {
            guard cursor + 4 <= end else { return false }
            cursor += 4 + Int(frame.u8(cursor + 3) & 0x1f) << 2
        }
        guard cursor == end else { return false }
        self.statistics.geneve &+= 1
        let inner = offset + headerLength
        let innerLength = length - headerLength
        switch frame.be16(offset + 2) {
        case 0x0800: self.setTunnel(.ipv4, .geneve, offset: inner, length: innerLength, &packet)
        case 0x86dd: self.setTunnel(.ipv6, .geneve, offset: inner, length: innerLength, &packet)
        case 0x6558: self.setTunnel(.ethernet, .geneve, offset: inner, length: innerLength, &packet)
        case 0x0806: break
        default: self.raiseInvalid(.geneveUnknownPayloadType, &packet)
        }
        return true
    }

    /// VXLAN (RFC 7348): 8-byte header with the I flag, then an Ethernet frame.
    mutating func decodeVXLAN(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        guard length >= 8 + 14 else { return false }
        guard self.enterLayer(&packet) else { return false }
        let flags = frame.u8(offset)
        // Suricata 8.0: the I flag set and the last reserved byte zero; `reserved-bits-check: strict` (Suricata 9)
        // also wants every other reserved bit zero.
        guard flags & 0x08 != 0, frame.u8(offset + 7) == 0 else { return false }
        if self.settings.vxlanStrictReservedBits {
            guard flags & 0xf7 == 0, frame.u8(offset + 1) == 0, frame.be16(offset + 2) == 0, frame.u8(offset + 7) == 0
            else { return false }
        }
        self.statistics.vxlan &+= 1
        switch frame.be16(offset + 8 + 12) {
        case 0x0806, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100:
            self.setTunnel(.vxlan, .vxlan, offset: offset + 8, length: length - 8, &packet)
        default:
            self.raiseInvalid(.vxlanUnknownPayloadType, &packet)
        }
        return true
    }

    // MARK: Layers peeled in place

    /// MPLS (RFC 3032): label stack to the bottom-of-stack bit; labels 0 and 2 carry IPv4 and IPv6, other
    /// non-reserved labels are guessed from the first nibble, 0 being an Ethernet pseudowire with its control
    /// word (RFC 4448).
    mutating func decodeMPLS(_ frame: UnsafeRawBufferPointer, offset start: Int, length available: Int,
        into packet: inout Packet)
    {
        self.statistics.mpls &+= 1
        guard self.enterLayer(&packet) else { return }
        var offset = start
        var length = available
        var shim: UInt32 = 0
        repeat {
            guard length >= 4 else { return self.raiseInvalid(.mplsHeaderTooSmall, &packet) }
            shim = frame.be32(offset)
            offset += 4
            length -= 4
        } while (shim >> 8) & 1 == 0
        let label = shim >> 12
        var event: DecodeEvent? = nil
        switch label {
        case 0: return self.decodeIPv4(frame, offset: offset, length: min(length, 65_535), into: &packet)
        case 2: return self.decodeIPv6(frame, offset: offset, length: min(length, 65_535), into: &packet)
        case 1: event = .mplsBadLabelRouterAlert
        case 3: event = .mplsBadLabelImplicitNull
        case 4..<15: event = .mplsBadLabelReserved
        default: break
        }
        if let event {
            self.raise(event, &packet)
            return
        }
        guard length >= 4 else { return self.raiseInvalid(.mplsPktTooSmall, &packet) }
        switch frame.u8(offset) >> 4 {
        case 4: self.decodeIPv4(frame, offset: offset, length: min(length, 65_535), into: &packet)
        case 6: self.decodeIPv6(frame, offset: offset, length: min(length, 65_535), into: &packet)
        case 0: self.decodeEthernet(frame, offset: offset + 4, length: length - 4, into: &packet)
        default: self.raiseInvalid(.mplsUnknownPayloadType, &packet)
        }
    }

    /// PPPoE discovery (RFC 2516): PADI, PADO, PADR, PADS and PADT with their tags; nothing inside.
    mutating func decodePPPoEDiscovery(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int,
        into packet: inout Packet)
    {
        self.statistics.pppoe &+= 1
        guard length >= 6 else { return self.raiseInvalid(.pppoePktTooSmall, &packet) }
        switch frame.u8(offset + 1) {
        case 0x09, 0x07, 0x19, 0x65, 0xa7: break
        default: return self.raiseInvalid(.pppoeWrongCode, &packet)
        }
        if Int(frame.be16(offset + 4)) > length - 6 { self.raiseInvalid(.pppoeMalformedTags, &packet) }
    }

    /// PPPoE session (RFC 2516): a 6-byte header and a PPP protocol field (1 byte when compressed).
    mutating func decodePPPoESession(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int,
        into packet: inout Packet)
    {
        self.statistics.pppoe &+= 1
        guard length >= 7 else { return self.raiseInvalid(.pppoePktTooSmall, &packet) }
        guard frame.be16(offset + 4) > 0 else { return }
        var proto = UInt16(frame.u8(offset + 6))
        var headerLength = 7
        if proto & 0x01 == 0 {
            headerLength = 8
            guard length >= 8 else { return self.raiseInvalid(.pppoePktTooSmall, &packet) }
            proto = frame.be16(offset + 6)
        }
        self.decodePPPProtocol(proto, frame, offset: offset + headerLength, length: length - headerLength,
            into: &packet)
    }

    /// PPP (RFC 1661): optional `ff 03` address and control, then a 1- or 2-byte protocol.
    ///
    /// - Returns: false where Suricata's DecodePPP fails (too short, or IP that does not decode).
    @discardableResult
    mutating func decodePPP(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        self.statistics.ppp &+= 1
        guard length >= 1 else {
            self.raiseInvalid(.pppPktTooSmall, &packet)
            return false
        }
        var protoOffset = 0
        if frame.u8(offset) == 0xff {
            protoOffset = 2
            guard length >= 3 else {
                self.raiseInvalid(.pppPktTooSmall, &packet)
                return false
            }
        }
        let protoSize = frame.u8(offset + protoOffset) & 0x01 != 0 ? 1 : 2
        guard length >= protoOffset + protoSize else {
            self.raiseInvalid(.pppPktTooSmall, &packet)
            return false
        }
        guard self.enterLayer(&packet) else { return false }
        let dataOffset = protoOffset + protoSize
        let proto: UInt16
        if protoSize == 1 {
            // Compressed: only IPv4, IPv6 and VJ-uncompressed are understood.
            switch frame.u8(offset + protoOffset) {
            case 0x21, 0x57, 0x2f:
                proto = UInt16(frame.u8(offset + protoOffset))
            default:
                self.raise(.pppUnsupProto, &packet)
                return true
            }
        } else {
            proto = frame.be16(offset + protoOffset)
        }
        return self.decodePPPProtocol(proto, frame, offset: offset + dataOffset, length: length - dataOffset,
            into: &packet)
    }

    /// Dispatches on a PPP protocol number (decode-ppp.c's uncompressed table).
    /// - Returns: false where Suricata's decoder returns a failure.
    @discardableResult
    mutating func decodePPPProtocol(_ proto: UInt16, _ frame: UnsafeRawBufferPointer, offset: Int, length: Int,
        into packet: inout Packet) -> Bool
    {
        switch proto {
        case 0x0021:
            guard length >= 20 else {
                self.raiseInvalid(.pppIP4PktTooSmall, &packet)
                return false
            }
            self.decodeIPv4(frame, offset: offset, length: min(length, 65_535), into: &packet)
            return packet.ipVersion == 4
        case 0x0057:
            guard length >= 40 else {
                self.raiseInvalid(.pppIP6PktTooSmall, &packet)
                return false
            }
            self.decodeIPv6(frame, offset: offset, length: min(length, 65_535), into: &packet)
            return packet.ipVersion == 6
        case 0x002f:
            guard length >= 20 else {
                self.raiseInvalid(.pppVjuPktTooSmall, &packet)
                return false
            }
            guard frame.u8(offset) >> 4 == 4 else { return false }
            self.decodeIPv4(frame, offset: offset, length: min(length, 65_535), into: &packet)
            return packet.ipVersion == 4
        case 0x8021, 0x8057, 0xc021, 0xc023, 0xc223, 0x80fd, 0xc025, 0xc029, 0x00fd, 0x8207:
            // Control protocols: nothing for IP to see.
            break
        case 0x002d, 0x002b, 0x0023, 0x0025, 0x0027, 0x0029, 0x0031, 0x0033, 0x0035, 0x0201, 0x0231, 0x0233,
            0x0281, 0x0283, 0x8023, 0x8025, 0x8027, 0x8029, 0x802b, 0x8033, 0x8035, 0x8281:
            self.raise(.pppUnsupProto, &packet)
        default:
            self.raiseInvalid(.pppWrongType, &packet)
        }
        return true
    }

    /// Network Service Header (RFC 8300): version 0, MD type 1 (fixed 24-byte header) or 2.
    mutating func decodeNSH(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.nsh &+= 1
        guard length >= 8 else { return self.raiseInvalid(.nshHeaderTooSmall, &packet) }
        guard self.enterLayer(&packet) else { return }
        let word = frame.be16(offset)
        guard word >> 14 == 0 else { return self.raise(.nshUnsupportedVersion, &packet) }
        let headerLength = Int(word & 0x003f) * 4
        guard headerLength < length else { return self.raiseInvalid(.nshBadHeaderLength, &packet) }
        let mdType = frame.u8(offset + 2) & 0x0f
        switch mdType {
        case 0, 0x0f: return self.raise(.nshReservedType, &packet)
        case 1: guard headerLength == 24 else { return self.raiseInvalid(.nshBadHeaderLength, &packet) }
        case 2: break
        default: return self.raise(.nshUnsupportedType, &packet)
        }
        let inner = offset + headerLength
        let innerLength = length - headerLength
        switch frame.u8(offset + 3) {
        case 1: self.decodeIPv4(frame, offset: inner, length: min(innerLength, 65_535), into: &packet)
        case 2: self.decodeIPv6(frame, offset: inner, length: min(innerLength, 65_535), into: &packet)
        case 3: self.decodeEthernet(frame, offset: inner, length: innerLength, into: &packet)
        case 5: self.decodeMPLS(frame, offset: inner, length: innerLength, into: &packet)
        default: self.raise(.nshUnknownPayload, &packet)
        }
    }

    /// VN-Tag (802.1Qbh): a 4-byte tag, then an ethertype.
    mutating func decodeVNTag(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.vntag &+= 1
        guard length >= 6 else { return self.raiseInvalid(.vntagHeaderTooSmall, &packet) }
        guard self.enterLayer(&packet) else { return }
        if !self.decodeNetworkLayer(frame.be16(offset + 4), frame, offset: offset + 6, length: length - 6,
            into: &packet)
        {
            self.raiseInvalid(.vntagUnknownType, &packet)
        }
    }

    /// E-Tag (802.1BR): a 6-byte tag, then an ethertype.
    mutating func decodeETag(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet) {
        self.statistics.etag &+= 1
        guard length >= 8 else { return self.raiseInvalid(.etagHeaderTooSmall, &packet) }
        guard self.enterLayer(&packet) else { return }
        if !self.decodeNetworkLayer(frame.be16(offset + 6), frame, offset: offset + 8, length: length - 8,
            into: &packet)
        {
            self.raiseInvalid(.etagUnknownType, &packet)
        }
    }

    /// 802.1ah (provider backbone bridging): the 4-byte I-TAG, the customer addresses, then an ethertype.
    mutating func decodeIEEE8021ah(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int,
        into packet: inout Packet)
    {
        self.statistics.ieee8021ah &+= 1
        guard length >= 18 else { return self.raiseInvalid(.ieee8021ahHeaderTooSmall, &packet) }
        _ = self.decodeNetworkLayer(frame.be16(offset + 16), frame, offset: offset + 18, length: length - 18,
            into: &packet)
    }

    /// Cisco HDLC: address, control, then an ethertype.
    mutating func decodeCiscoHDLC(_ frame: UnsafeRawBufferPointer, length: Int, into packet: inout Packet) {
        self.statistics.chdlc &+= 1
        guard length >= 4 else { return self.raiseInvalid(.chdlcPktTooSmall, &packet) }
        guard length <= 4 + 65_535 else { return }
        guard self.enterLayer(&packet) else { return }
        _ = self.decodeNetworkLayer(frame.be16(2), frame, offset: 4, length: length - 4, into: &packet)
    }
}
