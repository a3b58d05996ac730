// SPDX-License-Identifier: MIT

/// A sticky-buffer transform the engine applies before inspection (Suricata's `detect-transform-*.c`).
package enum BufferTransform: Sendable, Equatable, Hashable {
    /// `dotprefix`: prepend a `.` so `content:".example.com"; endswith` matches the domain and its subdomains.
    case dotprefix
    /// `strip_whitespace`: remove every space, tab, CR, LF, VT and FF.
    case stripWhitespace
    /// `compress_whitespace`: each run of whitespace becomes one space.
    case compressWhitespace
    /// `to_lowercase` / `to_uppercase` (ASCII).
    case toLowercase
    case toUppercase
    /// `url_decode`: `%XX` decoded, `+` becomes a space.
    case urlDecode
    /// `xor:"key"`: each byte XORed with the repeating key.
    case xor([UInt8])

    /// Largest output for an input of `length` bytes.
    func maximumOutput(_ length: Int) -> Int { self == .dotprefix ? length + 1 : length }

    /// Transforms `input` into `output` (which holds at least ``maximumOutput(_:)`` bytes).
    ///
    /// - Returns: The output length.
    func apply(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        var n = 0
        switch self {
        case .dotprefix:
            output[0] = 0x2E
            for (i, b) in input.enumerated() { output[i + 1] = b }
            return input.count + 1
        case .stripWhitespace:
            for b in input where !isSpace(b) {
                output[n] = b
                n += 1
            }
        case .compressWhitespace:
            var previousSpace = false
            for b in input {
                if isSpace(b) {
                    if !previousSpace {
                        output[n] = 0x20
                        n += 1
                    }
                    previousSpace = true
                } else {
                    output[n] = b
                    n += 1
                    previousSpace = false
                }
            }
        case .toLowercase:
            for (i, b) in input.enumerated() { output[i] = asciiLowercase(b) }
            n = input.count
        case .toUppercase:
            for (i, b) in input.enumerated() { output[i] = b &- 97 < 26 ? b & 0xDF : b }
            n = input.count
        case .urlDecode:
            func hex(_ b: UInt8) -> UInt8? {
                switch b {
                case 0x30...0x39: return b - 0x30
                case 0x41...0x46: return b - 0x41 + 10
                case 0x61...0x66: return b - 0x61 + 10
                default: return nil
                }
            }
            var i = 0
            while i < input.count {
                let b = input[i]
                if b == 0x25, i + 2 < input.count, let high = hex(input[i + 1]), let low = hex(input[i + 2]) {
                    output[n] = high << 4 | low
                    i += 3
                } else {
                    output[n] = b == 0x2B ? 0x20 : b
                    i += 1
                }
                n += 1
            }
        case .xor(let key):
            guard !key.isEmpty else { return 0 }
            for (i, b) in input.enumerated() { output[i] = b ^ key[i % key.count] }
            n = input.count
        }
        return n
    }
}

/// A sticky buffer seen through a chain of transforms; it has its own sticky id.
package struct DerivedBuffer: Sendable {
    /// The id the transformed view is registered under.
    package var id: Int
    /// The sticky buffer it is computed from.
    package var base: Int
    /// The transforms, in rule order.
    package var transforms: [BufferTransform]
}
