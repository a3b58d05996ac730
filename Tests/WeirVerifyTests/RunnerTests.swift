// SPDX-License-Identifier: MIT
import Foundation
import Testing

@testable import WeirVerify

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct RunnerTests {
    @Test func rightExpectationsPass() throws {
        let scratch = ScratchDirectory()
        makeCase(
            in: scratch, name: "ok", pcap: "sample.pcap", rules: icmpRules,
            yaml: """
                args: [-k none]
                checks:
                  - filter:
                      count: 4
                      match: {event_type: alert, alert.signature_id: 1, icmp_type: 8}
                  - stats:
                      detect.alert: 4
                expect:
                  - {sid: 1, count: 4}
                  - {sid: 2, count: 0}
                """)
        let results = runCases([scratch.path])
        let r = try #require(results.first)
        #expect(r.status == .pass, "\(r.report)")
        #expect(r.passedChecks == 4)
        #expect(r.alertCounts == [1: 4])
    }

    @Test func wrongFilterExpectationNamesTheCheckTheFieldAndBothValues() throws {
        let scratch = ScratchDirectory()
        makeCase(
            in: scratch, name: "wrong", pcap: "sample.pcap", rules: icmpRules,
            yaml: """
                args: [-k none]
                checks:
                  - filter:
                      count: 4
                      match: {event_type: alert, alert.signature_id: 1}
                  - filter:
                      count: 1
                      match: {event_type: alert, alert.signature_id: 1, icmp_type: "8", pcap_cnt: 195}
                """)
        let r = try #require(runCases([scratch.path]).first)
        #expect(r.status == .fail)
        #expect(r.failures.count == 1)
        let report = r.report
        // The check, by number and filter.
        #expect(
            report.contains(
                "check 2 (filter {event_type: \"alert\", alert.signature_id: 1, icmp_type: \"8\", pcap_cnt: 195}, count 1) failed"
            ))
        // Expected against actual count.
        #expect(report.contains("count: expected 1, got 0"))
        // The nearest alert records, and the field that differs with both values and types.
        #expect(report.contains("nearest alert records"))
        #expect(report.contains("differs: icmp_type: expected string \"8\", got int 8"))
        #expect(report.split(separator: "\n").filter { $0.contains("line ") }.count == 3)
    }

    @Test func wrongCountAndStatsExpectationsShowExpectedAndActual() throws {
        let scratch = ScratchDirectory()
        makeCase(
            in: scratch, name: "counts", pcap: "sample.pcap", rules: icmpRules,
            yaml: """
                args: [-k none]
                checks:
                  - stats:
                      detect.alert: 5
                      decoder.pkts.__lt: 10
                expect:
                  - {sid: 1, count: 3}
                  - {sid: 2, count: 1}
                """)
        let r = try #require(runCases([scratch.path]).first)
        #expect(r.status == .fail)
        let report = r.report
        #expect(report.contains("stats.detect.alert: expected int 5, got int 4"))
        #expect(report.contains("stats.decoder.pkts.__lt: expected int 10, got int 214"))
        #expect(report.contains("expect 1 (sid 1: count 3) failed"))
        #expect(report.contains("sid 1: expected 3 alert(s), got 4"))
        #expect(report.contains("alerts of sid 1 (first 3 of 4)"))
        #expect(report.contains("sid 2: expected 1 alert(s), got 0"))
        #expect(report.contains("differs: alert.signature_id: expected int 2, got int 1"))
    }

    @Test func skippedChecksAndCasesAreReported() throws {
        let scratch = ScratchDirectory()
        makeCase(
            in: scratch, name: "a-partly", pcap: "icmp.pcap", rules: icmpRules,
            yaml:
                "checks:\n  - shell:\n      args: true\n  - filter:\n      count: 3\n      match: {alert.signature_id: 1}\n"
        )
        makeCase(
            in: scratch, name: "b-allskipped", pcap: "icmp.pcap", rules: icmpRules,
            yaml: "checks:\n  - file-compare: {}\n")
        makeCase(
            in: scratch, name: "c-version", pcap: "icmp.pcap", rules: icmpRules, yaml: "requires:\n  min-version: 99\n")
        let results = runCases([scratch.path])
        #expect(results.map(\.status) == [.pass, .skip, .skip])
        #expect(results[0].skippedChecks == ["check 1 (shell): shell checks are not run by weir test"])
        #expect(results[0].line.contains("[1 check(s) skipped]"))
        #expect(results[1].reason?.contains("file-compare") == true)
        #expect(results[2].reason == "requires at least version 99")
    }

    /// Issue 15: a check of an unknown type (a typo) fails the case instead of being skipped.
    @Test func unknownCheckTypeFails() throws {
        let scratch = ScratchDirectory()
        makeCase(
            in: scratch, name: "typo", pcap: "icmp.pcap", rules: icmpRules,
            yaml: "checks:\n  - filtre:\n      count: 3\n      match: {alert.signature_id: 1}\n  - {}\n")
        let r = try #require(runCases([scratch.path]).first)
        #expect(r.status == .fail)
        #expect(r.report.contains("unknown check type 'filtre'"))
        #expect(r.skippedChecks.isEmpty)
    }

    @Test func replayErrorsFailTheCaseWithWeirsMessages() throws {
        let scratch = ScratchDirectory()
        makeCase(
            in: scratch, name: "badconf", pcap: "icmp.pcap", rules: icmpRules,
            yaml: "args: [--set no-such-key-at-all]\n")
        makeCase(in: scratch, name: "badcfg", pcap: "icmp.pcap", rules: icmpRules, yaml: "args: [-c missing.yaml]\n")
        let results = runCases([scratch.path])
        #expect(results.map(\.name) == ["badcfg", "badconf"])
        #expect(results[0].status == .fail)
        #expect(results[0].reason == "weir exited with status 2, expected 0")
        #expect(results[0].report.contains("weir said"))
        #expect(results[0].report.contains("missing.yaml"))
        #expect(results[1].status == .skip)  // "--set" without key=value
        #expect(results[1].reason == "args: --set: needs key=value")
    }

    @Test func parallelRunsMatchSerialRuns() throws {
        var serial = RunnerSettings()
        serial.jobs = 1
        var parallel = RunnerSettings()
        parallel.jobs = 4
        let loader = CaseLoader()
        let cases = VerifySuite(loader: loader, settings: serial).cases(in: [Repo.verifyCases])
        let a = VerifySuite(loader: loader, settings: serial).run(cases).results
        let b = VerifySuite(loader: loader, settings: parallel).run(cases).results
        #expect(a.map(\.status) == b.map(\.status))
        #expect(a.map(\.alertCounts) == b.map(\.alertCounts))
        #expect(a.map(\.name) == cases.map(\.name))
    }

    @Test func junitReportIsWellFormedXML() throws {
        let pass = CaseResult(name: "group/ok", directory: "/x", status: .pass, seconds: 0.5)
        var fail = CaseResult(name: "bad<&>\"'", directory: "/y", status: .fail, seconds: 1.25)
        fail.failures = [
            CheckFailure(title: "check 1 (filter {a: \"<x>\"})", lines: ["count: expected 1, got 0 & \u{1} ]]>"])
        ]
        var skip = CaseResult(name: "s", directory: "/z", status: .skip, seconds: 0)
        skip.reason = "requires feature <LUA> & more"
        let xml = JUnitReport.xml([pass, fail, skip], totalSeconds: 1.75)

        final class Collector: NSObject, XMLParserDelegate {
            var elements: [String] = []
            var attributes: [[String: String]] = []
            var text = ""
            func parser(
                _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                self.elements.append(name)
                self.attributes.append(attributes)
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { self.text += string }
        }
        let parser = XMLParser(data: Data(xml.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "XML parse error: \(String(describing: parser.parserError))")
        #expect(
            collector.elements == ["testsuites", "testsuite", "testcase", "testcase", "failure", "testcase", "skipped"])
        #expect(collector.attributes[1]["tests"] == "3")
        #expect(collector.attributes[1]["failures"] == "1")
        #expect(collector.attributes[1]["skipped"] == "1")
        #expect(collector.attributes[2]["classname"] == "weir.verify.group")
        #expect(collector.attributes[3]["name"] == "bad<&>\"'")
        #expect(collector.attributes[6]["message"] == "requires feature <LUA> & more")
        #expect(collector.text.contains("count: expected 1, got 0 & \u{FFFD} ]]>"))
    }

    @Test func updateRecordsCurrentCountsAndThenPasses() throws {
        let scratch = ScratchDirectory()
        let dir = makeCase(
            in: scratch, name: "u", pcap: "sample.pcap", rules: icmpRules,
            yaml: "# keep this comment\nargs: [-k none]\nexpect:\n  - {sid: 1, count: 99}\n\nchecks: []\n")
        #expect(runCases([scratch.path]).first?.status == .fail)
        let updated = try #require(runCases([scratch.path], update: true).first)
        #expect(updated.status == .pass)
        #expect(updated.updateNote == "updated expect: (2 sid(s))")
        let text = try String(contentsOfFile: dir + "/test.yaml", encoding: .utf8)
        #expect(
            text
                == "pcap: \(Repo.pcaps)/sample.pcap\n# keep this comment\nargs: [-k none]\nexpect:\n  - {sid: 1, count: 4}\n  - {sid: 2, count: 0}\n\nchecks: []\n"
        )
        #expect(runCases([scratch.path]).first?.status == .pass)
        #expect(runCases([scratch.path], update: true).first?.updateNote == "expect: unchanged")
    }

    @Test func newScaffoldsACaseThatPasses() throws {
        let scratch = ScratchDirectory()
        let rules = scratch.write("my.rules", icmpRules)
        let made = try CaseUpdater.scaffold(
            name: "fresh", pcap: Repo.pcaps + "/sample.pcap", rules: rules, parent: scratch.path)
        #expect(made.counts == [1: 4])
        let names = try FileManager.default.contentsOfDirectory(atPath: made.directory).sorted()
        #expect(names == ["README.md", "my.rules", "sample.pcap", "test.yaml"])
        let yaml = try String(contentsOfFile: made.directory + "/test.yaml", encoding: .utf8)
        #expect(yaml.contains("expect:\n  - {sid: 1, count: 4}\n  - {sid: 2, count: 0}\n"))
        let readme = try String(contentsOfFile: made.directory + "/README.md", encoding: .utf8)
        #expect(readme.contains("sample.pcap") && readme.contains("my.rules"))
        #expect(runCases([made.directory]).first?.status == .pass)
        #expect(throws: CaseUpdater.ScaffoldError.self) {
            try CaseUpdater.scaffold(
                name: "fresh", pcap: Repo.pcaps + "/sample.pcap", rules: rules, parent: scratch.path)
        }
    }
}

@Suite struct ResultsJSONTests {
    @Test func resultsDocumentReadsBack() throws {
        var fail = CaseResult(name: "a \"quoted\" name", directory: "/d", status: .fail, seconds: 0.25)
        fail.failures = [CheckFailure(title: "check 1", lines: ["count: expected 1, got 0"])]
        fail.alertCounts = [7: 2]
        let skip = CaseResult(name: "s", directory: "/e", status: .skip, seconds: 0, reason: "why")
        let doc = try JSONReader.parse(ResultsJSON.render([fail, skip], seconds: 1))
        #expect(doc["failed"] == .int(1))
        #expect(doc["skipped"] == .int(1))
        let cases = doc["cases"]?.listItems ?? []
        #expect(cases.count == 2)
        #expect(cases.first?["name"] == .string("a \"quoted\" name"))
        #expect(cases.first?["failures"]?.listItems.first?["lines"] == .array([.string("count: expected 1, got 0")]))
        #expect(cases.first?["alerts"]?["7"] == .int(2))
        #expect(cases.last?["reason"] == .string("why"))
    }
}
