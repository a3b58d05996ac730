// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirCore
import WeirTestSupport

@testable import WeirOutput

@Suite struct StatsCountersTests {
    @Test func countersAreClassifiedAgainstSuricatasSchema() {
        let counters = EngineCounters.make([
            ("decoder.pkts", 10), ("stream.pkt_retransmission", 1), ("decoder.too_many_layers", 0),
            ("pcap.files", 2), ("decoder.etag", 1), ("flow.peak_active", 3), ("tcp.no_session", 4),
            ("decoder.event.stream.pkt_retransmission", 1), ("decoder.pkts", 11),
        ])
        // A name given twice keeps its first place and its last value.
        #expect(counters.map(\.name).first == "decoder.pkts" && counters.first?.value == 11)
        #expect(counters.filter(\.schemaKnown).map(\.name) == ["decoder.pkts", "stream.pkt_retransmission", "decoder.too_many_layers"])
        #expect(
            counters.filter { !$0.schemaKnown }.map(\.name)
                == ["pcap.files", "decoder.etag", "flow.peak_active", "tcp.no_session", "decoder.event.stream.pkt_retransmission"])
        let flat = EngineCounters.flat(counters)
        #expect(flat.count == counters.count && flat[3].name == "pcap.files" && flat[3].value == 2 && !flat[3].schemaKnown)
    }

    @Test func workersSumExceptTheSizeGauges() {
        let a = EngineCounters.make([
            ("decoder.pkts", 2), ("decoder.bytes", 200), ("decoder.avg_pkt_size", 100), ("decoder.max_pkt_size", 150),
        ])
        let b = EngineCounters.make([
            ("decoder.pkts", 6), ("decoder.bytes", 400), ("decoder.avg_pkt_size", 66), ("decoder.max_pkt_size", 90),
            ("capture.kernel_drops", 5),
        ])
        let sum = Dictionary(uniqueKeysWithValues: EngineCounters.sum([a, b]).map { ($0.name, $0.value) })
        #expect(sum == ["decoder.pkts": 8, "decoder.bytes": 600, "decoder.avg_pkt_size": 75, "decoder.max_pkt_size": 150, "capture.kernel_drops": 5])
        #expect(EngineCounters.sum([a]) == a)
    }

    @Test func threadsAndNegativeDeltasRenderAsSuricataWritesThem() {
        let record = EVEStatsRecord(
            timestamp: Timestamp(microseconds: 1_700_000_000_000_000), uptime: 8,
            counters: [EVEStatsCounter("decoder.pkts", 3, delta: 3), EVEStatsCounter("flow.memuse", 10, delta: -20)],
            threads: [
                EVEStatsThread(name: "W#01-eth0", counters: [EVEStatsCounter("decoder.pkts", 1)]),
                EVEStatsThread(name: "W#02-eth0", counters: [EVEStatsCounter("decoder.pkts", 2)]),
            ])
        let w = JSONWriter()
        w.writeStatsRecord(record)
        #expect(
            w.text
                == #"{"timestamp":"2023-11-14T22:13:20.000000+0000","event_type":"stats","stats":{"uptime":8,"#
                + #""decoder":{"pkts":3,"pkts_delta":3},"flow":{"memuse":10,"memuse_delta":-20},"#
                + #""threads":{"W#01-eth0":{"decoder":{"pkts":1}},"W#02-eth0":{"decoder":{"pkts":2}}}}}"#)
    }

    @Test func statsLogBlockHasSuricatasTableLayout() {
        let totals = EngineCounters.make([("decoder.pkts", 42), ("pcap.files", 1), ("flow.tcp", 0)])
        let text = StatsLogFormatter.block(
            time: Timestamp(microseconds: 1_700_000_000_000_000), uptime: 90_061, totals: totals,
            threads: [(name: "W#01", counters: totals)], nullValues: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == Substring(String(repeating: "-", count: 99)))
        #expect(lines[1] == "Date: 11/14/2023 -- 22:13:20 (uptime: 1d, 01h 01m 01s)")
        #expect(lines[3] == "Counter" + String(repeating: " ", count: 53) + " | TM Name                   | Value")
        #expect(lines[5] == "decoder.pkts" + String(repeating: " ", count: 48) + " | Total                     | 42")
        #expect(lines[6].hasPrefix("pcap.files ") && lines[6].hasSuffix("| Total                     | 1"))
        // Zero counters are left out unless null-values is on; thread lines use the 45-wide name column.
        #expect(!text.contains("flow.tcp"))
        #expect(lines[7] == "decoder.pkts" + String(repeating: " ", count: 33) + " | W#01                      | 42")
        let withZeros = StatsLogFormatter.block(
            time: Timestamp(microseconds: 0), uptime: 0, totals: totals, threads: [], nullValues: true)
        #expect(withZeros.contains("flow.tcp ") && !withZeros.contains("W#01"))
        // The test support reader gets the totals back.
        let path = NSTemporaryDirectory() + "weir-statslog-\(getpid()).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try? (text + text.replacingOccurrences(of: "| 42", with: "| 43")).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(statsLogTotals(path) == ["decoder.pkts": 43, "pcap.files": 1])
    }

    /// The checked-in table is what scripts/gen-stats-schema.py makes of the shared schema today.
    @Test(.needsSharedCorpus) func schemaPathTableMatchesTheSchema() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root + "/scripts/gen-stats-schema.py", SharedCorpus.path("eve/schema.json")]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let generated = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let checkedIn = try String(contentsOfFile: root + "/Sources/WeirOutput/EVE/StatsSchemaPaths.swift", encoding: .utf8)
        #expect(
            generated == checkedIn,
            "Sources/WeirOutput/EVE/StatsSchemaPaths.swift is stale: run scripts/gen-stats-schema.py > it")
        #expect(StatsSchemaPaths.all.count > 900 && StatsSchemaPaths.all.contains("stream.pkt_retransmission"))
    }
}
