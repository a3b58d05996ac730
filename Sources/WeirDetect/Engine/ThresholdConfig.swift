// SPDX-License-Identifier: MIT
import WeirCore

/// A `threshold.config` file (Suricata's `util-threshold-config.c` format), parsed.
///
/// Lines: `threshold|event_filter gen_id G, sig_id S, type T, track K, count C, seconds N`,
/// `suppress gen_id G, sig_id S[, track by_src|by_dst|by_either, ip A]`,
/// `rate_filter gen_id G, sig_id S, track K, count C, seconds N, new_action A, timeout T`.
/// `sig_id 0` (with `gen_id 0`: every generator) applies to every rule.
public struct ThresholdConfig: Sendable {
    /// One `threshold`/`event_filter` line.
    package struct EventFilter: Sendable {
        /// Generator id (0: any).
        package var gid: UInt32
        /// Signature id (0: every rule).
        package var sid: UInt32
        /// The counting rule.
        package var spec: ThresholdSpec
    }

    /// One `suppress` line.
    package struct Suppression: Sendable {
        /// Generator id (0: any).
        package var gid: UInt32
        /// Signature id (0: every rule).
        package var sid: UInt32
        /// `nil`: suppress every alert of the rule.
        package var track: ThresholdTrack?
        /// The `ip` value as written (address, CIDR, list, or `$VAR`).
        package var addressText: String?
        /// The resolved `ip` value.
        package var addresses: AddressMatcher = .any
    }

    /// One `rate_filter` line.
    package struct RateFilter: Sendable {
        /// Generator id (0: any).
        package var gid: UInt32
        /// Signature id (0: every rule).
        package var sid: UInt32
        /// What the rate is counted per.
        package var track: ThresholdTrack
        /// Matches allowed per window before the new action applies.
        package var count: Int
        /// The window length.
        package var seconds: Int64
        /// `new_action`.
        package var newAction: RuleVerdictAction
        /// `timeout`: how long the new action lasts, seconds.
        package var timeout: Int64
    }

    /// `threshold`/`event_filter` lines.
    package var eventFilters: [EventFilter] = []
    /// `suppress` lines.
    package var suppressions: [Suppression] = []
    /// `rate_filter` lines.
    package var rateFilters: [RateFilter] = []

    /// An empty configuration.
    public init() {}

    /// A line that could not be parsed.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// 1-based line number.
        public var line: Int
        /// One-line reason.
        public var reason: String
        /// `threshold.config line N: reason`.
        public var description: String { "threshold.config line \(self.line): \(self.reason)" }
    }

    /// Parses the file's text; `addressVariables` resolves `$VAR` in `suppress … ip`.
    ///
    /// - Throws: ``ParseError`` naming the first bad line.
    public init(text: String, addressVariables: [String: String] = [:]) throws(ParseError) {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.firstIndex(of: " ") else {
                throw ParseError(line: lineNumber, reason: "missing arguments")
            }
            let kind = line[..<space].lowercased()
            var fields: [String: String] = [:]
            // Split on commas outside brackets.
            var depth = 0
            var current = ""
            var parts: [String] = []
            for ch in line[line.index(after: space)...] {
                if ch == "[" { depth += 1 }
                if ch == "]" { depth -= 1 }
                if ch == "," && depth == 0 {
                    parts.append(current)
                    current = ""
                } else {
                    current.append(ch)
                }
            }
            parts.append(current)
            for part in parts {
                let trimmed = Substring(part).trimmingCharacters()
                guard let sep = trimmed.firstIndex(of: " ") else {
                    throw ParseError(line: lineNumber, reason: "'\(trimmed)' has no value")
                }
                fields[trimmed[..<sep].lowercased()] = String(
                    trimmed[trimmed.index(after: sep)...].trimmingCharacters()
                )
            }
            guard let gid = fields["gen_id"].flatMap({ UInt32($0) }), let sid = fields["sig_id"].flatMap({ UInt32($0) })
            else { throw ParseError(line: lineNumber, reason: "gen_id and sig_id are required") }
            func track() throws(ParseError) -> ThresholdTrack {
                guard let text = fields["track"], let t = ThresholdConfig.track(named: text) else {
                    throw ParseError(line: lineNumber, reason: "bad or missing track")
                }
                return t
            }
            func number(_ key: String) throws(ParseError) -> Int64 {
                guard let text = fields[key], let v = Int64(text), v >= 0 else {
                    throw ParseError(line: lineNumber, reason: "bad or missing \(key)")
                }
                return v
            }
            switch kind {
            case "threshold", "event_filter":
                let kindText = fields["type"]?.lowercased() ?? ""
                let type: ThresholdSpec.Kind
                switch kindText {
                case "threshold": type = .threshold
                case "limit": type = .limit
                case "both": type = .both
                default: throw ParseError(line: lineNumber, reason: "bad type '\(kindText)'")
                }
                let spec = ThresholdSpec(
                    kind: type,
                    track: try track(),
                    count: Int(try number("count")),
                    seconds: try number("seconds")
                )
                self.eventFilters.append(EventFilter(gid: gid, sid: sid, spec: spec))
            case "suppress":
                var s = Suppression(gid: gid, sid: sid, track: nil, addressText: nil)
                if fields["track"] != nil {
                    s.track = try track()
                    guard let ip = fields["ip"] else { throw ParseError(line: lineNumber, reason: "track needs ip") }
                    s.addressText = ip
                    guard let matcher = ThresholdConfig.parseAddresses(ip, variables: addressVariables) else {
                        throw ParseError(line: lineNumber, reason: "bad ip '\(ip)'")
                    }
                    s.addresses = matcher
                }
                self.suppressions.append(s)
            case "rate_filter":
                let actionText = fields["new_action"]?.lowercased() ?? ""
                let action: RuleVerdictAction
                switch actionText {
                case "alert", "log": action = .alert
                case "drop", "sdrop": action = .drop
                case "pass": action = .pass
                case "reject": action = .reject
                default: throw ParseError(line: lineNumber, reason: "bad new_action '\(actionText)'")
                }
                self.rateFilters.append(
                    RateFilter(
                        gid: gid,
                        sid: sid,
                        track: try track(),
                        count: Int(try number("count")),
                        seconds: try number("seconds"),
                        newAction: action,
                        timeout: try number("timeout")
                    )
                )
            default:
                throw ParseError(line: lineNumber, reason: "unknown directive '\(kind)'")
            }
        }
    }

    static func track(named text: String) -> ThresholdTrack? {
        switch text.lowercased() {
        case "by_src": return .bySource
        case "by_dst": return .byDestination
        case "by_rule": return .byRule
        case "by_both": return .byBoth
        case "by_flow": return .byFlow
        case "by_either": return .byEither
        default: return nil
        }
    }

    /// Parses `1.2.3.4`, `10.0.0.0/8`, `[a,b]`, `!a`-free lists and `$VAR` (through `variables`).
    package static func parseAddresses(_ text: String, variables: [String: String], depth: Int = 0) -> AddressMatcher? {
        var t = Substring(text).trimmingCharacters()
        if t == "any" { return .any }
        if t.hasPrefix("$") {
            guard depth < 8, let value = variables[String(t.dropFirst())] else { return nil }
            return parseAddresses(value, variables: variables, depth: depth + 1)
        }
        if t.hasPrefix("[") && t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        var ranges: [ClosedRange<IPAddress>] = []
        for item in t.split(separator: ",") {
            let entry = item.trimmingCharacters()
            if entry.hasPrefix("$") {
                guard let inner = parseAddresses(String(entry), variables: variables, depth: depth + 1) else {
                    return nil
                }
                if inner.isAny { return .any }
                ranges += inner.ranges
                continue
            }
            guard let range = cidrRange(entry) else { return nil }
            ranges.append(range)
        }
        return ranges.isEmpty ? nil : AddressMatcher(ranges: ranges)
    }

    /// `a.b.c.d[/n]` or an IPv6 address with an optional prefix, as an inclusive range.
    package static func cidrRange(_ text: Substring) -> ClosedRange<IPAddress>? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPAddress(first) else { return nil }
        let bits = address.isIPv4 ? 32 : 128
        var prefix = bits
        if parts.count == 2 {
            guard let p = Int(parts[1]), p >= 0, p <= bits else { return nil }
            prefix = p
        }
        if address.isIPv4 {
            let mask: UInt32 = prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
            return IPAddress(v4: address.v4Value & mask)...IPAddress(v4: address.v4Value | ~mask)
        }
        let highMask: UInt64 = prefix >= 64 ? .max : (prefix == 0 ? 0 : UInt64.max << UInt64(64 - prefix))
        let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? .max : UInt64.max << UInt64(128 - prefix))
        return IPAddress(
            v6High: address.high & highMask,
            low: address.low & lowMask
        )...IPAddress(v6High: address.high | ~highMask, low: address.low | ~lowMask)
    }
}

extension Substring {
    /// Without leading and trailing blanks (space, tab, CR).
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return s
    }
}
