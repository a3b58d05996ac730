// SPDX-License-Identifier: MIT
import WeirCore

/// The `alert` object: what fired, as Suricata's `AlertJsonHeader` prints it.
public struct EVEAlert: Sendable, Equatable {
    /// `action`: `allowed`, or `blocked` for reject (any mode) and drop in IPS mode.
    public var action: EVEAlertAction
    /// `gid`: generator id (1 for rules).
    public var gid: UInt32
    /// `signature_id`: the rule's sid.
    public var signatureID: UInt32
    /// `rev`.
    public var rev: UInt32
    /// `signature`: the rule's msg.
    public var signature: String
    /// `category`: the classtype's description ("" when the rule has none).
    public var category: String
    /// `severity`: the rule's priority.
    public var severity: UInt32
    /// `metadata`: the rule's metadata pre-rendered once at rule load as a JSON object
    /// (`{"key":["value",…],…}`), as Suricata keeps `json_str`; `nil` leaves the field out.
    public var metadataJSON: [UInt8]?

    /// An alert object.
    public init(
        action: EVEAlertAction,
        gid: UInt32,
        signatureID: UInt32,
        rev: UInt32,
        signature: String,
        category: String,
        severity: UInt32,
        metadataJSON: [UInt8]? = nil
    ) {
        self.action = action
        self.gid = gid
        self.signatureID = signatureID
        self.rev = rev
        self.signature = signature
        self.category = category
        self.severity = severity
        self.metadataJSON = metadataJSON
    }
}

/// The alert `action`.
public enum EVEAlertAction: String, Sendable {
    /// The packet went on.
    case allowed
    /// The packet was dropped or rejected.
    case blocked
}

/// Which way the alerting packet went within its flow.
public enum EVEDirection: String, Sendable {
    /// Client to server.
    case toServer = "to_server"
    /// Server to client.
    case toClient = "to_client"
}

/// The `flow` object inside an alert: counters so far, start, and the flow's own orientation.
public struct EVEAlertFlow: Sendable, Equatable {
    /// Counters at the time of the alert.
    public var counters: EVEFlowCounters
    /// Time of the flow's first packet.
    public var start: Timestamp
    /// The flow's client address (`src_ip` inside `flow`).
    public var sourceIP: IPAddress
    /// The flow's server address.
    public var destinationIP: IPAddress
    /// The client port; `nil` for protocols without ports.
    public var sourcePort: UInt16?
    /// The server port.
    public var destinationPort: UInt16?

    /// A flow object.
    public init(
        counters: EVEFlowCounters,
        start: Timestamp,
        sourceIP: IPAddress,
        destinationIP: IPAddress,
        sourcePort: UInt16?,
        destinationPort: UInt16?
    ) {
        self.counters = counters
        self.start = start
        self.sourceIP = sourceIP
        self.destinationIP = destinationIP
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }
}

/// An `event_type: alert` record. Suricata counterpart: `output-json-alert.c`.
///
/// Field order: header (with `pkt_src`), `tx_id`, `alert{…}`, `app_proto`, `direction`, `flow{…}`, `payload`,
/// `payload_printable`, `stream`, `packet`, `packet_info{linktype,linktype_name}`.
public struct EVEAlertRecord: Sendable, Equatable {
    /// The packet's header.
    public var header: EVEHeader
    /// `tx_id`: the app-layer transaction the alert is about; `nil` for packet alerts.
    public var transactionID: UInt64?
    /// The `alert` object.
    public var alert: EVEAlert
    /// `app_proto`; `nil` when unknown or no flow.
    public var appProto: String?
    /// `direction`; `nil` when the packet has no flow.
    public var direction: EVEDirection?
    /// The `flow` object; `nil` when the packet has no flow.
    public var flow: EVEAlertFlow?
    /// The payload logged when `payload`, `payload-printable` or `payload-length` is on: the packet payload
    /// or the reassembled stream.
    public var payload: [UInt8]?
    /// Which forms of ``payload`` are printed: `payload` (base64), `payload_length`, `payload_printable`.
    public var payloadBase64: Bool = true
    public var payloadLength: Bool = false
    public var payloadPrintable: Bool = false
    /// `stream`: 1 when ``payload`` came from the reassembled stream, 0 from the packet; printed with a payload.
    public var payloadIsStream: Bool = false
    /// `packet` (base64) when `packet: yes`: the whole frame.
    public var packet: [UInt8]?
    /// `packet_info.linktype`: the frame's DLT, printed with ``packet``.
    public var linkType: Int = 1
    /// Pre-rendered members for the transaction's app-layer object (`"http":{…}`), written after `flow`.
    public var appLayerMembers: [UInt8]?
    /// `tunnel`: for a packet decoded from a tunnel, its outermost packet.
    public var tunnel: EVETunnel?
    /// `verdict`: what became of the packet (`alert.verdict: yes`).
    public var verdict: EVEVerdict? = nil

    /// An alert record without payload, packet or flow. The header and alert are taken, not copied (callers
    /// build them for the record; inlinable, as a call across the module boundary copied the header).
    @inlinable
    public init(header: consuming EVEHeader, alert: consuming EVEAlert) {
        self.header = header
        self.alert = alert
    }
}

/// The `tunnel` object of an alert on a tunnelled packet: the outermost (root) packet's addresses, ports and
/// protocol, the alerting packet's depth, and the root's `pcap_cnt` and `pkt_src` (Suricata's AlertJsonTunnel).
public struct EVETunnel: Sendable, Equatable {
    public var sourceIP: IPAddress
    public var sourcePort: UInt16
    public var destinationIP: IPAddress
    public var destinationPort: UInt16
    /// The root packet's IP protocol, printed by name.
    public var ipProtocol: UInt8
    /// The alerting packet's tunnel depth (1 for the first inner packet).
    public var depth: UInt8
    /// The root packet's number in the capture; 0 leaves `pcap_cnt` out (live capture).
    public var pcapCount: UInt64
    /// Where the root packet came from.
    public var packetSource: EVEPacketSource

    /// A tunnel object.
    public init(
        sourceIP: IPAddress, sourcePort: UInt16, destinationIP: IPAddress, destinationPort: UInt16, ipProtocol: UInt8,
        depth: UInt8, pcapCount: UInt64, packetSource: EVEPacketSource = .wire
    ) {
        self.sourceIP = sourceIP
        self.sourcePort = sourcePort
        self.destinationIP = destinationIP
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
        self.depth = depth
        self.pcapCount = pcapCount
        self.packetSource = packetSource
    }
}

extension JSONWriter {
    /// Renders `record` as one complete JSON object (no trailing newline). The header always comes first, so
    /// every comma after it is known here and copied with its member name.
    ///
    /// `xff` is `alert.xff`: the client address an HTTP proxy forwarded (`xff` in `extra-data` mode).
    public func writeAlertRecord(_ record: EVEAlertRecord, xff: String? = nil) {
        self.beginObject()
        self.writeHeader(record.header, eventType: .alert)
        if let tx = record.transactionID { self.member(",\"tx_id\":", tx) }
        self.writeAlertObject(record.alert, xff: xff)
        if let tunnel = record.tunnel {
            self.member(",\"tunnel\":{\"src_ip\":", tunnel.sourceIP)
            self.member(",\"src_port\":", UInt64(tunnel.sourcePort))
            self.member(",\"dest_ip\":", tunnel.destinationIP)
            self.member(",\"dest_port\":", UInt64(tunnel.destinationPort))
            self.member(",\"proto\":", IPProtocol.eveName(tunnel.ipProtocol))
            self.member(",\"depth\":", UInt64(tunnel.depth))
            if tunnel.pcapCount != 0 { self.member(",\"pcap_cnt\":", tunnel.pcapCount) }
            self.member(",\"pkt_src\":", tunnel.packetSource.rawValue)
            self.endObject()
        }
        if let appProto = record.appProto { self.member(",\"app_proto\":", appProto) }
        if let direction = record.direction {
            if direction == .toServer {
                self.literalMember(",\"direction\":\"to_server\"")
            } else {
                self.literalMember(",\"direction\":\"to_client\"")
            }
        }
        if let flow = record.flow {
            self.member(",\"flow\":{\"pkts_toserver\":", flow.counters.packetsToServer)
            self.member(",\"pkts_toclient\":", flow.counters.packetsToClient)
            self.member(",\"bytes_toserver\":", flow.counters.bytesToServer)
            self.member(",\"bytes_toclient\":", flow.counters.bytesToClient)
            self.member(",\"start\":", flow.start)
            self.member(",\"src_ip\":", flow.sourceIP)
            self.member(",\"dest_ip\":", flow.destinationIP)
            if let port = flow.sourcePort { self.member(",\"src_port\":", UInt64(port)) }
            if let port = flow.destinationPort { self.member(",\"dest_port\":", UInt64(port)) }
            self.endObject()
        }
        if let members = record.appLayerMembers, !members.isEmpty { self.raw(members) }
        if let payload = record.payload {
            if record.payloadBase64 {
                self.key("payload")
                payload.withUnsafeBytes { self.base64($0) }
            }
            if record.payloadLength { self.field("payload_length", UInt64(payload.count)) }
            if record.payloadPrintable {
                self.key("payload_printable")
                payload.withUnsafeBytes { self.printableString($0) }
            }
            self.field("stream", UInt64(record.payloadIsStream ? 1 : 0))
        }
        if let packet = record.packet {
            self.key("packet")
            packet.withUnsafeBytes { self.base64($0) }
            self.packetInfo(linkType: record.linkType)
        }
        if let verdict = record.verdict { self.writeVerdict(verdict) }
        self.endObject()
    }

    /// Writes `,"alert":{…}` into the open object, after the header. Everything after `action` comes from the
    /// rule alone and is copied from ``ruleMembers`` (rendered and escaped once per rule).
    func writeAlertObject(_ alert: EVEAlert, xff: String? = nil) {
        if alert.action == .allowed {
            self.literalMember(",\"alert\":{\"action\":\"allowed\"")
        } else {
            self.literalMember(",\"alert\":{\"action\":\"blocked\"")
        }
        guard let xff else {
            self.ruleMembers.withText(for: alert) { self.appendVerbatim($0) }
            self.needsCommaAfterValue()
            return
        }
        // `xff` is the object's last member: the rule's text without its closing brace, then the address.
        self.ruleMembers.withText(for: alert) { self.appendVerbatim(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        self.member(",\"xff\":", xff)
        self.endObject()
    }
}

/// The rule-constant part of alert objects, `,"gid":…,"signature_id":…,"rev":…,"signature":"…","category":"…",
/// "severity":…[,"metadata":{…}]}`, rendered once and kept by the values it was made from (direct-mapped by
/// sid). A hit compares the inputs (Strings and the metadata array compare by identity first, and a rule's are
/// the same storage every time), so the copy is always the text these values render to.
final class EVEAlertRuleMembers {
    private struct Entry {
        var filled = false
        var gid: UInt32 = 0
        var signatureID: UInt32 = 0
        var rev: UInt32 = 0
        var severity: UInt32 = 0
        var signature = ""
        var category = ""
        var metadataJSON: [UInt8]? = nil
        var text: [UInt8] = []

        @inline(__always)
        func matches(_ alert: EVEAlert) -> Bool {
            self.filled && self.signatureID == alert.signatureID && self.gid == alert.gid && self.rev == alert.rev
                && self.severity == alert.severity && self.signature == alert.signature
                && self.category == alert.category && self.metadataJSON == alert.metadataJSON
        }
    }

    private static let slots = 256
    private let entries: UnsafeMutablePointer<Entry>

    init() {
        self.entries = .allocate(capacity: Self.slots)
        self.entries.initialize(repeating: Entry(), count: Self.slots)
    }

    deinit {
        self.entries.deinitialize(count: Self.slots)
        self.entries.deallocate()
    }

    /// Calls `body` with the rendered members of `alert`'s rule, rendering them on a miss.
    @inline(__always)
    func withText(for alert: EVEAlert, _ body: (UnsafeRawBufferPointer) -> Void) {
        let entry = self.entries + Int(alert.signatureID & UInt32(Self.slots - 1))
        if !entry.pointee.matches(alert) {
            entry.pointee = Entry(
                filled: true, gid: alert.gid, signatureID: alert.signatureID, rev: alert.rev,
                severity: alert.severity, signature: alert.signature, category: alert.category,
                metadataJSON: alert.metadataJSON, text: Self.render(alert))
        }
        entry.pointee.text.withUnsafeBytes(body)
    }

    /// The members after `action`, with the object's closing brace.
    static func render(_ alert: EVEAlert) -> [UInt8] {
        let writer = JSONWriter(capacity: 256)
        writer.member(",\"gid\":", UInt64(alert.gid))
        writer.member(",\"signature_id\":", UInt64(alert.signatureID))
        writer.member(",\"rev\":", UInt64(alert.rev))
        writer.member(",\"signature\":", alert.signature)
        writer.member(",\"category\":", alert.category)
        writer.member(",\"severity\":", UInt64(alert.severity))
        if let metadata = alert.metadataJSON {
            writer.member(",\"metadata\":")
            writer.raw(metadata)
        }
        writer.endObject()
        return writer.bytes
    }
}

extension EVEAlert {
    /// Renders rule `metadata` pairs into the JSON object EVE prints, once per rule at load time:
    /// `[("created_at", "2010_09_23"), ("tag", "a"), ("tag", "b")]` becomes
    /// `{"created_at":["2010_09_23"],"tag":["a","b"]}` — values grouped under their key in first-seen order,
    /// as Suricata's `DetectMetadataHashAdd` output does. Returns `nil` for no pairs.
    public static func metadataJSON(from pairs: [(key: String, value: String)]) -> [UInt8]? {
        guard !pairs.isEmpty else { return nil }
        var keys: [String] = []
        var values: [String: [String]] = [:]
        for (key, value) in pairs {
            if values[key] == nil { keys.append(key) }
            values[key, default: []].append(value)
        }
        let writer = JSONWriter(capacity: 256)
        writer.beginObject()
        for key in keys {
            writer.key(key)
            writer.beginArray()
            for value in values[key] ?? [] { writer.string(value) }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }
}
