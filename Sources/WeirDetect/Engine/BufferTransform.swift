// SPDX-License-Identifier: MIT
import Crypto

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
    /// `to_md5`, `to_sha1`, `to_sha256`: the buffer's digest (raw bytes), from swift-crypto.
    case toMD5
    case toSHA1
    case toSHA256
    /// `header_lowercase`: header names (before each line's `:`) in lowercase, values untouched.
    case headerLowercase
    /// `strip_pseudo_headers`: lines starting with `:` (HTTP/2 pseudo headers) removed.
    case stripPseudoHeaders
    /// `pcrexform:"regex"`: the first capture group replaces the buffer (empty when the regex fails).
    case pcrexform(RegexTransform)
    /// `from_base64`: the buffer (from `offset`, at most `bytes`) decoded from base64.
    case fromBase64(offset: Int, bytes: Int)

    /// Largest output for an input of `length` bytes.
    func maximumOutput(_ length: Int) -> Int {
        switch self {
        case .dotprefix: length + 1
        case .toMD5: 16
        case .toSHA1: 20
        case .toSHA256: 32
        case .fromBase64: length * 3 / 4 + 3
        default: length
        }
    }

    /// Transforms `input` into `output` (which holds at least ``maximumOutput(_:)`` bytes).
    ///
    /// - Returns: The output length.
    func apply(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
        regexScratch: RegexMatchScratch? = nil
    ) -> Int {
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
        case .toMD5:
            n = Self.copyDigest(Insecure.MD5.hash(data: input), into: output)
        case .toSHA1:
            n = Self.copyDigest(Insecure.SHA1.hash(data: input), into: output)
        case .toSHA256:
            n = Self.copyDigest(SHA256.hash(data: input), into: output)
        case .headerLowercase:
            var inName = true
            for b in input {
                output[n] = inName ? asciiLowercase(b) : b
                n += 1
                if b == 0x3A { inName = false } else if b == 0x0A { inName = true }
            }
        case .stripPseudoHeaders:
            var lineStart = 0
            while lineStart < input.count {
                var end = lineStart
                while end < input.count && input[end] != 0x0A { end += 1 }
                if end < input.count { end += 1 }
                if input[lineStart] != 0x3A {
                    for i in lineStart..<end {
                        output[n] = input[i]
                        n += 1
                    }
                }
                lineStart = end
            }
        case .pcrexform(let transform):
            guard let scratch = regexScratch,
                let range = transform.regex.firstCapture(in: input, scratch: scratch)
            else { return 0 }
            for i in range {
                output[n] = input[i]
                n += 1
            }
        case .fromBase64(let offset, let bytes):
            guard offset < input.count else { return 0 }
            var end = input.count
            if bytes > 0 { end = min(end, offset + bytes) }
            n = Base64Decoder.decode(UnsafeRawBufferPointer(rebasing: input[offset..<end]), into: output)
        }
        return n
    }

    private static func copyDigest<D: Digest>(_ digest: D, into output: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        for b in digest {
            output[n] = b
            n += 1
        }
        return n
    }
}

/// A compiled `pcrexform` regex; equal and hashed by its pattern.
package struct RegexTransform: Sendable, Hashable {
    package let pattern: String
    package let regex: CompiledRegex

    package init(pattern: String, regex: CompiledRegex) {
        self.pattern = pattern
        self.regex = regex
    }

    package static func == (a: RegexTransform, b: RegexTransform) -> Bool { a.pattern == b.pattern }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.pattern) }
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
