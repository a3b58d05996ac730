// SPDX-License-Identifier: MIT
import Testing
import WeirTestSupport
import WeirConfig

@Suite struct DefaultsTests {
    @Test func builtInDefaultLoadsWithoutFile() throws {
        let loaded = try ConfigLoader.load(path: nil, overrides: [])
        #expect(loaded.configuration == WeirConfiguration.default)
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.file == nil)
    }

    @Test func suricataDefaultVarsAreComplete() {
        let vars = WeirConfiguration.default.vars
        #expect(
            vars.addressGroups.map(\.name) == [
                "HOME_NET", "EXTERNAL_NET", "HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS",
                "TELNET_SERVERS", "AIM_SERVERS", "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT", "MODBUS_CLIENT",
                "MODBUS_SERVER", "ENIP_CLIENT", "ENIP_SERVER",
            ]
        )
        #expect(
            vars.portGroups.map(\.name) == [
                "HTTP_PORTS", "SHELLCODE_PORTS", "ORACLE_PORTS", "SSH_PORTS", "DNP3_PORTS", "MODBUS_PORTS",
                "FILE_DATA_PORTS", "FTP_PORTS", "GENEVE_PORTS", "VXLAN_PORTS", "TEREDO_PORTS", "SIP_PORTS",
            ]
        )
        #expect(vars.address("HOME_NET") == "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]")
        #expect(vars.address("EXTERNAL_NET") == "!$HOME_NET")
        #expect(vars.address("AIM_SERVERS") == "$EXTERNAL_NET")
        #expect(vars.port("SHELLCODE_PORTS") == "!80")
        #expect(vars.port("FILE_DATA_PORTS") == "[$HTTP_PORTS,110,143]")
        #expect(vars.port("SIP_PORTS") == "[5060, 5061]")
        #expect(vars.port("TEREDO_PORTS") == "3544")
    }

    /// The default vars must equal the "vars" every conformance case lists (Suricata's defaults plus the
    /// test's overrides): check the names and the values of cases that do not override them.
    @Test(.needsSharedCorpus) func defaultVarsMatchTheConformanceCorpus() throws {
        let expected = try String(
            contentsOfFile: Fixtures.sharedDirectory + "/conformance/suricata-verify/alert-testmyids/expected.json",
            encoding: .utf8
        )
        let vars = WeirConfiguration.default.vars
        for (name, value) in vars.addressGroups + vars.portGroups {
            let escaped = value.replacingOccurrences(of: "\"", with: "\\\"")
            #expect(expected.contains("\"\(name)\": \"\(escaped)\""), "\(name)")
        }
    }

    @Test func sectionDefaultsAreSuricatas() {
        let config = WeirConfiguration.default
        #expect(config.stream.memcap == 64 * 1024 * 1024)
        #expect(config.stream.reassembly.depth == 1024 * 1024)
        #expect(config.stream.reassembly.memcap == 256 * 1024 * 1024)
        #expect(config.stream.inline == .auto)
        #expect(config.stream.midstream == false)
        #expect(config.flow.hashSize == 65536)
        #expect(config.flowTimeouts.tcp.established == 600)
        #expect(config.flowTimeouts.udp.new == 30)
        #expect(config.flowTimeouts.tcp.bypassed == 100)
        #expect(config.actionOrder == [.pass, .drop, .reject, .alert])
        #expect(config.packetAlertMax == 15)
        #expect(config.effectivePcapChecksumMode == .auto)
        #expect(config.appLayer["tls"].encryptionHandling == .default)
        #expect(config.appLayer["dns"].detectionPorts.destination == "53")
        #expect(config.outputs.eveLog?.filename == "eve.json")
        #expect(config.outputs.eveLog?.flow == true)
        #expect(config.outputs.eveLog?.stats?.totals == true)
        #expect(config.outputs.eveLog?.alert?.payload == false)
        #expect(config.outputs.fast.enabled)
        #expect(config.outputs.fast.filename == "fast.log")
        #expect(config.stats.interval == 8)
    }

    @Test func emptyFileGivesDefaults() throws {
        let loaded = try ConfigLoader.load(yaml: "%YAML 1.1\n---\n", file: "empty.yaml")
        #expect(loaded.configuration == WeirConfiguration.default)
    }
}

@Suite struct PathTests {
    @Test func ruleFilesResolveAgainstDefaultRulePath() throws {
        let yaml = "default-rule-path: /etc/weir/rules\nrule-files:\n  - a.rules\n  - /abs/b.rules\n"
        let config = try ConfigLoader.load(yaml: yaml).configuration
        #expect(config.resolvedRuleFiles == ["/etc/weir/rules/a.rules", "/abs/b.rules"])
        let bare = try ConfigLoader.load(yaml: "rule-files: [x.rules]\n").configuration
        #expect(bare.resolvedRuleFiles == ["x.rules"])
    }

    @Test func outputPaths() {
        #expect(WeirConfiguration.outputPath("eve.json", logDirectory: "out") == "out/eve.json")
        #expect(WeirConfiguration.outputPath("eve.json", logDirectory: "/var/log/weir/") == "/var/log/weir/eve.json")
        #expect(WeirConfiguration.outputPath("/tmp/e.json", logDirectory: "out") == "/tmp/e.json")
    }
}
