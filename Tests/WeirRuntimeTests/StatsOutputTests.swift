// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirOutput
import WeirTestSupport

@testable import WeirRuntime

/// Periodic stats on the wall clock, stats.log, and the split between Suricata's counters (EVE) and Weir's own.
@Suite struct StatsOutputTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A steady clock that moves one second each time it is read, so the replay's periodic checks (every 64
    /// packets) see time pass however fast the machine is.
    final class SteppingClock: @unchecked Sendable {
        private let lock = NSLock()
        private var reads = 0.0
        /// How often the replay read the clock.
        var count: Double { self.lock.withLock { self.reads } }
        func read() -> Double {
            self.lock.withLock {
                defer { self.reads += 1 }
                return self.reads
            }
        }
    }

    /// Replays sample.pcap (214 packets over 2.6 seconds) with `config` and returns the log folder.
    func replay(config: String, _ tag: String, clock: SteppingClock? = nil) throws -> String {
        let dir = try makeTemporaryDirectory("weir-stats-\(tag)")
        try writeText(config, dir + "/weir.yaml")
        try writeText("alert tcp any any -> any any (msg:\"syn\"; flags:S; sid:1;)\n", dir + "/r.rules")
        var options = RunOptions()
        options.readPaths = [Self.repositoryRoot + "/pcaps/sample.pcap"]
        options.configPath = dir + "/weir.yaml"
        options.exclusiveRuleFiles = [dir + "/r.rules"]
        options.logDirectory = dir + "/log"
        options.checksumChecks = "none"
        if let clock { options.statsClock = { clock.read() } }
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        return dir
    }

    static let periodic = """
        %YAML 1.1
        ---
        stats:
          enabled: yes
          interval: 1
        outputs:
          - eve-log:
              enabled: yes
              filename: eve.json
              types:
                - alert
                - stats:
                    totals: yes
                    threads: yes
                    deltas: yes
          - stats:
              enabled: yes
              filename: stats.log
              null-values: yes
              threads: yes

        """

    @Test func replayWritesPeriodicRecordsOnTheWallClock() throws {
        let clock = SteppingClock()
        let dir = try self.replay(config: Self.periodic, "periodic", clock: clock)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stats = try eveRecords(dir + "/log/eve.json").filter { $0["event_type"] as? String == "stats" }
        // The clock is read at the start, after packets 64, 128 and 192 (the first of those starts the 1-second
        // interval, the next two are a second on each) and for each record's uptime: two periodic records, then
        // the final one, whose uptime is the clock's last reading less the start.
        #expect(stats.count == 3, "\(stats.count) stats records")
        #expect((stats.last?["stats"] as? [String: Any])?["uptime"] as? NSNumber == NSNumber(value: clock.count - 1))
        let last = try #require(stats.last?["stats"] as? [String: Any])
        let decoder = try #require(last["decoder"] as? [String: Any])
        #expect((decoder["pkts"] as? NSNumber)?.intValue == 214)
        let first = try #require((stats.first?["stats"] as? [String: Any])?["decoder"] as? [String: Any])
        let before = try #require((first["pkts"] as? NSNumber)?.intValue)
        #expect(before > 0 && before < 214)
        // Deltas add up to the total; the one thread has the same counters.
        let deltas = stats.compactMap { (($0["stats"] as? [String: Any])?["decoder"] as? [String: Any])?["pkts_delta"] as? NSNumber }
        #expect(deltas.map(\.intValue).reduce(0, +) == 214)
        let thread = try #require((last["threads"] as? [String: Any])?["W#01"] as? [String: Any])
        #expect(((thread["decoder"] as? [String: Any])?["pkts"] as? NSNumber)?.intValue == 214)
        // Weir's own counters are not in EVE; stats.log has them, three blocks of them.
        #expect(last["pcap"] == nil && (last["flow"] as? [String: Any])?["peak_active"] == nil)
        let log = try String(contentsOfFile: dir + "/log/stats.log", encoding: .utf8)
        #expect(log.components(separatedBy: "Date: ").count - 1 == 3)
        let totals = statsLogTotals(dir + "/log/stats.log")
        #expect(totals["pcap.files"] == 1 && totals["decoder.pkts"] == 214 && totals["flow.peak_active"] != nil)
        #expect(log.contains("| W#01 "))
    }

    @Test func nullValuesNoLeavesZeroCountersOutOfEVE() throws {
        let config = Self.periodic.replacingOccurrences(of: "deltas: yes\n", with: "deltas: yes\n            null-values: no\n")
        #expect(config != Self.periodic)
        let dir = try self.replay(config: config, "nulls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let last = try #require(try eveRecords(dir + "/log/eve.json").last { $0["event_type"] as? String == "stats" })
        let stats = try #require(last["stats"] as? [String: Any])
        let decoder = try #require(stats["decoder"] as? [String: Any])
        #expect((decoder["pkts"] as? NSNumber)?.intValue == 214)
        #expect(decoder["sll"] == nil && decoder["vxlan"] == nil)
    }

    @Test func statsDisabledWritesNoCounters() throws {
        let config = Self.periodic.replacingOccurrences(of: "  enabled: yes\n  interval: 1", with: "  enabled: no\n  interval: 1")
        #expect(config != Self.periodic)
        let dir = try self.replay(config: config, "off")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = try eveRecords(dir + "/log/eve.json")
        #expect(!records.isEmpty && !records.contains { $0["event_type"] as? String == "stats" })
        #expect(!FileManager.default.fileExists(atPath: dir + "/log/stats.log"))
    }

    /// Every counter that is not Suricata's is in docs/counters.md, and every EVE stats key is in the schema table.
    @Test func weirOnlyCountersAreDocumented() throws {
        let dir = try self.replay(config: Self.periodic, "documented")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let all = statsLogTotals(dir + "/log/stats.log")
        #expect(all.count > 250)
        let doc = try String(contentsOfFile: Self.repositoryRoot + "/docs/counters.md", encoding: .utf8)
        // Documented names are the backquoted words of the table; `<x>` parts match any one name part.
        let documented = doc.split(separator: "`").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        func isDocumented(_ name: String) -> Bool {
            let parts = name.split(separator: ".")
            return documented.contains { entry in
                let pattern = entry.split(separator: ".")
                guard pattern.count == parts.count else { return false }
                return zip(pattern, parts).allSatisfy { p, n in
                    if p.hasPrefix("<") { return true }
                    if let open = p.firstIndex(of: "<") { return n.hasPrefix(p[..<open]) }
                    return p == n
                }
            }
        }
        let weirOnly = all.keys.filter { !StatsSchemaPaths.all.contains($0) }.sorted()
        #expect(weirOnly.contains("pcap.files") && weirOnly.contains("detect.prefilter_candidates"))
        for name in weirOnly { #expect(isDocumented(name), "\(name) is Weir-only and not in docs/counters.md") }
        var eveNames: [String] = []
        func walk(_ prefix: String, _ value: Any) {
            if let dict = value as? [String: Any] {
                for (k, v) in dict where k != "threads" { walk(prefix.isEmpty ? k : prefix + "." + k, v) }
            } else if prefix == "detect.engines" {
                // The engine list (an array of objects the schema describes), not a counter.
                #expect((value as? [[String: Any]])?.first?["rules_loaded"] != nil)
            } else if !prefix.hasSuffix("_delta") && prefix != "uptime" {
                eveNames.append(prefix)
            }
        }
        for record in try eveRecords(dir + "/log/eve.json") where record["event_type"] as? String == "stats" {
            walk("", record["stats"] ?? [:])
        }
        #expect(!eveNames.isEmpty)
        for name in eveNames { #expect(StatsSchemaPaths.all.contains(name), "\(name) in EVE is not in the schema") }
    }
}
