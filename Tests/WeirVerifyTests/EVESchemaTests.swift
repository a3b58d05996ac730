// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirVerify

/// Every record Weir writes for the conformance corpus, of every type (stats included), validates against
/// Suricata's EVE schema (`../shared/eve/validate.py`).
@Suite struct EVESchemaTests {
    @Test(.needsSharedCorpus) func everyConformanceRecordValidates() throws {
        let root = SharedCorpus.conformanceCases
        let dirs = try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/expected.json") }
            .sorted().map { root + "/" + $0 }
        #expect(dirs.count >= 150)
        let keep = NSTemporaryDirectory() + "weir-eve-schema-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: keep) }
        var loader = CaseLoader()
        loader.upstream = true
        var settings = RunnerSettings()
        settings.jobs = 2
        settings.keepOutput = keep
        let suite = VerifySuite(loader: loader, settings: settings)
        _ = suite.run(suite.cases(in: dirs))
        let files = try FileManager.default.contentsOfDirectory(atPath: keep).map { keep + "/" + $0 + "/eve.json" }
            .filter { FileManager.default.fileExists(atPath: $0) }
        #expect(files.count >= dirs.count - 10)
        let (status, output) = validateEVE(files)
        #expect(status == 0, "\(output)")
        // The record types that matter here were there to be checked.
        for type in ["alert ", "flow ", "stats "] { #expect(output.contains(type), "no \(type)records:\n\(output)") }
    }
}
