// SPDX-License-Identifier: MIT
import Crypto
import Foundation
import SwiftASN1
import X509

/// One X.509 certificate of a TLS Certificate message, with the fields Suricata logs and matches.
///
/// Parsed with swift-certificates (no hand-written ASN.1). Names are written as Suricata writes them
/// (x509-parser's order: the RDN sequence as encoded, `C=US, O=Example, CN=host`).
public struct TLSCertificate: Sendable, Equatable {
    /// The DER bytes.
    public var der: [UInt8]
    /// Subject distinguished name.
    public var subject: String
    /// Issuer distinguished name.
    public var issuer: String
    /// Serial number: upper-case hex bytes joined by `:` (`00:AB:…`).
    public var serial: String
    /// SHA-1 of the DER, lower-case hex joined by `:`.
    public var fingerprint: String
    /// notBefore, seconds since the epoch.
    public var notBefore: Int64
    /// notAfter, seconds since the epoch.
    public var notAfter: Int64
    /// Subject alternative names (DNS names, URIs, e-mail addresses, IP addresses as text).
    public var subjectAltNames: [String]

    /// Decodes one DER certificate; throws when neither swift-certificates nor the key-less reading of its
    /// fields (``Unkeyed``) can decode it.
    public init(der: [UInt8]) throws {
        self.der = der
        self.fingerprint = HexText.string(Insecure.SHA1.hash(data: der), separator: UInt8(ascii: ":"))
        let subject: DistinguishedName
        let issuer: DistinguishedName
        let extensions: Certificate.Extensions
        do {
            let certificate = try Certificate(derEncoded: der)
            subject = certificate.subject
            issuer = certificate.issuer
            extensions = certificate.extensions
            let serialBytes = Self.rawSerial(der) ?? Array(certificate.serialNumber.bytes)
            self.serial = HexText.string(serialBytes, separator: UInt8(ascii: ":"), uppercase: true)
            self.notBefore = Int64(certificate.notValidBefore.timeIntervalSince1970.rounded(.down))
            self.notAfter = Int64(certificate.notValidAfter.timeIntervalSince1970.rounded(.down))
        } catch {
            // swift-certificates decodes the public key too, and refuses keys it cannot use (RSA below 2048
            // bits, DSA, curves it lacks); the fields Suricata logs do not depend on the key.
            guard let unkeyed = Unkeyed(der), let serialBytes = Self.rawSerial(der) else { throw error }
            subject = unkeyed.subject
            issuer = unkeyed.issuer
            extensions = unkeyed.extensions
            self.serial = HexText.string(serialBytes, separator: UInt8(ascii: ":"), uppercase: true)
            self.notBefore = unkeyed.notBefore
            self.notAfter = unkeyed.notAfter
        }
        self.subject = Self.render(subject)
        self.issuer = Self.render(issuer)
        var names: [String] = []
        if let alternatives = try? extensions.subjectAlternativeNames {
            for name in alternatives {
                switch name {
                case .dnsName(let text): names.append(text)
                case .uniformResourceIdentifier(let text): names.append(text)
                case .rfc822Name(let text): names.append(text)
                case .ipAddress(let octets): names.append(Self.addressText(Array(octets.bytes)))
                default: continue
                }
            }
        }
        self.subjectAltNames = names
    }

    /// The fields of a certificate read without its public key: the TBS certificate walked with swift-asn1's DER
    /// parser, each part decoded by swift-certificates' own types (names, extensions) and swift-asn1's (times).
    struct Unkeyed {
        var subject: DistinguishedName
        var issuer: DistinguishedName
        var notBefore: Int64
        var notAfter: Int64
        var extensions: Certificate.Extensions

        init?(_ der: [UInt8]) {
            guard let root = try? DER.parse(der), case .constructed(let certificate) = root.content,
                let tbs = certificate.first(where: { _ in true }), case .constructed(let children) = tbs.content
            else { return nil }
            var fields = Array(children)
            // version [0] (absent in v1), serial, signature algorithm; then issuer, validity, subject, key.
            if let first = fields.first, first.identifier.tagClass == .contextSpecific { fields.removeFirst() }
            guard fields.count >= 6, case .constructed(let validity) = fields[3].content,
                let issuer = try? DistinguishedName(derEncoded: fields[2]),
                let subject = try? DistinguishedName(derEncoded: fields[4])
            else { return nil }
            let times = Array(validity)
            guard times.count == 2, let notBefore = Self.seconds(times[0]), let notAfter = Self.seconds(times[1])
            else { return nil }
            self.issuer = issuer
            self.subject = subject
            self.notBefore = notBefore
            self.notAfter = notAfter
            // extensions [3] EXPLICIT SEQUENCE OF Extension, after the optional unique ids [1] and [2].
            var list: [Certificate.Extension] = []
            let tag = ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific)
            if let wrapper = fields.dropFirst(6).first(where: { $0.identifier == tag }),
                case .constructed(let inner) = wrapper.content, let sequence = inner.first(where: { _ in true }),
                case .constructed(let entries) = sequence.content
            {
                for entry in entries {
                    if let parsed = try? Certificate.Extension(derEncoded: entry) { list.append(parsed) }
                }
            }
            self.extensions = (try? Certificate.Extensions(list)) ?? Certificate.Extensions()
        }

        /// A UTCTime or GeneralizedTime as seconds since the epoch.
        static func seconds(_ node: ASN1Node) -> Int64? {
            let parts: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
            if let time = try? UTCTime(derEncoded: node) {
                parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
            } else if let time = try? GeneralizedTime(derEncoded: node) {
                parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
            } else {
                return nil
            }
            // Days from the civil date (proleptic Gregorian calendar), then the time of day.
            let y = parts.month <= 2 ? parts.year - 1 : parts.year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (parts.month + (parts.month > 2 ? -3 : 9)) + 2) / 5 + parts.day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = Int64(era * 146_097 + dayOfEra - 719_468)
            return days * 86_400 + Int64(parts.hour * 3600 + parts.minute * 60 + parts.second)
        }
    }

    /// The serial INTEGER's content octets as encoded (a leading zero kept, as Suricata prints it);
    /// swift-certificates normalises them, so the TBS is walked with swift-asn1's DER parser.
    private static func rawSerial(_ der: [UInt8]) -> [UInt8]? {
        guard let root = try? DER.parse(der), case .constructed(let certificate) = root.content,
            let tbs = certificate.first(where: { _ in true }), case .constructed(let fields) = tbs.content
        else { return nil }
        for field in fields {
            if field.identifier == .integer, case .primitive(let bytes) = field.content { return Array(bytes) }
            // Only the optional [0] version may come before the serial.
            if field.identifier.tagClass != .contextSpecific { return nil }
        }
        return nil
    }

    /// `C=US, ST=CA, O=Example, CN=host`: RDNs in encoded order joined by `, `, multi-valued RDNs by ` + `.
    static func render(_ name: DistinguishedName) -> String {
        var parts: [String] = []
        for rdn in name {
            var attributes: [String] = []
            for attribute in rdn {
                attributes.append(Self.shortName(attribute.type) + "=" + Self.valueText(attribute.value))
            }
            parts.append(attributes.joined(separator: " + "))
        }
        return parts.joined(separator: ", ")
    }

    private static func shortName(_ oid: ASN1ObjectIdentifier) -> String {
        switch oid {
        case .RDNAttributeType.commonName: "CN"
        case .RDNAttributeType.countryName: "C"
        case .RDNAttributeType.localityName: "L"
        case .RDNAttributeType.stateOrProvinceName: "ST"
        case .RDNAttributeType.organizationName: "O"
        case .RDNAttributeType.organizationalUnitName: "OU"
        case .RDNAttributeType.streetAddress: "street"
        case .RDNAttributeType.domainComponent: "DC"
        case .RDNAttributeType.emailAddress: "Email"
        default: oid.description
        }
    }

    /// The attribute's text; string types other than Printable/UTF8/IA5 through SwiftASN1's decoders.
    private static func valueText(_ value: RelativeDistinguishedName.Attribute.Value) -> String {
        if let text = String(value) { return text }
        let any = ASN1Any(value)
        if let teletex = try? ASN1TeletexString(asn1Any: any) { return String(decoding: teletex.bytes, as: UTF8.self) }
        if let bmp = try? ASN1BMPString(asn1Any: any) {
            // UTF-16 big-endian code units.
            let bytes = Array(bmp.bytes)
            let units = stride(from: 0, to: bytes.count - 1, by: 2).map {
                UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])
            }
            return String(decoding: units, as: UTF16.self)
        }
        if let universal = try? ASN1UniversalString(asn1Any: any) {
            // UTF-32 big-endian code points.
            let bytes = Array(universal.bytes)
            var text = ""
            for index in stride(from: 0, to: bytes.count - 3, by: 4) {
                let value = bytes[index..<index + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                text.unicodeScalars.append(Unicode.Scalar(value) ?? "\u{fffd}")
            }
            return text
        }
        // A string its own type's rules reject (a NUL in a PrintableString, as in a forged subject): its content
        // bytes as they are, as Suricata's x509 parser renders them (a rule can match the NUL).
        var serializer = DER.Serializer()
        if (try? serializer.serialize(any)) != nil, let node = try? DER.parse(serializer.serializedBytes),
            case .primitive(let content) = node.content
        {
            return String(decoding: content, as: UTF8.self)
        }
        return String(describing: any)
    }

    private static func addressText(_ octets: [UInt8]) -> String {
        if octets.count == 4 { return octets.map(String.init).joined(separator: ".") }
        if octets.count == 16 {
            return stride(from: 0, to: 16, by: 2).map { HexText.string(octets[$0..<$0 + 2]) }.joined(separator: ":")
        }
        return HexText.string(octets)
    }
}
