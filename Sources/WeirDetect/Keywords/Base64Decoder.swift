// SPDX-License-Identifier: MIT

/// Growable byte storage owned by one worker (decoded `base64_data`); reallocated only when a larger input
/// comes along.
package final class DecodeArena {
    private(set) var storage: UnsafeMutableRawBufferPointer

    /// Makes an arena of `capacity` bytes.
    package init(capacity: Int = 4096) {
        self.storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
    }

    deinit { self.storage.deallocate() }

    /// Ensures at least `count` bytes.
    func reserve(_ count: Int) {
        guard count > self.storage.count else { return }
        self.storage.deallocate()
        self.storage = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(count, self.storage.count * 2),
            alignment: 8
        )
    }
}

/// Base64 as `base64_decode` reads it (RFC 4648 alphabet): decoding stops at the first byte outside the
/// alphabet or at padding; a final partial group of 2 or 3 characters still yields its 1 or 2 bytes.
enum Base64Decoder {
    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = UInt8(i)
        }
        return t
    }()

    /// Decodes `input` into `output` (at least `input.count * 3 / 4 + 3` bytes); returns the decoded length.
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        var quad: UInt32 = 0
        var have = 0
        for byte in input {
            let v = self.table[Int(byte)]
            if v == 0xFF { break }
            quad = quad << 6 | UInt32(v)
            have += 1
            if have == 4 {
                output[n] = UInt8(truncatingIfNeeded: quad >> 16)
                output[n + 1] = UInt8(truncatingIfNeeded: quad >> 8)
                output[n + 2] = UInt8(truncatingIfNeeded: quad)
                n += 3
                have = 0
                quad = 0
            }
        }
        if have == 2 {
            output[n] = UInt8(truncatingIfNeeded: quad >> 4)
            n += 1
        } else if have == 3 {
            output[n] = UInt8(truncatingIfNeeded: quad >> 10)
            output[n + 1] = UInt8(truncatingIfNeeded: quad >> 2)
            n += 2
        }
        return n
    }
}
