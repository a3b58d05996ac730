// SPDX-License-Identifier: MIT
import WeirCore

/// A JSON or YAML value with its type kept, so checks compare the way suricata-verify's run.py does (Python
/// equality: `1 == 1.0` and `True == 1`, but never `1 == "1"`).
public enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([Value])
    /// Members in document order (EVE records are small, so lookups scan).
    case object([(key: String, value: Value)])

    /// The member named `key` of an object, or `nil`.
    public subscript(key: String) -> Value? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// The object's members, or an empty list for any other value.
    public var members: [(key: String, value: Value)] {
        if case .object(let members) = self { return members }
        return []
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as an integer when it is an integer (or an integral double).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }

    /// Numbers as Python sees them: bools are 0 and 1.
    var numeric: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Whether this is an int or a float, not a bool (score.py's `_num`).
    var isNumber: Bool {
        switch self {
        case .int, .double: return true
        default: return false
        }
    }

    /// Python's `==` on the values json.loads and yaml.safe_load produce.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for member in a {
                guard let other = rhs[member.key], other == member.value else { return false }
            }
            return true
        default:
            if let a = lhs.numeric, let b = rhs.numeric { return a == b }
            return false
        }
    }

    /// A short name of the type, for diffs ("expected int 1, got string "1"").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .object: return "object"
        }
    }

    /// Compact JSON text.
    public var json: String {
        var out = ""
        self.write(into: &out)
        return out
    }

    private func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite && d.rounded() == d && abs(d) < 1e15 {
                out += String(Int64(d)) + ".0"
            } else {
                out += String(d)
            }
        case .string(let s): Value.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                Value.quote(member.key, into: &out)
                out += ":"
                member.value.write(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) { JSONText.quote(s, into: &out) }
}

/// A JSON syntax error with its byte offset.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    public let offset: Int
    /// What was wrong.
    public let reason: String

    /// "JSON error at byte N: reason".
    public var description: String { "JSON error at byte \(self.offset): \(self.reason)" }
}

/// A small strict JSON reader that keeps integers apart from floats (EVE lines are read with it).
public struct JSONReader {
    private let bytes: [UInt8]
    private var index = 0

    /// Parses one JSON document; trailing whitespace is allowed, anything else after it is an error.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> Value {
        try self.parse(bytes: Array(text.utf8))
    }

    /// Parses one JSON document from UTF-8 bytes.
    public static func parse(bytes: [UInt8]) throws(JSONSyntaxError) -> Value {
        var reader = JSONReader(bytes: bytes)
        let value = try reader.readValue(depth: 0)
        reader.skipSpace()
        if reader.index != bytes.count { throw reader.fail("trailing characters") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: self.index, reason: reason) }

    private mutating func skipSpace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    private mutating func readValue(depth: Int) throws(JSONSyntaxError) -> Value {
        guard depth < 512 else { throw self.fail("nesting too deep") }
        self.skipSpace()
        guard self.index < self.bytes.count else { throw self.fail("unexpected end") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"):
            self.index += 1
            var members: [(key: String, value: Value)] = []
            self.skipSpace()
            if self.peek(UInt8(ascii: "}")) { return .object(members) }
            while true {
                self.skipSpace()
                guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
                    throw self.fail("expected a member name")
                }
                let key = try self.readString()
                self.skipSpace()
                guard self.peek(UInt8(ascii: ":")) else { throw self.fail("expected ':'") }
                let value = try self.readValue(depth: depth + 1)
                members.append((key, value))
                self.skipSpace()
                if self.peek(UInt8(ascii: ",")) { continue }
                if self.peek(UInt8(ascii: "}")) { return .object(members) }
                throw self.fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            self.index += 1
            var items: [Value] = []
            self.skipSpace()
            if self.peek(UInt8(ascii: "]")) { return .array(items) }
            while true {
                items.append(try self.readValue(depth: depth + 1))
                self.skipSpace()
                if self.peek(UInt8(ascii: ",")) { continue }
                if self.peek(UInt8(ascii: "]")) { return .array(items) }
                throw self.fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try self.readString())
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        default:
            return try self.readNumber()
        }
    }

    /// Consumes `byte` when it is next.
    private mutating func peek(_ byte: UInt8) -> Bool {
        if self.index < self.bytes.count && self.bytes[self.index] == byte {
            self.index += 1
            return true
        }
        return false
    }

    private mutating func literal(_ word: String) throws(JSONSyntaxError) {
        for byte in word.utf8 {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { throw self.fail("bad literal") }
            self.index += 1
        }
    }

    private mutating func readNumber() throws(JSONSyntaxError) -> Value {
        let start = self.index
        var isInteger = true
        while self.index < self.bytes.count {
            let b = self.bytes[self.index]
            if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
                self.index += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
                isInteger = false
                self.index += 1
            } else {
                break
            }
        }
        guard self.index > start else { throw self.fail("unexpected character") }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        if let d = Double(text) { return .double(d) }
        throw JSONSyntaxError(offset: start, reason: "bad number '\(text)'")
    }

    private mutating func readString() throws(JSONSyntaxError) -> String {
        self.index += 1  // opening quote
        var out: [UInt8] = []
        while self.index < self.bytes.count {
            let b = self.bytes[self.index]
            self.index += 1
            if b == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                continue
            }
            guard self.index < self.bytes.count else { break }
            let e = self.bytes[self.index]
            self.index += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try self.readHex4()
                // A UTF-16 surrogate pair arrives as two escapes.
                if scalar >= 0xD800 && scalar < 0xDC00, self.index + 1 < self.bytes.count,
                    self.bytes[self.index] == UInt8(ascii: "\\"), self.bytes[self.index + 1] == UInt8(ascii: "u")
                {
                    self.index += 2
                    let low = try self.readHex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                }
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: out.append(e)
            }
        }
        throw self.fail("unterminated string")
    }

    private mutating func readHex4() throws(JSONSyntaxError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.fail("short \\u escape") }
        let text = String(decoding: self.bytes[self.index..<self.index + 4], as: UTF8.self)
        guard let v = UInt32(text, radix: 16) else { throw self.fail("bad \\u escape") }
        self.index += 4
        return v
    }
}
