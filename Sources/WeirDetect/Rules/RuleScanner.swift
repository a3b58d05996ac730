// SPDX-License-Identifier: MIT

/// Stage one of rule parsing: splits a rule into header fields and options, interpreting no value.
///
/// This is the suricatax-rule-parser design; stage two is ``RuleParser``.
///
/// Options end at the first `;` not escaped by a backslash, exactly as Suricata splits them, so `msg:"a;b"`
/// is an error here as it is in Suricata. Offsets are byte offsets into the logical rule.
public struct RuleScanner {
    /// One header field.
    public struct Field: Sendable, Equatable {
        /// The text.
        public var text: Substring
        /// Byte offset of the first character.
        public var offset: Int
    }

    /// One option: `name` and its raw value (trimmed, escapes and quotes kept), if any.
    public struct Option: Sendable, Equatable {
        /// The keyword as written, trimmed.
        public var name: Substring
        /// The raw value after `:`, trimmed; `nil` when there is no `:`.
        public var value: Substring?
        /// Offset of the keyword.
        public var nameOffset: Int
        /// Offset of the value (after spaces), or of the keyword when there is no value.
        public var valueOffset: Int
    }

    /// The scanned rule.
    public struct Scanned: Sendable {
        /// action, protocol, source, source port, direction, destination, destination port.
        public var header: [Field]
        /// Options in order.
        public var options: [Option]
    }

    /// Scans a logical rule (continuation lines already joined, no comment).
    public static func scan(_ text: Substring) throws(RuleParseError) -> Scanned {
        let utf8 = text.utf8
        let bytes = Array(utf8)
        let count = bytes.count
        var i = 0
        var header: [Field] = []
        header.reserveCapacity(7)
        func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 13 || b == 10 }
        func sub(_ from: Int, _ to: Int) -> Substring {
            let start = utf8.index(utf8.startIndex, offsetBy: from)
            let end = utf8.index(start, offsetBy: to - from)
            return Substring(utf8[start..<end])
        }
        // Header: seven whitespace-separated fields; brackets may contain spaces.
        while header.count < 7 {
            while i < count, isSpace(bytes[i]) { i += 1 }
            guard i < count, bytes[i] != UInt8(ascii: "(") else {
                throw RuleParseError(offset: i, reason: RuleScanner.missingFieldReason(header.count))
            }
            let start = i
            var depth = 0
            while i < count {
                let b = bytes[i]
                if b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "]") {
                    depth -= 1
                } else if depth <= 0, isSpace(b) || b == UInt8(ascii: "(") {
                    break
                }
                i += 1
            }
            if depth > 0 { throw RuleParseError(offset: start, reason: "unclosed '[' in rule header") }
            header.append(Field(text: sub(start, i), offset: start))
        }
        while i < count, isSpace(bytes[i]) { i += 1 }
        guard i < count, bytes[i] == UInt8(ascii: "(") else {
            throw RuleParseError(offset: i, reason: "expected '(' to start the rule options")
        }
        var end = count
        while end > i, isSpace(bytes[end - 1]) { end -= 1 }
        guard end > i + 1, bytes[end - 1] == UInt8(ascii: ")") else {
            throw RuleParseError(offset: end, reason: "rule options must end with ')'")
        }
        end -= 1
        i += 1
        var options: [Option] = []
        options.reserveCapacity(24)
        while true {
            while i < end, isSpace(bytes[i]) { i += 1 }
            if i >= end { break }
            let nameStart = i
            while i < end, bytes[i] != UInt8(ascii: ":"), bytes[i] != UInt8(ascii: ";") { i += 1 }
            var nameEnd = i
            while nameEnd > nameStart, isSpace(bytes[nameEnd - 1]) { nameEnd -= 1 }
            guard nameEnd > nameStart else { throw RuleParseError(offset: nameStart, reason: "empty option name") }
            for k in nameStart..<nameEnd where isSpace(bytes[k]) {
                throw RuleParseError(
                    offset: nameStart,
                    reason: "missing ';' before '\(String(decoding: bytes[k + 1..<nameEnd], as: UTF8.self))'"
                )
            }
            guard i < end else {
                throw RuleParseError(
                    offset: nameStart,
                    keyword: String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self),
                    reason: "option is not terminated by ';'"
                )
            }
            if bytes[i] == UInt8(ascii: ";") {
                options.append(
                    Option(name: sub(nameStart, nameEnd), value: nil, nameOffset: nameStart, valueOffset: nameStart)
                )
                i += 1
                continue
            }
            i += 1  // ':'
            while i < end, isSpace(bytes[i]) { i += 1 }
            let valueStart = i
            var escaped = false
            while i < end {
                let b = bytes[i]
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: ";") {
                    break
                }
                i += 1
            }
            guard i < end else {
                throw RuleParseError(
                    offset: nameStart,
                    keyword: String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self),
                    reason: "option is not terminated by ';'"
                )
            }
            var valueEnd = i
            while valueEnd > valueStart, isSpace(bytes[valueEnd - 1]) {
                // A backslash-escaped space belongs to the value (an odd run of backslashes escapes it).
                var backslashes = 0
                while valueEnd - 2 - backslashes >= valueStart, bytes[valueEnd - 2 - backslashes] == UInt8(ascii: "\\")
                {
                    backslashes += 1
                }
                if backslashes % 2 == 1 { break }
                valueEnd -= 1
            }
            options.append(
                Option(
                    name: sub(nameStart, nameEnd),
                    value: sub(valueStart, valueEnd),
                    nameOffset: nameStart,
                    valueOffset: valueStart
                )
            )
            i += 1
        }
        return Scanned(header: header, options: options)
    }

    static func missingFieldReason(_ index: Int) -> String {
        let names = [
            "action", "protocol", "source address", "source port", "direction", "destination address",
            "destination port",
        ]
        return "rule header is missing the \(names[index])"
    }
}
