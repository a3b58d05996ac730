// SPDX-License-Identifier: MIT
import CLibHTP
import Glibc
import Synchronization

/// `app-layer.protocols.http.libhtp.default-config` (and a `server-config` entry): how libhtp parses and how
/// much of each body detection sees. Defaults are those of Suricata's shipped suricata.yaml.
struct HTTPSettings: Sendable, Equatable, Hashable {
    var personality = "IDS"
    var requestBodyLimit = 100 * 1024
    var responseBodyLimit = 100 * 1024
    var requestBodyMinimalInspectSize = 32 * 1024
    var requestBodyInspectWindow = 4 * 1024
    var responseBodyMinimalInspectSize = 40 * 1024
    var responseBodyInspectWindow = 16 * 1024
    var responseDecompressLayerLimit = 2
    var doubleDecodePath = false
    var doubleDecodeQuery = false
    var uriIncludeAll = false
    var pathConvertBackslash: Bool?
    var pathConvertLowercase: Bool?
    var pathSeparatorsCompress: Bool?
    var pathSeparatorsDecode: Bool?
    var pathUEncodingDecode: Bool?
    var pathNulEncodedTerminates: Bool?
    var pathNulRawTerminates: Bool?
    var pathUTF8ConvertBestfit: Bool?
    var pathBestfitReplacementChar: UInt8?
    var queryPlusspaceDecode = false
    var metaFieldLimit: Int?
    var compressionBombLimit = 1024 * 1024
    var decompressionTimeLimit = 100_000
    var headersLimit = 1024
    var lzmaEnabled = false
    var lzmaMemlimit = 1024 * 1024
    /// `app-layer.protocols.http.memcap` (0 = unlimited).
    var memcap = 0

    /// Settings from the flattened `app-layer.protocols.http` keys (`libhtp.default-config.personality` …).
    init(values: [String: String]) {
        let prefix = "libhtp.default-config."
        var v: [String: String] = [:]
        for (key, value) in values where key.hasPrefix(prefix) {
            v[String(key.dropFirst(prefix.count))] = value
        }
        if let memcap = values["memcap"].flatMap(parseSize) { self.memcap = memcap }
        self.apply(v)
    }

    mutating func apply(_ v: [String: String]) {
        if let p = v["personality"] { self.personality = p }
        func size(_ key: String, _ into: inout Int) { if let s = v[key].flatMap(parseSize) { into = s } }
        func flag(_ key: String) -> Bool? { v[key].flatMap(parseBool) }
        size("request-body-limit", &self.requestBodyLimit)
        size("response-body-limit", &self.responseBodyLimit)
        size("request-body-minimal-inspect-size", &self.requestBodyMinimalInspectSize)
        size("request-body-inspect-window", &self.requestBodyInspectWindow)
        size("response-body-minimal-inspect-size", &self.responseBodyMinimalInspectSize)
        size("response-body-inspect-window", &self.responseBodyInspectWindow)
        size("compression-bomb-limit", &self.compressionBombLimit)
        size("lzma-memlimit", &self.lzmaMemlimit)
        if let n = v["response-body-decompress-layer-limit"].flatMap({ Int($0) }) {
            self.responseDecompressLayerLimit = n
        }
        if let n = v["decompression-time-limit"].flatMap({ Int($0) }) { self.decompressionTimeLimit = n }
        if let n = v["headers-limit"].flatMap({ Int($0) }) { self.headersLimit = n }
        if let b = flag("double-decode-path") { self.doubleDecodePath = b }
        if let b = flag("double-decode-query") { self.doubleDecodeQuery = b }
        if let b = flag("uri-include-all") { self.uriIncludeAll = b }
        if let b = flag("query-plusspace-decode") { self.queryPlusspaceDecode = b }
        if let b = flag("lzma-enabled") { self.lzmaEnabled = b }
        self.pathConvertBackslash = flag("path-convert-backslash-separators") ?? self.pathConvertBackslash
        self.pathConvertLowercase = flag("path-convert-lowercase") ?? self.pathConvertLowercase
        self.pathSeparatorsCompress = flag("path-separators-compress") ?? self.pathSeparatorsCompress
        self.pathSeparatorsDecode = flag("path-separators-decode") ?? self.pathSeparatorsDecode
        self.pathUEncodingDecode = flag("path-u-encoding-decode") ?? self.pathUEncodingDecode
        self.pathNulEncodedTerminates = flag("path-nul-encoded-terminates") ?? self.pathNulEncodedTerminates
        self.pathNulRawTerminates = flag("path-nul-raw-terminates") ?? self.pathNulRawTerminates
        self.pathUTF8ConvertBestfit = flag("path-utf8-convert-bestfit") ?? self.pathUTF8ConvertBestfit
        if let c = v["path-bestfit-replacement-char"]?.utf8.first { self.pathBestfitReplacementChar = c }
        if let n = v["meta-field-limit"].flatMap(parseSize) { self.metaFieldLimit = n }
    }

    /// libhtp's personality for a Suricata personality name (case-insensitive).
    var htpPersonality: htp_server_personality_t {
        switch self.personality.uppercased() {
        case "MINIMAL": return HTP_SERVER_MINIMAL
        case "GENERIC": return HTP_SERVER_GENERIC
        case "IIS_4_0": return HTP_SERVER_IIS_4_0
        case "IIS_5_0": return HTP_SERVER_IIS_5_0
        case "IIS_5_1": return HTP_SERVER_IIS_5_1
        case "IIS_6_0": return HTP_SERVER_IIS_6_0
        case "IIS_7_0": return HTP_SERVER_IIS_7_0
        case "IIS_7_5": return HTP_SERVER_IIS_7_5
        // libhtp has one Apache personality; Suricata maps its Apache and Tomcat names to it.
        case "APACHE", "APACHE_2", "APACHE_2_2", "TOMCAT_6_0": return HTP_SERVER_APACHE_2
        default: return HTP_SERVER_IDS
        }
    }
}

/// `100kb`, `4mb`, `1gb`, `4096` → bytes (Suricata's size spellings; k/m/g are powers of 1024).
func parseSize(_ text: String) -> Int? {
    let t = text.lowercased().filter { $0 != " " }
    var digits = t
    var scale = 1
    for (suffix, factor) in [
        ("kib", 1024), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1024), ("mb", 1 << 20),
        ("gb", 1 << 30), ("k", 1024), ("m", 1 << 20), ("g", 1 << 30), ("b", 1),
    ]
    where t.hasSuffix(suffix) {
        digits = String(t.dropLast(suffix.count))
        scale = factor
        break
    }
    guard let n = Int(digits), n >= 0 else { return nil }
    return n * scale
}

/// YAML booleans as Suricata reads them.
func parseBool(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "yes", "true", "on", "1": return true
    case "no", "false", "off", "0": return false
    default: return nil
    }
}

/// `libhtp.default-config` and the `libhtp.server-config` list: the settings a flow's HTTP parser uses are
/// those of the server-config entry whose `address` list holds the flow's server address with the longest
/// prefix, else the default config's. As in Suricata, an entry starts from the built-in defaults (not from
/// `default-config`) and sets what it names: typically its `personality` and body limits.
struct HTTPServerConfigs: Sendable, Equatable {
    /// One `server-config` entry (`- apache: {address: [...], personality: Apache_2, ...}`).
    struct Entry: Sendable, Equatable {
        var name: String
        var settings: HTTPSettings
        var prefixes: [AddressPrefix]
    }

    let defaultSettings: HTTPSettings
    let entries: [Entry]

    init(values: [String: String]) {
        self.defaultSettings = HTTPSettings(values: values)
        let prefix = "libhtp.server-config."
        // `libhtp.server-config.<i>.<name>.<key>` (and `.address.<j>`), grouped by entry, in list order.
        var grouped: [Int: (name: String, values: [String: String], addresses: [(Int, String)])] = [:]
        for (key, value) in values where key.hasPrefix(prefix) {
            let parts = key.dropFirst(prefix.count).split(separator: ".", maxSplits: 2).map(String.init)
            guard parts.count == 3, let index = Int(parts[0]) else { continue }
            var entry = grouped[index] ?? (parts[1], [:], [])
            let rest = parts[2]
            if rest == "address" {
                entry.addresses.append((0, value))
            } else if rest.hasPrefix("address."), let position = Int(rest.dropFirst("address.".count)) {
                entry.addresses.append((position, value))
            } else {
                entry.values[rest] = value
            }
            grouped[index] = entry
        }
        var entries: [Entry] = []
        for index in grouped.keys.sorted() {
            guard let group = grouped[index] else { continue }
            var settings = HTTPSettings(values: [:])
            settings.memcap = self.defaultSettings.memcap
            settings.apply(group.values)
            let prefixes = group.addresses.sorted { $0.0 < $1.0 }.compactMap { AddressPrefix($0.1) }
            entries.append(Entry(name: group.name, settings: settings, prefixes: prefixes))
        }
        self.entries = entries
    }

    /// The settings for a flow whose server (responder) has `address` (4 or 16 bytes; empty: unknown).
    func settings(forServer address: [UInt8]) -> HTTPSettings {
        self.entryIndex(forServer: address).map { self.entries[$0].settings } ?? self.defaultSettings
    }

    /// The index of the entry whose settings a flow with server `address` uses, `nil` for the default config.
    func entryIndex(forServer address: [UInt8]) -> Int? {
        var best: (length: Int, index: Int)? = nil
        for (index, entry) in self.entries.enumerated() {
            for prefix in entry.prefixes where prefix.contains(address) {
                // The longest prefix wins; between equal ones, the entry listed first.
                if prefix.length > (best?.length ?? -1) { best = (prefix.length, index) }
            }
        }
        return best?.index
    }

    private static let cache = Mutex<[[String: String]: HTTPServerConfigs]>([:])

    /// The configs for the `app-layer.protocols.http` values, read once per distinct set of values.
    static func shared(_ values: [String: String]) -> HTTPServerConfigs {
        Self.cache.withLock { table in
            if let known = table[values] { return known }
            let made = HTTPServerConfigs(values: values)
            table[values] = made
            return made
        }
    }
}

/// An IPv4 or IPv6 address prefix (`192.168.0.0/16`, `10.0.0.1`, `2001:db8::/32`).
struct AddressPrefix: Sendable, Equatable {
    let bytes: [UInt8]
    let length: Int

    init?(_ text: String) {
        let trimmed = text.filter { $0 != " " && $0 != "\t" }
        let parts = trimmed.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = parts.first else { return nil }
        var bytes: [UInt8]
        if address.contains(":") {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, address, &raw) == 1 else { return nil }
            bytes = withUnsafeBytes(of: raw) { Array($0) }
        } else {
            var raw = in_addr()
            guard inet_pton(AF_INET, address, &raw) == 1 else { return nil }
            bytes = withUnsafeBytes(of: raw) { Array($0) }
        }
        let maximum = bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, length >= 0, length <= maximum else { return nil }
        self.bytes = bytes
        self.length = length
    }

    /// Whether `address` (same family) lies within the prefix.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == self.bytes.count else { return false }
        var left = self.length
        for index in 0..<self.bytes.count where left > 0 {
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if (address[index] ^ self.bytes[index]) & mask != 0 { return false }
            left -= bits
        }
        return true
    }
}
