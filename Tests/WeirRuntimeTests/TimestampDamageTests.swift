// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirRuntime
import WeirTestSupport

@Suite struct TimestampDamageTests {
    /// Issue 15, point 1: a pcapng record at 2^63 µs used to trap in the middle of a directory run, losing the
    /// stats record, the later files and buffered alerts. Now the record is skipped as damage and counted,
    /// and every other packet of every file is inspected.
    @Test func outOfRangeTimestampIsDamageNotACrash() throws {
        let dir = try makeTemporaryDirectory("weir-ts")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inputs = dir + "/in"
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        let base: UInt64 = 1_700_000_000_000_000
        let packets: [(UInt64, [UInt8])] = [
            (base, udpFrame(sourcePort: 1000)), (1 << 63, udpFrame(sourcePort: 1001)),
            (base + 1, udpFrame(sourcePort: 1002)),
        ]
        try Data(pcapngFile(packets: packets)).write(to: URL(fileURLWithPath: inputs + "/a.pcapng"))
        try Data(pcapFile(frames: [udpFrame(sourcePort: 2000)])).write(to: URL(fileURLWithPath: inputs + "/b.pcap"))
        try writeText("alert udp any any -> any 53 (msg:\"udp\"; sid:1;)\n", dir + "/r.rules")

        var options = RunOptions()
        options.readPaths = [inputs]
        options.exclusiveRuleFiles = [dir + "/r.rules"]
        options.logDirectory = dir + "/log"
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        let collected = MessageLog()
        options.messages = { collected.append($0) }
        #expect(Replay.run(options) == 0)
        let records = try eveRecords(dir + "/log/eve.json")
        #expect(records.filter { $0["event_type"] as? String == "alert" }.count == 3)
        let stats = try statsCounters(dir + "/log/eve.json")
        // The pcap.* counters are Weir's own: stats.log has them, EVE does not.
        let all = statsLogTotals(dir + "/log/stats.log")
        #expect(stats["pcap.files"] == nil)
        #expect(all["pcap.files"] == 2)
        #expect(all["pcap.files_damaged"] == 1)
        #expect(stats["decoder.pkts"] == 3)
        #expect(collected.text.contains("a.pcapng: damaged after 1 packets: 1 record skipped (first: record 2"))
    }
}

/// Collects a run's messages across threads.
final class MessageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        self.lock.lock()
        self.lines.append(line)
        self.lock.unlock()
    }

    var text: String {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.lines.joined()
    }
}
