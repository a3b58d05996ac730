// SPDX-License-Identifier: MIT

/// Decodes captured frames into ``Packet`` values and keeps the `decoder.*` counters.
///
/// One decoder per capture input (its link type is fixed) and per thread: `decode(_:into:)` is `mutating`
/// because it updates ``statistics`` and the checksum auto-mode state. It never throws, never allocates and
/// accepts any byte sequence: malformed input becomes ``DecodeEvent``s on the packet.
///
/// ## Design
///
/// WeirDecode is Suricata's `decode-*.c` in one value type. The capture source owns the frame bytes; the caller
/// resets a reusable ``Packet``, fills its capture metadata and calls ``decode(_:into:)``, which walks link
/// layer → VLAN tags → IPv4/IPv6 (options, extension headers) → TCP/UDP/ICMPv4/ICMPv6 with absolute offsets into
/// the frame (`PacketDecoder+IPv4.swift`, `+IPv6`, `+Transport`, `+ICMP`). Nothing is copied, allocated or thrown.
///
/// Invariants:
/// - Every read is preceded by a length check against the bytes the current layer may use, which never exceed
///   what was captured; lengths only shrink going inward (IP trims trailing Ethernet padding to its total length,
///   UDP to its length field).
/// - Events are named and raised as Suricata raises them. "Invalid" events (Suricata's ENGINE_SET_INVALID_EVENT)
///   set ``Packet/isInvalid`` (counted as `decoder.invalid`) and stop decoding of that layer; others only record.
/// - Fragments (IPv4 MF or offset, IPv6 fragment header with offset or M set) are marked and never decoded as L4;
///   the runtime's ``Defragmenter`` reassembles them and decodes the result with ``decodeReassembled(_:into:)``.
/// - Tunnels (`PacketDecoder+Tunnels.swift`) are recorded as a ``PendingTunnel`` on the outer packet; the caller
///   decodes the inner packet into a second ``Packet`` with ``decodeTunnel(_:parent:into:)``.
/// - Checksums are verified as configured (``ChecksumValidation``); `.auto` switches itself off after 1,000
///   packets when more than 1 in 10 had a bad checksum (Suricata's ChecksumAutoModeCheck). A bad checksum is not
///   a decoder event: it is reported in ``Packet/ipChecksum`` and ``Packet/l4Checksum``.
///
/// Deliberate differences from Suricata: ERSPAN type III (GRE 0x22eb) is not decoded, as Suricata does not; ARP
/// is counted only; SLL2 is counted in `decoder.sll2`
/// (Suricata 8's counter) but a short SLL2 header raises `sll.pkt_too_small` (the event the bundled rules know); the LOOP link type (DLT 108) shares the NULL decoder with a big-endian family;
/// transport checksums over IPv6 use the final destination of a routing header (RFC 8200 8.1).
public struct PacketDecoder: Sendable {
    /// The link type of every frame this decoder sees.
    public let linkType: LinkType
    /// The configured checksum policy.
    public let checksumValidation: ChecksumValidation
    /// `decoder.*`: tunnel ports and switches, `max-layers`.
    public let settings: DecoderSettings
    /// Counters since creation.
    public var statistics = DecodeStatistics()
    /// True once `.auto` mode has decided that checksums are offloaded and stopped verifying them.
    public private(set) var checksumAutoDisabled = false

    /// Whether checksums are verified for the next packet.
    @usableFromInline var verifiesChecksums: Bool
    /// `.auto` sampling: packets seen and packets with a bad checksum among them.
    var autoSampledPackets: UInt64 = 0
    var autoBadChecksumPackets: UInt64 = 0
    /// Frame offset of the IPv6 address the pseudo header uses as destination (the header's, or the final
    /// destination named by a routing header); set by the IPv6 decoder for the current packet.
    var pseudoHeaderDestination: Int = 0

    /// Packets `.auto` mode samples before deciding, as Suricata's `CHECKSUM_SAMPLE_COUNT`.
    public static let checksumAutoSampleCount: UInt64 = 1000
    /// `.auto` stops verifying when `sampled / bad` is below this ratio (`CHECKSUM_INVALID_RATIO`).
    public static let checksumAutoInvalidRatio: UInt64 = 10

    /// A decoder for frames of `linkType`, verifying checksums as `checksums` says.
    public init(linkType: LinkType, checksums: ChecksumValidation, settings: DecoderSettings = DecoderSettings()) {
        self.linkType = linkType
        self.checksumValidation = checksums
        self.settings = settings
        self.verifiesChecksums = checksums != .none
    }

    /// Decodes one frame into `packet`.
    ///
    /// The caller has reset `packet` and set its timestamp, captureLength, wireLength and packetNumber; the
    /// decoder sets ``Packet/linkType`` and every decoded field. `frame` holds the captured bytes and must stay
    /// valid for the call only; offsets written into `packet` index it.
    /// - Complexity: O(header bytes), plus O(frame length) when checksums are verified; no allocation.
    public mutating func decode(_ frame: UnsafeRawBufferPointer, into packet: inout Packet) {
        self.decode(frame, into: &packet, checksumsVouched: false)
    }

    /// ``decode(_:into:)`` for a frame whose checksums the capturing kernel vouched for (it sent the frame
    /// and fills them in later, or the NIC checked them): they are left unchecked and out of the `.auto`
    /// sample, as Suricata's `checksum-checks: kernel` does.
    public mutating func decode(_ frame: UnsafeRawBufferPointer, into packet: inout Packet, checksumsVouched: Bool) {
        // Suspended for this frame only; a vouched frame is not sampled, so `.auto` cannot switch off meanwhile.
        let suspended = checksumsVouched && self.verifiesChecksums
        if suspended { self.verifiesChecksums = false }
        defer { if suspended { self.verifiesChecksums = true } }
        packet.linkType = self.linkType
        let length = frame.count
        self.statistics.packets &+= 1
        self.statistics.bytes &+= UInt64(length)
        if UInt64(length) > self.statistics.maxPacketSize { self.statistics.maxPacketSize = UInt64(length) }

        switch self.linkType {
        case .ethernet:
            self.decodeEthernet(frame, offset: 0, length: length, into: &packet)
        case .linuxSLL:
            self.decodeSLL(frame, length: length, into: &packet)
        case .linuxSLL2:
            self.decodeSLL2(frame, length: length, into: &packet)
        case .null:
            self.decodeNull(frame, length: length, bigEndianFamily: false, into: &packet)
        case .loop:
            self.decodeNull(frame, length: length, bigEndianFamily: true, into: &packet)
        case .raw, .rawDLT12, .rawDLT14, .ipv4, .ipv6, .greOverIP:
            self.decodeRaw(frame, length: length, into: &packet)
        case .ppp:
            self.decodePPP(frame, offset: 0, length: length, into: &packet)
        case .ciscoHDLC:
            self.decodeCiscoHDLC(frame, length: length, into: &packet)
        }

        if self.checksumValidation == .auto && !self.checksumAutoDisabled && !checksumsVouched {
            self.sampleChecksums(packet)
        }
        if packet.isInvalid { self.statistics.invalid &+= 1 }
        self.statistics.record(packet.events)
    }

    /// Suricata's ChecksumAutoModeCheck: at exactly the 1,000th packet, give up verifying if more than a tenth
    /// of the sample had a bad checksum (capture on a host with checksum offloading).
    private mutating func sampleChecksums(_ packet: Packet) {
        self.autoSampledPackets &+= 1
        if packet.ipChecksum == .invalid || packet.l4Checksum == .invalid {
            self.autoBadChecksumPackets &+= 1
        }
        if self.autoSampledPackets == Self.checksumAutoSampleCount, self.autoBadChecksumPackets != 0,
            self.autoSampledPackets / self.autoBadChecksumPackets < Self.checksumAutoInvalidRatio
        {
            self.checksumAutoDisabled = true
            self.verifiesChecksums = false
        }
    }

    // MARK: Events

    /// Records an event that does not make the packet unusable (Suricata's ENGINE_SET_EVENT).
    @inline(__always)
    func raise(_ event: DecodeEvent, _ packet: inout Packet) {
        packet.events.insert(event)
    }

    /// Records an event and marks the packet invalid (Suricata's ENGINE_SET_INVALID_EVENT).
    @inline(__always)
    func raiseInvalid(_ event: DecodeEvent, _ packet: inout Packet) {
        packet.events.insert(event)
        packet.isInvalid = true
    }

    // MARK: Link layers

    /// Ethernet II (IEEE 802.3 with an ethertype); the 4-byte FCS is normally not captured and, if it is, is
    /// trimmed with any padding by the IP total length.
    /// - Returns: false when the frame is too short or the layer budget is spent (Suricata's TM_ECODE_FAILED).
    @discardableResult
    mutating func decodeEthernet(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        self.statistics.ethernet &+= 1
        guard length >= 14 else {
            self.raiseInvalid(.ethernetPktTooSmall, &packet)
            return false
        }
        guard self.enterLayer(&packet) else { return false }
        let etherType = frame.be16(offset + 12)
        _ = self.decodeNetworkLayer(etherType, frame, offset: offset + 14, length: length - 14, into: &packet)
        return true
    }

    /// Linux cooked capture v1: 16-byte header, protocol (an ethertype) in the last two bytes.
    mutating func decodeSLL(_ frame: UnsafeRawBufferPointer, length: Int, into packet: inout Packet) {
        self.statistics.sll &+= 1
        guard length >= 16 else {
            self.raiseInvalid(.sllPktTooSmall, &packet)
            return
        }
        guard self.enterLayer(&packet) else { return }
        _ = self.decodeNetworkLayer(frame.be16(14), frame, offset: 16, length: length - 16, into: &packet)
    }

    /// Linux cooked capture v2: 20-byte header, protocol in the first two bytes.
    mutating func decodeSLL2(_ frame: UnsafeRawBufferPointer, length: Int, into packet: inout Packet) {
        self.statistics.sll2 &+= 1
        guard length >= 20 else {
            self.raiseInvalid(.sllPktTooSmall, &packet)
            return
        }
        guard self.enterLayer(&packet) else { return }
        _ = self.decodeNetworkLayer(frame.be16(0), frame, offset: 20, length: length - 20, into: &packet)
    }

    /// BSD loopback: a 4-byte address family, then IP.
    ///
    /// For NULL the family is in the capturing host's byte order, so both orders
    /// are accepted (a value above 0xffff must be the other order); for LOOP it is always big-endian.
    mutating func decodeNull(
        _ frame: UnsafeRawBufferPointer,
        length: Int,
        bigEndianFamily: Bool,
        into packet: inout Packet
    ) {
        self.statistics.null &+= 1
        guard length >= 4 else {
            self.raiseInvalid(.ltnullPktTooSmall, &packet)
            return
        }
        var family = frame.be32(0)
        if !bigEndianFamily {
            family = family.byteSwapped
            if family > 0xffff { family = family.byteSwapped }
        }
        switch family {
        case 2:
            self.decodeIPv4(frame, offset: 4, length: length - 4, into: &packet)
        // AF_INET6 differs by system: BSD 24, FreeBSD 28, Darwin 30, Linux 10, Solaris 26, Winsock 23.
        case 24, 28, 30, 10, 26, 23:
            self.decodeIPv6(frame, offset: 4, length: length - 4, into: &packet)
        default:
            self.raise(.ltnullUnsupportedType, &packet)
        }
    }

    /// Raw IP (DLT_RAW, LINKTYPE_IPV4/IPV6): the version nibble picks the decoder, as Suricata's DecodeRaw.
    mutating func decodeRaw(_ frame: UnsafeRawBufferPointer, length: Int, into packet: inout Packet) {
        self.statistics.raw &+= 1
        // Suricata checks the IPv4 minimum before looking at the version, even for IPv6.
        guard length >= 20 else {
            self.raiseInvalid(.ipv4PktTooSmall, &packet)
            return
        }
        switch frame.u8(0) >> 4 {
        case 4:
            self.decodeIPv4(frame, offset: 0, length: length, into: &packet)
        case 6:
            guard length >= 40 else {
                self.raiseInvalid(.ipv6PktTooSmall, &packet)
                return
            }
            self.decodeIPv6(frame, offset: 0, length: length, into: &packet)
        default:
            self.raise(.iprawInvalidIPVersion, &packet)
        }
    }

    /// Dispatches on an ethertype, as Suricata's DecodeNetworkLayer: IPv4, IPv6, 802.1Q/802.1ad/QinQ tags,
    /// PPPoE, MPLS, 802.1ah, Cisco DCE, E-Tag, VN-Tag and NSH; ARP is counted and not decoded further.
    ///
    /// - Returns: false for an unknown ethertype (`ethernet.unknown_ethertype` raised), so that a VLAN tag,
    ///   VN-Tag or E-Tag in front of it can raise its own `unknown_type`.
    mutating func decodeNetworkLayer(
        _ etherType: UInt16,
        _ frame: UnsafeRawBufferPointer,
        offset: Int,
        length: Int,
        into packet: inout Packet
    ) -> Bool {
        switch etherType {
        case 0x0800:
            self.decodeIPv4(frame, offset: offset, length: min(length, 65_535), into: &packet)
        case 0x86dd:
            self.decodeIPv6(frame, offset: offset, length: min(length, 65_535), into: &packet)
        case 0x8100, 0x88a8, 0x9100:
            // 802.1Q, 802.1ad and the older QinQ ethertype. Suricata's network-layer dispatch refuses a tag
            // beyond the third before looking at it: the event is raised and decoding stops there (the frame
            // keeps no IP layer), but the ethertype counts as known.
            guard packet.vlanCount < Packet.maxVLANLayers else {
                self.raise(.vlanTooManyLayers, &packet)
                return true
            }
            self.decodeVLAN(frame, offset: offset, length: length, into: &packet)
        case 0x8864:
            self.decodePPPoESession(frame, offset: offset, length: length, into: &packet)
        case 0x8863:
            self.decodePPPoEDiscovery(frame, offset: offset, length: length, into: &packet)
        case 0x8847, 0x8848:
            self.decodeMPLS(frame, offset: offset, length: length, into: &packet)
        case 0x88e7:
            self.decodeIEEE8021ah(frame, offset: offset, length: length, into: &packet)
        case 0x0806:
            self.statistics.arp &+= 1
        case 0x8903:
            // Cisco Fabric Path / DCE: two bytes, then a whole Ethernet header.
            guard length >= 16 else {
                self.raiseInvalid(.dcePktTooSmall, &packet)
                return true
            }
            self.decodeEthernet(frame, offset: offset + 2, length: length - 2, into: &packet)
        case 0x893f:
            self.decodeETag(frame, offset: offset, length: length, into: &packet)
        case 0x8926:
            self.decodeVNTag(frame, offset: offset, length: length, into: &packet)
        case 0x894f:
            self.decodeNSH(frame, offset: offset, length: length, into: &packet)
        default:
            self.statistics.unknownEthertype &+= 1
            self.raise(.ethernetUnknownEthertype, &packet)
            return false
        }
        return true
    }

    /// One 802.1Q / 802.1ad tag: the VLAN id, then the ethertype it carries.
    ///
    /// As Suricata's DecodeVLAN: the tag is counted by its depth before anything is checked (`decoder.vlan`,
    /// `decoder.vlan_qinq`, `decoder.vlan_qinqinq`), then a short header, the `max-layers` limit and a tag
    /// beyond ``Packet/maxVLANLayers`` (reachable from a tunnel's own VLAN payload) stop it.
    /// - Returns: false where Suricata's DecodeVLAN fails.
    @discardableResult
    mutating func decodeVLAN(_ frame: UnsafeRawBufferPointer, offset: Int, length: Int, into packet: inout Packet)
        -> Bool
    {
        switch packet.vlanCount {
        case 0: self.statistics.vlan &+= 1
        case 1: self.statistics.vlanQinQ &+= 1
        case 2: self.statistics.vlanQinQinQ &+= 1
        default: break
        }
        guard length >= 4 else {
            self.raiseInvalid(.vlanHeaderTooSmall, &packet)
            return false
        }
        guard self.enterLayer(&packet) else { return false }
        guard packet.vlanCount < Packet.maxVLANLayers else {
            self.raise(.vlanTooManyLayers, &packet)
            return false
        }
        packet.appendVLAN(frame.be16(offset) & 0x0fff)
        // Suricata: the network-layer dispatch flags an unknown ethertype, then the VLAN decoder fails.
        if !self.decodeNetworkLayer(frame.be16(offset + 2), frame, offset: offset + 4, length: length - 4, into: &packet) {
            self.raiseInvalid(.vlanUnknownType, &packet)
            return false
        }
        return true
    }
}

// MARK: Bounds-checked-by-caller reads

extension UnsafeRawBufferPointer {
    /// The byte at `offset`; the caller has checked `offset < count`.
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { self.load(fromByteOffset: offset, as: UInt8.self) }

    /// A big-endian 16-bit value at `offset`; the caller has checked `offset + 2 <= count`.
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// A big-endian 32-bit value at `offset`; the caller has checked `offset + 4 <= count`.
    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A big-endian 64-bit value at `offset`; the caller has checked `offset + 8 <= count`.
    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
