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

    /// Decodes one DER certificate; throws when swift-certificates rejects it.
    public init(der: [UInt8]) throws {
        let certificate = try Certificate(derEncoded: der)
        self.der = der
        self.subject = Self.render(certificate.subject)
        self.issuer = Self.render(certificate.issuer)
        let serialBytes = Self.rawSerial(der) ?? Array(certificate.serialNumber.bytes)
        self.serial = HexText.string(serialBytes, separator: UInt8(ascii: ":"), uppercase: true)
        self.fingerprint = HexText.string(Insecure.SHA1.hash(data: der), separator: UInt8(ascii: ":"))
        self.notBefore = Int64(certificate.notValidBefore.timeIntervalSince1970.rounded(.down))
        self.notAfter = Int64(certificate.notValidAfter.timeIntervalSince1970.rounded(.down))
        var names: [String] = []
        if let alternatives = try? certificate.extensions.subjectAlternativeNames {
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
