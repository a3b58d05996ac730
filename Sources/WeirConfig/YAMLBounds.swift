// SPDX-License-Identifier: MIT
import CYaml

/// Limits checked on YAML text before it is built into a tree: how deep collections nest, and how many
/// nodes the document holds once every alias is expanded.
///
/// Building a tree recurses once per level and copies every alias's target, so a list 5,000 deep overflows
/// the stack and a few lines of nested aliases (a "billion laughs") expand without bound. The check reads
/// libyaml's event stream (the parser Yams wraps) once, in constant stack space, keeping one counter per
/// open collection and the expanded size of each anchored node, and stops at the first event past a limit,
/// naming its line and column. Syntax errors are left to the parser that follows, which reports them.
public enum YAMLBounds {
    /// Deepest nesting of sequences and mappings accepted (a `suricata.yaml` is about 8 deep).
    public static let maxDepth = 64
    /// Most nodes a document may hold with its aliases expanded (a full `suricata.yaml` has a few thousand).
    public static let maxExpandedNodes = 1_000_000

    /// A limit that `text` passes: which one, where, and a sentence for the error message.
    public struct Violation: Error, Sendable, Equatable {
        public var line: Int
        public var column: Int
        public var message: String
    }

    /// Checks `text` against ``maxDepth`` and ``maxExpandedNodes``.
    /// - Returns: the first violation, or `nil` when the text is within both (or is not YAML at all).
    public static func check(_ text: String, maxDepth: Int = Self.maxDepth, maxExpandedNodes: Int = Self.maxExpandedNodes)
        -> Violation?
    {
        var utf8 = Array(text.utf8)
        return utf8.withUnsafeMutableBufferPointer { buffer -> Violation? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var walker = Walker(maxDepth: maxDepth, maxExpandedNodes: maxExpandedNodes)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return nil }
                if let violation = walker.take(&event) { return violation }
            }
            return nil  // a syntax error: the parser proper reports it
        }
    }

    /// The running counts: one open-collection size per level, and the expanded size of each anchor.
    private struct Walker {
        let maxDepth: Int
        let maxExpandedNodes: Int
        /// Expanded node count of each open collection (itself included), with its anchor.
        var open: [(size: Int, anchor: String?)] = []
        var anchors: [String: Int] = [:]
        var documentSize = 0

        init(maxDepth: Int, maxExpandedNodes: Int) {
            self.maxDepth = maxDepth
            self.maxExpandedNodes = maxExpandedNodes
        }

        mutating func take(_ event: inout yaml_event_t) -> Violation? {
            let mark = event.start_mark
            func violation(_ message: String) -> Violation {
                Violation(line: Int(mark.line) + 1, column: Int(mark.column) + 1, message: message)
            }
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                self.open.removeAll()
                self.anchors.removeAll()
                self.documentSize = 0
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard self.open.count < self.maxDepth else {
                    return violation("YAML nested more than \(self.maxDepth) levels deep")
                }
                let anchor =
                    event.type == YAML_SEQUENCE_START_EVENT
                    ? Self.string(event.data.sequence_start.anchor) : Self.string(event.data.mapping_start.anchor)
                self.open.append((1, anchor))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let closed = self.open.popLast() else { return nil }
                if let anchor = closed.anchor { self.anchors[anchor] = closed.size }
                if let exceeded = self.add(closed.size, violation) { return exceeded }
            case YAML_SCALAR_EVENT:
                if let anchor = Self.string(event.data.scalar.anchor) { self.anchors[anchor] = 1 }
                if let exceeded = self.add(1, violation) { return exceeded }
            case YAML_ALIAS_EVENT:
                let size = Self.string(event.data.alias.anchor).flatMap { self.anchors[$0] } ?? 1
                if let exceeded = self.add(size, violation) { return exceeded }
            default:
                break
            }
            return nil
        }

        /// Adds a finished node of `size` expanded nodes to its parent (or the document).
        private mutating func add(_ size: Int, _ violation: (String) -> Violation) -> Violation? {
            let total: Int
            if self.open.isEmpty {
                // A node at the top: the document total already holds its parts, except a lone scalar or alias.
                total = max(self.documentSize, size)
                self.documentSize = total
            } else {
                let parent = self.open.count - 1
                self.open[parent].size = Self.saturatingSum(self.open[parent].size, size)
                // The document's size so far is at least what its open collections hold.
                total = self.open.reduce(0) { Self.saturatingSum($0, $1.size) }
                self.documentSize = max(self.documentSize, total)
            }
            if total > self.maxExpandedNodes {
                return violation(
                    "YAML aliases expand to more than \(self.maxExpandedNodes) nodes (an alias bomb?)")
            }
            return nil
        }

        static func saturatingSum(_ a: Int, _ b: Int) -> Int {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : sum
        }

        static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            guard let pointer else { return nil }
            return pointer.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
        }
    }
}
