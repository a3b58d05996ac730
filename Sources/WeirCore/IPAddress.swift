// SPDX-License-Identifier: MIT

/// An IPv4 or IPv6 address held in two 64-bit words, so that it is cheap to copy, hash and compare.
///
/// IPv4 addresses keep their 32-bit value (host byte order, `a.b.c.d` = `a<<24|b<<16|c<<8|d`) in the low
/// word and zero in the high word, and are told apart from IPv6 by ``family``, never by value: an IPv6
/// packet carrying `::ffff:1.2.3.4` stays IPv6.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The address family.
    public enum Family: UInt8, Sendable, Hashable, Comparable {
        case v4 = 4
        case v6 = 6

        public static func < (lhs: Family, rhs: Family) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The first 64 bits of an IPv6 address (network order as an integer); zero for IPv4.
    public var high: UInt64
    /// The last 64 bits of an IPv6 address, or the 32-bit IPv4 value.
    public var low: UInt64
    /// The address family.
    public var family: Family

    /// An IPv4 address from its 32-bit value in host byte order.
    @inlinable
    public init(v4 value: UInt32) {
        self.high = 0
        self.low = UInt64(value)
        self.family = .v4
    }

    /// An IPv6 address from its two 64-bit halves (the first 8 bytes read big-endian, then the last 8).
    @inlinable
    public init(v6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        self.family = .v6
    }

    /// The unspecified IPv4 address, `0.0.0.0`.
    public static let zeroV4 = IPAddress(v4: 0)

    /// Whether this is an IPv4 address.
    @inlinable public var isIPv4: Bool { self.family == .v4 }

    /// The IPv4 value in host byte order; only meaningful when ``isIPv4``.
    @inlinable public var v4Value: UInt32 { UInt32(truncatingIfNeeded: self.low) }

    /// The address as its 4 or 16 bytes in network order.
    public var bytes: [UInt8] {
        switch self.family {
        case .v4:
            let v = self.v4Value
            return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
        case .v6:
            var out = [UInt8]()
            out.reserveCapacity(16)
            for word in [self.high, self.low] {
                for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(word >> UInt64(shift) & 0xff)) }
            }
            return out
        }
    }

    /// Parses dotted-quad IPv4 or RFC 4291 / RFC 5952 IPv6 text (with `::` and an embedded IPv4 tail).
    public init?(_ text: some StringProtocol) {
        if text.contains(":") {
            guard let (h, l) = IPAddress.parseV6(Substring(text)) else { return nil }
            self.init(v6High: h, low: l)
        } else {
            guard let v = IPAddress.parseV4(Substring(text)) else { return nil }
            self.init(v4: v)
        }
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let n = UInt32(part), n <= 255
            else { return nil }
            value = value << 8 | n
            parts += 1
        }
        return parts == 4 ? value : nil
    }

    static func parseV6(_ text: Substring) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        var gapIndex: Int? = nil
        var rest = text
        if rest.hasPrefix("::") {
            gapIndex = 0
            rest = rest.dropFirst(2)
            if rest.isEmpty { return (0, 0) }
        }
        let pieces = rest.split(separator: ":", omittingEmptySubsequences: false)
        for (index, piece) in pieces.enumerated() {
            if piece.isEmpty {
                // An empty piece is the `::` gap; it may appear once, and a trailing `::` leaves one more empty.
                if index == pieces.count - 1, gapIndex == groups.count { continue }
                guard gapIndex == nil else { return nil }
                gapIndex = groups.count
                continue
            }
            if index == pieces.count - 1, piece.contains(".") {
                guard let v4 = parseV4(piece) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xffff))
                continue
            }
            guard piece.count <= 4, let g = UInt16(piece, radix: 16) else { return nil }
            groups.append(g)
        }
        if let gap = gapIndex {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        return (h, l)
    }

    /// Dotted-quad for IPv4; RFC 5952 text for IPv6 (lower-case hex, the longest zero run as `::`), for
    /// messages and the CLI. EVE and fast.log print IPv6 uncompressed, as Suricata 8 does (WeirOutput's `IPv6Text`).
    public var description: String {
        switch self.family {
        case .v4:
            let v = self.v4Value
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        case .v6:
            var groups = [UInt16](repeating: 0, count: 8)
            for i in 0..<4 { groups[i] = UInt16(truncatingIfNeeded: self.high >> UInt64(48 - 16 * i)) }
            for i in 0..<4 { groups[4 + i] = UInt16(truncatingIfNeeded: self.low >> UInt64(48 - 16 * i)) }
            // Longest run of two or more zero groups, first one on a tie (RFC 5952 section 4.2).
            var bestStart = -1
            var bestLength = 1
            var i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8 && groups[j] == 0 { j += 1 }
                    if j - i > bestLength {
                        bestStart = i
                        bestLength = j - i
                    }
                    i = j
                } else {
                    i += 1
                }
            }
            var out = ""
            var k = 0
            while k < 8 {
                if k == bestStart {
                    out += k == 0 ? "::" : ":"
                    k += bestLength
                    continue
                }
                out += String(groups[k], radix: 16)
                if k < 7 { out += ":" }
                k += 1
            }
            return out
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        if lhs.high != rhs.high { return lhs.high < rhs.high }
        return lhs.low < rhs.low
    }
}
