// SPDX-License-Identifier: MIT

/// TLS/SSL protocol versions as on the wire (major byte, minor byte), with Suricata's names.
public enum TLSVersion {
    public static let sslv2: UInt16 = 0x0200
    public static let sslv3: UInt16 = 0x0300
    public static let tls10: UInt16 = 0x0301
    public static let tls11: UInt16 = 0x0302
    public static let tls12: UInt16 = 0x0303
    public static let tls13: UInt16 = 0x0304
    /// Early TLS 1.3 drafts that reused 0x0304 or 0x7f01...0x7f0f.
    public static let tls13PreDraft16: UInt16 = 0x7f01
    public static let dtls10: UInt16 = 0xfeff
    public static let dtls12: UInt16 = 0xfefd
    public static let dtls13: UInt16 = 0xfefc

    /// The version's name as Suricata prints it in EVE `tls.version` (`TLS 1.2`, `TLSv1`, `SSLv3`,
    /// `TLS 1.3 draft-23`, `UNDETERMINED`); `nil` for values Suricata has no name for.
    public static func name(_ version: UInt16) -> String? {
        switch version {
        case 0x0000: return "UNDETERMINED"
        case sslv2: return "SSLv2"
        case sslv3: return "SSLv3"
        case tls10: return "TLSv1"
        case tls11: return "TLS 1.1"
        case tls12: return "TLS 1.2"
        case tls13: return "TLS 1.3"
        case 0x7f01: return "TLS 1.3 draft-<16"
        case 0x7f10...0x7f1c: return "TLS 1.3 draft-\(version & 0xff)"
        case 0xfb14, 0xfb15, 0xfb16, 0xfb17, 0xfb1a: return "TLS 1.3 draft-\(version & 0xff)-fb"
        case dtls10: return "DTLS 1.0"
        case dtls12: return "DTLS 1.2"
        case dtls13: return "DTLS 1.3"
        default: return nil
        }
    }

    /// Whether `version` is a real TLS/SSL version (not GREASE or noise in supported_versions).
    public static func isValid(_ version: UInt16) -> Bool {
        switch version {
        case sslv2, sslv3, tls10, tls11, tls12, tls13, dtls10, dtls12, dtls13: return true
        case 0x7f01...0x7f1c, 0xfb14, 0xfb15, 0xfb16, 0xfb17, 0xfb1a: return true
        default: return false
        }
    }

    /// GREASE values (RFC 8701): 0x?a?a with equal bytes.
    public static func isGREASE(_ value: UInt16) -> Bool {
        value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
    }

    /// The `ssl_version` keyword's names for a version (`sslv2`, `sslv3`, `tls1.0`, `tls1.1`, `tls1.2`,
    /// `tls1.3`), `nil` for others.
    public static func keywordName(_ version: UInt16) -> String? {
        switch version {
        case sslv2: return "sslv2"
        case sslv3: return "sslv3"
        case tls10: return "tls1.0"
        case tls11: return "tls1.1"
        case tls12: return "tls1.2"
        case tls13, 0x7f01...0x7f1c, 0xfb14...0xfb1a: return "tls1.3"
        default: return nil
        }
    }
}
