// SPDX-License-Identifier: MIT
import WeirCore

/// Capture link types (pcap LINKTYPE_/DLT_ values) that Weir decodes.
public enum LinkType: Int32, Sendable {
    /// BSD loopback / NULL: a 4-byte address family in the capturing host's byte order.
    case null = 0
    /// Ethernet II, with optional 802.1Q / 802.1ad tags.
    case ethernet = 1
    /// Raw IP as DLT_RAW on most systems (12) …
    case rawDLT12 = 12
    /// … and as DLT_RAW on OpenBSD (14).
    case rawDLT14 = 14
    /// OpenBSD loopback: like NULL but the family is always big-endian.
    case loop = 108
    /// Raw IP, LINKTYPE_RAW.
    case raw = 101
    /// Linux "cooked" capture v1.
    case linuxSLL = 113
    /// Raw IPv4 (LINKTYPE_IPV4).
    case ipv4 = 228
    /// Raw IPv6 (LINKTYPE_IPV6).
    case ipv6 = 229
    /// PPP (LINKTYPE_PPP): optional address/control bytes, then the PPP protocol.
    case ppp = 9
    /// Cisco HDLC (LINKTYPE_C_HDLC): address, control and an ethertype.
    case ciscoHDLC = 104
    /// LINKTYPE_GRE_OVER_IP: raw IP carrying GRE, read as raw IP (as Suricata does).
    case greOverIP = 778
    /// Linux "cooked" capture v2.
    case linuxSLL2 = 276
}

/// Whether a checksum was checked, and what was found.
public enum ChecksumState: UInt8, Sendable {
    /// Not checked (validation off, or the header has no checksum, or the packet is a fragment).
    case unchecked = 0
    /// Checked and correct.
    case valid = 1
    /// Checked and wrong.
    case invalid = 2
}

/// One decoded packet: the header fields every later stage needs, as plain values, plus offsets into the
/// frame for the rest.
///
/// A `Packet` does not own the frame bytes: the capture source does, and the frame stays valid only while
/// the packet is being processed. Offsets are from the first byte of the frame; `-1` means "not present".
/// The decoder fills a caller-owned `Packet` in place and never allocates.
public struct Packet: Sendable {
    /// Capture time.
    public var timestamp: Timestamp = Timestamp(microseconds: 0)
    /// Bytes captured (the frame buffer's length).
    public var captureLength: Int = 0
    /// Bytes on the wire (pcap `len`); larger than `captureLength` when the capture was truncated by snaplen.
    public var wireLength: Int = 0
    /// The link type the frame was decoded as.
    public var linkType: LinkType = .ethernet
    /// 1-based position of the packet in its input (Suricata's `pcap_cnt`).
    public var packetNumber: UInt64 = 0

    // MARK: Layer 2
    /// VLAN ids, outermost first; unused slots are 0. Up to ``maxVLANLayers`` tags are kept, as Suricata's
    /// `VLAN_MAX_LAYERS`. Declared before ``vlanCount`` so that the count fills the tuple's trailing padding
    /// and the third id costs the packet no extra bytes.
    public var vlanIDs: (UInt16, UInt16, UInt16) = (0, 0, 0)
    /// Number of VLAN tags kept (0 to ``maxVLANLayers``; a further tag raises `vlan.too_many_layers`).
    public var vlanCount: UInt8 = 0

    // MARK: Layer 3
    /// 4, 6, or 0 when no IP header was decoded.
    public var ipVersion: UInt8 = 0
    /// Offset of the IP header.
    public var l3Offset: Int = -1
    /// Source address from the IP header.
    public var source: IPAddress = .zeroV4
    /// Destination address from the IP header.
    public var destination: IPAddress = .zeroV4
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8 = 0
    /// IPv4 TOS byte or IPv6 traffic class.
    public var tos: UInt8 = 0
    /// IPv4 identification (or the IPv6 fragment header's identification).
    public var ipID: UInt32 = 0
    /// IPv4 header length in bytes (IHL × 4), or the IPv6 fixed header plus extension headers.
    public var ipHeaderLength: Int = 0
    /// IPv4 total length / IPv6 payload length + 40, as the header states it.
    public var ipTotalLength: Int = 0
    /// IPv4 flag bits as in the header's top three bits: 0x4 reserved, 0x2 DF, 0x1 MF.
    ///
    /// For IPv6, 0x1 when a fragment header has its M flag set.
    public var ipFlags: UInt8 = 0
    /// Fragment offset in bytes (IPv4 header, or IPv6 fragment header).
    public var fragmentOffset: Int = 0
    /// True for any fragment (MF set or non-zero offset; an IPv6 fragment header with either): no L4 is decoded.
    ///
    /// An IPv6 "atomic" fragment header (offset 0, M clear) is not a fragment (`ipv6.exthdr_useless_fh`).
    public var isFragment: Bool = false
    /// IPv4 options present, one bit per ``IPv4Option`` raw value.
    public var ipv4Options: UInt32 = 0
    /// IPv6 extension headers present, one bit per ``IPv6ExtensionHeader`` raw value.
    public var ipv6ExtensionHeaders: UInt16 = 0
    /// The IPv4 header checksum (always unchecked for IPv6, which has none).
    public var ipChecksum: ChecksumState = .unchecked

    // MARK: Layer 4
    /// The transport protocol number (after IPv6 extension headers); 0 when there is no IP layer.
    ///
    /// As in Suricata, an IPv4 fragment keeps its header's protocol while an IPv6 fragment reports 44 (Fragment),
    /// and an IPv6 chain ending in ESP or No Next Header reports 50 or 59.
    public var l4Protocol: UInt8 = 0
    /// Offset of the transport header.
    public var l4Offset: Int = -1
    /// True when the transport header was fully decoded (ports and flags below are meaningful).
    public var hasL4: Bool = false
    /// TCP/UDP source port (0 for other protocols).
    public var sourcePort: UInt16 = 0
    /// TCP/UDP destination port (0 for other protocols).
    public var destinationPort: UInt16 = 0
    /// The TCP, UDP, ICMPv4 or ICMPv6 checksum (unchecked for fragments and UDP over IPv4 with checksum 0).
    public var l4Checksum: ChecksumState = .unchecked

    /// TCP flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).
    public var tcpFlags: UInt8 = 0
    /// TCP sequence number.
    public var tcpSequence: UInt32 = 0
    /// TCP acknowledgement number.
    public var tcpAcknowledgement: UInt32 = 0
    /// TCP window, unscaled.
    public var tcpWindow: UInt16 = 0
    /// TCP header length in bytes (data offset × 4).
    public var tcpHeaderLength: Int = 0
    /// The TCP options the decoder understood.
    public var tcpOptions: TCPOptions = TCPOptions()

    /// ICMPv4 or ICMPv6 type.
    public var icmpType: UInt8 = 0
    /// ICMPv4 or ICMPv6 code.
    public var icmpCode: UInt8 = 0
    /// ICMP echo/timestamp/… identifier and sequence, when the type carries them.
    public var icmpID: UInt16 = 0
    public var icmpSequence: UInt16 = 0
    /// True when the ICMP type carries an identifier and sequence number.
    public var icmpHasIDAndSequence: Bool = false
    /// For ICMP error messages: offset of the embedded (quoted) IP header, or -1 when there is none or it was
    /// unusable (`icmpv4.ipv4_trunc_pkt`, `icmpv6.ipv6_trunc_pkt`, …).
    public var icmpEmbeddedOffset: Int = -1
    /// An ICMPv4 destination unreachable that quotes a TCP or UDP header: the quoted packet's endpoints, the
    /// flow the error belongs to (Suricata's `ICMPV4_DEST_UNREACH_IS_VALID`, with its embedded ports). `nil`
    /// for every other packet.
    public var icmpUnreachableFlow: ICMPQuotedFlow? = nil

    // MARK: Payload
    /// Offset of the application payload (after the transport header), or of the IP payload for fragments
    /// and unknown protocols.
    public var payloadOffset: Int = 0
    /// Payload length in captured bytes.
    public var payloadLength: Int = 0

    // MARK: Tunnels
    /// Tunnel nesting: 0 for a captured packet, 1 for the packet inside its tunnel, … (Suricata's
    /// `recursion_level`; part of the flow key, so an inner flow never merges with an outer one).
    public var tunnelDepth: UInt8 = 0
    /// Layers decoded for this packet and its tunnel parents (checked against `decoder.max-layers`).
    public var decodedLayers: UInt8 = 0
    /// A tunnel found in this packet; the caller decodes its inner packet with
    /// ``PacketDecoder/decodeTunnel(_:parent:into:)`` and processes it after this one.
    public var pendingTunnel: PendingTunnel = PendingTunnel()
    /// For a packet decoded from a tunnel: the outermost packet and the decoder that found this one.
    public var tunnelOrigin: TunnelOrigin? = nil
    /// Frame offset where this packet's own bytes start: 0, or where its tunnel put it.
    public var frameStart: Int = 0
    /// The decoder that found this packet in a tunnel (meaningful when ``tunnelOrigin`` is set).
    public var tunnelDecoder: TunnelDecoder = .gre
    /// The payload is a tunnel whose inner packet is inspected on its own: content rules skip this packet's
    /// payload (Suricata's DecodeSetNoPayloadInspectionFlag on a tunnel's parent).
    public var noPayloadInspection: Bool = false
    /// The packet was rebuilt from fragments (EVE `pkt_src` `defrag`).
    public var isReassembled: Bool = false

    // MARK: Anomalies
    /// Decode events raised for this packet.
    public var events: DecodeEventSet = DecodeEventSet()
    /// True when the packet could not be decoded far enough to be usable (Suricata's `decoder.invalid`).
    public var isInvalid: Bool = false

    /// An empty packet; the decoder fills it.
    public init() {}

    /// A packet with every field at its initial value, for ``reset()``.
    @usableFromInline static let blank = Packet()

    /// Clears every field so the value can be reused for the next frame: one copy of ``blank`` (building a new
    /// packet field by field and then copying it cost twice as much, on every frame).
    @inlinable
    public mutating func reset() { self = Self.blank }

    /// The most VLAN tags a packet keeps (Suricata's `VLAN_MAX_LAYERS`).
    public static let maxVLANLayers = 3

    /// The VLAN id in slot `index` (0 is the outermost tag); 0 for a slot no tag filled or an index outside
    /// `0..<maxVLANLayers`.
    @inlinable
    public func vlanID(at index: Int) -> UInt16 {
        switch index {
        case 0: return self.vlanIDs.0
        case 1: return self.vlanIDs.1
        case 2: return self.vlanIDs.2
        default: return 0
        }
    }

    /// Appends a VLAN id as the next inner tag. The caller has checked that fewer than ``maxVLANLayers`` are
    /// kept; a call beyond that changes nothing.
    @inlinable
    public mutating func appendVLAN(_ id: UInt16) {
        switch self.vlanCount {
        case 0: self.vlanIDs.0 = id
        case 1: self.vlanIDs.1 = id
        case 2: self.vlanIDs.2 = id
        default: return
        }
        self.vlanCount += 1
    }

    /// True for TCP packets whose header was decoded.
    @inlinable public var isTCP: Bool { self.hasL4 && self.l4Protocol == IPProtocol.tcp }
    /// True for UDP packets whose header was decoded.
    @inlinable public var isUDP: Bool { self.hasL4 && self.l4Protocol == IPProtocol.udp }
}

/// TCP options the engine uses (RFC 9293, RFC 7323, RFC 2018).
public struct TCPOptions: Sendable, Equatable {
    /// Maximum segment size (kind 2).
    public var mss: UInt16? = nil
    /// Window scale shift count (kind 3), as sent (not clamped to 14).
    public var windowScale: UInt8? = nil
    /// SACK permitted (kind 4).
    public var sackPermitted: Bool = false
    /// A SACK option (kind 5) is present.
    public var hasSACK: Bool = false
    /// Number of SACK blocks (1 to 4) when ``hasSACK``.
    public var sackBlockCount: UInt8 = 0
    /// Frame offset of the first SACK block (pairs of big-endian 32-bit left/right edges), or -1.
    public var sackOffset: Int = -1
    /// Timestamp value (kind 8).
    public var timestampValue: UInt32? = nil
    /// Timestamp echo reply (kind 8).
    public var timestampEcho: UInt32? = nil
    /// TCP Fast Open cookie option (kind 34) present.
    public var hasFastOpen: Bool = false
    /// TCP-MD5 signature option (kind 19, RFC 2385) present.
    public var hasMD5: Bool = false
    /// TCP-AO option (kind 29, RFC 5925) present.
    public var hasAO: Bool = false
    /// No options.
    public init() {}
}

/// A fixed-size set of ``DecodeEvent``s: 256 bits inline, no allocation.
public struct DecodeEventSet: Sendable, Equatable {
    @usableFromInline var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The empty set.
    public init() {}

    /// Adds `event`.
    @inlinable
    public mutating func insert(_ event: DecodeEvent) {
        let bit = UInt64(1) << UInt64(event.rawValue & 63)
        switch event.rawValue >> 6 {
        case 0: self.words.0 |= bit
        case 1: self.words.1 |= bit
        case 2: self.words.2 |= bit
        default: self.words.3 |= bit
        }
    }

    /// Whether `event` is in the set.
    @inlinable
    public func contains(_ event: DecodeEvent) -> Bool {
        let bit = UInt64(1) << UInt64(event.rawValue & 63)
        switch event.rawValue >> 6 {
        case 0: return self.words.0 & bit != 0
        case 1: return self.words.1 & bit != 0
        case 2: return self.words.2 & bit != 0
        default: return self.words.3 & bit != 0
        }
    }

    /// True when no event was raised.
    @inlinable
    public var isEmpty: Bool { self.words.0 | self.words.1 | self.words.2 | self.words.3 == 0 }

    /// Calls `body` with each event in raw-value order, without allocating.
    public func forEach(_ body: (DecodeEvent) -> Void) {
        Self.forEachBit(self.words.0, base: 0, body)
        Self.forEachBit(self.words.1, base: 64, body)
        Self.forEachBit(self.words.2, base: 128, body)
        Self.forEachBit(self.words.3, base: 192, body)
    }

    private static func forEachBit(_ word: UInt64, base: Int, _ body: (DecodeEvent) -> Void) {
        var bits = word
        while bits != 0 {
            if let event = DecodeEvent(rawValue: UInt8(base + bits.trailingZeroBitCount)) { body(event) }
            bits &= bits &- 1
        }
    }

    /// Number of events in the set.
    public var count: Int {
        self.words.0.nonzeroBitCount + self.words.1.nonzeroBitCount + self.words.2.nonzeroBitCount
            + self.words.3.nonzeroBitCount
    }

    /// The events in raw-value order (allocates; for output and tests).
    public var elements: [DecodeEvent] {
        var out: [DecodeEvent] = []
        self.forEach { out.append($0) }
        return out
    }

    /// Bitwise equality.
    public static func == (a: DecodeEventSet, b: DecodeEventSet) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }
}

/// The endpoints of the packet an ICMPv4 error quotes, as the packet that caused it travelled.
public struct ICMPQuotedFlow: Equatable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The quoted packet's protocol (TCP or UDP).
    public var proto: UInt8

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16, destinationPort: UInt16, proto: UInt8) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.proto = proto
    }
}
