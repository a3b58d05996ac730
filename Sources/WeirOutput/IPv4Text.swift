// SPDX-License-Identifier: MIT

/// Dotted-quad text by table: every octet's decimal digits padded with dots to four bytes (`7...`, `10..`,
/// `255.`), so an address is four unaligned 4-byte stores, each followed by a move past the digits and one
/// dot. No division and no branch per digit: EVE writes four addresses per alert, and this was a tenth of
/// the renderer's time.
enum IPv4Text {
    /// 256 entries of four bytes, in memory order; made once, never freed. Unsafe only in name: it is written
    /// in its initialiser and read-only afterwards.
    nonisolated(unsafe) static let table: UnsafePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        for octet in 0..<256 {
            var bytes = Array(String(octet).utf8)
            while bytes.count < 4 { bytes.append(UInt8(ascii: ".")) }
            table[octet] = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        }
        return UnsafePointer(table)
    }()

    /// The most bytes ``write(_:at:table:)`` stores: at most 15 of text, and the last entry's four bytes can
    /// reach one past them.
    static let room = 16

    /// Writes `value`'s dotted quad at `out`, which has room for ``room`` bytes (the bytes after the text are
    /// scratch); returns the position after the text.
    @inline(__always)
    static func write(
        _ value: UInt32, at out: UnsafeMutablePointer<UInt8>, table: UnsafePointer<UInt32>
    ) -> UnsafeMutablePointer<UInt8> {
        var p = Self.put(UInt8(truncatingIfNeeded: value >> 24), at: out, table: table)
        p = Self.put(UInt8(truncatingIfNeeded: value >> 16), at: p, table: table)
        p = Self.put(UInt8(truncatingIfNeeded: value >> 8), at: p, table: table)
        p = Self.put(UInt8(truncatingIfNeeded: value), at: p, table: table)
        // The last octet's dot is not part of the address.
        return p - 1
    }

    /// One octet's entry at `p`; returns the position after its digits and one dot.
    @inline(__always)
    private static func put(
        _ octet: UInt8, at p: UnsafeMutablePointer<UInt8>, table: UnsafePointer<UInt32>
    ) -> UnsafeMutablePointer<UInt8> {
        UnsafeMutableRawPointer(p).storeBytes(of: table[Int(octet)], as: UInt32.self)
        return p + (2 &+ (octet >= 10 ? 1 : 0) &+ (octet >= 100 ? 1 : 0))
    }
}
