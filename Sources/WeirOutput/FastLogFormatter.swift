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

    /// Appends one line, with its newline, to `out`.
    public static func append(
        header: EVEHeader,
        alert: EVEAlert,
        marker: DropMarker = .none,
        to out: inout [UInt8]
    ) {
        let time = header.timestamp
        let civil = CivilTime(secondsSinceEpoch: time.seconds)
        JSONWriter.appendPadded(civil.month, 2, &out)
        out.append(UInt8(ascii: "/"))
        JSONWriter.appendPadded(civil.day, 2, &out)
        out.append(UInt8(ascii: "/"))
        JSONWriter.appendPadded(civil.year, 4, &out)
        out.append(UInt8(ascii: "-"))
        JSONWriter.appendPadded(civil.hour, 2, &out)
        out.append(UInt8(ascii: ":"))
        JSONWriter.appendPadded(civil.minute, 2, &out)
        out.append(UInt8(ascii: ":"))
        JSONWriter.appendPadded(civil.second, 2, &out)
        out.append(UInt8(ascii: "."))
        JSONWriter.appendPadded(time.microsecondPart, 6, &out)
        out.append(contentsOf: "  ".utf8)
        switch marker {
        case .none: break
        case .dropped: out.append(contentsOf: "[Drop] ".utf8)
        case .wouldDrop: out.append(contentsOf: "[wDrop] ".utf8)
        }
        // Numbers and addresses go straight into `out`: string interpolation here cost more than the whole EVE
        // alert record.
        out.append(contentsOf: "[**] [".utf8)
        Self.appendDecimal(UInt64(alert.gid), &out)
        out.append(UInt8(ascii: ":"))
        Self.appendDecimal(UInt64(alert.signatureID), &out)
        out.append(UInt8(ascii: ":"))
        Self.appendDecimal(UInt64(alert.rev), &out)
        out.append(contentsOf: "] ".utf8)
        out.append(contentsOf: alert.signature.utf8)
        out.append(contentsOf: " [**] [Classification: ".utf8)
        out.append(contentsOf: alert.category.utf8)
        out.append(contentsOf: "] [Priority: ".utf8)
        Self.appendDecimal(UInt64(alert.severity), &out)
        out.append(contentsOf: "] {".utf8)
        out.append(contentsOf: IPProtocol.eveName(header.ipProtocol).utf8)
        out.append(contentsOf: "} ".utf8)
        let sourcePort = header.sourcePort.map(UInt64.init) ?? UInt64(header.icmpType ?? 0)
        let destinationPort = header.destinationPort.map(UInt64.init) ?? UInt64(header.icmpCode ?? 0)
        Self.appendAddress(header.sourceIP, &out)
        out.append(UInt8(ascii: ":"))
        Self.appendDecimal(sourcePort, &out)
        out.append(contentsOf: " -> ".utf8)
        Self.appendAddress(header.destinationIP, &out)
        out.append(UInt8(ascii: ":"))
        Self.appendDecimal(destinationPort, &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// `value` in decimal, without a String.
    static func appendDecimal(_ value: UInt64, _ out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, written from the end
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[24 - count] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }

    /// An address as ``IPAddress/description`` spells it; IPv4 without a String.
    static func appendAddress(_ address: IPAddress, _ out: inout [UInt8]) {
        guard address.isIPv4 else {
            out.append(contentsOf: address.description.utf8)
            return
        }
        let value = address.v4Value
        Self.appendDecimal(UInt64(value >> 24), &out)
        out.append(UInt8(ascii: "."))
        Self.appendDecimal(UInt64(value >> 16 & 0xff), &out)
        out.append(UInt8(ascii: "."))
        Self.appendDecimal(UInt64(value >> 8 & 0xff), &out)
        out.append(UInt8(ascii: "."))
        Self.appendDecimal(UInt64(value & 0xff), &out)
    }

    /// One line as a String (with its newline).
    public static func line(header: EVEHeader, alert: EVEAlert, marker: DropMarker = .none) -> String {
        var out: [UInt8] = []
        Self.append(header: header, alert: alert, marker: marker, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
