// SPDX-License-Identifier: MIT

/// A point in time as microseconds since the Unix epoch, the resolution of pcap records and EVE timestamps.
public struct Timestamp: Hashable, Sendable, Comparable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64

    @inlinable
    public init(microseconds: Int64) { self.microseconds = microseconds }

    @inlinable
    public init(seconds: Int64, microseconds: Int64) { self.microseconds = seconds * 1_000_000 + microseconds }

    /// Whole seconds since the epoch (rounded down).
    @inlinable public var seconds: Int64 {
        self.microseconds >= 0 ? self.microseconds / 1_000_000 : (self.microseconds - 999_999) / 1_000_000
    }

    /// The microsecond part, 0 to 999,999.
    @inlinable public var microsecondPart: Int64 { self.microseconds - self.seconds * 1_000_000 }

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
