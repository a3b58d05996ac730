// SPDX-License-Identifier: MIT
import WeirCore

/// Formats `fast.log` lines as Suricata's `alert-fastlog.c` does:
///
/// `MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] msg [**] [Classification: cat] [Priority: n] {PROTO} src:port -> dst:port`
///
/// Times are UTC (Suricata uses the sensor's local zone; Weir's sensors log UTC). Drops in IPS mode are marked
/// `[Drop] ` and would-be drops in IDS mode `[wDrop] ` right after the two spaces, as in Suricata. For protocols
/// without ports the ICMP type and code stand in (0 when absent), as Suricata stores them in the port fields.
public enum FastLogFormatter {
    /// The verdict marker before `[**]`.
    public enum DropMarker: Sendable {
        /// No marker.
        case none
        /// `[Drop] `: the packet was dropped (IPS).
        case dropped
        /// `[wDrop] `: a drop rule matched but the engine is not inline.
        case wouldDrop
    }

    /// Appends one line, with its newline, to `out`: `out` grows once by an upper bound of the line's length,
    /// the line is written through one pointer, and the unused tail is dropped.
    public static func append(
        header: EVEHeader,
        alert: EVEAlert,
        marker: DropMarker = .none,
        to out: inout [UInt8]
    ) {
        var signature = alert.signature
        var category = alert.category
        var proto = IPProtocol.eveName(header.ipProtocol)
        var sourceText = header.sourceIP.isIPv4 ? "" : header.sourceIP.description
        var destinationText = header.destinationIP.isIPv4 ? "" : header.destinationIP.description
        // Fixed text 90 bytes; the time 26; three ids and the priority 4 x 10; ports 2 x 20; IPv4 2 x 15.
        let bound =
            256 + signature.utf8.count + category.utf8.count + proto.utf8.count + sourceText.utf8.count
            + destinationText.utf8.count
        let start = out.count
        // Grown from a buffer of zeros (`repeatElement` would go element by element, and allocate, in an
        // unoptimised build).
        out.reserveCapacity(start + bound)
        var remaining = bound
        while remaining > 0 {
            let n = min(remaining, Self.zeros.count)
            Self.zeros.withUnsafeBytes { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            remaining -= n
        }
        let used = out.withUnsafeMutableBufferPointer { buffer -> Int in
            let base = buffer.baseAddress! + start
            var p = base
            func put(_ text: StaticString) {
                JSONWriter.copySmall(to: p, from: text.utf8Start, count: text.utf8CodeUnitCount)
                p += text.utf8CodeUnitCount
            }
            func put(_ text: inout String) {
                text.withUTF8 { bytes in
                    if let address = bytes.baseAddress { p.update(from: address, count: bytes.count) }
                    p += bytes.count
                }
            }
            func byte(_ value: UInt8) {
                p[0] = value
                p += 1
            }
            let time = header.timestamp
            let civil = CivilTime(secondsSinceEpoch: time.seconds)
            p = Self.putPadded(civil.month, 2, at: p)
            byte(UInt8(ascii: "/"))
            p = Self.putPadded(civil.day, 2, at: p)
            byte(UInt8(ascii: "/"))
            p = Self.putPadded(civil.year, 4, at: p)
            byte(UInt8(ascii: "-"))
            p = Self.putPadded(civil.hour, 2, at: p)
            byte(UInt8(ascii: ":"))
            p = Self.putPadded(civil.minute, 2, at: p)
            byte(UInt8(ascii: ":"))
            p = Self.putPadded(civil.second, 2, at: p)
            byte(UInt8(ascii: "."))
            p = Self.putPadded(time.microsecondPart, 6, at: p)
            put("  ")
            switch marker {
            case .none: break
            case .dropped: put("[Drop] ")
            case .wouldDrop: put("[wDrop] ")
            }
            put("[**] [")
            p = Self.putDecimal(UInt64(alert.gid), at: p)
            byte(UInt8(ascii: ":"))
            p = Self.putDecimal(UInt64(alert.signatureID), at: p)
            byte(UInt8(ascii: ":"))
            p = Self.putDecimal(UInt64(alert.rev), at: p)
            put("] ")
            put(&signature)
            put(" [**] [Classification: ")
            put(&category)
            put("] [Priority: ")
            p = Self.putDecimal(UInt64(alert.severity), at: p)
            put("] {")
            put(&proto)
            put("} ")
            let sourcePort = header.sourcePort.map(UInt64.init) ?? UInt64(header.icmpType ?? 0)
            let destinationPort = header.destinationPort.map(UInt64.init) ?? UInt64(header.icmpCode ?? 0)
            if header.sourceIP.isIPv4 { p = Self.putIPv4(header.sourceIP.v4Value, at: p) } else { put(&sourceText) }
            byte(UInt8(ascii: ":"))
            p = Self.putDecimal(sourcePort, at: p)
            put(" -> ")
            if header.destinationIP.isIPv4 {
                p = Self.putIPv4(header.destinationIP.v4Value, at: p)
            } else {
                put(&destinationText)
            }
            byte(UInt8(ascii: ":"))
            p = Self.putDecimal(destinationPort, at: p)
            byte(UInt8(ascii: "\n"))
            return p - base
        }
        out.removeLast(bound - used)
    }

    private static let zeros = [UInt8](repeating: 0, count: 1024)

    /// `value` as exactly `width` digits (more when it is wider, as years past 9999), at `p`.
    private static func putPadded(_ value: Int64, _ width: Int, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var digits = width
        var limit: Int64 = 1
        for _ in 0..<width { limit &*= 10 }
        while value >= limit && digits < 19 {
            digits += 1
            limit &*= 10
        }
        return Self.putDigits(UInt64(max(0, value)), digits, at: p)
    }

    /// The last `digits` decimal digits of `value` at `p` (leading zeros included); returns the end.
    private static func putDigits(_ value: UInt64, _ digits: Int, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var rest = value
        var position = digits - 1
        while position >= 0 {
            p[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
            position -= 1
        }
        return p + digits
    }

    /// `value` in decimal at `p`.
    private static func putDecimal(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var digits = 1
        var limit: UInt64 = 10
        while digits < 20 && value >= limit {
            digits += 1
            limit = limit &* 10
        }
        return Self.putDigits(value, digits, at: p)
    }

    /// A dotted quad at `p`.
    private static func putIPv4(_ value: UInt32, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = Self.putDecimal(UInt64(value >> 24), at: p)
        q[0] = UInt8(ascii: ".")
        q = Self.putDecimal(UInt64(value >> 16 & 0xff), at: q + 1)
        q[0] = UInt8(ascii: ".")
        q = Self.putDecimal(UInt64(value >> 8 & 0xff), at: q + 1)
        q[0] = UInt8(ascii: ".")
        return Self.putDecimal(UInt64(value & 0xff), at: q + 1)
    }

    /// One line as a String (with its newline).
    public static func line(header: EVEHeader, alert: EVEAlert, marker: DropMarker = .none) -> String {
        var out: [UInt8] = []
        Self.append(header: header, alert: alert, marker: marker, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
