// SPDX-License-Identifier: MIT

/// A point in time as microseconds since the Unix epoch, the resolution of pcap records and EVE timestamps.
public struct Timestamp: Hashable, Sendable, Comparable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64

    @inlinable
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// A time from seconds and microseconds. Never traps: a sum outside `Int64` saturates at its bounds.
    /// Captures check ``exactly(seconds:microseconds:)`` first and treat an unrepresentable time as damage.
    @inlinable
    public init(seconds: Int64, microseconds: Int64) {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        let (sum, overflow2) = scaled.addingReportingOverflow(microseconds)
        if overflow {
            self.microseconds = seconds < 0 ? Int64.min : Int64.max
        } else if overflow2 {
            self.microseconds = microseconds < 0 ? Int64.min : Int64.max
        } else {
            self.microseconds = sum
        }
    }

    /// The time `seconds` + `microseconds` when it lies in ``representable`` (1970 to the end of year 9999,
    /// the times EVE's four-digit year can show), else `nil`.
    @inlinable
    public static func exactly(seconds: Int64, microseconds: Int64) -> Timestamp? {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { return nil }
        let (sum, overflow2) = scaled.addingReportingOverflow(microseconds)
        guard !overflow2, Self.representable.contains(sum) else { return nil }
        return Timestamp(microseconds: sum)
    }

    /// Microseconds from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z.
    public static let representable: ClosedRange<Int64> = 0...253_402_300_799_999_999

    /// Whole seconds since the epoch (rounded down).
    @inlinable public var seconds: Int64 {
        let (q, r) = self.microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        return r < 0 ? q - 1 : q
    }

    /// The microsecond part, 0 to 999,999.
    @inlinable public var microsecondPart: Int64 {
        let r = self.microseconds % 1_000_000
        return r < 0 ? r + 1_000_000 : r
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// Suricata's EVE form, `2024-01-31T12:34:56.123456+0000` (always UTC).
    public var eveString: String {
        var out = ""
        out.reserveCapacity(31)
        self.appendEVE(to: &out)
        return out
    }

    /// Appends the EVE form to `out` without building intermediate strings.
    public func appendEVE(to out: inout String) {
        let civil = CivilTime(secondsSinceEpoch: self.seconds)
        Self.pad(civil.year, 4, &out)
        out += "-"
        Self.pad(civil.month, 2, &out)
        out += "-"
        Self.pad(civil.day, 2, &out)
        out += "T"
        Self.pad(civil.hour, 2, &out)
        out += ":"
        Self.pad(civil.minute, 2, &out)
        out += ":"
        Self.pad(civil.second, 2, &out)
        out += "."
        Self.pad(self.microsecondPart, 6, &out)
        out += "+0000"
    }

    private static func pad(_ value: Int64, _ width: Int, _ out: inout String) {
        let digits = String(value)
        if digits.count < width { out += String(repeating: "0", count: width - digits.count) }
        out += digits
    }
}

/// Calendar fields of a UTC time, computed with Howard Hinnant's days-from-civil inverse (no Foundation).
public struct CivilTime: Sendable, Equatable {
    public var year: Int64
    public var month: Int64
    public var day: Int64
    public var hour: Int64
    public var minute: Int64
    public var second: Int64

    public init(secondsSinceEpoch: Int64) {
        var days = secondsSinceEpoch / 86_400
        var rem = secondsSinceEpoch % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        self.hour = rem / 3600
        self.minute = rem % 3600 / 60
        self.second = rem % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        self.day = doy - (153 * mp + 2) / 5 + 1
        self.month = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (self.month <= 2 ? 1 : 0)
    }
}

extension Int64 {
    /// `seconds` in microseconds, saturating at `Int64`'s bounds: rule and configuration values (an
    /// `expire`, a threshold window, a flow timeout) are input, and must not trap when multiplied.
    @inlinable
    public static func microseconds(fromSeconds seconds: Int64) -> Int64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : product
    }

    /// `self + other`, saturating at `Int64`'s bounds instead of trapping.
    @inlinable
    public func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = self.addingReportingOverflow(other)
        return overflow ? (other < 0 ? .min : .max) : sum
    }

    /// `self - other`, saturating at `Int64`'s bounds instead of trapping.
    @inlinable
    public func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = self.subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }
}
