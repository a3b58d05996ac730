// SPDX-License-Identifier: MIT
import WeirOutput

/// DNS names for record types and response codes, as Suricata writes them.
public enum DNSNames {
    private static let types: [UInt16: String] = [
        1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR", 10: "NULL", 11: "WKS",
        12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN",
        21: "RT", 22: "NSAP", 23: "NSAPPTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC",
        30: "NXT", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX", 37: "CERT", 38: "A6", 39: "DNAME", 41: "OPT",
        42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
        50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 55: "HIP", 59: "CDS", 60: "CDNSKEY", 65: "HTTPS", 99: "SPF",
        249: "TKEY", 250: "TSIG", 254: "MAILA", 255: "ANY", 256: "URI",
    ]
    private static let rcodes: [String] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE",
    ]

    /// The types with a name: those Suricata's `types` setting can name.
    static let namedTypes = Set(Self.types.keys)

    /// `A`, `AAAA`, …; the number as text for types without a name.
    public static func type(_ value: UInt16) -> String { Self.types[value] ?? String(value) }

    /// The record type for a name (`dns.rrtype` and `dns.query.rrtype` values), case-insensitive.
    public static func type(named name: String) -> UInt16? {
        let upper = name.uppercased()
        return Self.types.first(where: { $0.value == upper })?.key ?? UInt16(name)
    }

    /// `NOERROR`, `NXDOMAIN`, …; the number as text otherwise.
    public static func rcode(_ value: UInt8) -> String {
        Int(value) < Self.rcodes.count ? Self.rcodes[Int(value)] : String(value)
    }

    /// The rcode for a name (`dns.rcode` values), case-insensitive.
    public static func rcode(named name: String) -> UInt8? {
        if let index = Self.rcodes.firstIndex(of: name.uppercased()) { return UInt8(index) }
        return UInt8(name)
    }
}

/// Which DNS messages and which parts of them a `dns` record carries: `types: - dns:` with `requests`,
/// `responses`, `types` and `formats`, as Suricata 8 applies them (its 64-bit flag word, spelt out).
public struct DNSLogFilter: Sendable, Equatable {
    /// Log requests / responses.
    public var requests = true
    public var responses = true
    /// A response's answers as the `answers` list / as `grouped` (their data by record type).
    public var detailed = true
    public var grouped = true
    /// The record types logged; nil for every type, named or not.
    public var types: Set<UInt16>? = nil

    /// Everything: every message, both answer forms, every record type.
    public init() {}

    /// From the configuration's names (`formats: [detailed]`, `types: [a, mx]`); nil keeps the default.
    public init(requests: Bool, responses: Bool, formats: [String]?, types: [String]?) {
        self.requests = requests
        self.responses = responses
        if let formats {
            self.detailed = formats.contains("detailed")
            self.grouped = formats.contains("grouped")
        }
        if let types {
            self.types = Set(types.compactMap { DNSNames.type(named: $0) })
        }
    }


    /// The `dns` object of alerts: detailed answers, every named record type (Suricata's alert flags, which
    /// leave out the grouped form and with it the "everything" shortcut that also lets unnamed types through).
    public static let alert: DNSLogFilter = {
        var filter = DNSLogFilter()
        filter.grouped = false
        filter.types = DNSNames.namedTypes
        return filter
    }()

    /// Nothing narrowed: then, and only then, record types without a name are logged too.
    private var unrestricted: Bool {
        self.requests && self.responses && self.detailed && self.grouped && self.types == nil
    }

    /// Whether questions and records of this type are logged.
    public func logs(type: UInt16) -> Bool {
        if self.unrestricted { return true }
        return (self.types ?? DNSNames.namedTypes).contains(type)
    }

    /// Whether a message gets a record (format 3): its direction is logged and one of its questions has a
    /// logged type, so a message without questions never does.
    public func logs(_ transaction: DNSTransaction) -> Bool {
        guard transaction.toServer ? self.requests : self.responses else { return false }
        return transaction.message.questions.contains { self.logs(type: $0.type) }
    }
}

extension JSONWriter {
    /// Writes the `dns` object of an EVE `dns` record (and of an alert), Suricata 8's format `version: 3`.
    public func writeDNS(_ transaction: DNSTransaction, filter: DNSLogFilter = .alert) {
        let message = transaction.message
        self.beginObject("dns")
        self.field("version", UInt64(3))
        self.field("type", transaction.toServer ? "request" : "response")
        self.field("tx_id", transaction.txID)
        self.field("id", UInt64(message.id))
        self.writeDNSFlags(message)
        self.field("rcode", DNSNames.rcode(message.rcode))
        let questions = message.questions.filter { filter.logs(type: $0.type) }
        if !questions.isEmpty {
            self.beginArray("queries")
            for question in questions {
                self.beginObject()
                self.dnsName("rrname", question.name)
                self.field("rrtype", DNSNames.type(question.type))
                if question.name.truncated { self.field("rrname_truncated", true) }
                self.endObject()
            }
            self.endArray()
        }
        self.writeDNSAnswers(message.answers, filter: filter)
        self.writeDNSSection("authorities", message.authorities, section: .authorities)
        self.writeDNSAdditionals(message)
        self.endObject()
    }

    /// Format 2's record of a request's question `index` (Suricata writes one record per question).
    public func writeDNSQuery(_ transaction: DNSTransaction, index: Int) {
        let message = transaction.message
        let question = message.questions[index]
        self.beginObject("dns")
        self.field("version", UInt64(2))
        self.field("type", "query")
        self.field("id", UInt64(message.id))
        self.dnsName("rrname", question.name)
        if question.name.truncated { self.field("rrname_truncated", true) }
        self.field("rrtype", DNSNames.type(question.type))
        self.field("tx_id", transaction.txID)
        if message.flags & 0x0040 != 0 { self.field("z", true) }
        self.field("opcode", UInt64(message.opcode))
        self.endObject()
    }

    /// Format 2's record of a response: the header, its first question, and the records.
    public func writeDNSAnswer(_ transaction: DNSTransaction, filter: DNSLogFilter) {
        let message = transaction.message
        self.beginObject("dns")
        self.field("version", UInt64(2))
        self.field("type", "answer")
        self.field("id", UInt64(message.id))
        self.writeDNSFlags(message)
        if let question = message.questions.first {
            self.dnsName("rrname", question.name)
            if question.name.truncated { self.field("rrname_truncated", true) }
            self.field("rrtype", DNSNames.type(question.type))
        }
        self.field("rcode", DNSNames.rcode(message.rcode))
        self.writeDNSAnswers(message.answers, filter: filter)
        self.writeDNSSection("authorities", message.authorities, section: .authorities)
        self.writeDNSAdditionals(message)
        self.endObject()
    }

    /// `flags` in hex, the flag bits that are set, and `opcode`.
    private func writeDNSFlags(_ message: DNSMessage) {
        let flags = message.flags
        self.field("flags", String(flags, radix: 16))
        if flags & 0x8000 != 0 { self.field("qr", true) }
        if flags & 0x0400 != 0 { self.field("aa", true) }
        if flags & 0x0200 != 0 { self.field("tc", true) }
        if flags & 0x0100 != 0 { self.field("rd", true) }
        if flags & 0x0080 != 0 { self.field("ra", true) }
        if flags & 0x0040 != 0 { self.field("z", true) }
        self.field("opcode", UInt64(message.opcode))
    }

    /// `answers` (detailed) and `grouped`: each record type's data in a list, types in the order they first
    /// appear (Suricata's order comes from a hash map; the content is the same).
    private func writeDNSAnswers(_ answers: [DNSResourceRecord], filter: DNSLogFilter) {
        guard !answers.isEmpty else { return }
        if filter.detailed { self.writeDNSSection("answers", answers, section: .answers) }
        guard filter.grouped else { return }
        self.beginObject("grouped")
        var types: [UInt16] = []
        for answer in answers where Self.isGrouped(answer.data) && !types.contains(answer.type) {
            types.append(answer.type)
        }
        for type in types {
            self.key(DNSNames.type(type))
            self.beginArray()
            for answer in answers where answer.type == type {
                switch answer.data {
                case .address(let bytes): self.string(Self.dnsAddress(bytes))
                case .name(let name): name.value.withUnsafeBytes { self.string(bytes: $0) }
                case .text(let strings): for text in strings { text.withUnsafeBytes { self.string(bytes: $0) } }
                case .null(let bytes): bytes.withUnsafeBytes { self.string(bytes: $0) }
                case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
                    self.beginObject()
                    self.writeDNSSOAFields(mname, rname, serial, refresh, retry, expire, minimum)
                    self.endObject()
                case .srv(let priority, let weight, let port, let target):
                    self.beginObject()
                    self.writeDNSSRVFields(priority, weight, port, target)
                    self.endObject()
                case .sshfp(let algorithm, let fingerprintType, let fingerprint):
                    self.beginObject()
                    self.writeDNSSSHFPFields(algorithm, fingerprintType, fingerprint)
                    self.endObject()
                case .options, .other: break
                }
            }
            self.endArray()
        }
        self.endObject()
    }

    private static func isGrouped(_ data: DNSRData) -> Bool {
        switch data {
        case .address, .name, .text, .null, .soa, .srv, .sshfp: true
        case .options, .other: false
        }
    }

    /// `additionals`, without empty OPT records (as Suricata).
    private func writeDNSAdditionals(_ message: DNSMessage) {
        let additionals = message.additionals.filter {
            if case .options(let options) = $0.data { return !options.isEmpty }
            return true
        }
        self.writeDNSSection("additionals", additionals, section: .additionals)
    }

    private enum DNSSection { case answers, authorities, additionals }

    private func writeDNSSection(_ key: StaticString, _ records: [DNSResourceRecord], section: DNSSection) {
        guard !records.isEmpty else { return }
        self.beginArray(key)
        for record in records {
            // TXT records give one entry per character string.
            if case .text(let strings) = record.data {
                for string in strings.isEmpty ? [[]] : strings {
                    self.beginObject()
                    self.writeDNSRecordHead(record, section: section)
                    self.key("rdata")
                    string.withUnsafeBytes { self.string(bytes: $0) }
                    self.endObject()
                }
                continue
            }
            self.beginObject()
            self.writeDNSRecordHead(record, section: section)
            switch record.data {
            case .address(let bytes):
                self.field("rdata", Self.dnsAddress(bytes))
            case .name(let name):
                self.dnsName("rdata", name)
                if name.truncated, section == .authorities { self.field("rdata_truncated", true) }
            case .null(let bytes):
                self.key("rdata")
                bytes.withUnsafeBytes { self.string(bytes: $0) }
            case let .soa(mname, rname, serial, refresh, retry, expire, minimum) where section != .additionals:
                self.beginObject("soa")
                self.writeDNSSOAFields(mname, rname, serial, refresh, retry, expire, minimum)
                self.endObject()
            case let .srv(priority, weight, port, target) where section == .answers:
                self.beginObject("srv")
                self.writeDNSSRVFields(priority, weight, port, target)
                self.endObject()
            case let .sshfp(algorithm, fingerprintType, fingerprint) where section == .answers:
                self.beginObject("sshfp")
                self.writeDNSSSHFPFields(algorithm, fingerprintType, fingerprint)
                self.endObject()
            case .options(let options) where section == .additionals:
                self.beginArray("opt")
                for option in options {
                    self.beginObject()
                    self.field("code", UInt64(option.code))
                    self.field("data", HexText.string(option.data))
                    self.endObject()
                }
                self.endArray()
            default:
                break
            }
            self.endObject()
        }
        self.endArray()
    }

    private func writeDNSSOAFields(
        _ mname: DNSName, _ rname: DNSName, _ serial: UInt32, _ refresh: UInt32, _ retry: UInt32, _ expire: UInt32,
        _ minimum: UInt32
    ) {
        self.dnsName("mname", mname)
        if mname.truncated { self.field("mname_truncated", true) }
        self.dnsName("rname", rname)
        self.field("serial", UInt64(serial))
        self.field("refresh", UInt64(refresh))
        self.field("retry", UInt64(retry))
        self.field("expire", UInt64(expire))
        self.field("minimum", UInt64(minimum))
    }

    private func writeDNSSRVFields(_ priority: UInt16, _ weight: UInt16, _ port: UInt16, _ target: DNSName) {
        self.field("priority", UInt64(priority))
        self.field("weight", UInt64(weight))
        self.field("port", UInt64(port))
        self.dnsName("name", target)
    }

    private func writeDNSSSHFPFields(_ algorithm: UInt8, _ fingerprintType: UInt8, _ fingerprint: [UInt8]) {
        self.field("fingerprint", HexText.string(fingerprint, separator: UInt8(ascii: ":")))
        self.field("algo", UInt64(algorithm))
        self.field("type", UInt64(fingerprintType))
    }

    private func writeDNSRecordHead(_ record: DNSResourceRecord, section: DNSSection) {
        self.dnsName("rrname", record.name)
        if record.name.truncated, section == .authorities { self.field("rrname_truncated", true) }
        self.field("rrtype", DNSNames.type(record.type))
        self.field("ttl", UInt64(record.ttl))
    }

    private func dnsName(_ key: StaticString, _ name: DNSName) {
        self.key(key)
        name.value.withUnsafeBytes { self.string(bytes: $0) }
    }

    /// Dotted quad, or eight groups of four hex digits (Suricata prints IPv6 answers uncompressed).
    static func dnsAddress(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: bytes.count, by: 2).map { HexText.string(bytes[$0..<min($0 + 2, bytes.count)]) }
            .joined(separator: ":")
    }
}
