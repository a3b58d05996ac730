// SPDX-License-Identifier: MIT
import CoreMetrics
import Prometheus
import Synchronization
import WeirOutput

/// The Prometheus side of the metrics endpoint: the stats record's counters as swift-metrics instruments on a
/// registry of Weir's own (no process-wide bootstrap), rendered by swift-prometheus in its text format.
///
/// Names are the stats record's dotted names under `weir_`, dots and dashes as underscores
/// (`capture.kernel_drops` → `weir_capture_kernel_drops`). Counters that only grow are Prometheus counters;
/// levels (`*.memuse`, `*.active`, `*_active`, `uptime`) are gauges.
final class MetricsExporter: @unchecked Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private struct Instruments {
        var counters: [String: (counter: CoreMetrics.Counter, value: UInt64)] = [:]
        var gauges: [String: CoreMetrics.Gauge] = [:]
    }
    private let instruments = Mutex(Instruments())

    init() {
        self.factory = PrometheusMetricsFactory(registry: self.registry)
    }

    /// The exposition text for `record`.
    func render(_ record: EVEStatsRecord, rulesLoaded: UInt64) -> [UInt8] {
        self.instruments.withLock { state in
            func gauge(_ name: String, _ value: Double) {
                let instrument =
                    state.gauges[name] ?? CoreMetrics.Gauge(label: name, dimensions: [], factory: self.factory)
                state.gauges[name] = instrument
                instrument.record(value)
            }
            gauge("weir_uptime_seconds", Double(record.uptime))
            gauge("weir_detect_rules_loaded", Double(rulesLoaded))
            for counter in record.counters {
                let name = Self.metricName(counter.name)
                if Self.isLevel(counter.name) {
                    gauge(name, Double(counter.value))
                    continue
                }
                if let known = state.counters[name] {
                    // Monotonic: the increase since the last scrape (a counter never goes back).
                    if counter.value > known.value { known.counter.increment(by: Int64(counter.value - known.value)) }
                    state.counters[name] = (known.counter, max(known.value, counter.value))
                } else {
                    let instrument = CoreMetrics.Counter(label: name, dimensions: [], factory: self.factory)
                    if counter.value > 0 { instrument.increment(by: Int64(clamping: counter.value)) }
                    state.counters[name] = (instrument, counter.value)
                }
            }
        }
        return self.registry.emitToBuffer()
    }

    static func metricName(_ dotted: String) -> String {
        var out = "weir_"
        for scalar in dotted.unicodeScalars {
            let ok =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out
    }

    static func isLevel(_ dotted: String) -> Bool {
        dotted.hasSuffix("memuse") || dotted.hasSuffix(".active") || dotted.hasSuffix("_active")
            || dotted.hasSuffix("memcap")
    }
}
