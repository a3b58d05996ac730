// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport
import WeirConfig

@Suite struct OverrideTests {
    @Test func scalarOverridesWinOverFile() throws {
        let loaded = try ConfigLoader.load(
            yaml: "stream:\n  midstream: no\n",
            overrides: ["stream.midstream=true", "stream.reassembly.depth=2mb"]
        )
        #expect(loaded.configuration.stream.midstream)
        #expect(loaded.configuration.stream.reassembly.depth == 2 << 20)
    }

    @Test func laterOverrideWins() throws {
        let loaded = try ConfigLoader.load(path: nil, overrides: ["packet-alert-max=5", "packet-alert-max=7"])
        #expect(loaded.configuration.packetAlertMax == 7)
    }

    @Test func flowStyleList() throws {
        let loaded = try ConfigLoader.load(path: nil, overrides: ["action-order=[drop, pass, reject, alert]"])
        #expect(loaded.configuration.actionOrder == [.drop, .pass, .reject, .alert])
    }

    @Test func flowStyleMapping() throws {
        let loaded = try ConfigLoader.load(path: nil, overrides: ["flow-timeouts.tcp={new: 5, established: 50}"])
        #expect(loaded.configuration.flowTimeouts.tcp.new == 5)
        #expect(loaded.configuration.flowTimeouts.tcp.established == 50)
        #expect(loaded.configuration.flowTimeouts.tcp.closed == 60)
    }

    @Test func listIndexIntoFileList() throws {
        let yaml = "af-packet:\n  - interface: eth0\n  - interface: eth1\n"
        let loaded = try ConfigLoader.load(
            yaml: yaml,
            overrides: ["af-packet.1.interface=eth9", "af-packet.0.threads=3"]
        )
        #expect(loaded.configuration.afPacket.map(\.interface) == ["eth0", "eth9"])
        #expect(loaded.configuration.afPacket[0].threads == 3)
    }

    @Test func newKeysAndListsAreCreated() throws {
        let loaded = try ConfigLoader.load(
            path: nil,
            overrides: [
                "af-packet.0.interface=veth0", "af-packet.0.copy-mode=ips", "af-packet.0.copy-iface=veth1",
                "af-packet.1.interface=veth1", "app-layer.protocols.dns.detection-ports.dp=5353",
                "app-layer.protocols.tls.encryption-handling=bypass", "app-layer.protocols.http2.enabled=false",
            ]
        )
        let config = loaded.configuration
        #expect(config.afPacket.map(\.interface) == ["veth0", "veth1"])
        #expect(config.afPacket[0].copyMode == .ips && config.afPacket[0].copyInterface == "veth1")
        #expect(config.appLayer["dns"].detectionPorts.destination == "5353")
        #expect(config.appLayer["tls"].encryptionHandling == .bypass)
        #expect(config.appLayer["http2"].enabled == .no)
    }

    @Test func outputListItemByIndex() throws {
        let yaml = "outputs:\n  - fast:\n      enabled: yes\n  - eve-log:\n      types: [alert]\n"
        let loaded = try ConfigLoader.load(yaml: yaml, overrides: ["outputs.1.eve-log.filename=x.json"])
        #expect(loaded.configuration.outputs.eveLog?.filename == "x.json")
    }

    /// What `weir-case` passes for every conformance case.
    @Test func varsStayStrings() throws {
        let loaded = try ConfigLoader.load(
            path: nil,
            overrides: [
                "vars.address-groups.HOME_NET=[192.168.0.0/16,10.0.0.0/8]",
                "vars.address-groups.EXTERNAL_NET=!$HOME_NET", "vars.port-groups.SIP_PORTS=[5060, 5061]",
                "vars.address-groups.SUPPRESS=[1.2.3.4, 5.6.7.8]", "vars.port-groups.HTTP_PORTS=8080",
                "checksum-checks=none", "stream.inline=true", "threshold-file=/tmp/case/threshold.config",
            ]
        )
        let config = loaded.configuration
        #expect(config.vars.address("HOME_NET") == "[192.168.0.0/16,10.0.0.0/8]")
        #expect(config.vars.address("EXTERNAL_NET") == "!$HOME_NET")
        #expect(config.vars.address("SUPPRESS") == "[1.2.3.4, 5.6.7.8]")
        #expect(config.vars.port("SIP_PORTS") == "[5060, 5061]")
        #expect(config.vars.port("HTTP_PORTS") == "8080")
        #expect(config.effectivePcapChecksumMode == ChecksumMode.none)
        #expect(config.stream.inline == .yes)
        #expect(config.thresholdFile == "/tmp/case/threshold.config")
    }

    @Test func checksumPrecedence() throws {
        let yaml = "pcap-file:\n  checksum-checks: no\n"
        #expect(try ConfigLoader.load(yaml: yaml).configuration.effectivePcapChecksumMode == ChecksumMode.none)
        let overridden = try ConfigLoader.load(yaml: yaml, overrides: ["checksum-checks=all"])
        #expect(overridden.configuration.effectivePcapChecksumMode == .all)
        let viaPcap = try ConfigLoader.load(path: nil, overrides: ["pcap-file.checksum-checks=yes"])
        #expect(viaPcap.configuration.effectivePcapChecksumMode == .all)
    }

    @Test func badValueFromSetNamesTheOption() throws {
        let error = try #require(loadError("", overrides: ["stream.midstream=maybe"]))
        #expect(error.description.hasPrefix("--set stream.midstream: key 'stream.midstream': 'maybe' is not a boolean"))
    }

    @Test func unknownKeyFromSetNamesTheOption() throws {
        let error = try #require(loadError("", overrides: ["stream.midstrem=yes"]))
        #expect(error.code == .unknownKey)
        #expect(error.description.hasPrefix("--set stream.midstrem: key 'stream.midstrem': unknown key"))
    }

    @Test(arguments: [
        ("stream.midstream", "expected key=value"),
        ("a..b=1", "the key has an empty part"),
        ("af-packet.5.interface=x", "index 5 is past the end of 'af-packet' (1 items)"),
        ("af-packet.eth0.threads=2", "'af-packet' is a list"),
        ("stream.midstream.deep=1", "'stream.midstream' is the scalar 'no'"),
        ("action-order=[pass, drop", "value is not valid YAML flow style"),
    ])
    func badOverrides(option: String, message: String) throws {
        let yaml = "af-packet:\n  - interface: eth0\nstream:\n  midstream: no\n"
        let error = try #require(loadError(yaml, overrides: [option]))
        #expect(error.code == .badOverride)
        #expect(error.description.hasPrefix("--set "))
        #expect(error.message.contains(message), "\(error.message)")
    }
}

@Suite struct IncludeTests {
    @Test func includeIsRelativeAndOrdered() throws {
        let dir = try Fixtures.folder([
            "main.yaml": """
            %YAML 1.1
            ---
            stream:
              midstream: yes
            include: sub/extra.yaml
            flow:
              hash-size: 4096
            """,
            "sub/extra.yaml": """
            %YAML 1.1
            ---
            stream:
              midstream: no
              inline: yes
            flow:
              hash-size: 8
            """,
        ])
        let config = try ConfigLoader.load(path: dir + "/main.yaml").configuration
        // Written before the include: overridden by it. Written after: wins.
        #expect(config.stream.midstream == false)
        #expect(config.stream.inline == .yes)
        #expect(config.flow.hashSize == 4096)
    }

    @Test func includeListAndErrorsPointIntoTheIncludedFile() throws {
        let dir = try Fixtures.folder([
            "main.yaml": "include:\n  - a.yaml\n  - b.yaml\n",
            "a.yaml": "packet-alert-max: 3\n",
            "b.yaml": "\nstream:\n  bogus: 1\n",
        ])
        let error = try #require(loadFileError(dir + "/main.yaml"))
        #expect(error.file == dir + "/b.yaml" && error.line == 3 && error.key == "stream.bogus")
    }

    @Test func missingIncludeAndLoop() throws {
        let dir = try Fixtures.folder([
            "missing.yaml": "stream:\n  midstream: yes\ninclude: nothere.yaml\n",
            "loop.yaml": "include: loop.yaml\n",
        ])
        do {
            _ = try ConfigLoader.load(path: dir + "/missing.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .badInclude && error.line == 3 && error.column == 10)
            #expect(error.message.contains("nothere.yaml"))
        }
        do {
            _ = try ConfigLoader.load(path: dir + "/loop.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .badInclude && error.message.contains("include loop"))
        }
    }

    @Test func includeTagOnValue() throws {
        let dir = try Fixtures.folder([
            "main.yaml": "stream: !include stream.yaml\n",
            "stream.yaml": "midstream: yes\nreassembly:\n  depth: 8mb\n",
        ])
        let config = try ConfigLoader.load(path: dir + "/main.yaml").configuration
        #expect(config.stream.midstream && config.stream.reassembly.depth == 8 << 20)
    }
}

/// Every `upstream-suricata.yaml` of the conformance corpus is a real Suricata configuration: each must load.
@Suite(.needsSharedCorpus) struct SuricataCorpusTests {
    static var corpusFiles: [String] {
        let root = Fixtures.sharedDirectory + "/conformance/suricata-verify"
        let cases = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return cases.sorted().map { root + "/" + $0 + "/upstream-suricata.yaml" }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func corpusIsPresent() {
        #expect(Self.corpusFiles.count >= 40)
    }

    @Test(arguments: corpusFiles)
    func upstreamConfigLoads(path: String) throws {
        // suricata-verify runs these next to a `default.yaml` (Suricata's full default file) that some include;
        // stand in Weir's own full sample for it.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let dir = try Fixtures.folder(["suricata.yaml": text, "default.yaml": Fixtures.fullConfig])
        let loaded = try ConfigLoader.load(path: dir + "/suricata.yaml")
        #expect(loaded.configuration.outputs.eveLogs.count <= 2)
        if text.contains("\nlogging:") {
            #expect(loaded.warnings.first?.contains("logging (") == true)
        }
    }

    @Test func upstreamSettingsAreRead() throws {
        let root = Fixtures.sharedDirectory + "/conformance/suricata-verify/"
        let alertMax = try ConfigLoader.load(path: root + "alert-max__alert-max-default/upstream-suricata.yaml")
        #expect(alertMax.configuration.packetAlertMax == 15)
        #expect(alertMax.configuration.outputs.stats.enabled)
        #expect(alertMax.configuration.outputs.eveLog?.alert != nil)
        #expect(alertMax.configuration.outputs.eveLog?.stats != nil)
        let firewall = try ConfigLoader.load(
            path: root + "ips__firewall-01-tcp-pkt-state-flowbits/upstream-suricata.yaml"
        )
        let eve = try #require(firewall.configuration.outputs.eveLog)
        #expect(eve.drop?.flows == .all && eve.drop?.alerts == true)
        #expect(eve.anomaly?.enabled == true)
        #expect(firewall.configuration.stats.interval == 8)
    }
}

@Suite struct DumpTests {
    @Test func dumpListsEffectiveScalars() throws {
        let yaml = "stream:\n  midstream: no\noutputs:\n  - fast:\n      enabled: yes\n"
        let loaded = try ConfigLoader.load(
            yaml: yaml,
            overrides: [
                "stream.midstream=yes", "outputs.0.fast.filename=f.log", "action-order=[pass, drop, reject, alert]",
            ]
        )
        #expect(
            loaded.dump() == [
                "stream.midstream = yes", "outputs.0.fast.enabled = yes", "outputs.0.fast.filename = f.log",
                "action-order.0 = pass", "action-order.1 = drop", "action-order.2 = reject", "action-order.3 = alert",
            ]
        )
    }

    @Test func eveTypesFromFlowList() throws {
        let loaded = try ConfigLoader.load(path: nil, overrides: ["outputs.0.eve-log.types=[alert, flow]"])
        let eve = try #require(loaded.configuration.outputs.eveLog)
        #expect(eve.alert != nil && eve.flow && eve.stats == nil && eve.drop == nil)
        #expect(!loaded.configuration.outputs.fast.enabled)
    }
}
