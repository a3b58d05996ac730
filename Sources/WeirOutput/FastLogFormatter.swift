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
        out.append(contentsOf: "[**] [\(alert.gid):\(alert.signatureID):\(alert.rev)] ".utf8)
        out.append(contentsOf: alert.signature.utf8)
        out.append(contentsOf: " [**] [Classification: ".utf8)
        out.append(contentsOf: alert.category.utf8)
        out.append(contentsOf: "] [Priority: \(alert.severity)] {".utf8)
        out.append(contentsOf: IPProtocol.eveName(header.ipProtocol).utf8)
        out.append(contentsOf: "} ".utf8)
        let sourcePort = header.sourcePort.map(UInt64.init) ?? UInt64(header.icmpType ?? 0)
        let destinationPort = header.destinationPort.map(UInt64.init) ?? UInt64(header.icmpCode ?? 0)
        out.append(contentsOf: "\(header.sourceIP):\(sourcePort) -> \(header.destinationIP):\(destinationPort)\n".utf8)
    }

    /// One line as a String (with its newline).
    public static func line(header: EVEHeader, alert: EVEAlert, marker: DropMarker = .none) -> String {
        var out: [UInt8] = []
        Self.append(header: header, alert: alert, marker: marker, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
