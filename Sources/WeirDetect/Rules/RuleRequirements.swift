// SPDX-License-Identifier: MIT

/// The `requires:` rule keyword (Suricata 7.0.3 and later): a rule says which engine version, features or
/// keywords it needs, and an engine that does not meet them skips the rule quietly instead of failing it.
///
/// Grammar, as Suricata reads it: comma-separated `key value` pairs; `feature <name>`, `keyword <name>` (each may
/// repeat) and at most one `version <expr>`, where `<expr>` is alternatives separated by `|`, each a sequence of
/// comparisons (`>=`, `>`, `<=`, `<`) with versions `major[.minor[.patch]]` that must all hold
/// (`version >= 7.0.3 < 8 | >= 8.0.1`). An unknown key is an unmet requirement, not an error, so rules written
/// for newer engines are skipped. The parser looks at `requires` before any other option (``RuleParser``), so a
/// rule whose other keywords this engine does not know is skipped, not reported as broken.
public enum RuleRequirements {
    /// The Suricata version Weir answers as: it reads Suricata 8 rules, configuration and EVE and follows 8.0.6's
    /// behaviour (the same answer `weir test` gives suricata-verify's `requires` blocks).
    public static let engineVersion = Version(major: 8, minor: 0, patch: 6)
    /// The optional features of Suricata's that Weir has (`requires: feature …`).
    public static let features: Set<String> = ["ja3", "ja4"]

    /// A version, compared part by part.
    public struct Version: Sendable, Equatable, Comparable, CustomStringConvertible {
        public var major: Int
        public var minor: Int
        public var patch: Int

        public init(major: Int, minor: Int, patch: Int) {
            self.major = major
            self.minor = minor
            self.patch = patch
        }

        public static func < (a: Version, b: Version) -> Bool {
            (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }

        public var description: String { "\(self.major).\(self.minor).\(self.patch)" }
    }

    /// What a `requires` value says for this engine.
    public enum Outcome: Sendable, Equatable {
        /// Every requirement holds: the rule loads (the keyword itself matches nothing).
        case met
        /// A requirement does not hold: the rule is skipped, with the reason.
        case unmet(String)
        /// The value cannot be read: the rule is an error.
        case invalid(String)
    }

    /// Evaluates a `requires` value. `hasKeyword` answers `keyword <name>` (a keyword the engine runs).
    public static func evaluate(
        _ text: Substring, version: Version = Self.engineVersion, features: Set<String> = Self.features,
        hasKeyword: (String) -> Bool
    ) -> Outcome {
        var rest = text.utf8[...]
        var versionExpression: [[(op: String, version: Version)]]? = nil
        var unmet: [String] = []
        var unknown: [String] = []
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }
        while !rest.isEmpty {
            while let b = rest.first, isSpace(b) { rest = rest.dropFirst() }
            let keyEnd =
                rest.firstIndex { b in
                    !((b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95)
                } ?? rest.endIndex
            let key = String(decoding: rest[..<keyEnd], as: UTF8.self)
            rest = rest[keyEnd...]
            while let b = rest.first, isSpace(b) { rest = rest.dropFirst() }
            let valueEnd = rest.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let value = String(Substring(String(decoding: rest[..<valueEnd], as: UTF8.self)).trimmingSpaces())
            rest = rest[valueEnd...]
            while let b = rest.first, b == UInt8(ascii: ",") || isSpace(b) { rest = rest.dropFirst() }
            switch key {
            case "feature":
                if !features.contains(value) { unmet.append("feature \(value)") }
            case "keyword":
                if !hasKeyword(value) { unmet.append("keyword \(value)") }
            case "version":
                guard versionExpression == nil else { return .invalid("version may only be given once") }
                guard let expression = Self.parseVersionExpression(value) else {
                    return .invalid("cannot read the version expression '\(value)'")
                }
                versionExpression = expression
            default:
                unknown.append(value.isEmpty ? key : "\(key) \(value)")
            }
        }
        if !unknown.isEmpty { return .unmet("unknown requirement \(unknown.joined(separator: ", "))") }
        if let alternatives = versionExpression {
            let holds = alternatives.contains { comparisons in
                comparisons.allSatisfy { c in
                    switch c.op {
                    case ">=": version >= c.version
                    case ">": version > c.version
                    case "<=": version <= c.version
                    default: version < c.version
                    }
                }
            }
            if !holds {
                let written = alternatives.map { $0.map { "\($0.op) \($0.version)" }.joined(separator: " ") }
                return .unmet("version \(written.joined(separator: " | ")) (Weir answers as Suricata \(version))")
            }
        }
        if let first = unmet.first { return .unmet(first) }
        return .met
    }

    /// `>= 7.0.3 < 8 | >= 8.0.1` as alternatives of comparisons; nil when an alternative has none or a version
    /// part is not a number from 0 to 255.
    static func parseVersionExpression(_ text: String) -> [[(op: String, version: Version)]]? {
        var out: [[(op: String, version: Version)]] = []
        for alternative in text.split(separator: "|", omittingEmptySubsequences: false) {
            var comparisons: [(op: String, version: Version)] = []
            var rest = Substring(alternative).trimmingSpaces()
            while !rest.isEmpty {
                var op = ""
                for candidate in [">=", "<=", ">", "<"] where rest.hasPrefix(candidate) {
                    op = candidate
                    break
                }
                guard !op.isEmpty else { break }
                rest = Substring(rest.dropFirst(op.count)).trimmingSpaces()
                let end =
                    rest.firstIndex { $0 == " " || $0 == "\t" || $0 == "-" || $0 == "<" || $0 == ">" } ?? rest.endIndex
                let parts = rest[..<end].split(separator: ".", omittingEmptySubsequences: false)
                guard (1...3).contains(parts.count) else { return nil }
                var numbers: [Int] = []
                for part in parts {
                    guard let n = Int(part), n >= 0, n <= 255 else { return nil }
                    numbers.append(n)
                }
                while numbers.count < 3 { numbers.append(0) }
                comparisons.append((op, Version(major: numbers[0], minor: numbers[1], patch: numbers[2])))
                var next = rest[end...]
                if next.hasPrefix("-") {
                    // A pre-release tail (`8.0.0-dev`) is read past, as Suricata stops the number at `-`.
                    next = next.drop { $0 != " " && $0 != "\t" && $0 != "<" && $0 != ">" }
                }
                rest = Substring(next).trimmingSpaces()
            }
            guard !comparisons.isEmpty else { return nil }
            out.append(comparisons)
        }
        return out.isEmpty ? nil : out
    }
}
