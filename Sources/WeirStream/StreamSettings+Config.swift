// SPDX-License-Identifier: MIT

/// Why a `stream.*` setting was refused.
public struct StreamSettingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The dotted key, as given.
    public var key: String
    /// The value, as given.
    public var value: String
    /// What is wrong with it.
    public var reason: String

    /// `key: reason (got "value")`.
    public var description: String { "\(self.key): \(self.reason) (got \"\(self.value)\")" }
}

extension StreamSettings {
    /// The `stream.*` keys of suricata.yaml (and `--set`) this engine understands.
    public static let configKeys: [String] = [
        "stream.memcap", "stream.reassembly.memcap", "stream.reassembly.depth",
        "stream.reassembly.toserver-chunk-size", "stream.reassembly.toclient-chunk-size", "stream.midstream",
        "stream.async-oneside", "stream.inline", "stream.checksum-validation", "stream.max-synack-queued",
        "stream.max-syn-queued", "stream.prealloc-sessions", "host-os-policy.default", "host-os-policy.<policy>",
    ]

    /// Applies one suricata.yaml setting given as a dotted key and its scalar value, with Suricata's spellings:
    /// sizes as `64mb`, `1gb`, `4kb` or plain bytes; booleans as `yes`/`no`/`true`/`false`/`1`/`0`;
    /// `stream.inline: auto` means IPS mode (`ipsMode`); `host-os-policy.default` names an ``OverlapPolicy``.
    ///
    /// - Throws: ``StreamSettingError`` for an unknown key or a bad value; the settings are then unchanged.
    public mutating func set(_ key: String, _ value: String, ipsMode: Bool = false) throws(StreamSettingError) {
        let v = value.trimmingSpaces.lowercased()
        func size() throws(StreamSettingError) -> UInt64 {
            guard let n = StreamSettings.parseSize(v) else {
                throw StreamSettingError(key: key, value: value, reason: "not a size (for example 64mb, 1gb, 4096)")
            }
            return n
        }
        func flag() throws(StreamSettingError) -> Bool {
            switch v {
            case "yes", "true", "on", "1", "enable", "enabled": return true
            case "no", "false", "off", "0", "disable", "disabled": return false
            default: throw StreamSettingError(key: key, value: value, reason: "not a boolean (yes/no)")
            }
        }
        func count() throws(StreamSettingError) -> Int {
            guard let n = Int(v), n >= 0 else {
                throw StreamSettingError(key: key, value: value, reason: "not a non-negative integer")
            }
            return n
        }
        switch key {
        case "stream.memcap": self.memcap = Int(clamping: try size())
        case "stream.reassembly.memcap": self.reassemblyMemcap = Int(clamping: try size())
        case "stream.reassembly.depth": self.reassemblyDepth = try size()
        case "stream.reassembly.toserver-chunk-size": self.toServerChunkSize = max(1, Int(clamping: try size()))
        case "stream.reassembly.toclient-chunk-size": self.toClientChunkSize = max(1, Int(clamping: try size()))
        case "stream.midstream": self.midstream = try flag()
        case "stream.async-oneside": self.asyncOneside = try flag()
        case "stream.inline": self.inline = v == "auto" ? ipsMode : try flag()
        case "stream.checksum-validation": self.checksumValidation = try flag()
        case "stream.max-synack-queued": self.maxSynAckQueued = try count()
        case "stream.max-syn-queued": self.maxSynQueued = try count()
        case "stream.prealloc-sessions": self.preallocSessions = min(try count(), 1 << 26)
        case "host-os-policy.default":
            guard let policy = OverlapPolicy(configName: v) else {
                throw StreamSettingError(key: key, value: value, reason: "unknown OS policy")
            }
            self.overlapPolicy = policy
        default:
            // `host-os-policy.<policy>: [cidr, …]` assigns networks to a policy.
            if key.hasPrefix("host-os-policy."), let policy = OverlapPolicy(configName: String(key.dropFirst(15))) {
                var entries: [HostOSPolicy] = []
                let list = v.filter { $0 != "[" && $0 != "]" && $0 != "\"" && $0 != "'" }
                for item in list.split(separator: ",") {
                    let cidr = item.trimmingSpaces
                    if cidr.isEmpty { continue }
                    guard let entry = HostOSPolicy(cidr: cidr, policy: policy) else {
                        throw StreamSettingError(key: key, value: value, reason: "not an address or network: \(cidr)")
                    }
                    entries.append(entry)
                }
                self.hostPolicies.removeAll { $0.policy == policy }
                self.hostPolicies += entries
                return
            }
            throw StreamSettingError(key: key, value: value, reason: "unknown stream setting")
        }
    }

    /// Parses a Suricata size: digits with an optional `b`, `kb`, `mb`, `gb` suffix (powers of 1024).
    public static func parseSize(_ text: String) -> UInt64? {
        let t = text.trimmingSpaces.lowercased()
        var digits = Substring(t)
        var multiplier: UInt64 = 1
        for (suffix, factor) in [("kb", UInt64(1) << 10), ("mb", 1 << 20), ("gb", 1 << 30), ("k", 1 << 10),
            ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        where t.hasSuffix(suffix) {
            digits = t.dropLast(suffix.count)
            multiplier = factor
            break
        }
        guard let n = UInt64(digits.trimmingSpaces) else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var bytes = Array(self.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        var start = 0
        while start < bytes.count && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        return String(decoding: bytes[start...], as: UTF8.self)
    }
}
