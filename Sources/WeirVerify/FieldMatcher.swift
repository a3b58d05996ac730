// SPDX-License-Identifier: MIT

/// suricata-verify's filter semantics on EVE records: dotted paths with `[i]` indices, the `__len`,
/// `__contains`, `__find`, `__startswith`, `__endswith`, `__gt`, `__gte`, `__lt`, `__lte` suffixes, `has-key` and
/// `not-has-key`, and Python equality (so a YAML int never equals a JSON string).
public enum FieldMatcher {
    static let orderings: Set<String> = ["__gt", "__gte", "__lt", "__lte"]
    static let specials: Set<String> = [
        "__contains", "__find", "__startswith", "__endswith", "__gt", "__gte", "__lt", "__lte",
    ]

    /// The value at a dotted `path` of `object`, or `nil` when a step is missing (a JSON null also reads as
    /// missing, as Python's `None` does). `__len` yields the length of what precedes it (-1 for numbers); a
    /// comparison suffix stops the walk and yields what precedes it.
    public static func value(at path: String, in object: Value) -> Value? {
        var current = object
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            if part == "__len" {
                switch current {
                case .string(let s): return .int(Int64(s.unicodeScalars.count))
                case .array(let a): return .int(Int64(a.count))
                case .object(let m): return .int(Int64(m.count))
                default: return .int(-1)
                }
            }
            if Self.specials.contains(String(part)) { break }
            var key = Substring(part)
            var index: Int?
            if part.hasSuffix("]"), let open = part.lastIndex(of: "[") {
                let digits = part[part.index(after: open)..<part.index(before: part.endIndex)]
                if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) {
                    key = part[..<open]
                    index = n
                }
            }
            guard case .object = current, let next = current[String(key)] else { return nil }
            current = next
            if let index {
                switch current {
                case .array(let items) where index < items.count: current = items[index]
                case .string(let s) where index < s.count:
                    current = .string(String(s[s.index(s.startIndex, offsetBy: index)]))
                default: return nil
                }
            }
        }
        if case .null = current { return nil }
        return current
    }

    /// Whether `record` satisfies every entry of `match`.
    public static func matches(_ match: [(key: String, value: Value)], _ record: Value) -> Bool {
        match.allSatisfy { self.entryMatches(key: $0.key, expected: $0.value, record) }
    }

    /// Whether one `match:` entry holds for `record`.
    public static func entryMatches(key: String, expected: Value, _ record: Value) -> Bool {
        if key == "has-key" || key == "not-has-key" {
            for item in expected.listItems {
                let present = self.value(at: item.scalarText, in: record) != nil
                if present != (key == "has-key") { return false }
            }
            return true
        }
        let actual = self.value(at: key, in: record)
        let suffix = key.split(separator: ".").last.map(String.init) ?? key
        switch suffix {
        case "__find", "__contains":
            guard let actual else { return false }
            switch (actual, expected) {
            case (.string(let a), .string(let e)): return e.isEmpty || a.contains(e)
            case (.array(let items), _) where suffix == "__contains": return items.contains(expected)
            case (.object, .string(let e)) where suffix == "__contains": return actual[e] != nil
            default: return false
            }
        case "__startswith":
            guard case .string(let a) = actual, case .string(let e) = expected else { return false }
            return a.hasPrefix(e)
        case "__endswith":
            guard case .string(let a) = actual, case .string(let e) = expected else { return false }
            return a.hasSuffix(e)
        case _ where Self.orderings.contains(suffix):
            guard let actual, actual.isNumber, expected.isNumber, let a = actual.numeric, let e = expected.numeric
            else { return false }
            switch suffix {
            case "__gt": return a > e
            case "__gte": return a >= e
            case "__lt": return a < e
            default: return a <= e
            }
        default:
            return (actual ?? .null) == expected
        }
    }

    /// The stats check of run.py/score.py: every key's value in `stats` (the last stats record's `stats`).
    static func statsMismatches(_ values: [(key: String, value: Value)], stats: Value) -> [Mismatch] {
        var out: [Mismatch] = []
        for (key, expected) in values where !self.entryMatches(key: key, expected: expected, stats) {
            out.append(Mismatch(path: "stats." + key, expected: expected, actual: self.value(at: key, in: stats)))
        }
        return out
    }

    /// The entries of `match` that `record` does not satisfy, with the values it has instead.
    static func mismatches(_ match: [(key: String, value: Value)], _ record: Value) -> [Mismatch] {
        var out: [Mismatch] = []
        for (key, expected) in match where !self.entryMatches(key: key, expected: expected, record) {
            if key == "has-key" || key == "not-has-key" {
                for item in expected.listItems {
                    let actual = self.value(at: item.scalarText, in: record)
                    if (actual != nil) != (key == "has-key") {
                        out.append(Mismatch(path: "\(key) \(item.scalarText)", expected: nil, actual: actual))
                    }
                }
            } else {
                out.append(Mismatch(path: key, expected: expected, actual: self.value(at: key, in: record)))
            }
        }
        return out
    }
}

/// One field that did not match: where, what was wanted, what was there (`nil`: missing).
struct Mismatch: Sendable {
    var path: String
    var expected: Value?
    var actual: Value?

    /// "alert.signature_id: expected int 5, got int 6".
    var text: String {
        if self.path.hasPrefix("has-key ") { return "\(self.path): key missing" }
        if self.path.hasPrefix("not-has-key ") { return "\(self.path): key present (\(self.actual.map(\.json) ?? ""))" }
        let want = self.expected.map { "\($0.typeName) \($0.json)" } ?? "absent"
        let got = self.actual.map { "\($0.typeName) \($0.json)" } ?? "missing"
        return "\(self.path): expected \(want), got \(got)"
    }
}
