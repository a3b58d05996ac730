// SPDX-License-Identifier: MIT
import WeirConfig
import WeirCore
import WeirOutput

/// Writes the engine's counters as Suricata does: every `stats.interval` seconds and once at the end, an EVE
/// `stats` record (only the counters Suricata's schema has, with `totals`, `threads` and `deltas` as the
/// eve-log `stats` type asks) and a `stats.log` block (every counter, Weir's own included). `stats.enabled: no`
/// writes neither.
///
/// Periodic records follow wall-clock time in replay as live, as Suricata's stats thread does (a replay shorter
/// than the interval writes only the final record); `uptime` is wall-clock seconds since the run started. The
/// records' timestamps are the caller's (packet time in replay).
final class StatsReporter {
    /// `stats.enabled`.
    let enabled: Bool
    /// `stats.interval`, seconds.
    let interval: Int64
    /// The eve-log `stats` type, when listed.
    let eve: EVEStatsOptions?
    /// The `stats` output (stats.log), when enabled.
    let log: StatsLogOutput?
    /// The next second (on the caller's clock) a periodic record is due; set by the first ``isDue(at:)``.
    private var nextDue: Int64?
    /// Values in the previous EVE record, for `deltas`: totals, and each thread's.
    private var previousTotals: [String: UInt64] = [:]
    private var previousThreads: [String: [String: UInt64]] = [:]
    /// Seconds on a steady clock: the monotonic clock, or a test's.
    var clock: @Sendable () -> Double = { monotonicSeconds() }
    /// ``clock`` when the run started, for `uptime`.
    private(set) var started: Double = monotonicSeconds()

    init(settings: StatsSettings, eve: EVEStatsOptions?, log: StatsLogOutput?) {
        self.enabled = settings.enabled
        self.interval = Int64(max(1, settings.interval))
        self.eve = eve
        self.log = log?.enabled == true ? log : nil
    }

    /// True when some output wants counters.
    var isWanted: Bool { self.enabled && (self.eve != nil || self.log != nil) }

    /// Uses `clock` from now on, and starts `uptime` from its present reading.
    func use(clock: @escaping @Sendable () -> Double) {
        self.clock = clock
        self.started = clock()
    }

    /// Whole seconds of ``clock`` since the run started.
    var uptime: UInt64 { UInt64(max(0, self.clock() - self.started)) }

    /// Replay: true once ``clock`` reaches the next periodic record's time (see ``isDue(at:)``).
    func isDueNow() -> Bool {
        guard self.isWanted else { return false }
        return self.isDue(at: Int64(self.clock()))
    }

    /// True once `second` reaches the next periodic record's time; the first call starts the clock.
    func isDue(at second: Int64) -> Bool {
        guard self.isWanted else { return false }
        guard let due = self.nextDue else {
            self.nextDue = second + self.interval
            return false
        }
        guard second >= due else { return false }
        // A quiet stretch longer than the interval makes one record, not a burst of them.
        self.nextDue = max(due + self.interval, second + 1)
        return true
    }

    /// Writes one record and one stats.log block. `threads` are the workers' own counters under their
    /// thread names (`W#01-eth0`); `totals` their sum.
    func write(
        time: Timestamp, uptime: UInt64, totals: [EngineCounter], threads: [(name: String, counters: [EngineCounter])],
        outputs: ReplayOutputs
    ) {
        guard self.isWanted else { return }
        if let eve = self.eve {
            var record = EVEStatsRecord(timestamp: time, uptime: uptime, counters: [])
            if eve.totals {
                record.counters = Self.eveCounters(
                    totals, deltas: eve.deltas, nullValues: eve.nullValues, previous: &self.previousTotals)
            }
            if eve.threads {
                for thread in threads {
                    var previous = self.previousThreads[thread.name] ?? [:]
                    let counters = Self.eveCounters(
                        thread.counters, deltas: eve.deltas, nullValues: eve.nullValues, previous: &previous)
                    self.previousThreads[thread.name] = previous
                    record.threads.append(EVEStatsThread(name: thread.name, counters: counters))
                }
            }
            outputs.writeStats(record)
        }
        if let log = self.log {
            outputs.writeStatsLog(
                StatsLogFormatter.block(
                    time: time, uptime: uptime, totals: log.totals ? totals : nil,
                    threads: log.threads ? threads : [], nullValues: log.nullValues))
        }
    }

    /// The counters an EVE record may carry (those in Suricata's schema), with their deltas when asked;
    /// `nullValues` false leaves out those at 0.
    private static func eveCounters(
        _ counters: [EngineCounter], deltas: Bool, nullValues: Bool, previous: inout [String: UInt64]
    ) -> [EVEStatsCounter] {
        var out: [EVEStatsCounter] = []
        out.reserveCapacity(counters.count)
        for counter in counters where counter.schemaKnown {
            var delta: Int64? = nil
            if deltas {
                let before = previous[counter.name] ?? 0
                delta = counter.value >= before ? Int64(clamping: counter.value - before) : -Int64(clamping: before - counter.value)
                previous[counter.name] = counter.value
            }
            guard nullValues || counter.value != 0 else { continue }
            out.append(EVEStatsCounter(counter.name, counter.value, delta: delta))
        }
        return out
    }
}
