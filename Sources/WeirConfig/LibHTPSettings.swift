// SPDX-License-Identifier: MIT
import Glibc

/// Checks `app-layer.protocols.http.libhtp` (`default-config` and the `server-config` list) key by key, as
/// every other section is checked: the options Weir's HTTP parser applies are validated here (a bad value stops
/// start-up naming its key), Suricata's options Weir does not apply are reported as ignored keys, anything else
/// is an unknown key. The parser itself reads the values from the flattened keys (`AppLayerProtocolSettings`).
enum LibHTPSettings {
    static let sizes = [
        "request-body-limit", "response-body-limit", "request-body-minimal-inspect-size",
        "request-body-inspect-window", "response-body-minimal-inspect-size", "response-body-inspect-window",
        "meta-field-limit", "lzma-memlimit", "compression-bomb-limit",
    ]
    static let integers = ["response-body-decompress-layer-limit", "decompression-time-limit", "headers-limit"]
    static let booleans = [
        "double-decode-query", "double-decode-path", "path-convert-backslash-separators", "path-convert-lowercase",
        "path-nul-encoded-terminates", "path-nul-raw-terminates", "path-separators-compress",
        "path-separators-decode", "path-u-encoding-decode", "path-utf8-convert-bestfit", "uri-include-all",
        "query-plusspace-decode", "lzma-enabled",
    ]
    /// Suricata's personality names (letter case ignored); the Apache and Tomcat aliases are its old names.
    static let personalities = [
        "minimal", "generic", "ids", "iis_4_0", "iis_5_0", "iis_5_1", "iis_6_0", "iis_7_0", "iis_7_5", "apache_2",
        "apache", "apache_2_2", "tomcat_6_0",
    ]

    static func check(_ libhtp: MappingReader) throws(ConfigError) {
        if let defaults = try libhtp.mapping("default-config") { try Self.checkConfig(defaults, server: false) }
        if let servers = try libhtp.list("server-config") {
            for (node, path) in servers {
                // Each item names its server: `- apache: {address: [...], personality: Apache_2}`.
                let entry = try MappingReader(node, path: path, context: libhtp.context)
                for named in node.entries ?? [] {
                    guard let config = try entry.mapping(named.key) else { continue }
                    try Self.checkConfig(config, server: true)
                }
                try entry.finish()
            }
        }
        try libhtp.finish()
    }

    private static func checkConfig(_ config: MappingReader, server: Bool) throws(ConfigError) {
        if let (text, node) = try config.scalarText("personality"), !Self.personalities.contains(text.lowercased()) {
            throw config.fail(node, "personality", "'\(text)' is not a libhtp personality (IDS, Generic, Minimal, Apache_2, IIS_4_0 … IIS_7_5)")
        }
        for key in Self.sizes { _ = try config.size(key, 0) }
        for key in Self.integers { _ = try config.int(key, 0, in: 0...Int(Int32.max)) }
        for key in Self.booleans { _ = try config.bool(key, false) }
        _ = try config.optionalString("path-bestfit-replacement-char")
        if server, let addresses = try config.stringList("address") {
            for address in addresses where !Self.isAddressPrefix(address) {
                throw ConfigError(
                    .badValue, at: config.node["address"]?.location ?? config.node.location,
                    key: config.dotted("address"), "'\(address)' is not an IPv4 or IPv6 address or network")
            }
        }
        try config.finish()
    }

    /// `10.0.0.1`, `192.168.0.0/16`, `2001:db8::/32`.
    static func isAddressPrefix(_ text: String) -> Bool {
        let parts = text.trimmingSpaces.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = parts.first else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        let family = address.contains(":") ? AF_INET6 : AF_INET
        guard inet_pton(family, address, &buffer) == 1 else { return false }
        guard parts.count == 2 else { return true }
        guard let length = Int(parts[1]) else { return false }
        return length >= 0 && length <= (family == AF_INET6 ? 128 : 32)
    }
}
