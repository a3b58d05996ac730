// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirRuntime
import WeirTestSupport

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func makeTemporaryDirectory(_ prefix: String) throws -> String {
    let path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Reads eve.json and returns the last stats record's counters flattened to dotted names.
func statsCounters(_ eve: String) throws -> [String: UInt64] {
    let text = try String(contentsOfFile: eve, encoding: .utf8)
    var last: [String: Any]? = nil
    for line in text.split(separator: "\n") {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        if object?["event_type"] as? String == "stats" { last = object?["stats"] as? [String: Any] }
    }
    var out: [String: UInt64] = [:]
    func walk(_ prefix: String, _ value: Any) {
        if let dict = value as? [String: Any] {
            for (k, v) in dict { walk(prefix.isEmpty ? k : prefix + "." + k, v) }
        } else if let n = value as? NSNumber {
            out[prefix] = n.uint64Value
        }
    }
    walk("", try #require(last))
    return out
}

@Suite struct DamagedCorpusTests {
    /// Random truncations, bit flips and impossible lengths of the bundled captures: the replay never crashes,
    /// reads every readable record, and its stats count the damaged files.
    @Test func damagedCorpusReplaysAndIsCounted() throws {
        let corpus = try makeTemporaryDirectory("weir-damaged")
        let logs = try makeTemporaryDirectory("weir-damaged-logs")
        defer {
            try? FileManager.default.removeItem(atPath: corpus)
            try? FileManager.default.removeItem(atPath: logs)
        }
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        script.arguments = [repositoryRoot + "/scripts/damage_pcaps.py", corpus, "--seed", "11"]
        script.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        script.standardOutput = FileHandle.nullDevice
        try script.run()
        script.waitUntilExit()
        try #require(script.terminationStatus == 0)
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: corpus + "/manifest.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
        let totals = try #require(manifest["totals"] as? [String: Any])
        let readable = try #require((totals["records_readable"] as? NSNumber)?.uint64Value)
        let failing = try #require((totals["files_ending_in_read_error"] as? NSNumber)?.uint64Value)
        let files = try #require((totals["files"] as? NSNumber)?.uint64Value)
        try #require(readable >= 10_000)

        var options = RunOptions()
        options.readPaths = [corpus]
        options.logDirectory = logs
        options.showProgress = false
        options.quiet = true
        // The manifest itself is not a capture: it is skipped and reported, which the count below allows for.
        let status = Replay.run(options)
        #expect(status == 0)
        let stats = try statsCounters(logs + "/eve.json")
        #expect(stats["decoder.pkts"] == readable)
        let all = statsLogTotals(logs + "/stats.log")
        #expect(all["pcap.files_damaged"] ?? 0 == failing)
        #expect(all["pcap.files"] == files)
        #expect(all["pcap.files_unreadable"] == 1)
    }
}
