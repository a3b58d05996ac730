// SPDX-License-Identifier: MIT

/// A bounds-checked big-endian reader over a byte array, shared by the TLS, SSH and DNS parsers.
///
/// Every read returns `nil` past the end instead of trapping, so a truncated or lying length field turns
/// into a parser event, never a crash.
struct WireReader {
    /// The bytes read from.
    let bytes: [UInt8]
    /// The next byte to read.
    private(set) var position: Int
    /// One past the last readable byte.
    let end: Int

    /// A reader over `bytes[start..<end]` (the whole array by default).
    init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    /// Bytes left to read.
    var remaining: Int { max(0, self.end - self.position) }

    /// Whether everything has been read.
    var isAtEnd: Bool { self.position >= self.end }

    mutating func u8() -> UInt8? {
        guard self.position < self.end else { return nil }
        defer { self.position += 1 }
        return self.bytes[self.position]
    }

    mutating func u16() -> UInt16? {
        guard self.remaining >= 2 else { return nil }
        defer { self.position += 2 }
        return UInt16(self.bytes[self.position]) << 8 | UInt16(self.bytes[self.position + 1])
    }

    mutating func u24() -> UInt32? {
        guard self.remaining >= 3 else { return nil }
        defer { self.position += 3 }
        return UInt32(self.bytes[self.position]) << 16 | UInt32(self.bytes[self.position + 1]) << 8
            | UInt32(self.bytes[self.position + 2])
    }

    mutating func u32() -> UInt32? {
        guard self.remaining >= 4 else { return nil }
        defer { self.position += 4 }
        var value: UInt32 = 0
        for offset in 0..<4 { value = value << 8 | UInt32(self.bytes[self.position + offset]) }
        return value
    }

    /// The next `count` bytes as a copy.
    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, self.remaining >= count else { return nil }
        defer { self.position += count }
        return Array(self.bytes[self.position..<self.position + count])
    }

    /// A reader over the next `count` bytes; this reader moves past them.
    mutating func sub(_ count: Int) -> WireReader? {
        guard count >= 0, self.remaining >= count else { return nil }
        defer { self.position += count }
        return WireReader(self.bytes, start: self.position, end: self.position + count)
    }

    /// Skips `count` bytes; false when fewer are left.
    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, self.remaining >= count else { return false }
        self.position += count
        return true
    }

    /// Moves to an absolute offset (DNS compression pointers); false when outside the readable range.
    mutating func seek(to offset: Int) -> Bool {
        guard offset >= 0, offset <= self.end else { return false }
        self.position = offset
        return true
    }
}

/// Hex text helpers for fingerprints and log fields.
enum HexText {
    static let lower: [UInt8] = Array("0123456789abcdef".utf8)
    static let upper: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// `bytes` as hex pairs, joined by `separator` when given (`aa:bb`), lower or upper case. Written straight
    /// into the string's storage, sized first: growing a byte array pair by pair reallocated it several times
    /// per fingerprint. `bytes` is read twice (every caller passes a collection or a digest, both re-readable).
    static func string<Bytes: Sequence>(_ bytes: Bytes, separator: UInt8? = nil, uppercase: Bool = false) -> String
    where Bytes.Element == UInt8 {
        var count = 0
        for _ in bytes { count += 1 }
        guard count > 0 else { return "" }
        let length = count * 2 + (separator == nil ? 0 : count - 1)
        let digits = uppercase ? Self.upper : Self.lower
        return digits.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: length) { out in
                var i = 0
                for byte in bytes {
                    if let separator, i > 0 {
                        guard i + 3 <= length else { break }
                        out[i] = separator
                        i += 1
                    } else if i + 2 > length {
                        break
                    }
                    out[i] = table[Int(byte >> 4)]
                    out[i + 1] = table[Int(byte & 0xf)]
                    i += 2
                }
                return i
            }
        }
    }

    /// A 16-bit value as four lower-case hex digits (JA4's notation): a small string, no allocation.
    static func word(_ value: UInt16) -> String {
        Self.lower.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: 4) { out in
                out[0] = table[Int(value >> 12)]
                out[1] = table[Int(value >> 8 & 0xf)]
                out[2] = table[Int(value >> 4 & 0xf)]
                out[3] = table[Int(value & 0xf)]
                return 4
            }
        }
    }
}
