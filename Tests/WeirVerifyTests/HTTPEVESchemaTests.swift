// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirVerify

/// The EVE records of every conformance case in the `http` and `http-evader` categories validate against
/// Suricata's schema (`../shared/eve/validate.py`).
@Suite struct HTTPEVESchemaTests {
    /// The case folders whose categories include http or http-evader (from the corpus's index.json).
    static func httpCases() throws -> [String] {
        let index = SharedCorpus.conformanceCases + "/index.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: index))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return cases.compactMap { entry in
            guard let dir = entry["dir"] as? String, let categories = entry["category"] as? [String],
                categories.contains(where: { $0 == "http" || $0 == "http-evader" })
            else { return nil }
            return SharedCorpus.conformanceCases + "/" + dir
        }
    }

    @Test(.needsSharedCorpus) func httpCaseRecordsValidate() throws {
        let dirs = try Self.httpCases()
        #expect(dirs.count >= 80)
        let keep = NSTemporaryDirectory() + "weir-http-eve-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: keep) }
        var loader = CaseLoader()
        loader.upstream = true
        var settings = RunnerSettings()
        settings.jobs = 2
        settings.keepOutput = keep
        let suite = VerifySuite(loader: loader, settings: settings)
        let results = suite.run(suite.cases(in: dirs)).results
        #expect(results.count == dirs.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: keep).map { keep + "/" + $0 + "/eve.json" }
            .filter { FileManager.default.fileExists(atPath: $0) }
        #expect(files.count == dirs.count)

        // The records this stage writes or shapes; the stats record's counter set is checked elsewhere.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["python3", SharedCorpus.path("eve/validate.py"), "--types", "alert,http,fileinfo,flow,drop,anomaly"]
            + files
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("http "), "no http records were validated:\n\(output)")
    }
}
