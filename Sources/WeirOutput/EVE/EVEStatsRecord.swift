// SPDX-License-Identifier: MIT
import WeirCore

/// An `event_type: stats` record: engine counters nested by their dotted names. Suricata counterpart:
/// `output-json-stats.c`.
///
/// Counters named `decoder.pkts`, `decoder.event.ipv4.hlen_too_small` and `detect.alert` render as
/// `"stats":{"uptime":N,"decoder":{"pkts":…,"event":{"ipv4":{"hlen_too_small":…}}},"detect":{"alert":…}}`.
/// Objects appear in the order their first counter is given. A name that is both a counter and a prefix of
/// other counters (`flow` and `flow.tcp`) keeps the nested object and drops the lone value (Suricata never
/// registers such pairs). Rendering allocates; stats records are written seldom.
public struct EVEStatsRecord: Sendable, Equatable {
    /// When the counters were taken.
    public var timestamp: Timestamp
    /// `uptime`: seconds since the engine started.
    public var uptime: UInt64
    /// The totals: dotted name and value, in registration order (empty with `totals: no`).
    public var counters: [EVEStatsCounter]
    /// `threads`: each worker's own counters, under its thread name (empty unless `threads: yes`).
    public var threads: [EVEStatsThread]
    /// `detect.engines`: the detection engine's last load or reload (empty: the object is left out).
    public var detectEngines: [EVEDetectEngine] = []

    /// A stats record.
    public init(timestamp: Timestamp, uptime: UInt64, counters: [EVEStatsCounter], threads: [EVEStatsThread] = []) {
        self.timestamp = timestamp
        self.uptime = uptime
        self.counters = counters
        self.threads = threads
    }
}

/// One thread's counters in a stats record (`"threads":{"W#01-eth0":{…}}`).
public struct EVEStatsThread: Sendable, Equatable {
    /// The thread's name, as Suricata names its workers (`W#01-eth0`).
    public var name: String
    /// Its counters.
    public var counters: [EVEStatsCounter]

    /// A thread's counters.
    public init(name: String, counters: [EVEStatsCounter]) {
        self.name = name
        self.counters = counters
    }
}

/// One entry of `stats.detect.engines`: when the rules were last loaded and how many.
public struct EVEDetectEngine: Sendable, Equatable {
    public var id: UInt64
    /// `last_reload`, in EVE's timestamp format.
    public var lastReload: Timestamp
    public var rulesLoaded: UInt64
    public var rulesFailed: UInt64
    public var rulesSkipped: UInt64

    public init(id: UInt64, lastReload: Timestamp, rulesLoaded: UInt64, rulesFailed: UInt64, rulesSkipped: UInt64) {
        self.id = id
        self.lastReload = lastReload
        self.rulesLoaded = rulesLoaded
        self.rulesFailed = rulesFailed
        self.rulesSkipped = rulesSkipped
    }
}

/// One counter of a stats record.
public struct EVEStatsCounter: Sendable, Equatable {
    /// Dotted name, such as `decoder.event.ipv4.hlen_too_small`.
    public var name: String
    /// The value.
    public var value: UInt64
    /// The change since the previous stats record (negative when a gauge such as `flow.memuse` fell);
    /// printed as `<name>_delta` when not `nil` (`deltas: yes`).
    public var delta: Int64?

    /// A counter.
    public init(_ name: String, _ value: UInt64, delta: Int64? = nil) {
        self.name = name
        self.value = value
        self.delta = delta
    }
}

extension JSONWriter {
    /// Renders `record` as one complete JSON object (no trailing newline).
    public func writeStatsRecord(_ record: EVEStatsRecord) {
        self.beginObject()
        self.field("timestamp", record.timestamp)
        self.field("event_type", "stats")
        self.beginObject("stats")
        self.field("uptime", record.uptime)
        self.writeCounters(record.counters, engines: record.detectEngines)
        if !record.threads.isEmpty {
            self.beginObject("threads")
            for thread in record.threads {
                self.key(thread.name)
                self.beginObject()
                self.writeCounters(thread.counters, engines: [])
                self.endObject()
            }
            self.endObject()
        }
        self.endObject()
        self.endObject()
    }

    private func writeCounters(_ counters: [EVEStatsCounter], engines: [EVEDetectEngine]) {
        var split = counters.map { counter in
            (parts: counter.name.split(separator: ".", omittingEmptySubsequences: false), counter: counter)
        }
        if !engines.isEmpty && !split.contains(where: { $0.parts.first == "detect" }) {
            // A `detect` object to hang `engines` on.
            split.append((["detect", "alert"], EVEStatsCounter("detect.alert", 0)))
        }
        self.writeCounterLevel(split[...], depth: 0, engines: engines)
    }

    private func writeDetectEngines(_ engines: [EVEDetectEngine]) {
        self.key("engines")
        self.beginArray()
        for engine in engines {
            self.beginObject()
            self.key("id")
            self.unsigned(engine.id)
            self.field("last_reload", engine.lastReload)
            self.key("rules_loaded")
            self.unsigned(engine.rulesLoaded)
            self.key("rules_failed")
            self.unsigned(engine.rulesFailed)
            self.key("rules_skipped")
            self.unsigned(engine.rulesSkipped)
            self.endObject()
        }
        self.endArray()
    }

    private func writeCounterLevel(
        _ entries: ArraySlice<(parts: [Substring], counter: EVEStatsCounter)>,
        depth: Int,
        engines: [EVEDetectEngine] = []
    ) {
        // Group by the name part at this depth, keeping first-seen order.
        var order: [Substring] = []
        var groups: [Substring: [(parts: [Substring], counter: EVEStatsCounter)]] = [:]
        for entry in entries where entry.parts.count > depth {
            let part = entry.parts[depth]
            if groups[part] == nil { order.append(part) }
            groups[part, default: []].append(entry)
        }
        for part in order {
            let members = groups[part] ?? []
            let nested = members.filter { $0.parts.count > depth + 1 }
            if nested.isEmpty {
                guard let leaf = members.last?.counter else { continue }
                self.key(String(part))
                self.unsigned(leaf.value)
                if let delta = leaf.delta {
                    self.key(String(part) + "_delta")
                    self.integer(delta)
                }
            } else {
                self.key(String(part))
                self.beginObject()
                self.writeCounterLevel(nested[...], depth: depth + 1)
                if depth == 0 && part == "detect" && !engines.isEmpty { self.writeDetectEngines(engines) }
                self.endObject()
            }
        }
    }
}
