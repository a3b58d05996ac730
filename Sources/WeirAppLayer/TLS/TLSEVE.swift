// SPDX-License-Identifier: MIT
import WeirCore
import WeirOutput

/// Which fields a `tls` EVE object carries (Suricata's `eve-log.types.tls` `extended` / `custom`).
public struct TLSLogFields: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let version = TLSLogFields(rawValue: 1 << 0)
    public static let subject = TLSLogFields(rawValue: 1 << 1)
    public static let issuer = TLSLogFields(rawValue: 1 << 2)
    public static let serial = TLSLogFields(rawValue: 1 << 3)
    public static let fingerprint = TLSLogFields(rawValue: 1 << 4)
    public static let notBefore = TLSLogFields(rawValue: 1 << 5)
    public static let notAfter = TLSLogFields(rawValue: 1 << 6)
    public static let sni = TLSLogFields(rawValue: 1 << 7)
    public static let certificate = TLSLogFields(rawValue: 1 << 8)
    public static let chain = TLSLogFields(rawValue: 1 << 9)
    public static let sessionResumed = TLSLogFields(rawValue: 1 << 10)
    public static let ja3 = TLSLogFields(rawValue: 1 << 11)
    public static let ja3s = TLSLogFields(rawValue: 1 << 12)
    public static let client = TLSLogFields(rawValue: 1 << 13)
    public static let clientCertificate = TLSLogFields(rawValue: 1 << 14)
    public static let clientChain = TLSLogFields(rawValue: 1 << 15)
    public static let ja4 = TLSLogFields(rawValue: 1 << 16)
    public static let subjectAltName = TLSLogFields(rawValue: 1 << 17)
    public static let clientALPNs = TLSLogFields(rawValue: 1 << 18)
    public static let serverALPNs = TLSLogFields(rawValue: 1 << 19)
    public static let clientHandshake = TLSLogFields(rawValue: 1 << 20)
    public static let serverHandshake = TLSLogFields(rawValue: 1 << 21)

    /// Suricata's default set.
    public static let basic: TLSLogFields = [.subject, .issuer, .subjectAltName]
    /// `extended: yes`.
    public static let extended: TLSLogFields = [
        .subject, .issuer, .subjectAltName, .version, .serial, .fingerprint, .notBefore, .notAfter, .ja3, .ja3s,
        .ja4, .client, .clientALPNs, .serverALPNs, .sni,
    ]

    /// The `custom:` names.
    public static let names: [String: TLSLogFields] = [
        "version": .version, "subject": .subject, "issuer": .issuer, "serial": .serial,
        "fingerprint": .fingerprint, "not_before": .notBefore, "not_after": .notAfter, "sni": .sni,
        "certificate": .certificate, "chain": .chain, "session_resumed": .sessionResumed, "ja3": .ja3,
        "ja3s": .ja3s, "client": .client, "client_certificate": .clientCertificate, "client_chain": .clientChain,
        "ja4": .ja4, "subjectaltname": .subjectAltName, "client_alpns": .clientALPNs,
        "server_alpns": .serverALPNs, "client_handshake": .clientHandshake, "server_handshake": .serverHandshake,
    ]
}

extension TLSSession {
    /// Whether an EVE `tls` record is written for this session once its handshake is done: it needs the
    /// server certificate's subject and issuer, or a resumed session (with `session-resumption` logging),
    /// or a TLS 1.3 session that never shows its certificate.
    public func shouldLog(logResumed: Bool) -> Bool {
        if !self.serverCertificates.isEmpty { return true }
        if self.sessionResumed && logResumed { return true }
        return self.logWithoutCertificate
    }
}

extension JSONWriter {
    /// Writes the `tls` object of an EVE `tls` record or of an alert's app-layer metadata.
    public func writeTLS(_ session: TLSSession, fields: TLSLogFields) {
        self.beginObject("tls")
        self.writeTLSFields(session, fields: fields)
        self.endObject()
    }

    func writeTLSFields(_ session: TLSSession, fields: TLSLogFields) {
        let leaf = session.serverCertificates.first
        if fields.contains(.subject), let leaf { self.field("subject", leaf.subject) }
        if fields.contains(.issuer), let leaf { self.field("issuerdn", leaf.issuer) }
        if fields.contains(.subjectAltName), let leaf, !leaf.subjectAltNames.isEmpty {
            self.beginArray("subjectaltname")
            for name in leaf.subjectAltNames { self.string(name) }
            self.endArray()
        }
        if fields.contains(.sessionResumed), session.sessionResumed, leaf == nil, session.sawServerHello,
            !session.logWithoutCertificate
        {
            self.field("session_resumed", true)
        }
        if fields.contains(.serial), let leaf { self.field("serial", leaf.serial) }
        if fields.contains(.fingerprint), let leaf { self.field("fingerprint", leaf.fingerprint) }
        if fields.contains(.sni), let sni = session.clientHello?.serverName {
            self.key("sni")
            sni.withUnsafeBytes { self.string(bytes: $0) }
        }
        if fields.contains(.version) {
            self.field("version", TLSVersion.name(session.logVersion) ?? "UNDETERMINED")
        }
        if fields.contains(.notBefore), let leaf { self.tlsDate("notbefore", leaf.notBefore) }
        if fields.contains(.notAfter), let leaf { self.tlsDate("notafter", leaf.notAfter) }
        if fields.contains(.certificate), let leaf {
            self.key("certificate")
            leaf.der.withUnsafeBytes { self.base64($0) }
        }
        if fields.contains(.chain), !session.serverCertificates.isEmpty {
            self.writeChain(session.serverCertificates)
        }
        if fields.contains(.ja3), let ja3 = session.ja3 {
            self.beginObject("ja3")
            self.field("hash", ja3.hash)
            self.field("string", ja3.string)
            self.endObject()
        }
        if fields.contains(.ja3s), let ja3s = session.ja3s {
            self.beginObject("ja3s")
            self.field("hash", ja3s.hash)
            self.field("string", ja3s.string)
            self.endObject()
        }
        if fields.contains(.ja4), let ja4 = session.ja4 { self.field("ja4", ja4) }
        if fields.contains(.clientALPNs), let alpns = session.clientHello?.alpns, !alpns.isEmpty {
            self.writeALPNs("client_alpns", alpns)
        }
        if fields.contains(.serverALPNs), let alpns = session.serverHello?.alpns, !alpns.isEmpty {
            self.writeALPNs("server_alpns", alpns)
        }
        if fields.contains(.clientHandshake), let hello = session.clientHello {
            self.beginObject("client_handshake")
            self.field("version", TLSVersion.name(Self.handshakeVersion(hello)) ?? "UNDETERMINED")
            self.writeNumbers("ciphers", hello.ciphers.filter { !TLSVersion.isGREASE($0) })
            self.writeNumbers("exts", hello.extensions.filter { !TLSVersion.isGREASE($0) })
            self.writeNumbers("sig_algs", hello.signatureAlgorithms.filter { !TLSVersion.isGREASE($0) })
            self.endObject()
        }
        if fields.contains(.serverHandshake), let hello = session.serverHello {
            self.beginObject("server_handshake")
            self.field("version", TLSVersion.name(Self.handshakeVersion(hello)) ?? "UNDETERMINED")
            self.field("cipher", UInt64(hello.ciphers.first ?? 0))
            self.writeNumbers("exts", hello.extensions.filter { !TLSVersion.isGREASE($0) })
            self.endObject()
        }
        if fields.contains(.client), let clientLeaf = session.clientCertificates.first {
            self.beginObject("client")
            self.field("subject", clientLeaf.subject)
            self.field("issuerdn", clientLeaf.issuer)
            self.field("fingerprint", clientLeaf.fingerprint)
            self.field("serial", clientLeaf.serial)
            self.tlsDate("notbefore", clientLeaf.notBefore)
            self.tlsDate("notafter", clientLeaf.notAfter)
            if fields.contains(.clientCertificate) {
                self.key("certificate")
                clientLeaf.der.withUnsafeBytes { self.base64($0) }
            }
            if fields.contains(.clientChain) { self.writeChain(session.clientCertificates) }
            self.endObject()
        }
    }

    /// The hello's version as Suricata's handshake log takes it: the higher of the legacy version and the
    /// first valid `supported_versions` entry.
    private static func handshakeVersion(_ hello: TLSHello) -> UInt16 {
        let legacy = TLSVersion.isGREASE(hello.legacyVersion) ? 0 : hello.legacyVersion
        guard let supported = hello.supportedVersions.first(where: TLSVersion.isValid) else { return legacy }
        return max(legacy, supported)
    }

    private func writeChain(_ chain: [TLSCertificate]) {
        self.beginArray("chain")
        for certificate in chain { certificate.der.withUnsafeBytes { self.base64($0) } }
        self.endArray()
    }

    private func writeALPNs(_ key: StaticString, _ alpns: [[UInt8]]) {
        self.beginArray(key)
        for alpn in alpns { alpn.withUnsafeBytes { self.string(bytes: $0) } }
        self.endArray()
    }

    private func writeNumbers(_ key: StaticString, _ values: [UInt16]) {
        guard !values.isEmpty else { return }
        self.beginArray(key)
        for value in values { self.unsigned(UInt64(value)) }
        self.endArray()
    }

    /// `YYYY-MM-DDTHH:MM:SS` (UTC), as Suricata logs certificate dates.
    func tlsDate(_ key: StaticString, _ seconds: Int64) {
        let civil = CivilTime(secondsSinceEpoch: seconds)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let text =
            pad(civil.year, 4) + "-" + pad(civil.month, 2) + "-" + pad(civil.day, 2) + "T" + pad(civil.hour, 2) + ":"
            + pad(civil.minute, 2) + ":" + pad(civil.second, 2)
        self.field(key, text)
    }
}
