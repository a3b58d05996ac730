// SPDX-License-Identifier: MIT

/// One node of a configuration tree, the YAML document as Suricata sees it, with the place it came from.
///
/// Mappings keep their keys in file order; a repeated key replaces the earlier value in place (Suricata's
/// loader does the same). Scalars keep their text untyped: the typed layer decides what they mean, so
/// `HOME_NET: "[10.0.0.0/8]"` and `ORACLE_PORTS: 1521` are both strings here.
public struct ConfigNode: Sendable, Hashable {
    /// The shape of a node.
    public enum Value: Sendable, Hashable {
        /// A scalar's text; `isQuoted` is true for single- or double-quoted YAML scalars.
        case scalar(String, isQuoted: Bool)
        /// A mapping in file order.
        case mapping([ConfigEntry])
        /// A sequence in file order.
        case sequence([ConfigNode])
        /// An empty value (`key:` with nothing after it, `~`, `null`).
        case null
    }

    /// The node's value.
    public var value: Value
    /// Where the value starts.
    public var location: ConfigLocation

    /// A node holding `value`, located at `location`.
    public init(_ value: Value, at location: ConfigLocation) {
        self.value = value
        self.location = location
    }

    /// The scalar text, or `nil` for mappings, sequences and null.
    public var scalar: String? {
        if case .scalar(let text, _) = self.value { return text }
        return nil
    }

    /// The entries of a mapping (empty for null), or `nil` for scalars and sequences.
    public var entries: [ConfigEntry]? {
        switch self.value {
        case .mapping(let entries): return entries
        case .null: return []
        default: return nil
        }
    }

    /// The value under `key` in a mapping, or `nil`.
    public subscript(key: String) -> ConfigNode? {
        guard case .mapping(let entries) = self.value else { return nil }
        return entries.first(where: { $0.key == key })?.node
    }

    /// Sets `key` in a mapping (replacing in place, or appending); turns a null node into a mapping first.
    mutating func set(_ key: String, _ node: ConfigNode, keyLocation: ConfigLocation) {
        var entries: [ConfigEntry]
        switch self.value {
        case .mapping(let existing): entries = existing
        default: entries = []
        }
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].node = node
        } else {
            entries.append(ConfigEntry(key: key, keyLocation: keyLocation, node: node))
        }
        self.value = .mapping(entries)
    }

    /// A short name for the node's kind, for error messages.
    var kindName: String {
        switch self.value {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .null: return "empty"
        }
    }
}

/// A key and its value inside a mapping node.
public struct ConfigEntry: Sendable, Hashable {
    /// The key text.
    public var key: String
    /// Where the key is written (errors about an unknown key point here).
    public var keyLocation: ConfigLocation
    /// The value.
    public var node: ConfigNode

    /// An entry for `key` written at `keyLocation`.
    public init(key: String, keyLocation: ConfigLocation, node: ConfigNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.node = node
    }
}
