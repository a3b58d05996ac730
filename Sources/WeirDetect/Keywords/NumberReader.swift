// SPDX-License-Identifier: MIT

/// Reads the numbers `byte_test`, `byte_jump`, `byte_extract` and `byte_math` act on (Suricata's
/// `util-byte.c`).
enum NumberReader {
    /// Reads `count` bytes at `position` as `format` says.
    ///
    /// - Returns: The value and the bytes consumed (a string number may stop early at a non-digit), or `nil`
    ///   when the bytes are not a number (no digit at all, or more than 8 binary bytes).
    @inline(__always)
    static func read(_ buffer: UnsafeRawBufferPointer, at position: Int, count: Int, format: NumberFormat)
        -> (value: UInt64, consumed: Int)?
    {
        guard count >= 0, position >= 0, position + count <= buffer.count else { return nil }
        // Suricata accepts `byte_jump:0,…`: nothing is read and the value is 0.
        if count == 0 { return format.stringBase == nil ? (0, 0) : nil }
        if let base = format.stringBase {
            // strtoull semantics on a copy of exactly `count` bytes: optional leading blanks, then digits.
            var index = position
            let end = position + count
            while index < end, buffer[index] == 0x20 || (buffer[index] >= 0x09 && buffer[index] <= 0x0D) {
                index += 1
            }
            if base == 16, index + 1 < end, buffer[index] == 0x30, buffer[index + 1] | 0x20 == 0x78 {
                index += 2
            }
            var value: UInt64 = 0
            var digits = 0
            while index < end {
                let byte = buffer[index]
                let digit: UInt64
                switch byte {
                case 0x30...0x39: digit = UInt64(byte - 0x30)
                case 0x61...0x66: digit = UInt64(byte - 0x61 + 10)
                case 0x41...0x46: digit = UInt64(byte - 0x41 + 10)
                default: digit = 99
                }
                guard digit < UInt64(base) else { break }
                let (multiplied, overflow1) = value.multipliedReportingOverflow(by: UInt64(base))
                let (added, overflow2) = multiplied.addingReportingOverflow(digit)
                guard !overflow1, !overflow2 else { return nil }
                value = added
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            return (value, index - position)
        }
        guard count <= 8 else { return nil }
        var value: UInt64 = 0
        if format.littleEndian {
            var i = count - 1
            while i >= 0 {
                value = value << 8 | UInt64(buffer[position + i])
                i -= 1
            }
        } else {
            for i in 0..<count { value = value << 8 | UInt64(buffer[position + i]) }
        }
        return (value, count)
    }

    /// Applies a `bitmask`: AND, then shift right by the mask's trailing zero bits (Suricata does both).
    @inline(__always)
    static func mask(_ value: UInt64, _ bitmask: UInt64?) -> UInt64 {
        guard let bitmask, bitmask != 0 else { return value }
        return (value & bitmask) >> UInt64(bitmask.trailingZeroBitCount)
    }
}
