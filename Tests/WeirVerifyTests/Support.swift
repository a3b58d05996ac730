// SPDX-License-Identifier: MIT
import Foundation

@testable import WeirVerify

/// Paths of the repository this test file lives in.
enum Repo {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static var pcaps: String { root + "/pcaps" }
    static var verifyCases: String { root + "/Tests/Verify" }
}

/// A scratch folder removed when the value goes away.
final class ScratchDirectory {
    let path: String

    init() {
        self.path = makeTemporaryDirectory(prefix: "weir-verify-test")
    }

    deinit { try? FileManager.default.removeItem(atPath: self.path) }

    /// Writes `text` to `name` below the folder (creating subfolders) and returns the full path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let full = self.path + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

/// One case folder: `rules` as test.rules, `yaml` as test.yaml, the pcap referenced by absolute path.
@discardableResult
func makeCase(in scratch: ScratchDirectory, name: String, pcap: String, rules: String, yaml: String) -> String {
    scratch.write("\(name)/test.rules", rules)
    scratch.write("\(name)/test.yaml", "pcap: \(Repo.pcaps)/\(pcap)\n" + yaml)
    return scratch.path + "/" + name
}

/// Loads and runs the cases below `roots` with two jobs.
func runCases(_ roots: [String], upstream: Bool = false, update: Bool = false) -> [CaseResult] {
    var loader = CaseLoader()
    loader.upstream = upstream
    var settings = RunnerSettings()
    settings.jobs = 2
    settings.update = update
    let suite = VerifySuite(loader: loader, settings: settings)
    return suite.run(suite.cases(in: roots)).results
}

/// The ICMP rules used by several tests: 4 echo requests in sample.pcap alert on sid 1, none on sid 2.
let icmpRules = """
    alert icmp any any -> any any (msg:"echo request"; itype:8; sid:1; rev:1;)
    alert icmp any any -> any any (msg:"redirect"; itype:5; sid:2; rev:1;)

    """
