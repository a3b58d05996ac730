// SPDX-License-Identifier: MIT

/// An `event_type: drop` record (IPS): the dropped packet's header fields. Suricata counterpart:
/// `output-json-drop.c`.
///
/// Field order: header (with `pkt_src`), `drop{len, tos, ttl, ipid, tcpseq, tcpack, tcpwin, syn, ack, psh, rst,
/// urg, fin, tcpres, tcpurgp | udplen | icmp_id, icmp_seq, reason}`, then `alert{…}` when drop logging includes
/// the alert that caused the drop.
public struct EVEDropRecord: Sendable, Equatable {
    /// The packet's header.
    public var header: EVEHeader
    /// `len`: the IP packet's total length.
    public var length: UInt32
    /// `tos`: IPv4 TOS or IPv6 traffic class.
    public var tos: UInt8
    /// `ttl`: IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8
    /// `ipid`: the IPv4 identification (0 for IPv6).
    public var ipID: UInt16
    /// TCP fields, for TCP packets.
    public var tcp: TCPFields?
    /// `udplen`, for UDP packets.
    public var udpLength: UInt16?
    /// `icmp_id`, for ICMP echo packets.
    public var icmpID: UInt16?
    /// `icmp_seq`, for ICMP echo packets.
    public var icmpSequence: UInt16?
    /// `reason`: why the packet was dropped (`rules`, `stream error`, …); `nil` leaves it out.
    public var reason: String?
    /// The alert that caused the drop, printed as `alert{…}` when `drop.alerts: yes`.
    public var alert: EVEAlert?
    /// `verdict`: what became of the packet (`drop.verdict: yes`).
    public var verdict: EVEVerdict? = nil

    /// TCP header fields of a dropped packet.
    public struct TCPFields: Sendable, Equatable {
        /// `tcpseq`.
        public var sequence: UInt32
        /// `tcpack`.
        public var acknowledgement: UInt32
        /// `tcpwin`.
        public var window: UInt16
        /// The flag byte; printed as `syn`, `ack`, `psh`, `rst`, `urg`, `fin` booleans (all of them).
        public var flags: UInt8
        /// `tcpres`: the reserved bits.
        public var reserved: UInt8
        /// `tcpurgp`: the urgent pointer.
        public var urgentPointer: UInt16

        /// TCP fields.
        public init(
            sequence: UInt32,
            acknowledgement: UInt32,
            window: UInt16,
            flags: UInt8,
            reserved: UInt8,
            urgentPointer: UInt16
        ) {
            self.sequence = sequence
            self.acknowledgement = acknowledgement
            self.window = window
            self.flags = flags
            self.reserved = reserved
            self.urgentPointer = urgentPointer
        }
    }

    /// A drop record with the IP fields; add the transport fields as needed.
    public init(header: EVEHeader, length: UInt32, tos: UInt8, ttl: UInt8, ipID: UInt16) {
        self.header = header
        self.length = length
        self.tos = tos
        self.ttl = ttl
        self.ipID = ipID
    }
}

extension JSONWriter {
    /// Renders `record` as one complete JSON object (no trailing newline).
    public func writeDropRecord(_ record: EVEDropRecord) {
        self.beginObject()
        self.writeHeader(record.header, eventType: .drop)
        self.beginObject("drop")
        self.field("len", UInt64(record.length))
        self.field("tos", UInt64(record.tos))
        self.field("ttl", UInt64(record.ttl))
        self.field("ipid", UInt64(record.ipID))
        if let tcp = record.tcp {
            self.field("tcpseq", UInt64(tcp.sequence))
            self.field("tcpack", UInt64(tcp.acknowledgement))
            self.field("tcpwin", UInt64(tcp.window))
            self.field("syn", tcp.flags & 0x02 != 0)
            self.field("ack", tcp.flags & 0x10 != 0)
            self.field("psh", tcp.flags & 0x08 != 0)
            self.field("rst", tcp.flags & 0x04 != 0)
            self.field("urg", tcp.flags & 0x20 != 0)
            self.field("fin", tcp.flags & 0x01 != 0)
            self.field("tcpres", UInt64(tcp.reserved))
            self.field("tcpurgp", UInt64(tcp.urgentPointer))
        }
        if let length = record.udpLength { self.field("udplen", UInt64(length)) }
        if let id = record.icmpID { self.field("icmp_id", UInt64(id)) }
        if let sequence = record.icmpSequence { self.field("icmp_seq", UInt64(sequence)) }
        if let reason = record.reason { self.field("reason", reason) }
        self.endObject()
        if let verdict = record.verdict { self.writeVerdict(verdict) }
        if let alert = record.alert { self.writeAlertObject(alert) }
        self.endObject()
    }
}
