// SPDX-License-Identifier: MIT
import Testing
import WeirTestSupport

@testable import WeirDetect

@Suite struct RuleFileLoaderTests {
    static let file = """
        # A comment line
        #alert tcp any any -> any any (msg:"disabled"; sid:100;)

        alert tcp any any -> any any (msg:"one"; content:"a"; sid:1; rev:1;)
        alert http any any -> any any (msg:"continued"; \\
            content:"b"; http_uri; \\
            nocase; depht:3; sid:2;)
          alert tcp any any -> any any (msg:"dup lower rev"; sid:1; rev:0;)
        alert tcp any any -> any any (msg:"dup higher rev"; sid:1; rev:5;)
        alert tcp any any -> any any (msg:"unsupported"; lua:x.lua; sid:3;)
        alert tcp any any -> any any (msg:"bad"; content:"|0|"; sid:4;)
        alert tcp any any -> any any (msg:"other gid"; sid:1; gid:2;)
        """

    @Test func loadsCountsAndPositions() {
        let set = RuleFileLoader().load(text: Self.file, file: "test.rules")
        #expect(set.rulesSeen == 7)
        #expect(set.rules.map(\.rule.sid) == [1, 1])
        #expect(set.rules.map(\.rule.gid) == [1, 2])
        #expect(set.rules[0].rule.rev == 5)
        #expect(set.rules[0].line == 9)
        #expect(set.unsupported.map(\.sid) == [3])
        #expect(set.unsupported.first?.keywords == ["lua"])
        #expect(set.duplicates.count == 2)
        #expect(set.duplicates[0].line == 8 && set.duplicates[0].keptLine == 4)
        #expect(set.duplicates[1].line == 4 && set.duplicates[1].keptLine == 9)
        #expect(set.errors.count == 2)
        // The misspelt keyword is on the third physical line of the continued rule.
        let misspelt = set.errors[0]
        #expect(misspelt.file == "test.rules")
        #expect(misspelt.line == 7)
        #expect(misspelt.column == 13)
        #expect(misspelt.keyword == "depht")
        #expect(misspelt.description == "test.rules:7:13: depht: unknown rule keyword 'depht'")
        let hex = set.errors[1]
        #expect(hex.line == 11 && hex.column == 53 && hex.reason == "odd number of hex digits in content")
    }

    @Test func keepingDuplicatesChecksEveryCopy() {
        var loader = RuleFileLoader()
        loader.dropsDuplicates = false
        let set = loader.load(text: Self.file, file: "test.rules")
        #expect(set.rules.count == 4)
        #expect(set.duplicates.count == 2)
    }

    @Test func strictModeStopsAtTheFirstError() {
        let set = RuleFileLoader(strict: true).load(text: Self.file, file: "test.rules")
        #expect(set.stoppedEarly)
        #expect(set.errors.count == 1)
        #expect(set.rules.count == 1)
    }

    @Test func logicalLinesJoinContinuationsAndSkipComments() {
        let lines = LogicalRuleLine.split(Array("a \\\nb\r\n# c\n  #d\n\ne".utf8))
        #expect(lines.map(\.text) == ["a b", "e"])
        #expect(lines.map(\.line) == [1, 6])
        #expect(lines[0].position(ofOffset: 2) == (2, 1))
    }

    @Test func invalidUTF8IsRejectedNotRewritten() {
        var bytes = Array(#"alert tcp any any -> any any (content:"a"#.utf8)
        bytes.append(0xE9)
        bytes += Array(#"b"; sid:1;)"#.utf8)
        let lines = LogicalRuleLine.split(bytes)
        #expect(lines.first?.invalidUTF8Offset == 40)
    }

    @Test func unreadableFileIsReported() {
        let set = RuleFileLoader().load(paths: ["/nonexistent/x.rules"])
        #expect(set.unreadableFiles == ["/nonexistent/x.rules"])
    }

    @Test func classificationConfigParsing() throws {
        let table = try ClassificationTable.parse(
            """
            # comment
            config classification: a-b,Some Thing,2
            config classification: c, Other ,4\r
            """
        )
        #expect(table["a-b"] == Classification(name: "a-b", description: "Some Thing", priority: 2))
        #expect(table["c"]?.description == "Other")
        #expect(table.order == ["a-b", "c"])
        #expect(throws: ConfigFileError(file: "x.config", line: 2, reason: "priority 'high' is not 1-255")) {
            try ClassificationTable.parse(
                "config classification: a,b,1\nconfig classification: a,b,high\n",
                file: "x.config"
            )
        }
        #expect(
            throws: ConfigFileError(
                file: "classification.config",
                line: 1,
                reason: "expected three comma-separated fields"
            )
        ) {
            try ClassificationTable.parse("config classification: a,b\n")
        }
    }

    @Test(.needsSharedCorpus) func bundledClassificationsMatchETOpen() throws {
        let path = SharedData.root + "/rulesets/et-open/classification.config"
        let et = try ClassificationTable.load(path: path)
        #expect(et.order.count >= 40)
        for name in et.order {
            #expect(ClassificationTable.suricataDefault[name] == et[name], "\(name)")
        }
    }

    @Test func referenceConfig() throws {
        var table = try ReferenceTable.parse(
            "config reference: CVE http://cve.example/?n=\n# x\nconfig reference: url http://\n"
        )
        #expect(table.url(for: RuleReference(system: "cve", id: "2020-1")) == "http://cve.example/?n=2020-1")
        table.set(system: "url", prefix: "https://")
        #expect(table.url(for: RuleReference(system: "url", id: "a.b/c")) == "https://a.b/c")
        #expect(table.url(for: RuleReference(system: "nope", id: "1")) == nil)
        #expect(
            ReferenceTable.suricataDefault.url(for: RuleReference(system: "cve", id: "1"))
                == "http://cve.mitre.org/cgi-bin/cvename.cgi?name=1"
        )
        #expect(throws: ConfigFileError(file: "reference.config", line: 1, reason: "expected a system name and a URL"))
        {
            try ReferenceTable.parse("config reference: cve\n")
        }
    }

    @Test func checkReportJSONIsWellFormedEnough() {
        let set = RuleFileLoader().load(text: Self.file, file: "t\"q.rules")
        let json = RuleCheckReport.json(set, files: 1)
        #expect(json.hasPrefix("{") && json.hasSuffix("}"))
        #expect(json.contains(#""rejected":2"#))
        #expect(json.contains(#""file":"t\"q.rules","line":7,"column":13,"keyword":"depht""#))
        let text = RuleCheckReport.text(set, files: 1)
        #expect(text.contains("lua: 1"))
    }

    @Test(.needsSharedCorpus) func suricataVerifyRulesHaveNoUnknownKeywords() {
        let path = SharedData.root + "/rulesets/suricata-verify/suricata-verify-tests.rules"
        let set = RuleFileLoader().load(paths: [path])
        #expect(set.unreadableFiles.isEmpty)
        #expect(set.rulesSeen == 9452)
        // Rules whose `requires` this engine does not meet are skipped before they are read.
        #expect(!set.unmetRequirements.isEmpty)
        #expect(
            set.parsedTyped + set.parsedUnsupported + set.errors.count + set.unmetRequirements.count == set.rulesSeen)
        // Its deliberately invalid rules are rejected, but no rejection is for a keyword we do not know.
        let unknown = set.errors.filter { $0.reason.hasPrefix("unknown rule keyword") }
        #expect(unknown.isEmpty, "\(unknown.prefix(3))")
        #expect(set.errors.count > 20)
    }

    /// Every option keyword that appears anywhere in the shared rulesets is in the registry (suricata-verify's
    /// deliberately bogus `foo` aside).
    @Test(.needsSharedCorpus) func everyKeywordInTheRulesetsIsKnown() throws {
        var unknown: Set<String> = []
        var seen = 0
        for directory in [
            "et-open", "et-open/supplement-2024-04-21", "suricata-bundled", "tgreen-hunting", "suricata-verify",
        ] {
            for file in SharedData.rules(in: directory) {
                let bytes = try #require(RuleFileReader.readFile(file))
                for logical in LogicalRuleLine.split(bytes) {
                    guard let scanned = try? RuleScanner.scan(Substring(logical.text)) else { continue }
                    for option in scanned.options {
                        seen += 1
                        let name = option.name.lowercased()
                        if KeywordRegistry.descriptor(named: name) == nil { unknown.insert(name) }
                    }
                }
            }
        }
        #expect(seen > 400_000)
        #expect(unknown == ["foo"])
    }

    @Test func keywordRegistryIsConsistent() {
        var names = Set<String>()
        for keyword in KeywordRegistry.all {
            #expect(names.insert(keyword.name).inserted, "duplicate \(keyword.name)")
            // The engine only claims keywords the parser types.
            if keyword.isMatched { #expect(keyword.isParsed, "matched but not parsed: \(keyword.name)") }
            if case .legacyModifier(let canonical) = keyword.kind {
                #expect(KeywordRegistry.isTypedBuffer(canonical), "\(keyword.name) → \(canonical)")
            }
            if case .stickyBuffer(let canonical) = keyword.kind, keyword.isParsed {
                #expect(KeywordRegistry.isTypedBuffer(canonical), "\(keyword.name) → \(canonical)")
            }
        }
        #expect(KeywordRegistry.canonicalBuffer(for: "http_uri") == "http.uri")
        #expect(KeywordRegistry.canonicalBuffer(for: "dns_query") == "dns.query")
        #expect(KeywordRegistry.canonicalBuffer(for: "http_server_body") == "file.data")
    }

    @Test func shortFuzzRunFindsNoRoundTripMismatch() {
        let seeds = [
            #"alert http $HOME_NET any -> $EXTERNAL_NET [80,8080] (msg:"x"; flow:established,to_server; content:"GET"; http_method; content:"/a|20|b"; http_uri; nocase; pcre:"/b+/UR"; byte_test:1,>,3,0,relative; classtype:trojan-activity; sid:1; rev:1;)"#,
            #"alert dns any any -> any any (dns.query; dotprefix; content:".x.com"; endswith; bsize:>5; threshold:type limit,track by_src,count 1,seconds 60; sid:2;)"#,
        ]
        var fuzzer = RuleFuzzer(seeds: seeds, seed: 7)
        var parsed = 0
        for _ in 0..<20_000 {
            let (ok, roundTrip) = fuzzer.check(fuzzer.mutate())
            #expect(roundTrip)
            if ok { parsed += 1 }
        }
        #expect(parsed > 100)
    }
}
