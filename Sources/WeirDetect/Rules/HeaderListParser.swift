// SPDX-License-Identifier: MIT

/// Parses the bracketed, comma-separated, `!`-negatable lists of rule-header addresses and ports.
///
/// Leaves are handed to a callback with their text and offset; nesting depth is bounded so that hostile
/// input cannot exhaust the stack.
struct HeaderListParser {
    let text: [UInt8]
    let base: Int
    let what: String
    var position = 0

    init(text: [UInt8], base: Int, what: String) {
        self.text = text
        self.base = base
        self.what = what
    }

    mutating func skipSpaces() {
        while self.position < self.text.count, self.text[self.position] == 32 || self.text[self.position] == 9 {
            self.position += 1
        }
    }

    /// Parses a whole header field: one element, or a comma list without brackets (Suricata accepts both).
    mutating func parseField<T>(
        leaf: (String, Int) throws(RuleParseError) -> T,
        list: ([T]) -> T,
        negate: (T) -> T
    ) throws(RuleParseError) -> T {
        var items = [try self.parseElement(leaf: leaf, list: list, negate: negate)]
        self.skipSpaces()
        while self.position < self.text.count, self.text[self.position] == UInt8(ascii: ",") {
            self.position += 1
            items.append(try self.parseElement(leaf: leaf, list: list, negate: negate))
            self.skipSpaces()
        }
        try self.expectEnd()
        return items.count == 1 ? items[0] : list(items)
    }

    mutating func expectEnd() throws(RuleParseError) {
        self.skipSpaces()
        guard self.position == self.text.count else {
            throw RuleParseError(offset: self.base + self.position, reason: "unexpected '\(self.rest)' in \(self.what)")
        }
    }

    var rest: String { String(decoding: self.text[self.position...], as: UTF8.self) }

    mutating func parseElement<T>(
        leaf: (String, Int) throws(RuleParseError) -> T,
        list: ([T]) -> T,
        negate: (T) -> T,
        depth: Int = 0
    ) throws(RuleParseError) -> T {
        guard depth < 32 else {
            throw RuleParseError(offset: self.base + self.position, reason: "\(self.what) lists nest too deeply")
        }
        self.skipSpaces()
        guard self.position < self.text.count else {
            throw RuleParseError(offset: self.base + self.position, reason: "empty \(self.what)")
        }
        let byte = self.text[self.position]
        if byte == UInt8(ascii: "!") {
            self.position += 1
            let inner = try self.parseElement(leaf: leaf, list: list, negate: negate, depth: depth + 1)
            return negate(inner)
        }
        if byte == UInt8(ascii: "[") {
            let open = self.position
            self.position += 1
            var items: [T] = []
            while true {
                items.append(try self.parseElement(leaf: leaf, list: list, negate: negate, depth: depth + 1))
                self.skipSpaces()
                guard self.position < self.text.count else {
                    throw RuleParseError(offset: self.base + open, reason: "unclosed '[' in \(self.what)")
                }
                let next = self.text[self.position]
                self.position += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else {
                    throw RuleParseError(
                        offset: self.base + self.position - 1,
                        reason: "expected ',' or ']' in \(self.what), found '\(Character(Unicode.Scalar(next)))'"
                    )
                }
            }
            return list(items)
        }
        let start = self.position
        while self.position < self.text.count {
            let b = self.text[self.position]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || b == UInt8(ascii: "[") || b == 32 || b == 9 { break }
            self.position += 1
        }
        guard self.position > start else {
            throw RuleParseError(offset: self.base + start, reason: "empty element in \(self.what)")
        }
        let leafText = String(decoding: self.text[start..<self.position], as: UTF8.self)
        return try leaf(leafText, self.base + start)
    }
}
