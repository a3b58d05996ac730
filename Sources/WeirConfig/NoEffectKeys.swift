// SPDX-License-Identifier: MIT

/// Settings Weir reads and validates but that change nothing yet.
///
/// Unlike ``SuricataKeys`` (keys Weir does not read at all), these are typed: a bad value is still an error.
/// But a user who sets one expects an effect, so each one present in the file or given with `--set` gets a
/// one-line note naming it and saying why it does nothing. When a feature lands, its row goes.
enum NoEffectKeys {
    /// Dotted patterns (`*` is one path part; a pattern covers its subtree) with the reason shown.
    static let table: [(pattern: String, reason: String)] = [
        ("app-layer.protocols.http2", "Weir has no HTTP/2 parser yet; rules that need one are inert"),
        ("detect.profile", "Weir builds one prefilter database per buffer and signature group whatever the profile"),
        ("detect.sgh-mpm-context", "Weir builds one prefilter database per buffer and signature group"),
        ("max-pending-packets", "packets go through the pipeline one at a time, with no queue to size"),
        ("host-mode", "inline behaviour comes from af-packet copy-mode and --simulate-ips"),
        ("stream.reassembly.segment-prealloc", "segments are allocated on demand"),
        ("stream.reassembly.randomize-chunk-size", "raw-stream chunk sizes are not randomised"),
        ("flow.prealloc", "flows live in one table sized from flow.memcap"),
        (
            "flow.memcap-policy",
            "at the flow cap Weir evicts the least recently seen flow, so a packet never goes without a flow"
        ),
        ("defrag.hash-size", "fragment trackers live in one hash table that grows with use"),
        ("defrag.prealloc", "fragment trackers are allocated on demand, up to defrag.trackers"),
        ("af-packet.*.use-mmap", "Weir always reads a memory-mapped TPACKET_V3 ring"),
        ("af-packet.*.tpacket-v3", "Weir always reads a memory-mapped TPACKET_V3 ring"),
        ("af-packet.*.xdp-filter-file", "Weir loads its own XDP program (weir_xdp)"),
        ("outputs.*.file-store.stream-depth", "a file's stream is reassembled to stream.reassembly.depth"),
    ]

    private static let patterns: [[Substring]] = table.map { $0.pattern.split(separator: ".") }

    /// One note per setting of the tree that has no effect, in file order: `KEY (FILE:LINE:COL): accepted,
    /// no effect: REASON`. Several keys under one pattern match (an `http:` section) make one note naming
    /// the section and how many keys it holds.
    static func notes(for tree: ConfigNode) -> [String] {
        var groups: [(prefix: [String], leaves: [([String], ConfigLocation)], reason: String)] = []
        func visit(_ node: ConfigNode, _ path: [String], _ location: ConfigLocation) {
            if !path.isEmpty, let (row, prefixLength) = Self.match(path) {
                var leaves: [([String], ConfigLocation)] = []
                Self.collectLeaves(node, path, location, into: &leaves)
                guard !leaves.isEmpty else { return }
                let prefix = Array(path.prefix(prefixLength))
                if let i = groups.firstIndex(where: { $0.prefix == prefix }) {
                    groups[i].leaves += leaves
                } else {
                    groups.append((prefix, leaves, Self.table[row].reason))
                }
                return
            }
            switch node.value {
            case .mapping(let entries):
                for entry in entries { visit(entry.node, path + [entry.key], entry.keyLocation) }
            case .sequence(let items):
                for (index, item) in items.enumerated() { visit(item, path + [String(index)], item.location) }
            case .scalar, .null:
                break
            }
        }
        visit(tree, [], tree.location)
        return groups.map { group in
            let (firstPath, firstLocation) = group.leaves[0]
            let name =
                group.leaves.count == 1
                ? firstPath.joined(separator: ".")
                : group.prefix.joined(separator: ".") + " (\(group.leaves.count) keys)"
            return "\(name) (\(firstLocation)): accepted, no effect: \(group.reason)"
        }
    }

    /// The scalar settings below `node`, with their locations, leaving out keys Weir ignores outright (those
    /// are already reported as ignored Suricata keys).
    private static func collectLeaves(
        _ node: ConfigNode, _ path: [String], _ location: ConfigLocation, into leaves: inout [([String], ConfigLocation)]
    ) {
        if SuricataKeys.isIgnored(path) { return }
        switch node.value {
        case .mapping(let entries):
            for entry in entries { Self.collectLeaves(entry.node, path + [entry.key], entry.keyLocation, into: &leaves) }
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                Self.collectLeaves(item, path + [String(index)], item.location, into: &leaves)
            }
        case .scalar, .null:
            leaves.append((path, location))
        }
    }

    /// The first row whose pattern covers `path`, and how many parts of `path` it names.
    private static func match(_ path: [String]) -> (row: Int, prefixLength: Int)? {
        for (row, pattern) in Self.patterns.enumerated() where pattern.count <= path.count {
            var matches = true
            for (index, part) in pattern.enumerated() where part != "*" && part != path[index] {
                matches = false
                break
            }
            if matches { return (row, pattern.count) }
        }
        return nil
    }
}
