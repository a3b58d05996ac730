// SPDX-License-Identifier: MIT

/// One engine counter as every consumer sees it: its dotted name, its value, and whether Suricata's EVE
/// schema has it (``StatsSchemaPaths``). Counters the schema has go in EVE `stats` records; the others are
/// Weir's own (docs/counters.md) and appear only in `stats.log` and in ``EngineCounters`` listings
/// (`dump-counters`, metrics), never as keys in Suricata's objects.
public struct EngineCounter: Sendable, Equatable {
    /// Dotted name, such as `decoder.pkts` or `pcap.files_damaged`.
    public var name: String
    /// The value.
    public var value: UInt64
    /// True when Suricata's EVE schema has this counter (``StatsSchemaPaths/all``), false for Weir's own.
    public var schemaKnown: Bool

    /// A counter, classified against the schema.
    public init(_ name: String, _ value: UInt64) {
        self.name = name
        self.value = value
        self.schemaKnown = StatsSchemaPaths.all.contains(name)
    }
}

/// Operations on counter lists: one list per worker, summed into the totals.
public enum EngineCounters {
    /// Classifies `(name, value)` pairs; a name given twice keeps its last value, at its first position.
    public static func make(_ pairs: [(String, UInt64)]) -> [EngineCounter] {
        var out: [EngineCounter] = []
        out.reserveCapacity(pairs.count)
        var position: [String: Int] = [:]
        for (name, value) in pairs {
            if let at = position[name] {
                out[at].value = value
            } else {
                position[name] = out.count
                out.append(EngineCounter(name, value))
            }
        }
        return out
    }

    /// The totals of several workers' counters, in first-seen order: sums, except the gauges Suricata does
    /// not add up (`decoder.max_pkt_size` is the largest, `decoder.avg_pkt_size` is recomputed from the
    /// summed bytes and packets).
    public static func sum(_ lists: [[EngineCounter]]) -> [EngineCounter] {
        guard lists.count != 1 else { return lists.first ?? [] }
        var out: [EngineCounter] = []
        var position: [String: Int] = [:]
        for list in lists {
            for counter in list {
                if let at = position[counter.name] {
                    if counter.name == "decoder.max_pkt_size" {
                        out[at].value = max(out[at].value, counter.value)
                    } else {
                        out[at].value &+= counter.value
                    }
                } else {
                    position[counter.name] = out.count
                    out.append(counter)
                }
            }
        }
        if let average = position["decoder.avg_pkt_size"], let bytes = position["decoder.bytes"],
            let packets = position["decoder.pkts"]
        {
            out[average].value = out[packets].value == 0 ? 0 : out[bytes].value / out[packets].value
        }
        return out
    }

    /// `(name, value, schemaKnown)` triples of a counter list, the flat form the control socket and the
    /// metrics endpoint serve.
    public static func flat(_ counters: [EngineCounter]) -> [(name: String, value: UInt64, schemaKnown: Bool)] {
        counters.map { ($0.name, $0.value, $0.schemaKnown) }
    }
}
