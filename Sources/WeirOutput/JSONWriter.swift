// SPDX-License-Identifier: MIT
import WeirCore

/// A JSON text builder writing into one reusable byte buffer (Suricata's JsonBuilder idea).
///
/// Commas are placed automatically: every value or key written after another item of the same object or
/// array gets one. Keys given as `StaticString` are copied without escaping and must be plain JSON-safe ASCII
/// (every EVE field name is); `String` keys and values are escaped. ``reset()`` empties the buffer but keeps
/// its capacity, so a writer reused across records allocates only when a record is bigger than any before.
/// No Foundation, no `JSONEncoder`. The writer does not check nesting: a caller that closes what it opened
/// gets valid JSON.
public struct JSONWriter: Sendable {
    /// The JSON text written so far, UTF-8.
    public private(set) var bytes: [UInt8]
    /// Whether the next key or value needs a comma before it.
    private var needsComma = false
    /// The seconds value whose `YYYY-MM-DDTHH:MM:SS` text is cached in `secondsText`.
    private var cachedSeconds: Int64 = .min
    private var secondsText: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 4096) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        self.bytes.removeAll(keepingCapacity: true)
        self.needsComma = false
    }

    /// The text as a `String` (allocates; for tests and diagnostics).
    public var text: String { String(decoding: self.bytes, as: UTF8.self) }

    // MARK: Structure

    @inline(__always)
    private mutating func separate() {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
    }

    /// Opens an object as a value (top level or array item).
    public mutating func beginObject() {
        self.separate()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    /// Opens an object under `key`.
    public mutating func beginObject(_ key: StaticString) {
        self.key(key)
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    /// Opens an array as a value.
    public mutating func beginArray() {
        self.separate()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    /// Opens an array under `key`.
    public mutating func beginArray(_ key: StaticString) {
        self.key(key)
        self.bytes.append(UInt8(ascii: "["))
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Ends a JSON line: appends `\n` and starts the next top-level value without a comma.
    public mutating func endLine() {
        self.bytes.append(UInt8(ascii: "\n"))
        self.needsComma = false
    }

    /// Writes an object key known at compile time (plain ASCII, not escaped).
    public mutating func key(_ key: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    /// Writes an object key, escaped.
    public mutating func key(_ key: String) {
        self.separate()
        self.appendQuoted(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    // MARK: Values

    /// Writes a string value, escaped as JSON requires.
    public mutating func string(_ value: String) {
        self.separate()
        self.appendQuoted(value)
        self.needsComma = true
    }

    /// Writes a string value known at compile time (plain ASCII, not escaped).
    public mutating func string(_ value: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        value.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes raw bytes as a string value. Valid UTF-8 is escaped like any string; otherwise, as Suricata's
    /// JsonBuilder does, every byte from 0x80 up is written as the four characters `\xNN` (lower-case hex,
    /// so `\\xNN` in the JSON text), and the rest is escaped normally.
    public mutating func string(bytes value: UnsafeRawBufferPointer) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        if Self.isValidUTF8(value) {
            self.appendEscaped(value)
        } else {
            for byte in value {
                if byte >= 0x80 {
                    self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\"), UInt8(ascii: "x")])
                    self.bytes.append(Self.hexDigits[Int(byte >> 4)])
                    self.bytes.append(Self.hexDigits[Int(byte & 0xf)])
                } else {
                    self.appendEscapedByte(byte)
                }
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes a signed integer.
    public mutating func integer(_ value: Int64) {
        self.separate()
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
            self.appendDigits(value.magnitude)
        } else {
            self.appendDigits(UInt64(value))
        }
        self.needsComma = true
    }

    /// Writes an unsigned integer (the full 64-bit range, as flow ids need).
    public mutating func unsigned(_ value: UInt64) {
        self.separate()
        self.appendDigits(value)
        self.needsComma = true
    }

    /// Writes a floating-point number; non-finite values become `null` (JSON has no NaN or infinity).
    public mutating func double(_ value: Double) {
        self.separate()
        if value.isFinite {
            if value == value.rounded(), abs(value) < 1e15 {
                self.appendDigitsSigned(Int64(value))
                self.bytes.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
            } else {
                self.bytes.append(contentsOf: "\(value)".utf8)
            }
        } else {
            self.bytes.append(contentsOf: "null".utf8)
        }
        self.needsComma = true
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        self.separate()
        if value {
            self.bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            self.bytes.append(contentsOf: [0x66, 0x61, 0x6c, 0x73, 0x65])
        }
        self.needsComma = true
    }

    /// Writes `null`.
    public mutating func null() {
        self.separate()
        self.bytes.append(contentsOf: [0x6e, 0x75, 0x6c, 0x6c])
        self.needsComma = true
    }

    /// Writes a pre-rendered JSON value (object, array, number, string with its quotes) verbatim.
    /// The caller vouches that the fragment is valid JSON.
    public mutating func raw(_ fragment: UnsafeRawBufferPointer) {
        self.separate()
        self.bytes.append(contentsOf: fragment)
        self.needsComma = true
    }

    /// Writes a pre-rendered JSON value verbatim.
    public mutating func raw(_ fragment: [UInt8]) {
        fragment.withUnsafeBytes { self.raw($0) }
    }

    /// Appends bytes outside the JSON structure (whole pre-rendered lines); comma state is left alone.
    public mutating func appendVerbatim(_ bytes: UnsafeRawBufferPointer) {
        self.bytes.append(contentsOf: bytes)
    }

    /// Writes `data` as a base64 string value (RFC 4648, with padding).
    public mutating func base64(_ data: UnsafeRawBufferPointer) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        Base64.encode(data, into: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes a timestamp as Suricata's EVE text, `2024-01-31T12:34:56.123456+0000` (always UTC).
    public mutating func timestamp(_ time: Timestamp) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        let seconds = time.seconds
        if seconds != self.cachedSeconds {
            // Records in one replay mostly share the second; the calendar maths runs once per second.
            self.cachedSeconds = seconds
            let civil = CivilTime(secondsSinceEpoch: seconds)
            var text: [UInt8] = []
            text.reserveCapacity(19)
            Self.appendPadded(civil.year, 4, &text)
            text.append(UInt8(ascii: "-"))
            Self.appendPadded(civil.month, 2, &text)
            text.append(UInt8(ascii: "-"))
            Self.appendPadded(civil.day, 2, &text)
            text.append(UInt8(ascii: "T"))
            Self.appendPadded(civil.hour, 2, &text)
            text.append(UInt8(ascii: ":"))
            Self.appendPadded(civil.minute, 2, &text)
            text.append(UInt8(ascii: ":"))
            Self.appendPadded(civil.second, 2, &text)
            self.secondsText = text
        }
        self.bytes.append(contentsOf: self.secondsText)
        self.bytes.append(UInt8(ascii: "."))
        Self.appendPadded(time.microsecondPart, 6, &self.bytes)
        self.bytes.append(contentsOf: [UInt8(ascii: "+"), 0x30, 0x30, 0x30, 0x30])
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes an address as a string value: dotted quad, or RFC 5952 text for IPv6 (as Suricata prints).
    public mutating func ipAddress(_ address: IPAddress) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        if address.isIPv4 {
            let value = address.v4Value
            self.appendDigits(UInt64(value >> 24))
            self.bytes.append(UInt8(ascii: "."))
            self.appendDigits(UInt64(value >> 16 & 0xff))
            self.bytes.append(UInt8(ascii: "."))
            self.appendDigits(UInt64(value >> 8 & 0xff))
            self.bytes.append(UInt8(ascii: "."))
            self.appendDigits(UInt64(value & 0xff))
        } else {
            self.bytes.append(contentsOf: address.description.utf8)
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// A two-digit lower-case hex string value, as Suricata prints TCP flags (`"1b"`).
    public mutating func hexString(_ value: UInt8) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(Self.hexDigits[Int(value >> 4)])
        self.bytes.append(Self.hexDigits[Int(value & 0xf)])
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// Writes `data` as a string value keeping printable ASCII, `\n` and `\r` and turning every other byte
    /// into `.`, as Suricata's `payload_printable` (`PrintStringsToBuffer`).
    public mutating func printableString(_ data: UnsafeRawBufferPointer) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        for byte in data {
            if (byte >= 0x20 && byte < 0x7f) || byte == 0x0a || byte == 0x0d {
                self.appendEscapedByte(byte)
            } else {
                self.bytes.append(UInt8(ascii: "."))
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    // MARK: Fields (key + value)

    /// `"key":"value"` (escaped).
    public mutating func field(_ key: StaticString, _ value: String) {
        self.key(key)
        self.string(value)
    }

    /// `"key":"value"` for a compile-time ASCII value.
    public mutating func field(_ key: StaticString, _ value: StaticString) {
        self.key(key)
        self.string(value)
    }

    /// `"key":123`.
    public mutating func field(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        self.unsigned(value)
    }

    /// `"key":-123`.
    public mutating func field(_ key: StaticString, _ value: Int64) {
        self.key(key)
        self.integer(value)
    }

    /// `"key":true`.
    public mutating func field(_ key: StaticString, _ value: Bool) {
        self.key(key)
        self.bool(value)
    }

    /// `"key":"2024-01-31T12:34:56.123456+0000"`.
    public mutating func field(_ key: StaticString, _ value: Timestamp) {
        self.key(key)
        self.timestamp(value)
    }

    /// `"key":"10.0.0.1"`.
    public mutating func field(_ key: StaticString, _ value: IPAddress) {
        self.key(key)
        self.ipAddress(value)
    }

    // MARK: Internals

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { self.appendEscaped(UnsafeRawBufferPointer($0)) }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Appends `source` with JSON escapes; runs without escapes are copied in one piece.
    private mutating func appendEscaped(_ source: UnsafeRawBufferPointer) {
        var runStart = 0
        var index = 0
        let count = source.count
        while index < count {
            let byte = source[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                if index > runStart { self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[runStart..<index])) }
                self.appendEscapedByte(byte)
                runStart = index + 1
            }
            index += 1
        }
        if count > runStart { self.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[runStart..<count])) }
    }

    @inline(__always)
    private mutating func appendEscapedByte(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0a: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0d: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x08: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x0c: self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case ..<0x20:
            self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
            self.bytes.append(Self.hexDigits[Int(byte >> 4)])
            self.bytes.append(Self.hexDigits[Int(byte & 0xf)])
        default: self.bytes.append(byte)
        }
    }

    private mutating func appendDigitsSigned(_ value: Int64) {
        if value < 0 { self.bytes.append(UInt8(ascii: "-")) }
        self.appendDigits(value.magnitude)
    }

    /// Appends the decimal digits of `value` without building a String.
    @inline(__always)
    private mutating func appendDigits(_ value: UInt64) {
        if value < 10 {
            self.bytes.append(UInt8(truncatingIfNeeded: value) &+ 0x30)
            return
        }
        var digits = 0
        var rest = value
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let start = self.bytes.count
        self.bytes.append(contentsOf: repeatElement(0x30, count: digits))
        self.bytes.withUnsafeMutableBufferPointer { buffer in
            var position = start + digits - 1
            var rest = value
            while rest > 0 {
                buffer[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
                rest /= 10
                position -= 1
            }
        }
    }

    static func appendPadded(_ value: Int64, _ width: Int, _ out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        // Values wider than `width` (years past 9999) keep all their digits.
        while divisor * 10 <= rest { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: rest / divisor) &+ 0x30)
            rest %= divisor
            divisor /= 10
        }
    }

    /// Whether `data` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
    static func isValidUTF8(_ data: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = data.count
        while index < count {
            let lead = data[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xbf
            switch lead {
            case 0xc2...0xdf: length = 2
            case 0xe0:
                length = 3
                lower = 0xa0
            case 0xe1...0xec, 0xee...0xef: length = 3
            case 0xed:
                length = 3
                upper = 0x9f
            case 0xf0:
                length = 4
                lower = 0x90
            case 0xf1...0xf3: length = 4
            case 0xf4:
                length = 4
                upper = 0x8f
            default: return false
            }
            guard index + length <= count else { return false }
            let second = data[index + 1]
            guard second >= lower, second <= upper else { return false }
            for offset in 2..<max(length, 2) where (data[index + offset] & 0xc0) != 0x80 { return false }
            index += length
        }
        return true
    }
}
