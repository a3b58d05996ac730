// SPDX-License-Identifier: MIT
import Foundation
import Glibc
import Testing
import WeirRuntime

/// Issue 15, point 3: a stop during replay is orderly, and a write error stops the run at once.
@Suite struct OrderlyStopTests {
    /// Distinct UDP flows, one packet each, every one alerting.
    func floodFrames(_ count: Int) -> [[UInt8]] { (0..<count).map { udpFrame(sourcePort: UInt16(1024 + $0)) } }

    func options(_ dir: String, inputs: [String]) throws -> (RunOptions, MessageLog) {
        try writeText("alert udp any any -> any 53 (msg:\"flood\"; sid:7;)\n", dir + "/r.rules")
        var options = RunOptions()
        options.readPaths = inputs
        options.exclusiveRuleFiles = [dir + "/r.rules"]
        options.logDirectory = dir + "/log"
        options.checksumChecks = "none"
        options.showProgress = false
        let log = MessageLog()
        options.messages = { log.append($0) }
        return (options, log)
    }

    /// A stop asked for before the first check: the replay finishes the packets up to that check (64), ends
    /// their flows with reason `shutdown`, writes the stats record and says in the summary that it stopped.
    @Test func stopRequestEndsTheRunInOrder() throws {
        let dir = try makeTemporaryDirectory("weir-stop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(pcapFile(frames: floodFrames(200))).write(to: URL(fileURLWithPath: dir + "/a.pcap"))
        try Data(pcapFile(frames: floodFrames(10))).write(to: URL(fileURLWithPath: dir + "/b.pcap"))
        var (options, log) = try self.options(dir, inputs: [dir + "/a.pcap", dir + "/b.pcap"])
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        #expect(write(ends[1], "x", 1) == 1)
        options.stopDescriptor = ends[0]
        #expect(Replay.run(options) == 0)

        let records = try eveRecords(dir + "/log/eve.json")
        let flows = records.filter { $0["event_type"] as? String == "flow" }
        #expect(flows.count == 64)
        // One packet a second: the first flows time out (30 s for new UDP), the rest end at the stop.
        let reasons = flows.map { ($0["flow"] as? [String: Any])?["reason"] as? String ?? "" }
        #expect(reasons.filter { $0 == "shutdown" }.count >= 30)
        #expect(reasons.allSatisfy { $0 == "shutdown" || $0 == "timeout" })
        #expect(records.filter { $0["event_type"] as? String == "alert" }.count == 64)
        #expect(records.last?["event_type"] as? String == "stats")
        let stats = try statsCounters(dir + "/log/eve.json")
        #expect(stats["decoder.pkts"] == 64)
        let fast = try String(contentsOfFile: dir + "/log/fast.log", encoding: .utf8)
        #expect(fast.split(separator: "\n").count == 64)
        #expect(log.text.contains("stopped:  by stop requested after packet 64; 1 input file not read"))
    }

    /// Without a stop the same run reads everything (the test above is not passing by accident).
    @Test func withoutAStopEverythingIsRead() throws {
        let dir = try makeTemporaryDirectory("weir-nostop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(pcapFile(frames: floodFrames(200))).write(to: URL(fileURLWithPath: dir + "/a.pcap"))
        let (options, log) = try self.options(dir, inputs: [dir + "/a.pcap"])
        #expect(Replay.run(options) == 0)
        #expect(try statsCounters(dir + "/log/eve.json")["decoder.pkts"] == 200)
        #expect(!log.text.contains("stopped:"))
    }

    /// ENOSPC on a 64 KiB tmpfs: the run stops within 64 packets of the failure instead of reading the whole
    /// input, exits non-zero naming the error, eve.json holds only whole records, and the summary counts
    /// the records that reached the file.
    @Test func fullDiskStopsTheRunAtOnce() throws {
        let dir = try makeTemporaryDirectory("weir-enospc")
        let mountPoint = dir + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(mount("tmpfs", mountPoint, "tmpfs", 0, "size=64k") == 0, "mount: \(String(cString: strerror(errno)))")
        defer {
            umount2(mountPoint, 2)  // MNT_DETACH
            try? FileManager.default.removeItem(atPath: dir)
        }
        try Data(pcapFile(frames: floodFrames(20_000))).write(to: URL(fileURLWithPath: dir + "/a.pcap"))
        var (options, log) = try self.options(dir, inputs: [dir + "/a.pcap"])
        options.logDirectory = mountPoint + "/log"
        #expect(Replay.run(options) == 2)
        #expect(log.text.contains("No space left on device"))
        let eve = try String(contentsOfFile: mountPoint + "/log/eve.json", encoding: .utf8)
        #expect(eve.isEmpty || eve.hasSuffix("\n"))
        let written = try eveRecords(mountPoint + "/log/eve.json").count
        #expect(written > 0)
        #expect(log.text.contains("(\(written) complete records written before the error)"))
        let stopped = try #require(log.text.split(separator: "\n").first { $0.contains("stopped:  by write error") })
        let packet = Int(stopped.split(separator: " ").last { Int($0.replacingOccurrences(of: ",", with: "")) != nil }!
            .replacingOccurrences(of: ",", with: ""))!
        #expect(packet < 20_000)
    }
}
