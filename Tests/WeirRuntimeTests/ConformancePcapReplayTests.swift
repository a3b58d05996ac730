// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport
import WeirRuntime

/// The shared data folder: `WEIR_SHARED`, else `../shared` beside the repository (as on CI).
let sharedDirectory: String = ProcessInfo.processInfo.environment["WEIR_SHARED"] ?? repositoryRoot + "/../shared"

@Suite(.needsSharedCorpus) struct ConformancePcapReplayTests {
    /// Every capture of the conformance corpus replays with exit status 0 and yields flow and stats records.
    @Test func everyConformancePcapReplays() throws {
        let root = sharedDirectory + "/conformance/suricata-verify"
        let cases = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
        var pcaps: [String] = []
        for name in cases {
            let dir = root + "/" + name
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            pcaps += files.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map { dir + "/" + $0 }
        }
        try #require(pcaps.count >= 165, "the conformance corpus is missing under \(root)")
        let logs = try makeTemporaryDirectory("weir-conformance-pcaps")
        defer { try? FileManager.default.removeItem(atPath: logs) }
        for (index, pcap) in pcaps.enumerated() {
            var options = RunOptions()
            options.readPaths = [pcap]
            options.logDirectory = logs + "/\(index)"
            options.showProgress = false
            options.quiet = true
            #expect(Replay.run(options) == 0, "\(pcap)")
            let text = try String(contentsOfFile: logs + "/\(index)/eve.json", encoding: .utf8)
            #expect(text.contains("\"event_type\":\"flow\""), "no flow record for \(pcap)")
            #expect(text.contains("\"event_type\":\"stats\""), "no stats record for \(pcap)")
        }
    }
}
