// SPDX-License-Identifier: MIT
import Glibc

/// A Suricata version as suricata-verify's `requires` compares them: missing parts count as 0 for ordering and
/// as "any" for `version:` equality.
public struct SuricataVersion: Sendable, Equatable, CustomStringConvertible {
    /// The major number.
    public var major: Int
    /// The minor number, `nil` when not written.
    public var minor: Int?
    /// The patch number, `nil` when not written.
    public var patch: Int?

    /// The version `weir test` answers `min-version`/`lt-version` with unless `--suricata-version` says otherwise.
    ///
    /// Weir reads Suricata 8 rules, configuration keys and EVE field names and follows 8.0.6's behaviour (the EVE
    /// schema it validates against), so it presents itself as 8.0.6: tests written for 8.x run, tests that need
    /// 9.x features are skipped, and checks pinned to earlier releases (`lt-version: 8`, `lt-version: 8.0.2`) are
    /// skipped as they would be on a Suricata 8.0.6 build.
    public static let weirDefault = SuricataVersion(major: 8, minor: 0, patch: 6)

    /// A version from its parts.
    public init(major: Int, minor: Int?, patch: Int?) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses "8", "7.0", "7.0.12", "9.0.0-dev" (digits separated by dots; anything after is ignored).
    public init?(_ text: String) {
        var parts: [Int] = []
        var current = ""
        for ch in text.trimmingSpaces {
            if ch.isASCII && ch.isNumber {
                current.append(ch)
            } else if ch == "." && !current.isEmpty && parts.count < 2 {
                parts.append(Int(current) ?? 0)
                current = ""
            } else {
                break
            }
        }
        if !current.isEmpty { parts.append(Int(current) ?? 0) }
        guard let major = parts.first else { return nil }
        self.init(major: major, minor: parts.count > 1 ? parts[1] : nil, patch: parts.count > 2 ? parts[2] : nil)
    }

    /// "8", "7.0" or "7.0.12", as written.
    public var description: String {
        var s = String(self.major)
        if let minor = self.minor { s += ".\(minor)" }
        if let patch = self.patch { s += ".\(patch)" }
        return s
    }

    private var triple: (Int, Int, Int) { (self.major, self.minor ?? 0, self.patch ?? 0) }

    /// `self >= other`, missing parts as 0.
    public func isAtLeast(_ other: SuricataVersion) -> Bool { !(self.triple < other.triple) }
    /// `self < other`, missing parts as 0.
    public func isBelow(_ other: SuricataVersion) -> Bool { self.triple < other.triple }
    /// `self > other`, missing parts as 0.
    public func isAbove(_ other: SuricataVersion) -> Bool { self.triple > other.triple }
    /// run.py's `version:` equality: "7" matches any 7.x.y, "7.0" any 7.0.y.
    public func matches(_ wanted: SuricataVersion) -> Bool {
        guard self.major == wanted.major else { return false }
        if let a = self.minor, let b = wanted.minor, a != b { return false }
        if let a = self.patch, let b = wanted.patch, a != b { return false }
        return true
    }
}

/// What `requires:` blocks are answered with.
public struct Capabilities: Sendable {
    /// The version compared with `min-version` and friends.
    public var version = SuricataVersion.weirDefault
    /// Build features (`requires: features:`): JA3 and JA4, which Weir computes; none of Suricata's other
    /// optional ones (Lua, NSS, …).
    public var features: Set<String> = ["HAVE_JA3", "HAVE_JA4"]

    /// Weir's answers: version 8.0.0, JA3 and JA4.
    public init() {}

    /// Returns why `requires` is not met, or `nil` when it is. `directory` anchors relative `files:` paths.
    func unmetRequirement(_ requires: Value, directory: String) -> String? {
        for (key, value) in requires.members {
            switch key {
            case "min-version", "lt-version", "gt-version", "version":
                guard let wanted = SuricataVersion(value.scalarText) else {
                    return "cannot read \(key) '\(value.scalarText)'"
                }
                let v = self.version
                switch key {
                case "min-version" where !v.isAtLeast(wanted): return "requires at least version \(wanted)"
                case "lt-version" where !v.isBelow(wanted): return "for versions below \(wanted)"
                case "gt-version" where !v.isAbove(wanted): return "for versions above \(wanted)"
                case "version" where !v.matches(wanted): return "only for version \(wanted)"
                default: break
                }
            case "features":
                for feature in value.listItems where !self.features.contains(feature.scalarText) {
                    return "requires feature \(feature.scalarText), which Weir does not have"
                }
            case "not-features":
                for feature in value.listItems where self.features.contains(feature.scalarText) {
                    return "not for feature \(feature.scalarText)"
                }
            case "env":
                for name in value.listItems where getenv(name.scalarText) == nil {
                    return "requires environment variable \(name.scalarText)"
                }
            case "files":
                for file in value.listItems {
                    let path = file.scalarText.hasPrefix("/") ? file.scalarText : directory + "/" + file.scalarText
                    if access(path, F_OK) != 0 { return "requires file \(file.scalarText)" }
                }
            case "pcap":
                break  // handled where pcaps are found
            case "os":
                if !"linux".hasPrefix(value.scalarText.lowercased()) { return "requires OS \(value.scalarText)" }
            case "arch":
                var name = utsname()
                uname(&name)
                let machine = withUnsafePointer(to: name.machine) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
                }
                if !machine.lowercased().hasPrefix(value.scalarText.lowercased()) {
                    return "requires architecture \(value.scalarText)"
                }
            case "script":
                return "requires a script check, which weir test does not run"
            case "lambda", "lambdaexpr":
                return "requires a Python expression, which weir test does not evaluate"
            case "config":
                return "requires configuration values, which weir test does not compare"
            default:
                return "unknown requirement '\(key)'"
            }
        }
        return nil
    }
}

extension Value {
    /// A scalar as text the way Python's `str()` would print it (YAML `8` and `"8"` both give "8").
    var scalarText: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        default: return self.json
        }
    }

    /// A list's items, or the value itself as a one-item list.
    var listItems: [Value] {
        if case .array(let items) = self { return items }
        if case .null = self { return [] }
        return [self]
    }
}

extension String {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s
    }
}
