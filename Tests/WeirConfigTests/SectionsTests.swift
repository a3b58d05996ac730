// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

@Suite struct SectionsTests {
    let loaded: LoadedConfiguration
    var config: WeirConfiguration { self.loaded.configuration }

    init() throws {
        self.loaded = try ConfigLoader.load(yaml: Fixtures.fullConfig, file: "full.yaml")
    }

    @Test func vars() {
        #expect(self.config.vars.address("HOME_NET") == "[10.1.0.0/16]")
        #expect(self.config.vars.address("LAB_NET") == "[10.9.0.0/16,10.10.0.0/16]")
        #expect(self.config.vars.address("DNS_SERVERS") == "$HOME_NET")
        #expect(self.config.vars.port("HTTP_PORTS") == "[80,8080]")
        #expect(self.config.vars.port("ORACLE_PORTS") == "1522")
        #expect(self.config.vars.addressGroups.last?.name == "LAB_NET")
    }

    @Test func rulesAndFiles() {
        #expect(self.config.defaultRulePath == "/etc/weir/rules")
        #expect(self.config.ruleFiles == ["local.rules", "et.rules"])
        #expect(self.config.classificationFile == "/etc/weir/classification.config")
        #expect(self.config.referenceConfigFile == "/etc/weir/reference.config")
        #expect(self.config.thresholdFile == "/etc/weir/threshold.config")
        #expect(self.config.defaultLogDirectory == "/var/log/weir/")
    }

    @Test func outputs() throws {
        let outputs = self.config.outputs
        #expect(outputs.fast.enabled && outputs.fast.filename == "alerts.log" && !outputs.fast.append)
        let eve = try #require(outputs.eveLog)
        #expect(eve.filename == "events.json")
        #expect(eve.fileType == .regular)
        let alert = try #require(eve.alert)
        #expect(alert.payload && alert.payloadPrintable && alert.packet && !alert.metadata)
        #expect(alert.payloadBufferSize == 8192)
        #expect(eve.drop == EVEDropOptions(alerts: true, flows: .all))
        #expect(eve.stats?.threads == true && eve.stats?.deltas == true)
        #expect(eve.flow)
        #expect(eve.anomaly == nil)
        #expect(outputs.stats.enabled && outputs.stats.filename == "counters.log" && outputs.stats.threads)
        #expect(self.config.stats.enabled == false && self.config.stats.interval == 30)
    }

    @Test func afPacketWithDefaultEntry() throws {
        let interfaces = self.config.afPacket
        #expect(interfaces.map(\.interface) == ["eth1", "eth2"])
        let eth1 = interfaces[0]
        #expect(eth1.threads == 4 && eth1.clusterID == 98 && eth1.clusterType == .clusterQM)
        #expect(!eth1.defrag && eth1.copyMode == .ips && eth1.copyInterface == "eth2" && eth1.bypass)
        #expect(eth1.xdpMode == .soft && eth1.ringSize == 4096 && eth1.blockSize == 65536)
        #expect(eth1.blockTimeout == 20 && eth1.useMmap && eth1.tpacketV3)
        #expect(eth1.checksumChecks == .auto && eth1.dedicated)
        // eth2 takes the `interface: default` entry's values for what it does not set.
        let eth2 = interfaces[1]
        #expect(eth2.threads == nil && eth2.clusterType == .clusterCPU && eth2.ringSize == 1024)
        #expect(eth2.copyInterface == "eth1" && !eth2.dedicated && eth2.clusterID == 99)
    }

    @Test("block-timeout: as set; unset, 10 ms (Suricata's), or 1 ms on an entry with bypass: yes")
    func blockTimeoutDefaults() throws {
        let yaml = """
            af-packet:
              - interface: eth1
                bypass: yes
              - interface: eth2
              - interface: eth3
                bypass: yes
                block-timeout: 20
            """
        let entries = try ConfigLoader.load(yaml: yaml, file: "timeouts.yaml").configuration.afPacket
        #expect(entries.map(\.blockTimeout) == [nil, nil, 20])
        #expect(entries.map(\.effectiveBlockTimeout) == [1, 10, 20])
        #expect(self.config.afPacket[0].effectiveBlockTimeout == 20)
    }

    @Test func appLayer() {
        let tls = self.config.appLayer["tls"]
        #expect(tls.encryptionHandling == .bypass && tls.detectionPorts.destination == "443")
        #expect(self.config.appLayer["http2"].enabled == .no)
        let dns = self.config.appLayer["dns"]
        #expect(dns.transports["udp"]?.detectionPorts.destination == "[53, 5353]")
        #expect(dns.transports["tcp"]?.detectionPorts.destination == "53")
        let ssh = self.config.appLayer["ssh"]
        #expect(ssh.enabled == .detectionOnly && !ssh.detectionEnabled)
        #expect(self.config.appLayer["http"].enabled == .yes)
    }

    @Test func stream() {
        let stream = self.config.stream
        #expect(stream.memcap == 1 << 30 && !stream.checksumValidation && stream.inline == .auto)
        #expect(stream.midstream && stream.asyncOneside && !stream.dropInvalid && stream.bypass)
        #expect(stream.preallocSessions == 4096)
        #expect(stream.reassembly.memcap == 2 << 30 && stream.reassembly.depth == 4 << 20)
        #expect(stream.reassembly.toServerChunkSize == 5120 && stream.reassembly.toClientChunkSize == 6144)
        #expect(!stream.reassembly.randomizeChunkSize && stream.reassembly.segmentPrealloc == 4096)
    }

    @Test func flowAndTimeouts() {
        #expect(self.config.flow.memcap == 512 << 20 && self.config.flow.hashSize == 131072)
        #expect(self.config.flow.prealloc == 20000 && self.config.flow.emergencyRecovery == 40)
        let timeouts = self.config.flowTimeouts
        #expect(timeouts.default.new == 31 && timeouts.default.established == 301)
        #expect(timeouts.default.bypassed == 100)
        #expect(
            timeouts.tcp
                == FlowTimeouts(
                    new: 61,
                    established: 3601,
                    closed: 11,
                    bypassed: 121,
                    emergencyNew: 6,
                    emergencyEstablished: 101,
                    emergencyClosed: 2,
                    emergencyBypassed: 51
                )
        )
        #expect(timeouts.udp.established == 121 && timeouts.udp.new == 30)
        #expect(timeouts.icmp.new == 7)
    }

    @Test func engineSettings() {
        #expect(self.config.detect.profile == .high && self.config.detect.sghMPMContext == .full)
        #expect(self.config.detect.inspectionRecursionLimit == 2000)
        #expect(self.config.actionOrder == [.drop, .pass, .reject, .alert])
        #expect(self.config.packetAlertMax == 30)
        #expect(self.config.checksumChecks == .all)
        #expect(self.config.pcapFile.checksumChecks == ChecksumMode.none)
        #expect(self.config.effectivePcapChecksumMode == .all)
        #expect(self.config.kernelVersionOverride == KernelVersion(major: 4, minor: 9))
        #expect(self.config.bypass.flowTableSize == 1024 && self.config.bypass.blockListSize == 512)
        #expect(self.config.bypass.pinPath == "/sys/fs/bpf/weir-test")
        #expect(self.config.maxPendingPackets == 2048)
        #expect(self.config.runMode == .workers && self.config.hostMode == .snifferOnly)
    }

    @Test func ignoredSuricataKeysAreOneWarning() {
        let keys = self.loaded.ignoredKeys.map(\.key)
        #expect(
            keys == [
                "outputs.1.eve-log.types.0.alert.tagged-packets",
                "outputs.3.unified2-alert", "logging",
                "af-packet.2.mmap-locked", "app-layer.protocols.tls.ja3-fingerprints", "app-layer.protocols.smb",
                "stream.reassembly.raw", "flow.managers", "detect.prefilter",
            ]
        )
        // unix-command is read (the control socket); `auto` means Suricata's unix-socket runmode only.
        #expect(self.config.unixCommand.enabled == .auto)
        // host-os-policy is read (the stream engine's overlap policies), not ignored.
        #expect(
            self.config.hostOSPolicy == [HostOSPolicyEntry(policy: "linux", networks: ["0.0.0.0/0"])])
        #expect(self.loaded.warnings.count == 1)
        let warning = self.loaded.warnings.first ?? ""
        #expect(warning.hasPrefix("ignored Suricata keys: outputs.1.eve-log.types.0.alert.tagged-packets (full.yaml:42:13), "))
        // community-id is read (EVE's community_id), not ignored.
        #expect(self.config.outputs.eveLogs.contains { $0.communityID })
        #expect(warning.contains("logging (full.yaml:62:1)"))
    }
}

extension EVEDropOptions {
    init(alerts: Bool, flows: DropFlowsMode) {
        self.init()
        self.alerts = alerts
        self.flows = flows
    }
}
