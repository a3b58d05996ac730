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
        249: "TKEY", 250: "TSIG", 253: "MAILA", 255: "ANY", 256: "URI",
    ]
    private static let rcodes: [String] = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE",
    ]

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

extension JSONWriter {
    /// Writes the `dns` object of an EVE `dns` record (and of an alert), Suricata 8's format `version: 3`.
    public func writeDNS(_ transaction: DNSTransaction) {
        let message = transaction.message
        self.beginObject("dns")
        self.field("version", UInt64(3))
        self.field("type", transaction.toServer ? "request" : "response")
        self.field("tx_id", transaction.txID)
        self.field("id", UInt64(message.id))
        self.field("flags", String(message.flags, radix: 16))
        let flags = message.flags
        if flags & 0x8000 != 0 { self.field("qr", true) }
        if flags & 0x0400 != 0 { self.field("aa", true) }
        if flags & 0x0200 != 0 { self.field("tc", true) }
        if flags & 0x0100 != 0 { self.field("rd", true) }
        if flags & 0x0080 != 0 { self.field("ra", true) }
        if flags & 0x0040 != 0 { self.field("z", true) }
        self.field("opcode", UInt64(message.opcode))
        self.field("rcode", DNSNames.rcode(message.rcode))
        if !message.questions.isEmpty {
            self.beginArray("queries")
            for question in message.questions {
                self.beginObject()
                self.dnsName("rrname", question.name)
                self.field("rrtype", DNSNames.type(question.type))
                if question.name.truncated { self.field("rrname_truncated", true) }
                self.endObject()
            }
            self.endArray()
        }
        self.writeDNSSection("answers", message.answers, section: .answers)
        self.writeDNSSection("authorities", message.authorities, section: .authorities)
        // Empty OPT records are left out, as Suricata does.
        let additionals = message.additionals.filter {
            if case .options(let options) = $0.data { return !options.isEmpty }
            return true
        }
        self.writeDNSSection("additionals", additionals, section: .additionals)
        self.endObject()
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
                self.dnsName("mname", mname)
                if mname.truncated { self.field("mname_truncated", true) }
                self.dnsName("rname", rname)
                self.field("serial", UInt64(serial))
                self.field("refresh", UInt64(refresh))
                self.field("retry", UInt64(retry))
                self.field("expire", UInt64(expire))
                self.field("minimum", UInt64(minimum))
                self.endObject()
            case let .srv(priority, weight, port, target) where section == .answers:
                self.beginObject("srv")
                self.field("priority", UInt64(priority))
                self.field("weight", UInt64(weight))
                self.field("port", UInt64(port))
                self.dnsName("name", target)
                self.endObject()
            case let .sshfp(algorithm, fingerprintType, fingerprint) where section == .answers:
                self.beginObject("sshfp")
                self.field("fingerprint", HexText.string(fingerprint, separator: UInt8(ascii: ":")))
                self.field("algo", UInt64(algorithm))
                self.field("type", UInt64(fingerprintType))
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
