// SPDX-License-Identifier: MIT
import WeirCore

/// IPv6 addresses as Suricata 8 prints them in EVE and fast.log: eight groups of four lower-case hex digits,
/// leading zeros kept and no `::` (`2001:0db8:0000:0000:0000:0000:0000:0001`, Suricata's `PrintInet`). Tools
/// that correlate Suricata's records by address compare these strings, so Weir prints the same text.
public enum IPv6Text {
    /// The length of the text: 8 × 4 digits and 7 colons.
    public static let length = 39

    /// Writes the 39 bytes of `address`'s text at `out`; returns the byte after them.
    @inline(__always)
    public static func write(_ address: IPAddress, at out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let digits = ("0123456789abcdef" as StaticString).utf8Start
        var p = out
        for half in 0..<2 {
            let word = half == 0 ? address.high : address.low
            for group in 0..<4 {
                let value = word >> UInt64(48 - 16 * group)
                if half == 1 || group > 0 {
                    p[0] = UInt8(ascii: ":")
                    p += 1
                }
                p[0] = digits[Int(value >> 12 & 0xf)]
                p[1] = digits[Int(value >> 8 & 0xf)]
                p[2] = digits[Int(value >> 4 & 0xf)]
                p[3] = digits[Int(value & 0xf)]
                p += 4
            }
        }
        return p
    }

    /// The text of `address` as a string (tests, diagnostics).
    public static func string(_ address: IPAddress) -> String {
        String(unsafeUninitializedCapacity: Self.length) { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return Self.write(address, at: base) - base
        }
    }
}
