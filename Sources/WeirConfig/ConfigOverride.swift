// SPDX-License-Identifier: MIT

/// One `--set key.path=value` option, applied to the YAML tree before validation, as Suricata does.
///
/// The path is dotted; list items are picked by number (`af-packet.0.interface=eth0`, `outputs.1.eve-log.enabled=no`).
/// Missing mappings along the path are created, and index `n` of an `n`-item list appends an item, so any
/// key can be set even when the file does not mention its section. A value starting with `[` or `{` is read
/// as YAML flow style (`action-order=[pass, drop, reject, alert]`); anything else is one scalar, taken
/// verbatim. Values under `vars.` are always taken verbatim, so `vars.address-groups.HOME_NET=[10.0.0.0/8]`
/// and `vars.address-groups.EXTERNAL_NET=!$HOME_NET` stay the strings Suricata's address parser expects.
public struct ConfigOverride: Sendable, Hashable {
    /// The dotted key as written.
    public var key: String
    /// The key split on dots.
    public var path: [String]
    /// The value text after the first `=`.
    public var rawValue: String

    /// The option as a location for error messages: `--set a.b.c`.
    public var location: ConfigLocation { ConfigLocation(file: "--set \(self.key)", line: 0, column: 0) }

    /// Parses `key.path=value`.
    ///
    /// - Throws: ``ConfigError/Code/badOverride`` when there is no `=` or the key has an empty part.
    public init(parsing option: String) throws(ConfigError) {
        guard let equals = option.firstIndex(of: "=") else {
            throw ConfigError(
                .badOverride,
                at: ConfigLocation(file: "--set \(option)", line: 0, column: 0),
                key: nil,
                "expected key=value"
            )
        }
        let key = String(option[..<equals]).trimmingSpaces
        self.key = key
        self.rawValue = String(option[option.index(after: equals)...])
        self.path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, !self.path.contains(where: \.isEmpty) else {
            throw ConfigError(.badOverride, at: self.location, key: key, "the key has an empty part")
        }
    }

    /// The value as a tree node.
    func valueNode() throws(ConfigError) -> ConfigNode {
        let trimmed = self.rawValue.trimmingSpaces
        if self.path.first == "vars" {
            return ConfigNode(.scalar(self.rawValue, isQuoted: true), at: self.location)
        }
        if trimmed.isEmpty { return ConfigNode(.null, at: self.location) }
        if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") {
            do {
                return Self.relocate(
                    try YAMLTreeLoader.parse(text: trimmed, file: self.location.file),
                    to: self.location
                )
            } catch {
                throw ConfigError(
                    .badOverride,
                    at: self.location,
                    key: self.key,
                    "value is not valid YAML flow style: \(error.message)"
                )
            }
        }
        return ConfigNode(.scalar(trimmed, isQuoted: false), at: self.location)
    }

    private static func relocate(_ node: ConfigNode, to location: ConfigLocation) -> ConfigNode {
        switch node.value {
        case .scalar, .null:
            return ConfigNode(node.value, at: location)
        case .sequence(let items):
            return ConfigNode(.sequence(items.map { relocate($0, to: location) }), at: location)
        case .mapping(let entries):
            let moved = entries.map {
                ConfigEntry(key: $0.key, keyLocation: location, node: relocate($0.node, to: location))
            }
            return ConfigNode(.mapping(moved), at: location)
        }
    }

    /// Applies the override to `root`.
    func apply(to root: inout ConfigNode) throws(ConfigError) {
        let value = try self.valueNode()
        try self.assign(value, into: &root, at: self.path[...], walked: [])
    }

    private func assign(
        _ value: ConfigNode,
        into node: inout ConfigNode,
        at path: ArraySlice<String>,
        walked: [String]
    ) throws(ConfigError) {
        guard let segment = path.first else {
            node = value
            return
        }
        let rest = path.dropFirst()
        let here = walked + [segment]
        switch node.value {
        case .sequence(var items):
            guard let index = Int(segment), index >= 0 else {
                throw ConfigError(
                    .badOverride,
                    at: self.location,
                    key: self.key,
                    "'\(walked.joined(separator: "."))' is a list (\(node.location)); pick an item by number, not '\(segment)'"
                )
            }
            guard index <= items.count else {
                throw ConfigError(
                    .badOverride,
                    at: self.location,
                    key: self.key,
                    "index \(index) is past the end of '\(walked.joined(separator: "."))' (\(items.count) items)"
                )
            }
            if index == items.count { items.append(ConfigNode(.null, at: self.location)) }
            try self.assign(value, into: &items[index], at: rest, walked: here)
            node.value = .sequence(items)
        case .null where segment == "0":
            var item = ConfigNode(.null, at: self.location)
            try self.assign(value, into: &item, at: rest, walked: here)
            node = ConfigNode(.sequence([item]), at: self.location)
        case .mapping, .null:
            var child = node[segment] ?? ConfigNode(.null, at: self.location)
            try self.assign(value, into: &child, at: rest, walked: here)
            node.set(segment, child, keyLocation: self.location)
        case .scalar(let text, _):
            throw ConfigError(
                .badOverride,
                at: self.location,
                key: self.key,
                "'\(walked.joined(separator: "."))' is the scalar '\(text)' (\(node.location)); it has no key '\(segment)'"
            )
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
