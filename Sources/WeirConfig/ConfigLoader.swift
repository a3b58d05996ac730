// SPDX-License-Identifier: MIT

/// A configuration ready to use, with what the loader noticed along the way.
public struct LoadedConfiguration: Sendable {
    /// The typed configuration.
    public var configuration: WeirConfiguration
    /// Suricata keys present in the file that Weir does not use, in file order.
    public var ignoredKeys: [IgnoredKey]
    /// Start-up warnings to show once, one line each: `ignored Suricata keys: logging (FILE:LINE:COL), …`.
    public var warnings: [String]
    /// Settings read and checked that have no effect yet, one line each (see ``NoEffectKeys``):
    /// `detect.profile (weir.yaml:40:3): accepted, no effect: …`.
    public var notes: [String] = []
    /// The tree after includes and `--set`, for `weir -T` style dumps and debugging.
    public var tree: ConfigNode
    /// The `-c` file, or `nil` when running on the built-in default.
    public var file: String?
}

/// Loads the configuration: `-c FILE` (or the built-in default), its includes, then the `--set` options.
///
/// Order, as in Suricata: the file is read and its includes merged, each `--set key=value` is applied to the
/// tree in command-line order (later ones win), then the tree is validated and typed in one pass. The first
/// unknown key or bad value stops loading with a ``ConfigError`` naming file, line, column and dotted key.
/// `-k none|all` is `--set checksum-checks=none|all`.
public enum ConfigLoader {
    /// Loads `path` (or Weir's built-in default when `nil`) and applies `overrides` (`a.b.c=value` strings,
    /// as given to `--set`).
    ///
    /// Reads only the configuration file and the files it includes; no other system calls.
    /// - Throws: ``ConfigError`` with the location and key of the first problem.
    public static func load(path: String?, overrides: [String] = []) throws(ConfigError) -> LoadedConfiguration {
        let root: ConfigNode
        if let path {
            root = try YAMLTreeLoader().load(path: path)
        } else {
            root = ConfigNode(.mapping([]), at: .builtIn)
        }
        return try Self.finish(root, file: path, overrides: overrides)
    }

    /// Loads configuration text as if it were the file `file` (includes resolve relative to `file`).
    public static func load(
        yaml: String,
        file: String = "<string>",
        overrides: [String] = []
    ) throws(ConfigError) -> LoadedConfiguration {
        let root = try YAMLTreeLoader().load(text: yaml, file: file)
        return try Self.finish(root, file: file, overrides: overrides)
    }

    private static func finish(
        _ root: ConfigNode,
        file: String?,
        overrides: [String]
    ) throws(ConfigError) -> LoadedConfiguration {
        var tree = root
        if case .null = tree.value { tree = ConfigNode(.mapping([]), at: tree.location) }
        guard case .mapping = tree.value else {
            throw ConfigError(
                .badValue,
                at: tree.location,
                key: nil,
                "the configuration must be a mapping of keys, not \(tree.kindName)"
            )
        }
        for option in overrides {
            try ConfigOverride(parsing: option).apply(to: &tree)
        }
        let context = DecodeContext()
        let configuration = try WeirConfiguration.decode(tree, context: context)
        // Readers visit sections in Weir's order; report in the order the user wrote them.
        var fileOrder: [String: Int] = [:]
        for key in context.ignoredKeys where fileOrder[key.location.file] == nil {
            fileOrder[key.location.file] = fileOrder.count
        }
        let ignored = context.ignoredKeys.sorted {
            (fileOrder[$0.location.file] ?? 0, $0.location.line, $0.location.column)
                < (fileOrder[$1.location.file] ?? 0, $1.location.line, $1.location.column)
        }
        var warnings: [String] = []
        if !ignored.isEmpty {
            warnings.append("ignored Suricata keys: " + ignored.map(\.description).joined(separator: ", "))
        }
        return LoadedConfiguration(
            configuration: configuration,
            ignoredKeys: ignored,
            warnings: warnings,
            notes: NoEffectKeys.notes(for: tree),
            tree: tree,
            file: file
        )
    }
}

extension LoadedConfiguration {
    /// Every scalar of the effective tree as `a.b.c = value` lines, in file order, list items by index —
    /// the shape of Suricata's `--dump-config`. Empty values print as `a.b.c = ` (nothing after the `=`).
    public func dump() -> [String] {
        var lines: [String] = []
        Self.flatten(self.tree, prefix: "", into: &lines)
        return lines
    }

    private static func flatten(_ node: ConfigNode, prefix: String, into lines: inout [String]) {
        switch node.value {
        case .scalar(let text, _):
            lines.append("\(prefix) = \(text)")
        case .null:
            if !prefix.isEmpty { lines.append("\(prefix) = ") }
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                Self.flatten(item, prefix: prefix.isEmpty ? "\(index)" : "\(prefix).\(index)", into: &lines)
            }
        case .mapping(let entries):
            for entry in entries {
                Self.flatten(entry.node, prefix: prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)", into: &lines)
            }
        }
    }
}
