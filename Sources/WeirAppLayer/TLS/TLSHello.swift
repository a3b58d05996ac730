// SPDX-License-Identifier: MIT

/// The fields of a ClientHello or ServerHello, as on the wire (GREASE values kept; the fingerprints and
/// logs filter them).
public struct TLSHello: Sendable, Equatable {
    /// `legacy_version` (the hello's version field).
    public var legacyVersion: UInt16 = 0
    /// The 32-byte random.
    public var random: [UInt8] = []
    /// The legacy session id.
    public var sessionID: [UInt8] = []
    /// Cipher suites offered (client) or the one chosen (server, one element).
    public var ciphers: [UInt16] = []
    /// Compression methods offered (client) or chosen (server).
    public var compressionMethods: [UInt8] = []
    /// Extension types in wire order.
    public var extensions: [UInt16] = []
    /// `server_name` host name (first host_name entry).
    public var serverName: [UInt8]?
    /// ALPN protocol names (client: offered, server: the chosen one).
    public var alpns: [[UInt8]] = []
    /// `supported_groups` (elliptic curves).
    public var groups: [UInt16] = []
    /// `ec_point_formats`.
    public var pointFormats: [UInt8] = []
    /// `signature_algorithms`.
    public var signatureAlgorithms: [UInt16] = []
    /// `supported_versions` list (client) or the selected version (server, one element).
    public var supportedVersions: [UInt16] = []
    /// A session ticket extension with data (resumption attempt) was present.
    public var hasSessionTicket = false
    /// `pre_shared_key` was present (TLS 1.3 resumption).
    public var hasPreSharedKey = false
    /// `early_data` was present (TLS 1.3 0-RTT).
    public var hasEarlyData = false
    /// This hello came in a DTLS record (changes the JA4 protocol letter).
    public var isDTLS = false

    public init() {}

    /// The version this hello speaks for: the first valid `supported_versions` entry (what Suricata takes
    /// as the client's, and the server's selection), else the legacy version.
    public var effectiveVersion: UInt16 {
        self.supportedVersions.first(where: TLSVersion.isValid) ?? self.legacyVersion
    }
}

/// Why a hello could not be decoded (each becomes a `tls` app-layer event).
enum TLSHelloError: Error {
    case invalidLength
    case invalidSNIType
    case invalidSNILength
    case multipleSNI
}

extension TLSHello {
    // Extension numbers used below.
    static let extServerName: UInt16 = 0x0000
    static let extSupportedGroups: UInt16 = 0x000a
    static let extPointFormats: UInt16 = 0x000b
    static let extSignatureAlgorithms: UInt16 = 0x000d
    static let extALPN: UInt16 = 0x0010
    static let extSessionTicket: UInt16 = 0x0023
    static let extPreSharedKey: UInt16 = 0x0029
    static let extEarlyData: UInt16 = 0x002a
    static let extSupportedVersions: UInt16 = 0x002b

    /// Decodes a ClientHello (`isClient`) or ServerHello body (after the 4-byte handshake header).
    /// Extensions that are malformed are skipped with an error noted in `problems`; a body too short for
    /// its fixed fields throws.
    static func decode(_ body: [UInt8], isClient: Bool, isDTLS: Bool, problems: inout [TLSHelloError]) throws
        -> TLSHello
    {
        var reader = WireReader(body)
        var hello = TLSHello()
        hello.isDTLS = isDTLS
        guard let version = reader.u16(), let random = reader.take(32) else { throw TLSHelloError.invalidLength }
        hello.legacyVersion = version
        hello.random = random
        // TLS 1.3 drafts 1 to 21 name themselves in the ServerHello's version field (0x0304 or 0x7fNN), and
        // their ServerHello has neither session id nor compression method (both came back in draft 22).
        let earlyDraftServer = !isClient && (version == 0x0304 || version >> 8 == 0x7f)
        if !earlyDraftServer {
            guard let idLength = reader.u8(), let sessionID = reader.take(Int(idLength)) else {
                throw TLSHelloError.invalidLength
            }
            hello.sessionID = sessionID
        }
        if isClient {
            if isDTLS {
                // DTLS ClientHello carries a cookie before the cipher suites.
                guard let cookieLength = reader.u8(), reader.skip(Int(cookieLength)) else {
                    throw TLSHelloError.invalidLength
                }
            }
            guard let cipherLength = reader.u16(), cipherLength % 2 == 0, var ciphers = reader.sub(Int(cipherLength))
            else { throw TLSHelloError.invalidLength }
            while let cipher = ciphers.u16() { hello.ciphers.append(cipher) }
            guard let compressionLength = reader.u8(), let methods = reader.take(Int(compressionLength)) else {
                throw TLSHelloError.invalidLength
            }
            hello.compressionMethods = methods
        } else if earlyDraftServer {
            guard let cipher = reader.u16() else { throw TLSHelloError.invalidLength }
            hello.ciphers = [cipher]
        } else {
            guard let cipher = reader.u16(), let method = reader.u8() else { throw TLSHelloError.invalidLength }
            hello.ciphers = [cipher]
            hello.compressionMethods = [method]
        }
        // Extensions are optional (SSLv3 / early TLS hellos end here).
        guard !reader.isAtEnd else { return hello }
        guard let extensionsLength = reader.u16(), var extensions = reader.sub(Int(extensionsLength)) else {
            problems.append(.invalidLength)
            return hello
        }
        var sawSNI = false
        while !extensions.isAtEnd {
            guard let type = extensions.u16(), let length = extensions.u16(), var data = extensions.sub(Int(length))
            else {
                problems.append(.invalidLength)
                break
            }
            hello.extensions.append(type)
            switch type {
            case extServerName where isClient:
                if sawSNI {
                    problems.append(.multipleSNI)
                    continue
                }
                sawSNI = true
                Self.decodeServerName(&data, into: &hello, problems: &problems)
            case extSupportedGroups:
                if let length = data.u16(), var list = data.sub(Int(length)) {
                    while let group = list.u16() { hello.groups.append(group) }
                }
            case extPointFormats:
                if let length = data.u8(), let formats = data.take(Int(length)) { hello.pointFormats = formats }
            case extSignatureAlgorithms:
                if let length = data.u16(), var list = data.sub(Int(length)) {
                    while let algorithm = list.u16() { hello.signatureAlgorithms.append(algorithm) }
                }
            case extALPN:
                if let length = data.u16(), var list = data.sub(Int(length)) {
                    while let nameLength = list.u8(), let name = list.take(Int(nameLength)) {
                        if !name.isEmpty { hello.alpns.append(name) }
                    }
                }
            case extSessionTicket:
                if length > 0 { hello.hasSessionTicket = true }
            case extPreSharedKey:
                hello.hasPreSharedKey = true
            case extEarlyData:
                hello.hasEarlyData = true
            case extSupportedVersions:
                if isClient {
                    if let length = data.u8(), var list = data.sub(Int(length)) {
                        while let version = list.u16() { hello.supportedVersions.append(version) }
                    }
                } else if let version = data.u16() {
                    hello.supportedVersions = [version]
                }
            default:
                break
            }
        }
        return hello
    }

    private static func decodeServerName(
        _ data: inout WireReader,
        into hello: inout TLSHello,
        problems: inout [TLSHelloError]
    ) {
        guard let listLength = data.u16(), var list = data.sub(Int(listLength)) else {
            problems.append(.invalidSNILength)
            return
        }
        while !list.isAtEnd {
            guard let nameType = list.u8() else { return }
            guard let nameLength = list.u16(), let name = list.take(Int(nameLength)) else {
                problems.append(.invalidSNILength)
                return
            }
            if nameType != 0 {
                problems.append(.invalidSNIType)
                continue
            }
            if hello.serverName == nil { hello.serverName = name }
        }
    }
}
