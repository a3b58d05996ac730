// SPDX-License-Identifier: MIT
import WeirCore

/// Formats one `stats.log` block in the table layout of Suricata's `log-stats.c`: a dashed rule, the date and
/// uptime, the column heads, then one line per counter (`name | thread | value`). Totals are named `Total`
/// in the thread column; per-thread lines use the narrower name column Suricata uses for them.
///
/// Unlike EVE, `stats.log` carries every counter, Weir's own (docs/counters.md) included. Times are UTC, as in
/// Weir's fast.log.
public enum StatsLogFormatter {
    static let rule = String(repeating: "-", count: 99) + "\n"

    /// One block. `totals` `nil` leaves the totals out (`totals: no`); `nullValues` false skips counters at 0
    /// (Suricata's default for this log).
    public static func block(
        time: Timestamp, uptime: UInt64, totals: [EngineCounter]?, threads: [(name: String, counters: [EngineCounter])],
        nullValues: Bool
    ) -> String {
        var out = Self.rule
        let civil = CivilTime(secondsSinceEpoch: time.seconds)
        let days = uptime / 86_400
        let hours = uptime / 3600 % 24
        let minutes = uptime / 60 % 60
        let seconds = uptime % 60
        out += "Date: \(civil.month)/\(civil.day)/\(Self.pad(civil.year, 4)) -- "
        out += "\(Self.pad(civil.hour, 2)):\(Self.pad(civil.minute, 2)):\(Self.pad(civil.second, 2)) "
        out += "(uptime: \(days)d, \(Self.pad(Int64(hours), 2))h \(Self.pad(Int64(minutes), 2))m "
        out += "\(Self.pad(Int64(seconds), 2))s)\n"
        out += Self.rule
        out += Self.left("Counter", 60) + " | " + Self.left("TM Name", 25) + " | Value\n"
        out += Self.rule
        for counter in totals ?? [] where nullValues || counter.value != 0 {
            out += Self.left(counter.name, 60) + " | " + Self.left("Total", 25) + " | \(counter.value)\n"
        }
        for thread in threads {
            for counter in thread.counters where nullValues || counter.value != 0 {
                out += Self.left(counter.name, 45) + " | " + Self.left(thread.name, 25) + " | \(counter.value)\n"
            }
        }
        return out
    }

    private static func left(_ text: String, _ width: Int) -> String {
        let count = text.utf8.count
        return count >= width ? text : text + String(repeating: " ", count: width - count)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
