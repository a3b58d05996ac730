// SPDX-License-Identifier: MIT
import Crypto

/// A fingerprint's input text and its hash, as EVE `ja3{string, hash}` carries them.
public struct TLSFingerprintText: Sendable, Equatable {
    /// The text that was hashed (`771,4865-4866,…`).
    public var string: String
    /// Its hash in lower-case hex (MD5 for JA3/JA3S).
    public var hash: String
}

/// JA3/JA3S (Salesforce) and JA4/JA4S (FoxIO) fingerprints of hellos, with swift-crypto's digests.
///
/// GREASE values (RFC 8701) are left out of every list, as both definitions say. JA4 follows Suricata's
/// reading where the published text is silent: the version is the higher of the legacy version and the
/// first valid `supported_versions` entry, and part c always has the `_` between extensions and
/// signature algorithms.
public enum TLSFingerprint {
    /// JA3 of a ClientHello: `version,ciphers,extensions,groups,point_formats`, decimal values joined by
    /// `-`, MD5 of that text.
    public static func ja3(_ hello: TLSHello) -> TLSFingerprintText {
        let fields = [
            String(hello.legacyVersion),
            Self.decimalList(hello.ciphers.filter { !TLSVersion.isGREASE($0) }),
            Self.decimalList(hello.extensions.filter { !TLSVersion.isGREASE($0) }),
            Self.decimalList(hello.groups.filter { !TLSVersion.isGREASE($0) }),
            hello.pointFormats.map(String.init).joined(separator: "-"),
        ]
        let text = fields.joined(separator: ",")
        return TLSFingerprintText(string: text, hash: Self.md5(text))
    }

    /// JA3S of a ServerHello: `version,cipher,extensions`, MD5 of that text.
    public static func ja3s(_ hello: TLSHello) -> TLSFingerprintText {
        let fields = [
            String(hello.legacyVersion),
            Self.decimalList(hello.ciphers),
            Self.decimalList(hello.extensions.filter { !TLSVersion.isGREASE($0) }),
        ]
        let text = fields.joined(separator: ",")
        return TLSFingerprintText(string: text, hash: Self.md5(text))
    }

    /// JA4 of a ClientHello (`t13d1516h2_8daaf6152771_e5627efa2ab1`).
    public static func ja4(_ hello: TLSHello) -> String {
        let ciphers = hello.ciphers.filter { !TLSVersion.isGREASE($0) }
        let extensions = hello.extensions.filter { !TLSVersion.isGREASE($0) }
        var version = TLSVersion.isGREASE(hello.legacyVersion) ? 0 : hello.legacyVersion
        if let supported = hello.supportedVersions.first(where: { TLSVersion.isValid($0) }) {
            version = hello.isDTLS ? Self.newerDTLS(version, supported) : max(version, supported)
        }
        var a = hello.isDTLS ? "d" : "t"
        a += Self.versionCode(version)
        a += extensions.contains(TLSHello.extServerName) ? "d" : "i"
        a += Self.twoDigits(ciphers.count)
        a += Self.twoDigits(extensions.count)
        a += Self.alpnCode(hello.alpns.first)

        let sortedCiphers = ciphers.sorted().map(HexText.word).joined(separator: ",")
        let b = String(Self.sha256(sortedCiphers).prefix(12))

        let sortedExtensions = extensions.filter { $0 != TLSHello.extServerName && $0 != TLSHello.extALPN }
            .sorted().map(HexText.word).joined(separator: ",")
        let algorithms = hello.signatureAlgorithms.filter { !TLSVersion.isGREASE($0) }.map(HexText.word)
            .joined(separator: ",")
        let c = String(Self.sha256(sortedExtensions + "_" + algorithms).prefix(12))
        return a + "_" + b + "_" + c
    }

    /// JA4S of a ServerHello (`t130200_1301_234ea6891581`): protocol, version, extension count, ALPN,
    /// the chosen cipher, and the truncated SHA-256 of the extensions in wire order.
    public static func ja4s(_ hello: TLSHello) -> String {
        let extensions = hello.extensions.filter { !TLSVersion.isGREASE($0) }
        var a = hello.isDTLS ? "d" : "t"
        a += Self.versionCode(hello.effectiveVersion)
        a += Self.twoDigits(extensions.count)
        a += Self.alpnCode(hello.alpns.first)
        let cipher = HexText.word(hello.ciphers.first ?? 0)
        let c = String(Self.sha256(extensions.map(HexText.word).joined(separator: ",")).prefix(12))
        return a + "_" + cipher + "_" + c
    }

    // MARK: Pieces

    static func versionCode(_ version: UInt16) -> String {
        switch version {
        case TLSVersion.tls13: "13"
        case TLSVersion.tls12: "12"
        case TLSVersion.tls11: "11"
        case TLSVersion.tls10: "10"
        case TLSVersion.sslv3: "s3"
        case TLSVersion.sslv2: "s2"
        case TLSVersion.dtls10: "d1"
        case TLSVersion.dtls12: "d2"
        case TLSVersion.dtls13: "d3"
        default: "00"
        }
    }

    /// DTLS versions count down (0xfeff is 1.0, 0xfefd is 1.2): the newer of two is the smaller.
    private static func newerDTLS(_ a: UInt16, _ b: UInt16) -> UInt16 {
        if a == 0 { return b }
        return min(a, b)
    }

    private static func twoDigits(_ count: Int) -> String {
        let value = min(99, count)
        return value < 10 ? "0\(value)" : "\(value)"
    }

    /// The first and last character of the first ALPN value; hex digits when either is not alphanumeric;
    /// `00` without ALPN (or when it is a 2-byte GREASE value).
    static func alpnCode(_ alpn: [UInt8]?) -> String {
        guard let alpn, let first = alpn.first, let last = alpn.last else { return "00" }
        if alpn.count == 2, TLSVersion.isGREASE(UInt16(first) << 8 | UInt16(last)) { return "00" }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
        }
        if isAlphanumeric(first) && isAlphanumeric(last) {
            return String(decoding: [first, last], as: UTF8.self)
        }
        return String(decoding: [HexText.lower[Int(first >> 4)], HexText.lower[Int(last & 0xf)]], as: UTF8.self)
    }

    private static func decimalList(_ values: [UInt16]) -> String {
        values.map(String.init).joined(separator: "-")
    }

    static func md5(_ text: String) -> String {
        HexText.string(Insecure.MD5.hash(data: Array(text.utf8)))
    }

    static func sha256(_ text: String) -> String {
        HexText.string(SHA256.hash(data: Array(text.utf8)))
    }
}
