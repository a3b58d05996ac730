// SPDX-License-Identifier: MIT
import Testing
import WeirTestSupport
import WeirDetect

/// Locates the shared rulesets: `$WEIR_SHARED`, else `<repo root>/../shared` (the repo root is found from this
/// file's path).
enum SharedData {
    static var root: String {
        if let env = RuleFileReader.environment("WEIR_SHARED") { return env }
        let file = #filePath
        var parts = file.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/WeirDetectTests/<file>
        return parts.joined(separator: "/") + "/../shared"
    }

    static func rules(in directory: String) -> [String] {
        let path = root + "/rulesets/" + directory
        return RuleFileReader.listDirectory(path).filter { $0.hasSuffix(".rules") }.sorted().map { path + "/" + $0 }
    }

    static var etOpen: [String] { rules(in: "et-open") + rules(in: "et-open/supplement-2024-04-21") }
}

@Suite(.needsSharedCorpus) struct RuleRoundTripTests {
    /// Every ET Open rule: parse → print → parse gives an equal model.
    ///
    /// Fails (not skips) without the data.
    @Test func everyETOpenRuleRoundTrips() throws {
        let files = SharedData.etOpen
        #expect(files.count >= 50, "ET Open rule files not found under \(SharedData.root)")
        let parser = RuleParser()
        var checked = 0
        var failures: [String] = []
        for file in files {
            let bytes = try #require(RuleFileReader.readFile(file))
            for logical in LogicalRuleLine.split(bytes) {
                guard let rule = try? parser.parse(logical.text) else {
                    failures.append("\(file):\(logical.line): does not parse")
                    continue
                }
                let printed = RulePrinter.canonicalText(rule)
                do {
                    let again = try parser.parse(printed)
                    if again != rule {
                        failures.append("\(file):\(logical.line): model differs after print: \(printed)")
                    }
                } catch {
                    failures.append("\(file):\(logical.line): printed form rejected: \(error) :: \(printed)")
                }
                checked += 1
            }
        }
        #expect(checked > 25_000)
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// Every rule of suricata-verify and tgreen-hunting that parses also round-trips (Suricata 8 forms included).
    @Test(arguments: ["suricata-verify", "tgreen-hunting"])
    func otherRulesetsRoundTrip(_ directory: String) throws {
        let files = SharedData.rules(in: directory)
        #expect(!files.isEmpty)
        let parser = RuleParser()
        var checked = 0
        var failures: [String] = []
        for file in files {
            let bytes = try #require(RuleFileReader.readFile(file))
            for logical in LogicalRuleLine.split(bytes) {
                guard let rule = try? parser.parse(logical.text) else { continue }
                let printed = RulePrinter.canonicalText(rule)
                if (try? parser.parse(printed)) != rule { failures.append("\(file):\(logical.line): \(printed)") }
                checked += 1
            }
        }
        #expect(checked > 600)
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
    }

    /// ET Open, its supplement and Suricata's bundled rules load with zero syntax errors.
    @Test func sharedRulesetsHaveNoErrors() {
        let files = SharedData.etOpen + SharedData.rules(in: "suricata-bundled")
        let set = RuleFileLoader().load(paths: files)
        #expect(set.unreadableFiles.isEmpty)
        #expect(set.errors.isEmpty, "\(set.errors.prefix(3))")
        // MANIFEST.tsv enabled counts: 14,966 + 10,868 + 443.
        #expect(set.rulesSeen == 26_277)
        #expect(set.rules.count + set.unsupported.count + set.duplicates.count == set.rulesSeen)
        #expect(set.duplicates.count == 31)
    }
}
