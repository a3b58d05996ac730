// SPDX-License-Identifier: MIT

/// The Internet checksum (RFC 1071): a one's-complement sum of 16-bit words.
///
/// The one's-complement sum does not depend on byte order (RFC 1071 section 2(B)), so words are summed in the
/// host's order straight from memory and only the final comparison matters: a header or segment that includes
/// its own correct checksum sums to `0xffff`. Bytes are read eight at a time with unaligned loads and the two
/// 32-bit halves are accumulated into 64-bit sums, which cannot overflow for any frame under 2^32 bytes; the
/// carries are folded back once at the end.
package enum InternetChecksum {
    /// Sums `length` bytes starting at `offset` of `buffer`, in memory order.
    ///
    /// The caller guarantees the range is inside the buffer.
    @inline(__always)
    package static func partialSum(_ buffer: UnsafeRawBufferPointer, offset: Int, length: Int) -> UInt64 {
        guard length > 0, let base = buffer.baseAddress else { return 0 }
        var pointer = base + offset
        var remaining = length
        var low: UInt64 = 0
        var high: UInt64 = 0
        while remaining >= 32 {
            let w0 = pointer.loadUnaligned(as: UInt64.self)
            let w1 = pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let w2 = pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            let w3 = pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
            low &+= (w0 & 0xffff_ffff) &+ (w1 & 0xffff_ffff) &+ (w2 & 0xffff_ffff) &+ (w3 & 0xffff_ffff)
            high &+= (w0 >> 32) &+ (w1 >> 32) &+ (w2 >> 32) &+ (w3 >> 32)
            pointer += 32
            remaining -= 32
        }
        while remaining >= 8 {
            let w = pointer.loadUnaligned(as: UInt64.self)
            low &+= w & 0xffff_ffff
            high &+= w >> 32
            pointer += 8
            remaining -= 8
        }
        if remaining >= 4 {
            low &+= UInt64(pointer.loadUnaligned(as: UInt32.self))
            pointer += 4
            remaining -= 4
        }
        if remaining >= 2 {
            low &+= UInt64(pointer.loadUnaligned(as: UInt16.self))
            pointer += 2
            remaining -= 2
        }
        if remaining == 1 {
            // An odd last byte is the first byte of a 16-bit word whose second byte is zero (RFC 1071).
            let byte = pointer.load(as: UInt8.self)
            #if _endian(big)
                low &+= UInt64(byte) << 8
            #else
                low &+= UInt64(byte)
            #endif
        }
        return low &+ high
    }

    /// A 16-bit value as it sits in memory when stored big-endian, for adding pseudo-header fields.
    @inline(__always)
    package static func wire16(_ value: UInt16) -> UInt64 { UInt64(value.bigEndian) }

    /// Folds a 64-bit partial sum to 16 bits with end-around carries.
    @inline(__always)
    package static func fold(_ sum: UInt64) -> UInt16 {
        var s = (sum & 0xffff_ffff) &+ (sum >> 32)
        s = (s & 0xffff_ffff) &+ (s >> 32)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        s = (s & 0xffff) &+ (s >> 16)
        return UInt16(truncatingIfNeeded: s)
    }

    /// True when a sum that covers its own checksum field is correct.
    @inline(__always)
    package static func isValid(_ sum: UInt64) -> Bool { fold(sum) == 0xffff }

    /// The checksum to store in a header whose checksum field was zero while summing (network byte order value).
    package static func checksum(ofSum sum: UInt64) -> UInt16 {
        let folded = ~fold(sum)
        return UInt16(bigEndian: folded)
    }
}
