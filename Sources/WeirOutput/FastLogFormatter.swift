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

    /// The `MM/DD/YYYY-HH:MM:SS` text of the last second a line was written for. Alerts come in bursts within
    /// a second; the caller keeps one of these and passes it to every ``write(header:alert:marker:at:time:)``
    /// so the calendar is worked out once a second, not once a line.
    public final class SecondsText {
        fileprivate var seconds = Int64.min
        /// The 19 bytes of text; the buffer never moves.
        fileprivate let text = UnsafeMutablePointer<UInt8>.allocate(capacity: 19)

        /// An empty cache.
        public init() {}

        deinit { self.text.deallocate() }
    }

    /// Appends one line, with its newline, to `out` (tests and one-off lines; the runtime writes lines in
    /// place with ``write(header:alert:marker:at:time:)``).
    public static func append(
        header: EVEHeader,
        alert: EVEAlert,
        marker: DropMarker = .none,
        rawPacket: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        to out: inout [UInt8]
    ) {
        let bound = Self.lineBound(header: header, alert: alert)
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
        let used = out.withUnsafeMutableBufferPointer { buffer in
            Self.write(
                header: header, alert: alert, marker: marker, rawPacket: rawPacket, at: buffer.baseAddress! + start,
                time: nil)
        }
        out.removeLast(bound - used)
    }

    /// An upper bound of the length of the line for `header` and `alert`, newline included.
    public static func lineBound(header: EVEHeader, alert: EVEAlert) -> Int {
        // Fixed text 90 bytes; the time 26; three ids and the priority 4 x 10; ports 2 x 20; addresses 2 x 46
        // (IPv6 text is 39 bytes).
        let protoLength = Self.protocolLiteral(header.ipProtocol) == nil ? IPProtocol.eveName(header.ipProtocol).utf8.count : 0
        // A packet without addresses prints up to 32 bytes as `XX ` and its pcap number instead (fits in 320).
        return 320 + alert.signature.utf8.count + alert.category.utf8.count + protoLength
    }

    /// How many bytes of a packet without addresses fast.log prints (Suricata's decoder-event line).
    public static let rawPacketBytes = 32

    /// Writes one line, with its newline, at `out`, which has room for ``lineBound(header:alert:)`` bytes;
    /// returns the line's length. The line goes straight into the caller's buffer: no intermediate array.
    /// `time` is the caller's ``SecondsText``, updated when the second changes; `nil` works the text out for
    /// this line alone.
    ///
    /// A header without addresses (``EVEHeader/hasAddresses`` false: a decoder event on a packet whose IP layer
    /// did not decode) ends as Suricata's does: `[**] [Raw pkt: 45 00 … ] [pcap file packet: N]`, with the first
    /// ``rawPacketBytes`` bytes of `rawPacket` in upper-case hex.
    public static func write(
        header: EVEHeader, alert: EVEAlert, marker: DropMarker = .none,
        rawPacket: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        at out: UnsafeMutablePointer<UInt8>, time cache: SecondsText?
    ) -> Int {
        // The cursor is a plain local moved by static helpers: nested functions capturing it would box it and
        // check exclusive access on every use.
        var p = out
        let time = header.timestamp
        if let cache, cache.seconds == time.seconds {
            JSONWriter.copySmall(to: p, from: cache.text, count: 19)
            p += 19
        } else {
            p = Self.putDateAndTime(time.seconds, at: p)
            // Years past 9999 make a longer text; only the usual 19 bytes are kept.
            if let cache, p - out == 19 {
                cache.seconds = time.seconds
                JSONWriter.copySmall(to: cache.text, from: out, count: 19)
            }
        }
        p = Self.put(UInt8(ascii: "."), at: p)
        p = Self.putPadded(time.microsecondPart, 6, at: p)
        switch marker {
        case .none: p = Self.put("  [**] [", at: p)
        case .dropped: p = Self.put("  [Drop] [**] [", at: p)
        case .wouldDrop: p = Self.put("  [wDrop] [**] [", at: p)
        }
        p = Self.putDecimal(UInt64(alert.gid), at: p)
        p = Self.put(UInt8(ascii: ":"), at: p)
        p = Self.putDecimal(UInt64(alert.signatureID), at: p)
        p = Self.put(UInt8(ascii: ":"), at: p)
        p = Self.putDecimal(UInt64(alert.rev), at: p)
        p = Self.put("] ", at: p)
        p = Self.put(alert.signature, at: p)
        p = Self.put(" [**] [Classification: ", at: p)
        p = Self.put(alert.category, at: p)
        p = Self.put("] [Priority: ", at: p)
        p = Self.putDecimal(UInt64(alert.severity), at: p)
        guard header.hasAddresses else {
            p = Self.put("] [**] [Raw pkt: ", at: p)
            let digits = ("0123456789ABCDEF" as StaticString).utf8Start
            for byte in rawPacket.prefix(Self.rawPacketBytes) {
                p[0] = digits[Int(byte >> 4)]
                p[1] = digits[Int(byte & 0xf)]
                p[2] = UInt8(ascii: " ")
                p += 3
            }
            if let number = header.pcapCount, number != 0 {
                p = Self.put("] [pcap file packet: ", at: p)
                p = Self.putDecimal(number, at: p)
                p = Self.put("]\n", at: p)
            } else {
                p = Self.put("]\n", at: p)
            }
            return p - out
        }
        p = Self.put("] {", at: p)
        if let literal = Self.protocolLiteral(header.ipProtocol) {
            p = Self.put(literal, at: p)
        } else {
            p = Self.put(IPProtocol.eveName(header.ipProtocol), at: p)
        }
        p = Self.put("} ", at: p)
        let sourcePort = header.sourcePort.map(UInt64.init) ?? UInt64(header.icmpType ?? 0)
        let destinationPort = header.destinationPort.map(UInt64.init) ?? UInt64(header.icmpCode ?? 0)
        p = Self.putAddress(header.sourceIP, at: p)
        p = Self.put(UInt8(ascii: ":"), at: p)
        p = Self.putDecimal(sourcePort, at: p)
        p = Self.put(" -> ", at: p)
        p = Self.putAddress(header.destinationIP, at: p)
        p = Self.put(UInt8(ascii: ":"), at: p)
        p = Self.putDecimal(destinationPort, at: p)
        p = Self.put(UInt8(ascii: "\n"), at: p)
        return p - out
    }

    /// `MM/DD/YYYY-HH:MM:SS` for `seconds`, at `p`.
    private static func putDateAndTime(_ seconds: Int64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let civil = CivilTime(secondsSinceEpoch: seconds)
        var p = Self.putPadded(civil.month, 2, at: p)
        p = Self.put(UInt8(ascii: "/"), at: p)
        p = Self.putPadded(civil.day, 2, at: p)
        p = Self.put(UInt8(ascii: "/"), at: p)
        p = Self.putPadded(civil.year, 4, at: p)
        p = Self.put(UInt8(ascii: "-"), at: p)
        p = Self.putPadded(civil.hour, 2, at: p)
        p = Self.put(UInt8(ascii: ":"), at: p)
        p = Self.putPadded(civil.minute, 2, at: p)
        p = Self.put(UInt8(ascii: ":"), at: p)
        return Self.putPadded(civil.second, 2, at: p)
    }

    /// A dotted quad, or an IPv6 address as Suricata prints it (``IPv6Text``, 39 bytes), at `p`.
    @inline(__always)
    private static func putAddress(_ address: IPAddress, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        if address.isIPv4 { return IPv4Text.write(address.v4Value, at: p, table: IPv4Text.table) }
        return IPv6Text.write(address, at: p)
    }

    /// `{PROTO}`'s name for the common protocols as a literal, the same bytes as ``IPProtocol/eveName(_:)``;
    /// `nil` for the rest.
    private static func protocolLiteral(_ proto: UInt8) -> StaticString? {
        switch proto {
        case IPProtocol.tcp: return "TCP"
        case IPProtocol.udp: return "UDP"
        case IPProtocol.icmp: return "ICMP"
        case IPProtocol.icmpv6: return "IPv6-ICMP"
        default: return nil
        }
    }

    @inline(__always)
    private static func put(_ byte: UInt8, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p[0] = byte
        return p + 1
    }

    @inline(__always)
    private static func put(_ text: StaticString, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        JSONWriter.copySmall(to: p, from: text.utf8Start, count: text.utf8CodeUnitCount)
        return p + text.utf8CodeUnitCount
    }

    @inline(__always)
    private static func put(_ text: String, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Int in
            if let address = bytes.baseAddress { JSONWriter.copySmall(to: p, from: address, count: bytes.count) }
            return bytes.count
        }
        if let copied { return p + copied }
        var q = p
        for byte in text.utf8 {
            q[0] = byte
            q += 1
        }
        return q
    }

    private static let zeros = [UInt8](repeating: 0, count: 1024)

    /// `value` as exactly `width` digits (more when it is wider, as years past 9999), at `p`.
    @inline(__always)
    private static func putPadded(_ value: Int64, _ width: Int, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let magnitude = UInt64(max(0, value))
        // Two digits (every field but the year and the microseconds) by one table lookup.
        if width == 2 && magnitude < 100 {
            let pair = Int(truncatingIfNeeded: magnitude) &* 2
            let pairs = Self.digitPairs.utf8Start
            p[0] = pairs[pair]
            p[1] = pairs[pair + 1]
            return p + 2
        }
        // Wider fields: the zeros that pad them, then the digits as EVE writes numbers.
        let digits = JSONWriter.decimalDigitCount(magnitude)
        var q = p
        for _ in digits..<max(width, digits) {
            q.pointee = UInt8(ascii: "0")
            q += 1
        }
        return JSONWriter.putDigits(magnitude, at: q)
    }

    /// "00" to "99".
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// `value` in decimal at `p`.
    @inline(__always)
    private static func putDecimal(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        JSONWriter.putDigits(value, at: p)
    }

    /// One line as a String (with its newline).
    public static func line(header: EVEHeader, alert: EVEAlert, marker: DropMarker = .none) -> String {
        var out: [UInt8] = []
        Self.append(header: header, alert: alert, marker: marker, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
