// SPDX-License-Identifier: MIT
import WeirCore

/// The fields every packet- or flow-based EVE record starts with, in Suricata's order
/// (`CreateEveHeader` / `CreateEveHeaderFromFlow` in Suricata's `output-json*.c`).
///
/// Rendered as: `timestamp`, `flow_id`, `in_iface`, `pcap_cnt`, `event_type`, `vlan`, `src_ip`, `src_port`,
/// `dest_ip`, `dest_port`, `proto`, `ip_v`, `icmp_type`, `icmp_code`, `response_icmp_type`, `response_icmp_code`,
/// `pkt_src`; optional fields are left out when `nil`, as Suricata leaves them out. Flow records put `ip_v` before
/// `proto`, as Suricata's flow logger does.
public struct EVEHeader: Sendable, Equatable {
    /// The packet's time (packet records) or the time the record is written (flow records; in replay the
    /// time of the packet that ended the flow or of the last packet read).
    public var timestamp: Timestamp
    /// The flow's id; Suricata prints it unsigned and never negative, so the full 64-bit range is kept.
    /// `nil` for packets without a flow.
    public var flowID: UInt64?
    /// `in_iface`: the capture interface; `nil` for pcap files.
    public var inInterface: String?
    /// `pcap_cnt`: the packet's 1-based number in the capture file; `nil` (or 0) to leave it out, as for
    /// flow records and live capture.
    public var pcapCount: UInt64?
    /// `vlan`: VLAN ids outermost first; empty when untagged.
    public var vlan: VLANTags
    /// `src_ip`.
    public var sourceIP: IPAddress
    /// `src_port`: for TCP, UDP and SCTP; `nil` otherwise.
    public var sourcePort: UInt16?
    /// `dest_ip`.
    public var destinationIP: IPAddress
    /// `dest_port`: for TCP, UDP and SCTP; `nil` otherwise.
    public var destinationPort: UInt16?
    /// The IP protocol number; `proto` is printed by name (``IPProtocol/eveName(_:)``).
    public var ipProtocol: UInt8
    /// `ip_v`: 4 or 6, the IP version of the packet (packet records) or of the flow (flow and transaction
    /// records); 0 leaves it out (a packet without an IP layer), as Suricata 8 does.
    public var ipVersion: UInt8
    /// False for a packet without a decoded IP layer (a decoder event on a truncated or malformed header):
    /// Suricata then writes no addresses, ports or `proto`, and fast.log prints the raw packet instead.
    public var hasAddresses: Bool
    /// `icmp_type`, for ICMP and ICMPv6.
    public var icmpType: UInt8?
    /// `icmp_code`, for ICMP and ICMPv6.
    public var icmpCode: UInt8?
    /// `response_icmp_type`: flow records of ICMP flows with replies.
    public var responseICMPType: UInt8?
    /// `response_icmp_code`: flow records of ICMP flows with replies.
    public var responseICMPCode: UInt8?
    /// `pkt_src`: where the packet came from; `nil` for flow and stats records.
    public var packetSource: EVEPacketSource?
    /// `ether`: the packet's Ethernet header (eve-log `ethernet: yes`), for packets that have one.
    public var ether: EVEEther? = nil
    /// `community_id`: the flow's Community ID (``CommunityID``) when `community-id` is on.
    public var communityID: String? = nil
    /// `metadata`: the flow's variables (`{"flowbits":[…],"flowints":{…}}`), pre-rendered by
    /// ``flowVariablesJSON(flowbits:flowints:)``; written before `community_id`, as Suricata does.
    public var flowVariablesJSON: [UInt8]? = nil

    /// A header for a flow between two endpoints; optional fields start as `nil`. Inlinable: every alert makes
    /// one, and across the module boundary the call cost more than the stores.
    @inlinable
    public init(
        timestamp: Timestamp,
        flowID: UInt64?,
        sourceIP: IPAddress,
        sourcePort: UInt16?,
        destinationIP: IPAddress,
        destinationPort: UInt16?,
        ipProtocol: UInt8
    ) {
        self.timestamp = timestamp
        self.flowID = flowID
        self.inInterface = nil
        self.pcapCount = nil
        self.vlan = VLANTags()
        self.sourceIP = sourceIP
        self.sourcePort = sourcePort
        self.destinationIP = destinationIP
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
        self.ipVersion = 0
        self.hasAddresses = true
        self.icmpType = nil
        self.icmpCode = nil
        self.responseICMPType = nil
        self.responseICMPCode = nil
        self.packetSource = nil
    }
}

extension EVEHeader {
    /// The `metadata` object of a flow's variables as Suricata's `EveAddFlowVars` writes it: `flowbits` (the
    /// names of the set bits) and `flowints` (name to value); `nil` when the flow has neither.
    public static func flowVariablesJSON(flowbits: [String], flowints: [(String, Int64)]) -> [UInt8]? {
        guard !flowbits.isEmpty || !flowints.isEmpty else { return nil }
        let writer = JSONWriter(capacity: 128)
        writer.beginObject()
        if !flowbits.isEmpty {
            writer.beginArray("flowbits")
            for name in flowbits { writer.string(name) }
            writer.endArray()
        }
        if !flowints.isEmpty {
            writer.beginObject("flowints")
            for (name, value) in flowints {
                writer.key(name)
                writer.integer(value)
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}

/// Up to three VLAN ids held inline (no allocation per record), outermost first.
public struct VLANTags: Sendable, Equatable {
    /// How many ids are set (0 to 3).
    public private(set) var count: Int = 0
    @usableFromInline var ids: (UInt16, UInt16, UInt16) = (0, 0, 0)

    /// No tags.
    @inlinable
    public init() {}

    /// The given ids (at most three are kept).
    public init(_ ids: [UInt16]) {
        for id in ids.prefix(3) { self.append(id) }
    }

    /// Adds the next inner id; ignored past three.
    public mutating func append(_ id: UInt16) {
        switch self.count {
        case 0: self.ids.0 = id
        case 1: self.ids.1 = id
        case 2: self.ids.2 = id
        default: return
        }
        self.count += 1
    }

    /// The id at `index` (0 = outermost).
    public subscript(index: Int) -> UInt16 {
        switch index {
        case 0: return self.ids.0
        case 1: return self.ids.1
        default: return self.ids.2
        }
    }

    public static func == (lhs: VLANTags, rhs: VLANTags) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for index in 0..<lhs.count where lhs[index] != rhs[index] { return false }
        return true
    }
}

/// EVE `pkt_src`: Suricata's names for where a packet came from.
public enum EVEPacketSource: String, Sendable {
    /// Read from the wire or a pcap file: `wire/pcap`.
    case wire = "wire/pcap"
    /// Rebuilt from IPv4 fragments.
    case ipv4Defrag = "ipv4 defrag"
    /// Rebuilt from IPv6 fragments.
    case ipv6Defrag = "ipv6 defrag"
    /// A pseudo packet made at flow timeout to flush the stream.
    case streamFlowTimeout = "stream (flow timeout)"
    /// A pseudo packet made by the stream engine.
    case stream = "stream"
    /// Decoded from a tunnel.
    case tunnel = "tunnel"
    /// Decoded from GRE (and ERSPAN).
    case greTunnel = "gre tunnel"
    /// Decoded from IPv4 (IP-in-IP, 6in4).
    case ipv4Tunnel = "ipv4 tunnel"
    /// Decoded from IPv6 (4in6, IPv6-in-IPv6).
    case ipv6Tunnel = "ipv6 tunnel"
    /// Decoded from Teredo.
    case teredoTunnel = "teredo tunnel"
    /// Decoded from VXLAN.
    case vxlan = "vxlan encapsulation"
    /// Decoded from Geneve.
    case geneve = "geneve encapsulation"
    /// Rebuilt from fragments (Suricata 8's PKT_SRC_DEFRAG).
    case defrag = "defrag"
}

/// EVE `event_type`.
public enum EVEEventType: String, Sendable {
    /// An alert.
    case alert
    /// A dropped packet (IPS).
    case drop
    /// A flow that ended.
    case flow
    /// Engine counters.
    case stats
    /// A decode, stream or app-layer anomaly.
    case anomaly
}

extension JSONWriter {
    /// Writes the header fields into the open top-level object.
    /// `packetFields: false` leaves out `pcap_cnt` and `pkt_src`, which flow records do not carry.
    func writeHeader(_ header: EVEHeader, eventType: EVEEventType, packetFields: Bool = true, spi: UInt32? = nil) {
        // The built-in names as whole literal members, comma, key and value in one copy.
        self.writeHeader(header, packetFields: packetFields, flowOrder: eventType == .flow, spi: spi, reversed: false) {
            writer in
            switch eventType {
            case .alert: writer.literalMember(",\"event_type\":\"alert\"")
            case .drop: writer.literalMember(",\"event_type\":\"drop\"")
            case .flow: writer.literalMember(",\"event_type\":\"flow\"")
            case .stats: writer.literalMember(",\"event_type\":\"stats\"")
            case .anomaly: writer.literalMember(",\"event_type\":\"anomaly\"")
            }
        }
    }

    /// Writes the header fields with any `event_type` (app-layer records: `http`, `fileinfo`, `dns` …).
    /// `reversed`: source and destination change places (a record of the flow's other direction: a DNS
    /// response, a download's `fileinfo`), without copying the header.
    public func writeHeader(_ header: EVEHeader, eventName: String, packetFields: Bool = true, reversed: Bool = false) {
        self.writeHeader(header, packetFields: packetFields, flowOrder: false, spi: nil, reversed: reversed) {
            $0.member(",\"event_type\":", eventName)
        }
    }

    /// The header in Suricata's order. `timestamp` is always there, so every later member's comma is known
    /// here and written with its name. `flowOrder`: `ip_v` before `proto` (Suricata's flow logger), not after it
    /// (its packet and transaction loggers).
    @inline(__always)
    private func writeHeader(
        _ header: EVEHeader, packetFields: Bool, flowOrder: Bool, spi: UInt32?, reversed: Bool,
        eventName: (JSONWriter) -> Void
    ) {
        self.key("timestamp")
        self.timestamp(header.timestamp)
        if let flowID = header.flowID { self.member(",\"flow_id\":", flowID) }
        if let interface = header.inInterface { self.member(",\"in_iface\":", interface) }
        if packetFields, let count = header.pcapCount, count != 0 { self.member(",\"pcap_cnt\":", count) }
        eventName(self)
        if header.vlan.count > 0 {
            self.beginArray("vlan")
            for index in 0..<header.vlan.count { self.unsigned(UInt64(header.vlan[index])) }
            self.endArray()
        }
        // `src_ip` … `proto` and `ip_v`; none of them for a packet without an IP layer.
        if header.hasAddresses {
            self.member(",\"src_ip\":", reversed ? header.destinationIP : header.sourceIP)
            if let port = reversed ? header.destinationPort : header.sourcePort {
                self.member(",\"src_port\":", UInt64(port))
            }
            self.member(",\"dest_ip\":", reversed ? header.sourceIP : header.destinationIP)
            if let port = reversed ? header.sourcePort : header.destinationPort {
                self.member(",\"dest_port\":", UInt64(port))
            }
            if flowOrder { self.writeIPVersion(header.ipVersion) }
            switch header.ipProtocol {
            case IPProtocol.tcp: self.literalMember(",\"proto\":\"TCP\"")
            case IPProtocol.udp: self.literalMember(",\"proto\":\"UDP\"")
            case IPProtocol.icmp: self.literalMember(",\"proto\":\"ICMP\"")
            case IPProtocol.icmpv6: self.literalMember(",\"proto\":\"IPv6-ICMP\"")
            default: self.member(",\"proto\":", IPProtocol.eveName(header.ipProtocol))
            }
            if !flowOrder { self.writeIPVersion(header.ipVersion) }
        }
        if let type = header.icmpType { self.member(",\"icmp_type\":", UInt64(type)) }
        if let code = header.icmpCode { self.member(",\"icmp_code\":", UInt64(code)) }
        if let type = header.responseICMPType { self.member(",\"response_icmp_type\":", UInt64(type)) }
        if let code = header.responseICMPCode { self.member(",\"response_icmp_code\":", UInt64(code)) }
        // An ESP flow's security parameter index, where Suricata's flow logger writes it (its ICMP fields' place).
        if let spi { self.member(",\"spi\":", UInt64(spi)) }
        if packetFields, let source = header.packetSource {
            switch source {
            case .wire: self.literalMember(",\"pkt_src\":\"wire/pcap\"")
            default: self.member(",\"pkt_src\":", source.rawValue)
            }
        }
        if let variables = header.flowVariablesJSON {
            self.member(",\"metadata\":")
            self.raw(variables)
        }
        if let ether = header.ether { self.writeEther(ether) }
        if let id = header.communityID { self.member(",\"community_id\":", id) }
    }

    /// `,"ether":{"ether_type":N,"src_mac":"aa:bb:…","dest_mac":"…"}` as Suricata's packet records carry it.
    private func writeEther(_ ether: EVEEther) {
        self.member(",\"ether\":{\"ether_type\":", UInt64(ether.etherType))
        self.member(",\"src_mac\":")
        self.macAddress(ether.source)
        self.member(",\"dest_mac\":")
        self.macAddress(ether.destination)
        self.endObject()
    }

    /// A MAC address as a string value, lower-case hex pairs separated by colons.
    private func macAddress(_ value: UInt64) {
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 17) { text in
            for index in 0..<6 {
                let byte = Int(value >> UInt64(40 - 8 * index) & 0xff)
                if index > 0 { text[index * 3 - 1] = UInt8(ascii: ":") }
                text[index * 3] = digits[byte >> 4]
                text[index * 3 + 1] = digits[byte & 0xf]
            }
            self.string(bytes: UnsafeRawBufferPointer(text))
        }
    }

    @inline(__always)
    private func writeIPVersion(_ version: UInt8) {
        switch version {
        case 4: self.literalMember(",\"ip_v\":4")
        case 6: self.literalMember(",\"ip_v\":6")
        default: break
        }
    }
}

/// The Ethernet header of a packet as EVE's `ether` object shows it.
public struct EVEEther: Sendable, Equatable {
    /// The header's type field (0x8100 for a tagged frame, as Suricata prints it).
    public var etherType: UInt16
    /// The source address in the low 48 bits.
    public var source: UInt64
    /// The destination address in the low 48 bits.
    public var destination: UInt64

    /// The header at the start of `frame`; nil when the frame is shorter than 14 bytes.
    public init?(frame: UnsafeRawBufferPointer) {
        guard frame.count >= 14 else { return nil }
        func address(_ offset: Int) -> UInt64 {
            var value: UInt64 = 0
            for index in 0..<6 { value = value << 8 | UInt64(frame[offset + index]) }
            return value
        }
        self.destination = address(0)
        self.source = address(6)
        self.etherType = UInt16(frame[12]) << 8 | UInt16(frame[13])
    }
}
