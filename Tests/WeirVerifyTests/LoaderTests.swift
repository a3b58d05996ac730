// SPDX-License-Identifier: MIT
import Testing
import WeirRuntime

@testable import WeirVerify

@Suite struct ArgumentTests {
    @Test func suricataFlagsBecomeRunOptions() throws {
        var o = RunOptions()
        try ArgumentTranslator.apply(
            [
                "-k none", "--set stream.midstream=true", "--simulate-ips", "-S custom.rules", "--set=a.b=c",
                "--runmode single",
            ],
            directory: "/case", to: &o)
        #expect(o.checksumChecks == "none")
        #expect(o.overrides == ["stream.midstream=true", "a.b=c"])
        #expect(o.simulateIPS)
        #expect(o.exclusiveRuleFiles == ["/case/custom.rules"])
        #expect(ArgumentTranslator.commandLine(o).contains("--simulate-ips"))
    }

    @Test(arguments: [["--engine-analysis"], ["-k"], ["-k maybe"], ["--set novalue"], ["--af-packet=eth0"]])
    func unsupportedFlagsAreRejected(_ args: [String]) {
        var o = RunOptions()
        #expect(throws: UnsupportedArgument.self) { try ArgumentTranslator.apply(args, directory: "/", to: &o) }
    }
}

@Suite struct LoaderTests {
    @Test func caseFileKeysBecomeOptionsChecksAndSkips() throws {
        let scratch = ScratchDirectory()
        let dir = makeCase(
            in: scratch, name: "a", pcap: "icmp.pcap", rules: icmpRules,
            yaml: """
                args:
                  - -k none
                checks:
                  - filter:
                      count: 1
                      match: {event_type: alert}
                  - shell:
                      args: cat fast.log | wc -l
                      expect: 1
                  - filter:
                      requires: {min-version: 9}
                      count: 2
                      match: {event_type: alert}
                  - stats:
                      decoder.pkts: 11
                expect:
                  - {sid: 1, count: 3}
                  - {sid: 2, min: 0}
                """)
        let c = CaseLoader().load(name: "a", directory: dir)
        #expect(c.loadError == nil)
        #expect(c.skipReason == nil)
        #expect(c.options.checksumChecks == "none")
        #expect(c.options.readPaths == [Repo.pcaps + "/icmp.pcap"])
        #expect(c.options.exclusiveRuleFiles == [dir + "/test.rules"])
        #expect(c.checks.count == 6)
        #expect(c.checks[1].skipReason == "shell checks are not run by weir test")
        #expect(c.checks[2].skipReason == "requires at least version 9")
        guard case .stats = c.checks[3].kind, case .alertMinimum(2, 0) = c.checks[5].kind else {
            Issue.record("wrong check kinds")
            return
        }
    }

    @Test(arguments: [
        ("requires:\n  min-version: 10\n", "requires at least version 10"),
        ("args:\n  - --unknown-flag\n", "args: --unknown-flag: not a flag Weir implements"),
        ("command: suricata -r x\n", "uses 'command:', which runs shell commands; weir test runs Weir in-process only"),
        ("skip: true\n", "skipped by default"),
        ("requires:\n  features: [HAVE_LUA]\n", "requires feature HAVE_LUA, which Weir does not have"),
    ])
    func unmetCasesAreSkippedWithAReason(yaml: String, reason: String) {
        let scratch = ScratchDirectory()
        let dir = makeCase(in: scratch, name: "s", pcap: "icmp.pcap", rules: icmpRules, yaml: yaml)
        #expect(CaseLoader().load(name: "s", directory: dir).skipReason == reason)
    }

    @Test func badYAMLAndMissingPcapAreLoadErrors() {
        let scratch = ScratchDirectory()
        scratch.write("bad/test.yaml", "checks: [\n")
        #expect(CaseLoader().load(name: "bad", directory: scratch.path + "/bad").loadError?.contains("YAML") == true)
        scratch.write("nopcap/test.yaml", "pcap: nowhere.pcap\n")
        #expect(CaseLoader().load(name: "nopcap", directory: scratch.path + "/nopcap").loadError != nil)
        scratch.write("nofile/test.yaml", "checks: []\n")
        #expect(
            CaseLoader().load(name: "nofile", directory: scratch.path + "/nofile").skipReason == "no pcap file found")
    }

    @Test func expectedJSONGivesEnvironmentAndScorerChecks() throws {
        let scratch = ScratchDirectory()
        scratch.write(
            "conf/expected.json",
            """
            {"pcaps": ["input.pcap"], "rules": "test.rules", "mode": "ips", "threshold_file": "threshold.config",
             "vars": {"HOME_NET": "[10.0.0.0/8]", "HTTP_PORTS": "80"},
             "config": {"checksum-checks": "none", "stream.midstream": true, "action-order": ["pass", "drop"]},
             "expect": [{"sid": 1, "count": 2}], "expect_min": [{"sid": 3, "min": 1}], "alert_total": 4}
            """)
        scratch.write("conf/input.pcap", "")
        let c = CaseLoader().load(name: "conf", directory: scratch.path + "/conf")
        #expect(c.caseFile == "expected.json")
        #expect(c.options.simulateIPS)
        #expect(c.options.checksumChecks == "none")
        #expect(c.options.overrides.contains("vars.address-groups.HOME_NET=[10.0.0.0/8]"))
        #expect(c.options.overrides.contains("vars.port-groups.HTTP_PORTS=80"))
        #expect(c.options.overrides.contains("stream.midstream=true"))
        #expect(c.options.overrides.contains("action-order=[pass, drop]"))
        #expect(c.options.overrides.contains("threshold-file=\(scratch.path)/conf/threshold.config"))
        #expect(
            c.checks.map(\.title) == [
                "expected.json 1 (sid 1: count 2)", "expected.json 2 (sid 3: at least 1)",
                "expected.json 3 (alert total 4)",
            ])
    }

    @Test func upstreamCasesUseTheirOwnConfigurationUnlessItIncludesAMissingFile() {
        let scratch = ScratchDirectory()
        let json = #"{"name": "x", "pcaps": ["input.pcap"], "rules": "test.rules", "expect": []}"#
        for name in ["own", "incl"] {
            scratch.write("\(name)/expected.json", json)
            scratch.write("\(name)/input.pcap", "")
            scratch.write("\(name)/test.rules", "")
            scratch.write("\(name)/upstream-test.yaml", "checks: []\n")
        }
        scratch.write("own/upstream-suricata.yaml", "%YAML 1.1\n---\noutputs: []\n")
        scratch.write("incl/upstream-suricata.yaml", "%YAML 1.1\n---\ninclude: default.yaml\noutputs: []\n")
        var loader = CaseLoader()
        loader.upstream = true
        let own = loader.load(name: "own", directory: scratch.path + "/own")
        #expect(own.options.configPath == scratch.path + "/own/upstream-suricata.yaml")
        let incl = loader.load(name: "incl", directory: scratch.path + "/incl")
        #expect(incl.options.configPath == nil)
        #expect(incl.notes.contains { $0.contains("default.yaml") })
        // Without --upstream the file is only a reference.
        #expect(CaseLoader().load(name: "own", directory: scratch.path + "/own").options.configPath == nil)
        #expect(CaseLoader.topLevelIncludes(scratch.path + "/incl/upstream-suricata.yaml") == ["default.yaml"])
    }

    @Test func discoveryFindsNestedCasesInOrder() {
        let scratch = ScratchDirectory()
        scratch.write("b/test.yaml", "{}\n")
        scratch.write("a/x/test.yaml", "{}\n")
        scratch.write("a/x/inner/test.yaml", "{}\n")
        scratch.write("a/y/expected.json", "{}\n")
        scratch.write("c/notes.txt", "")
        let found = CaseLoader().discover([scratch.path]).map(\.name)
        #expect(found == ["a/x", "a/y", "b"])
        var upstream = CaseLoader()
        upstream.upstream = true
        #expect(upstream.discover([scratch.path]).map(\.name) == ["a/y"])
    }

    @Test func upstreamCasesRunWithUpstreamsConfiguration() {
        let scratch = ScratchDirectory()
        scratch.write("own/upstream-test.yaml", "pcap: false\n")
        scratch.write("own/upstream-suricata.yaml", "%YAML 1.1\n---\nstats:\n  interval: 3\n")
        scratch.write("inc/upstream-test.yaml", "pcap: false\n")
        scratch.write("inc/upstream-suricata.yaml", "%YAML 1.1\n---\ninclude: default.yaml\n")
        var upstream = CaseLoader()
        upstream.upstream = true
        #expect(upstream.load(name: "own", directory: scratch.path + "/own").options.configPath == scratch.path + "/own/upstream-suricata.yaml")
        // run.py's default.yaml is not in the corpus: Weir's defaults stand in for such a configuration.
        #expect(upstream.load(name: "inc", directory: scratch.path + "/inc").options.configPath == nil)
        #expect(CaseLoader().load(name: "own", directory: scratch.path + "/own").options.configPath == nil)
    }
}

@Suite struct ExpansionTests {
    @Test func templateSubstitutionAsPython() {
        let vars = ["TEST_DIR": "/t", "X": "1"]
        #expect(
            CaseLoader.expand("--set threshold-file=${TEST_DIR}/threshold.config", vars)
                == "--set threshold-file=/t/threshold.config")
        #expect(CaseLoader.expand("$TEST_DIR/a $X$$ ${UNKNOWN} $", vars) == "/t/a 1$ ${UNKNOWN} $")
    }

    @Test func argsUseTestDirEnvAndOutputDir() {
        let scratch = ScratchDirectory()
        let dir = makeCase(
            in: scratch, name: "vars", pcap: "icmp.pcap", rules: icmpRules,
            yaml: "env:\n  NAME: v\nargs:\n  - --set a=${TEST_DIR}/x\n  - --set b=$NAME\n  - --set c=$OUTPUT_DIR/y\n")
        let c = CaseLoader().load(name: "vars", directory: dir)
        let o = c.options(outputDirectory: "/out")
        #expect(o.overrides == ["a=\(dir)/x", "b=v", "c=/out/y"])
    }
}

/// Issue 15, point 4: a test.yaml nested 5,000 deep, or an alias bomb, fails its own case with the position
/// instead of taking the whole `weir test` run down.
@Suite struct HostileCaseFileTests {
    @Test func deepOrExplodingTestYAMLFailsItsCase() throws {
        let deep = "checks: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n"
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (name, previous) in zip("bcdefghij", "abcdefghi") {
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        for (text, message) in [(deep, "line 1, column 72: YAML nested more than 64"), (bomb, "aliases expand")] {
            do {
                _ = try Value.parseYAML(text, file: "test.yaml")
                Issue.record("no error for \(message)")
            } catch {
                #expect(error.description.hasPrefix("test.yaml: "), "\(error)")
                #expect(error.description.contains(message), "\(error)")
            }
        }
    }
}
