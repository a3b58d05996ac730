// SPDX-License-Identifier: MIT
import WeirConfig
import Yams

extension Value {
    /// Parses a YAML document into a ``Value`` with YAML 1.1 scalar typing (as PyYAML's `safe_load`, which
    /// suricata-verify uses): `1` is an int, `1.0` a float, `true` a bool, `"1"` a string.
    ///
    /// - Throws: ``CaseError`` with the file and the parser's message when the text is not YAML.
    static func parseYAML(_ text: String, file: String) throws(CaseError) -> Value {
        if let violation = YAMLBounds.check(text) {
            throw CaseError(file: file, message: "line \(violation.line), column \(violation.column): \(violation.message)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw CaseError(file: file, message: "not valid YAML: \(error)")
        }
        guard let node else { return .null }
        return Value(yaml: node)
    }

    /// Converts a composed YAML node, resolving each scalar's tag.
    init(yaml node: Node) {
        switch node {
        case .scalar(let scalar):
            let tagName = Tag.Name(rawValue: node.tag.description)
            if tagName == .null {
                self = .null
            } else if tagName == .bool, let b = node.bool {
                self = .bool(b)
            } else if tagName == .int, let i = node.int {
                self = .int(Int64(i))
            } else if tagName == .float, let d = node.float {
                self = .double(d)
            } else {
                self = .string(scalar.string)
            }
        case .sequence(let sequence):
            self = .array(sequence.map { Value(yaml: $0) })
        case .mapping(let mapping):
            var members: [(key: String, value: Value)] = []
            for (key, value) in mapping {
                let name: String
                switch Value(yaml: key) {
                case .string(let s): name = s
                case let other: name = other.json
                }
                members.append((name, Value(yaml: value)))
            }
            self = .object(members)
        }
    }
}
