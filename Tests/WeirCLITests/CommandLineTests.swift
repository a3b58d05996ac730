// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// The `weir` command as users and CI gates drive it: exit statuses, what it says, and how it treats signals.
@Suite struct CommandLineTests {
    static let goodRule = #"alert tcp any any -> any any (msg:"raw"; content:"GET"; sid:1;)"#
    static let httpRule = #"alert http any any -> any any (msg:"uri"; http.uri; content:"/x"; sid:2;)"#
    static let badRule = #"alert tcp any any -> any any (msg:"typo"; depht:3; sid:3;)"#
    static let smtpRule = #"alert smtp any any -> any any (msg:"mail"; sid:7;)"#

    @Test func testModeSucceedsOnGoodRulesAndSaysHowManyAreInert() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", Self.goodRule + "\n" + Self.httpRule + "\n" + Self.smtpRule + "\n")
        let result = WeirProcess.run(["-T", "-S", rules], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("configuration OK; 3 rules loaded from 1 file (2 active, 1 inert)"))
        #expect(result.stderr.contains("3 rules: 2 active, 1 inert (smtp 1)"))
    }

    @Test func testModeFailsOnABadRuleAsSuricataDoes() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("bad.rules", Self.goodRule + "\n" + Self.badRule + "\n")
        let result = WeirProcess.run(["-T", "-S", rules], in: dir.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.rules:2:"))
        #expect(result.stderr.contains("configuration test failed: 1 rule error"))
        #expect(!result.stderr.contains("configuration OK"))
    }

    @Test func testModeFailsOnAMissingRuleFile() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let good = dir.write("ok.rules", Self.goodRule + "\n")
        let result = WeirProcess.run(["-T", "-S", good, "-S", dir.path + "/missing.rules"], in: dir.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot read rule file \(dir.path)/missing.rules"))
        #expect(result.stderr.contains("1 unreadable rule file"))
    }

    @Test func testModeStopsOnABadConfigurationWithStatusTwo() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", Self.goodRule + "\n")
        let config = dir.write("weir.yaml", "stream:\n  midstreem: yes\n")
        let result = WeirProcess.run(["-T", "-c", config, "-S", rules], in: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("weir.yaml:2:3: key 'stream.midstreem'"))
    }

    @Test func withoutDashCTheInstalledConfigurationIsRead() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", Self.goodRule + "\n")
        let installed = dir.write("installed.yaml", "stream:\n  bogus-key: 1\n")
        let plain = dir.write("plain.yaml", "stream:\n  midstream: yes\n")
        let environment = ["WEIR_DEFAULT_CONFIG": installed]
        let implicit = WeirProcess.run(["-T", "-S", rules], in: dir.path, environment: environment)
        #expect(implicit.status == 2)
        #expect(implicit.stderr.contains("installed.yaml:2:3: key 'stream.bogus-key'"))
        let explicit = WeirProcess.run(["-T", "-c", plain, "-S", rules], in: dir.path, environment: environment)
        #expect(explicit.status == 0, "-c wins over the installed file: \(explicit.stderr)")
        let absent = WeirProcess.run(
            ["-T", "-S", rules], in: dir.path, environment: ["WEIR_DEFAULT_CONFIG": dir.path + "/none.yaml"])
        #expect(absent.status == 0, "no installed file: built-in defaults")
    }

    @Test func alertsCarryTheRuleMetadataUnlessItIsSwitchedOff() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write(
            "md.rules",
            #"alert udp any any -> any 53 (msg:"md"; content:"example"; metadata: signature_severity Major, tag a, tag b; sid:5;)"#
                + "\n")
        let pcap = repositoryRoot + "/pcaps/sample.pcap"
        let on = WeirProcess.run(["-r", pcap, "-S", rules, "-l", dir.path + "/on"], in: dir.path)
        #expect(on.status == 0, "\(on.stderr)")
        let alerts = readText(dir.path + "/on/eve.json").split(separator: "\n").filter { $0.contains(#""event_type":"alert""#) }
        #expect(!alerts.isEmpty)
        #expect(alerts.allSatisfy { $0.contains(#""metadata":{"signature_severity":["Major"],"tag":["a","b"]}"#) })
        let config = dir.write(
            "off.yaml", "outputs:\n  - eve-log:\n      enabled: yes\n      types:\n        - alert:\n            metadata: no\n")
        let off = WeirProcess.run(["-c", config, "-r", pcap, "-S", rules, "-l", dir.path + "/off"], in: dir.path)
        #expect(off.status == 0, "\(off.stderr)")
        let plain = readText(dir.path + "/off/eve.json")
        #expect(plain.contains(#""event_type":"alert""#) && !plain.contains(#""metadata":"#))
    }

    @Test func communityIDJoinsAlertsAndFlowsWhenAskedFor() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", #"alert udp any any -> any 53 (msg:"dns"; content:"example"; sid:9;)"# + "\n")
        let config = dir.write(
            "cid.yaml",
            "outputs:\n  - eve-log:\n      enabled: yes\n      community-id: yes\n      community-id-seed: 1\n"
                + "      types:\n        - alert\n        - flow\n")
        let pcap = repositoryRoot + "/pcaps/sample.pcap"
        let result = WeirProcess.run(["-c", config, "-r", pcap, "-S", rules, "-l", dir.path + "/out"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        var byFlow: [String: Set<String>] = [:]
        var records = 0
        var icmpFlows = 0
        for line in readText(dir.path + "/out/eve.json").split(separator: "\n") {
            guard let flow = Self.field(line, "flow_id") else { continue }
            records += 1
            if line.contains(#""event_type":"flow""#) && line.contains(#""proto":"ICMP""#) {
                // The echo exchange: request type 8 code 0, answered by type 0, hashed as the spec's echo pair.
                icmpFlows += 1
                #expect(line.contains(#""icmp_type":8,"icmp_code":0,"response_icmp_type":0,"response_icmp_code":0"#),
                    "\(line.prefix(240))")
            }
            let id = Self.field(line, "community_id")
            #expect(id?.hasPrefix("\"1:") == true, "\(line.prefix(160))")
            byFlow[flow, default: []].insert(id ?? "")
        }
        #expect(records > 10)
        #expect(icmpFlows == 1)
        #expect(byFlow.values.allSatisfy { $0.count == 1 }, "every record of a flow has the same community_id")
        let plain = WeirProcess.run(["-r", pcap, "-S", rules, "-l", dir.path + "/plain"], in: dir.path)
        #expect(plain.status == 0)
        #expect(!readText(dir.path + "/plain/eve.json").contains("community_id"), "off by default, as in Suricata")
    }

    /// The raw JSON value of a top-level field, crudely (enough for ids and quoted strings).
    static func field(_ line: Substring, _ name: String) -> String? {
        let key = Array("\"\(name)\":".utf8)
        let bytes = Array(line.utf8)
        guard bytes.count >= key.count else { return nil }
        for start in 0...(bytes.count - key.count) where bytes[start..<start + key.count].elementsEqual(key) {
            let rest = bytes[(start + key.count)...].prefix { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "}") }
            return String(decoding: rest, as: UTF8.self)
        }
        return nil
    }

    /// The progress line is for people watching a terminal: drawn on a pseudo-terminal, never into a file or pipe.
    @Test func progressLineOnlyOnATerminal() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", Self.goodRule + "\n")
        // 40 passes over the sample (214 packets each): past the first progress check at 4,096 packets.
        let inputs = Array(repeating: ["-r", repositoryRoot + "/pcaps/sample.pcap"], count: 40).flatMap { $0 }
        let plain = WeirProcess.run(inputs + ["-S", rules, "-l", dir.path + "/plain"], in: dir.path)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stderr.contains("read ("), "no progress line when stderr is a file")
        // script(1) gives the run a pseudo-terminal and copies what it draws to its own output.
        let command = ([WeirProcess.binary] + inputs + ["-S", rules, "-l", dir.path + "/tty"]).joined(separator: " ")
        let terminal = try #require(
            WeirProcess.start(["script", "-qec", command, "/dev/null"], in: dir.path, environment: ["WEIR_DEFAULT_CONFIG": ""]))
            .wait(seconds: 60)
        #expect(terminal.status == 0)
        #expect(terminal.stdout.contains("\u{1B}[Kweir: "), "the line is drawn and cleared in place")
        #expect(terminal.stdout.contains(" read ("), "\(terminal.stdout.prefix(400))")
        #expect(terminal.stdout.contains(" packets, ") && terminal.stdout.contains(" alerts"))
    }

    @Test func rulesCheckCountsInertRulesByProtocol() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write(
            "mixed.rules",
            [
                Self.goodRule, Self.httpRule,
                #"alert dns any any -> any any (msg:"q"; dns.query; content:"evil"; sid:4;)"#,
                #"alert tcp any any -> any any (msg:"sni"; tls.sni; content:"x"; sid:5;)"#,
                #"alert udp any any -> any any (msg:"big"; dsize:>1000; sid:6;)"#,
                #"alert smb any any -> any any (msg:"pipe"; smb.named_pipe; content:"x"; sid:7;)"#,
                #"alert tcp any any -> any any (msg:"helo"; smtp.helo; content:"x"; sid:8;)"#,
            ].joined(separator: "\n") + "\n")
        let json = WeirProcess.run(["rules", "check", "--json", rules], in: dir.path)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains(#""active":5,"inert":2,"inert_by_protocol":{"smb":1,"smtp":1}"#), "\(json.stdout)")
        let text = WeirProcess.run(["rules", "check", rules], in: dir.path)
        #expect(text.stdout.contains("summary: 7 rules: 5 active, 2 inert (smb 1, smtp 1)"))
    }

    @Test func anEVEFileTypeWeirDoesNotKnowStopsStartUpNamingTheKey() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", Self.goodRule + "\n")
        let config = dir.write("eve.yaml", "outputs:\n  - eve-log:\n      enabled: yes\n      filetype: kafka\n")
        let result = WeirProcess.run(
            ["-c", config, "-S", rules, "-r", repositoryRoot + "/pcaps/sample.pcap", "-l", dir.path + "/out"],
            in: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("eve.yaml:4:17: key 'outputs.0.eve-log.filetype': 'kafka'"), "\(result.stderr)")
        #expect(access(dir.path + "/out/eve.json", F_OK) != 0, "no file is written instead")
        // Every transport Suricata offers is accepted, as are Redis's keys.
        for fileType in ["regular", "file", "unix_dgram", "unix_stream", "syslog", "redis"] {
            let config = dir.write(
                "eve.yaml",
                "outputs:\n  - eve-log:\n      enabled: yes\n      filetype: \(fileType)\n      redis:\n"
                    + "        mode: channel\n        pipelining: {enabled: yes, batch-size: 20}\n")
            #expect(WeirProcess.run(["-T", "-c", config, "-S", rules], in: dir.path).status == 0, "\(fileType)")
        }
        let badMode = dir.write(
            "eve.yaml", "outputs:\n  - eve-log:\n      filetype: redis\n      redis:\n        mode: queue\n")
        let refused = WeirProcess.run(["-T", "-c", badMode, "-S", rules], in: dir.path)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("key 'outputs.0.eve-log.redis.mode': 'queue' is not one of"), "\(refused.stderr)")
    }

    @Test func settingsWithoutEffectGetANoteNamingThem() {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", Self.goodRule + "\n")
        let config = dir.write("weir.yaml", "detect:\n  profile: high\nstream:\n  midstream: yes\n")
        let result = WeirProcess.run(
            [
                "-T", "-c", config, "-S", rules, "--set", "app-layer.protocols.http2.enabled=yes", "--set",
                "max-pending-packets=2048", "--set", "app-layer.protocols.dns.enabled=yes",
            ],
            in: dir.path)
        #expect(result.status == 0)
        let notes = result.stderr.split(separator: "\n").filter { $0.hasPrefix("weir: note: ") }
        #expect(notes.count == 3, "\(notes)")
        #expect(notes.contains { $0.contains("detect.profile (\(config):2:3): accepted, no effect") })
        #expect(notes.contains { $0.contains("app-layer.protocols.http2.enabled (--set") })
        #expect(notes.contains { $0.contains("max-pending-packets (--set max-pending-packets): accepted, no effect") })
        #expect(!result.stderr.contains("midstream"), "a setting with an effect gets no note")
        #expect(!result.stderr.contains("protocols.dns"), "DNS has a parser now: its settings take effect")
    }

    @Test(arguments: ["--version", "-V"])
    func versionNamesWeirItsCommitAndEveryLibrary(flag: String) {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let result = WeirProcess.run([flag], in: dir.path)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Weir ") == true)
        #expect(lines.first?.contains("(commit ") == true)
        #expect(lines.first?.contains("commit unknown") == false, "built from a git checkout")
        for (label, mustHave) in [
            ("libbpf:", "v1."), ("libpcap:", "libpcap version"), ("Vectorscan:", "5."), ("PCRE2:", "10."),
            ("libyaml:", "Yams"), ("allocator:", "mimalloc 2."),
        ] {
            let line = lines.first { $0.hasPrefix(label) }
            #expect(line?.contains(mustHave) == true, "\(label) \(line ?? "missing")")
        }
        // The binary as built: mimalloc is linked ahead of glibc and serves every malloc of the process.
        #expect(lines.contains { $0.hasPrefix("allocator:") && $0.hasSuffix(", serving malloc") }, "\(lines)")
    }
}
