// SPDX-License-Identifier: MIT

/// A Suricata key Weir accepts and ignores, reported once at start-up.
public struct IgnoredKey: Sendable, Hashable, CustomStringConvertible {
    /// The full dotted key, list indices as numbers (`outputs.2.unified2-alert`).
    public var key: String
    /// Where the key is written.
    public var location: ConfigLocation

    /// `key (FILE:LINE)`.
    public var description: String { "\(self.key) (\(self.location))" }
}

/// Collects what the typed readers learn while decoding one tree.
final class DecodeContext {
    var ignoredKeys: [IgnoredKey] = []
}

/// Reads one mapping of the tree into typed values and, in ``finish()``, rejects keys nobody read.
///
/// Every getter marks its key as used; an absent or empty (`key:`) value yields the default. A key left
/// unread is checked against ``SuricataKeys``: a Suricata key Weir does not use becomes an ``IgnoredKey``,
/// anything else is a ``ConfigError/Code/unknownKey`` error naming the file, line and dotted key.
final class MappingReader {
    let node: ConfigNode
    let path: [String]
    let context: DecodeContext
    private var consumed: Set<String> = []

    init(_ node: ConfigNode, path: [String], context: DecodeContext) throws(ConfigError) {
        guard node.entries != nil else {
            throw ConfigError(
                .badValue,
                at: node.location,
                key: path.joined(separator: "."),
                "expected a mapping of keys, found \(node.kindName)"
            )
        }
        self.node = node
        self.path = path
        self.context = context
    }

    /// The dotted name of `key` in this mapping.
    func dotted(_ key: String) -> String { (self.path + [key]).joined(separator: ".") }

    /// The value under `key`, marking it used; `nil` when absent or null.
    func value(_ key: String) -> ConfigNode? {
        self.consumed.insert(key)
        guard let value = self.node[key] else { return nil }
        if case .null = value.value { return nil }
        return value
    }

    /// Marks `key` as read without decoding it.
    func skip(_ key: String) { self.consumed.insert(key) }

    /// Whether `key` is written in this mapping (even with an empty value).
    func contains(_ key: String) -> Bool { self.node[key] != nil }

    func fail(_ node: ConfigNode, _ key: String, _ message: String) -> ConfigError {
        ConfigError(.badValue, at: node.location, key: self.dotted(key), message)
    }

    func scalarText(_ key: String) throws(ConfigError) -> (String, ConfigNode)? {
        guard let node = self.value(key) else { return nil }
        guard let text = node.scalar else {
            throw self.fail(node, key, "expected a single value, found \(node.kindName)")
        }
        return (text, node)
    }

    func bool(_ key: String, _ defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let (text, node) = try self.scalarText(key) else { return defaultValue }
        guard let value = ConfigValueParser.bool(text) else {
            throw self.fail(node, key, "'\(text)' is not a boolean (use yes/no, true/false, on/off or 1/0)")
        }
        return value
    }

    func optionalBool(_ key: String) throws(ConfigError) -> Bool? {
        guard self.value(key) != nil else { return nil }
        return try self.bool(key, false)
    }

    func int(_ key: String, _ defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let (text, node) = try self.scalarText(key) else { return defaultValue }
        guard let value = ConfigValueParser.integer(text) else {
            throw self.fail(node, key, "'\(text)' is not an integer")
        }
        guard value >= Int64(range.lowerBound), value <= Int64(range.upperBound) else {
            throw self.fail(node, key, "\(value) is out of range (\(range.lowerBound) to \(range.upperBound))")
        }
        return Int(value)
    }

    func size(_ key: String, _ defaultValue: UInt64, minimum: UInt64 = 0) throws(ConfigError) -> UInt64 {
        guard let (text, node) = try self.scalarText(key) else { return defaultValue }
        guard let value = ConfigValueParser.size(text) else {
            throw self.fail(node, key, "'\(text)' is not a size (a number with an optional kb, mb or gb unit)")
        }
        guard value >= minimum else { throw self.fail(node, key, "\(text) is below the minimum of \(minimum) bytes") }
        return value
    }

    func string(_ key: String, _ defaultValue: String) throws(ConfigError) -> String {
        try self.scalarText(key)?.0 ?? defaultValue
    }

    func optionalString(_ key: String) throws(ConfigError) -> String? {
        try self.scalarText(key)?.0
    }

    func enumeration<E: ConfigEnum>(_ key: String, _ defaultValue: E) throws(ConfigError) -> E {
        try self.optionalEnumeration(key, E.self) ?? defaultValue
    }

    func optionalEnumeration<E: ConfigEnum>(_ key: String, _ type: E.Type) throws(ConfigError) -> E? {
        guard let (text, node) = try self.scalarText(key) else { return nil }
        guard let value = E.parse(text) else {
            throw self.fail(node, key, "'\(text)' is not one of \(E.choices)")
        }
        return value
    }

    /// A list of scalars; a single scalar counts as a one-item list.
    func stringList(_ key: String) throws(ConfigError) -> [String]? {
        guard let node = self.value(key) else { return nil }
        return try self.scalars(of: node, key)
    }

    /// The scalars of `node`, the value under `key` (a list, or one scalar as a one-item list).
    func scalars(of node: ConfigNode, _ key: String) throws(ConfigError) -> [String] {
        switch node.value {
        case .scalar(let text, _): return [text]
        case .sequence(let items):
            var out: [String] = []
            for (index, item) in items.enumerated() {
                guard let text = item.scalar else {
                    throw ConfigError(
                        .badValue,
                        at: item.location,
                        key: self.dotted(key) + ".\(index)",
                        "expected a single value, found \(item.kindName)"
                    )
                }
                out.append(text)
            }
            return out
        default:
            throw self.fail(node, key, "expected a list of values, found \(node.kindName)")
        }
    }

    /// A reader for the mapping under `key`; `nil` when absent. An empty value reads as an empty mapping.
    func mapping(_ key: String) throws(ConfigError) -> MappingReader? {
        self.consumed.insert(key)
        guard let node = self.node[key] else { return nil }
        return try MappingReader(node, path: self.path + [key], context: self.context)
    }

    /// The items of the list under `key`, each with its dotted path; `nil` when absent.
    func list(_ key: String) throws(ConfigError) -> [(node: ConfigNode, path: [String])]? {
        guard let node = self.value(key) else { return nil }
        guard case .sequence(let items) = node.value else {
            throw self.fail(node, key, "expected a list, found \(node.kindName)")
        }
        return items.enumerated().map { ($0.element, self.path + [key, String($0.offset)]) }
    }

    /// Checks the keys nobody read: Suricata keys become ignored-key warnings, others are errors.
    func finish() throws(ConfigError) {
        guard case .mapping(let entries) = self.node.value else { return }
        for entry in entries where !self.consumed.contains(entry.key) {
            try self.reportUnread(entry.key, at: entry.keyLocation)
        }
    }

    /// Reports one unread key at this mapping's level.
    func reportUnread(_ key: String, at location: ConfigLocation) throws(ConfigError) {
        let fullPath = self.path + [key]
        if SuricataKeys.isIgnored(fullPath) {
            self.context.ignoredKeys.append(
                IgnoredKey(key: fullPath.joined(separator: "."), location: location)
            )
            return
        }
        var message = "unknown key (neither a Weir nor a Suricata setting)"
        if let suggestion = Self.closest(to: key, among: self.consumed) {
            message += "; did you mean '\(suggestion)'?"
        }
        throw ConfigError(.unknownKey, at: location, key: fullPath.joined(separator: "."), message)
    }

    /// The known key within edit distance 2 of `key`, if exactly one is closest.
    static func closest(to key: String, among known: Set<String>) -> String? {
        var best: (String, Int)? = nil
        for candidate in known.sorted() {
            let distance = Self.editDistance(Array(key.utf8), Array(candidate.utf8))
            if distance <= 2, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
