// SPDX-License-Identifier: MIT
import Foundation
import Yams

/// Reads `suricata.yaml`-shaped files into ``ConfigNode`` trees, following `include`s.
///
/// Suricata's `%YAML 1.1` / `---` header is accepted. An `include:` key (a file name or a list of them) may
/// appear in any mapping; the included file's top-level mapping is merged into that mapping at that point,
/// so keys written after the include override the included values and keys written before it are
/// overridden (Suricata's order). A value tagged `!include file.yaml` is replaced by the file's content.
/// Relative include paths are resolved against the directory of the including file.
///
/// This is the only code in WeirConfig that touches the file system (it reads files, nothing else).
struct YAMLTreeLoader {
    /// Nesting limit for includes, which also stops include loops.
    static let maxIncludeDepth = 16

    /// Loads `path` and everything it includes.
    func load(path: String) throws(ConfigError) -> ConfigNode {
        try self.load(path: path, from: nil, depth: 0)
    }

    private func load(path: String, from site: ConfigLocation?, depth: Int) throws(ConfigError) -> ConfigNode {
        guard depth <= Self.maxIncludeDepth else {
            throw ConfigError(
                .badInclude,
                at: site ?? .builtIn,
                key: "include",
                "includes nested more than \(Self.maxIncludeDepth) deep (an include loop?) at '\(path)'"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            if let site {
                throw ConfigError(.badInclude, at: site, key: "include", "cannot read included file '\(path)'")
            }
            throw ConfigError(
                .unreadableFile,
                at: ConfigLocation(file: path, line: 0, column: 0),
                key: nil,
                "cannot read the configuration file"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(
                .unreadableFile,
                at: ConfigLocation(file: path, line: 0, column: 0),
                key: nil,
                "the configuration file is not UTF-8 text"
            )
        }
        return try self.load(text: text, file: path, depth: depth)
    }

    /// Parses `text` as if read from `file` (includes are resolved relative to `file`).
    func load(text: String, file: String, depth: Int = 0) throws(ConfigError) -> ConfigNode {
        let root = try Self.parse(text: text, file: file)
        return try self.resolveIncludes(root, file: file, depth: depth)
    }

    /// Parses one YAML document (no include processing) into a tree whose locations name `file`.
    static func parse(text: String, file: String) throws(ConfigError) -> ConfigNode {
        if let violation = YAMLBounds.check(text) {
            throw ConfigError(
                .syntax, at: ConfigLocation(file: file, line: violation.line, column: violation.column), key: nil,
                violation.message)
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.convert(error, file: file)
        } catch {
            throw ConfigError(.syntax, at: ConfigLocation(file: file, line: 0, column: 0), key: nil, "\(error)")
        }
        guard let node else { return ConfigNode(.null, at: ConfigLocation(file: file, line: 1, column: 1)) }
        return Self.convert(node, file: file)
    }

    private static func location(_ mark: Mark?, _ file: String) -> ConfigLocation {
        ConfigLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    private static func convert(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text), " } ?? ""
            return ConfigError(.syntax, at: location(mark, file), key: nil, "invalid YAML: \(prefix)\(problem)")
        case .reader(let problem, _, _, _):
            return ConfigError(
                .syntax,
                at: ConfigLocation(file: file, line: 0, column: 0),
                key: nil,
                "invalid YAML: \(problem)"
            )
        default:
            return ConfigError(
                .syntax,
                at: ConfigLocation(file: file, line: 0, column: 0),
                key: nil,
                "invalid YAML: \(error)"
            )
        }
    }

    private static func convert(_ node: Node, file: String) -> ConfigNode {
        switch node {
        case .scalar(let scalar):
            let at = location(scalar.mark, file)
            let isQuoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            if scalar.tag.description == "!include" {
                // Kept as a marker; resolveIncludes replaces it with the file's content.
                return ConfigNode(
                    .mapping([
                        ConfigEntry(
                            key: "!include",
                            keyLocation: at,
                            node: ConfigNode(.scalar(scalar.string, isQuoted: true), at: at)
                        )
                    ]),
                    at: at
                )
            }
            if !isQuoted && scalar.style != .literal && scalar.style != .folded,
                ["", "~", "null", "Null", "NULL"].contains(scalar.string)
            {
                return ConfigNode(.null, at: at)
            }
            return ConfigNode(.scalar(scalar.string, isQuoted: isQuoted), at: at)
        case .sequence(let sequence):
            return ConfigNode(.sequence(sequence.map { convert($0, file: file) }), at: location(sequence.mark, file))
        case .mapping(let mapping):
            var result = ConfigNode(.mapping([]), at: location(mapping.mark, file))
            for (key, value) in mapping {
                let keyText = key.scalar?.string ?? "\(key)"
                result.set(keyText, convert(value, file: file), keyLocation: location(key.mark, file))
            }
            return result
        }
    }

    private func resolveIncludes(_ node: ConfigNode, file: String, depth: Int) throws(ConfigError) -> ConfigNode {
        switch node.value {
        case .scalar, .null:
            return node
        case .sequence(let items):
            var out: [ConfigNode] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try self.resolveIncludes(item, file: file, depth: depth)) }
            return ConfigNode(.sequence(out), at: node.location)
        case .mapping(let entries):
            if entries.count == 1, entries[0].key == "!include", let name = entries[0].node.scalar {
                return try self.load(
                    path: Self.resolve(name, relativeTo: file),
                    from: entries[0].keyLocation,
                    depth: depth + 1
                )
            }
            var result = ConfigNode(.mapping([]), at: node.location)
            for entry in entries {
                if entry.key == "include" {
                    for (name, site) in try Self.includeNames(entry) {
                        let included = try self.load(
                            path: Self.resolve(name, relativeTo: file),
                            from: site,
                            depth: depth + 1
                        )
                        guard case .mapping(let includedEntries) = included.value else {
                            if case .null = included.value { continue }
                            throw ConfigError(
                                .badInclude,
                                at: site,
                                key: "include",
                                "included file '\(name)' must hold a mapping, not \(included.kindName)"
                            )
                        }
                        for includedEntry in includedEntries { Self.merge(includedEntry, into: &result) }
                    }
                    continue
                }
                let value = try self.resolveIncludes(entry.node, file: file, depth: depth)
                Self.merge(ConfigEntry(key: entry.key, keyLocation: entry.keyLocation, node: value), into: &result)
            }
            return result
        }
    }

    private static func includeNames(_ entry: ConfigEntry) throws(ConfigError) -> [(String, ConfigLocation)] {
        switch entry.node.value {
        case .scalar(let name, _):
            return [(name, entry.node.location)]
        case .sequence(let items):
            var names: [(String, ConfigLocation)] = []
            for item in items {
                guard let name = item.scalar else {
                    throw ConfigError(
                        .badInclude,
                        at: item.location,
                        key: "include",
                        "include list items must be file names"
                    )
                }
                names.append((name, item.location))
            }
            return names
        case .null:
            return []
        case .mapping:
            throw ConfigError(
                .badInclude,
                at: entry.node.location,
                key: "include",
                "include takes a file name or a list of file names"
            )
        }
    }

    /// Merges `entry` into the mapping `target`: mappings merge key by key, anything else replaces.
    static func merge(_ entry: ConfigEntry, into target: inout ConfigNode) {
        if case .mapping(let newEntries) = entry.node.value, var existing = target[entry.key],
            case .mapping = existing.value
        {
            for newEntry in newEntries { merge(newEntry, into: &existing) }
            target.set(entry.key, existing, keyLocation: entry.keyLocation)
        } else {
            target.set(entry.key, entry.node, keyLocation: entry.keyLocation)
        }
    }

    static func resolve(_ name: String, relativeTo file: String) -> String {
        if name.hasPrefix("/") { return name }
        guard let slash = file.lastIndex(of: "/") else { return name }
        return String(file[...slash]) + name
    }
}
