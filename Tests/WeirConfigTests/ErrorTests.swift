// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// Loads `yaml` and returns the error it must raise.
func loadError(_ yaml: String, file: String = "test.yaml", overrides: [String] = []) -> ConfigError? {
    do {
        _ = try ConfigLoader.load(yaml: yaml, file: file, overrides: overrides)
        return nil
    } catch {
        return error
    }
}

/// Loads the file at `path` and returns the error it must raise.
func loadFileError(_ path: String) -> ConfigError? {
    do {
        _ = try ConfigLoader.load(path: path)
        return nil
    } catch {
        return error
    }
}

@Suite struct ErrorTests {
    @Test func unknownNestedKeyNamesFileLineAndDottedKey() throws {
        let yaml = """
            stream:
              memcap: 64mb
              midstreem: yes
            """
        let error = try #require(loadError(yaml))
        #expect(error.code == .unknownKey)
        #expect(error.file == "test.yaml" && error.line == 3 && error.column == 3)
        #expect(error.key == "stream.midstreem")
        #expect(
            error.description
                == "test.yaml:3:3: key 'stream.midstreem': unknown key (neither a Weir nor a Suricata setting); did you mean 'midstream'?"
        )
    }

    @Test func unknownTopLevelKey() throws {
        let error = try #require(loadError("vars:\n  address-groups: {}\nfrobnicate: 1\n"))
        #expect(error.description.hasPrefix("test.yaml:3:1: key 'frobnicate': unknown key"))
    }

    @Test func unknownKeyInListItemUsesIndex() throws {
        let yaml = """
            af-packet:
              - interface: eth0
              - interface: eth1
                treads: 2
            """
        let error = try #require(loadError(yaml))
        #expect(error.key == "af-packet.1.treads" && error.line == 4)
        #expect(error.message.contains("did you mean 'threads'"))
    }

    @Test func unknownEVERecordType() throws {
        let yaml = """
            outputs:
              - eve-log:
                  types:
                    - alert
                    - flwo
            """
        let error = try #require(loadError(yaml))
        #expect(error.key == "outputs.0.eve-log.types.1.flwo" && error.line == 5 && error.column == 11)
    }

    static let badValueTable: [(String, String, Int, String)] = [
        ("stream:\n  midstream: maybe\n", "stream.midstream", 2, "'maybe' is not a boolean"),
        ("stream:\n  memcap: 12xb\n", "stream.memcap", 2, "'12xb' is not a size"),
        ("flow:\n  hash-size: lots\n", "flow.hash-size", 2, "'lots' is not an integer"),
        ("flow:\n  emergency-recovery: 101\n", "flow.emergency-recovery", 2, "101 is out of range (0 to 100)"),
        ("stream:\n  inline: sometimes\n", "stream.inline", 2, "'sometimes' is not one of auto, yes or no"),
        (
            "af-packet:\n  - interface: eth0\n    copy-mode: inline\n", "af-packet.0.copy-mode", 3,
            "is not one of none, ips or tap"
        ),
        (
            "af-packet:\n  - interface: eth0\n    xdp-mode: turbo\n", "af-packet.0.xdp-mode", 3,
            "'turbo' is not one of auto, none, soft, driver or hw"
        ),
        (
            "af-packet:\n  - interface: eth0\n    copy-mode: ips\n", "af-packet.0.copy-iface", 2,
            "copy-mode ips needs a copy-iface"
        ),
        ("af-packet:\n  - threads: 2\n", "af-packet.0", 2, "needs an 'interface'"),
        (
            "af-packet:\n  - interface: eth0\n    fail-mode: open\n", "af-packet.0.fail-mode", 2,
            "fail-mode applies to copy-mode ips or tap pairs"
        ),
        (
            "af-packet:\n  - interface: eth0\n    copy-mode: ips\n    copy-iface: eth1\n    fail-mode: ajar\n",
            "af-packet.0.fail-mode", 5, "'ajar' is not open or closed"
        ),
        (
            "af-packet:\n  - interface: eth0\n    copy-mode: ips\n    copy-iface: eth1\n    fail-mode: open\n    heartbeat-period: 500\n    heartbeat-timeout: 400\n",
            "af-packet.0.heartbeat-timeout", 2, "must be longer than heartbeat-period"
        ),
        (
            "af-packet:\n  - interface: eth0\n    threads: many\n", "af-packet.0.threads", 3,
            "is not 'auto' or a thread count"
        ),
        ("action-order:\n  - pass\n  - drop\n  - drop\n  - alert\n", "action-order.2", 4, "'drop' is listed twice"),
        ("action-order:\n  - pass\n  - drop\n  - alert\n", "action-order", 2, "missing reject"),
        (
            "action-order:\n  - pass\n  - drop\n  - reject\n  - log\n", "action-order.3", 5,
            "'log' is not one of pass, drop, reject or alert"
        ),
        ("packet-alert-max: 70000\n", "packet-alert-max", 1, "out of range"),
        (
            "app-layer:\n  protocols:\n    tls:\n      encryption-handling: drop\n",
            "app-layer.protocols.tls.encryption-handling", 4, "is not one of default, bypass or full"
        ),
        (
            "app-layer:\n  protocols:\n    http:\n      enabled: perhaps\n", "app-layer.protocols.http.enabled", 4,
            "is not one of yes, no or detection-only"
        ),
        ("checksum-checks: sometimes\n", "checksum-checks", 1, "is not one of none, all or auto"),
        ("kernel-version-override: four\n", "kernel-version-override", 1, "is not a kernel version"),
        ("stream: [1, 2]\n", "stream", 1, "expected a mapping of keys, found a list"),
        ("rule-files:\n  - a.rules\n  - {x: 1}\n", "rule-files.1", 3, "expected a single value, found a mapping"),
        ("detect:\n  profile: extreme\n", "detect.profile", 2, "is not one of low, medium, high or custom"),
        (
            "outputs:\n  - stats:\n      totals: no\n      threads: no\n", "outputs.0.stats.totals", 3,
            "totals and threads cannot both be off"
        ),
    ]

    @Test(arguments: badValueTable)
    func badValuesStopWithLocation(yaml: String, key: String, line: Int, message: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.key == key)
        #expect(error.line == line)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.description.hasPrefix("test.yaml:\(line):"))
    }

    @Test func yamlSyntaxErrorHasLocation() throws {
        let error = try #require(loadError("stream:\n  memcap: [1, 2\nflow: {}\n"))
        #expect(error.code == .syntax)
        #expect(error.line >= 2)
        #expect(error.key == nil)
        #expect(error.description.hasPrefix("test.yaml:\(error.line):\(error.column): invalid YAML"))
    }

    @Test func packetAlertMaxZeroFallsBackToFifteen() throws {
        let loaded = try ConfigLoader.load(yaml: "packet-alert-max: 0\n")
        #expect(loaded.configuration.packetAlertMax == 15)
    }

    @Test func unreadableFile() throws {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/weir.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.description == "/nonexistent/weir.yaml: cannot read the configuration file")
        }
    }
}

@Suite struct ValueParserTests {
    static let sizeTable: [(String, UInt64)] = [
        ("32mb", 33_554_432), ("1gb", 1_073_741_824), ("64kb", 65_536), ("64KB", 65_536), ("100", 100),
        ("2 MB", 2_097_152), ("10KiB", 10_240), ("1.5mb", 1_572_864), ("0", 0), (" 4kb ", 4096),
        ("2tb", 2_199_023_255_552),
    ]

    @Test(arguments: sizeTable)
    func sizes(text: String, bytes: UInt64) {
        #expect(ConfigValueParser.size(text) == bytes)
    }

    @Test(arguments: ["mb", "1xb", "-1", "1.2.3mb", "", "kb10", ".5mb", "99999999999999999999"])
    func badSizes(text: String) {
        #expect(ConfigValueParser.size(text) == nil)
    }

    static let boolTable: [(String, Bool)] = [
        ("yes", true), ("Yes", true), ("true", true), ("TRUE", true), ("on", true), ("1", true),
        ("no", false), ("false", false), ("off", false), ("OFF", false), ("0", false),
    ]

    @Test(arguments: boolTable)
    func booleans(text: String, value: Bool) {
        #expect(ConfigValueParser.bool(text) == value)
    }

    @Test(arguments: ["y", "n", "2", "enabled", ""])
    func badBooleans(text: String) {
        #expect(ConfigValueParser.bool(text) == nil)
    }

    @Test func booleansInFile() throws {
        for (text, value) in [("yes", true), ("off", false), ("1", true), ("False", false)] {
            let loaded = try ConfigLoader.load(yaml: "stream:\n  midstream: \(text)\n")
            #expect(loaded.configuration.stream.midstream == value)
        }
    }

    @Test func integers() {
        #expect(ConfigValueParser.integer("42") == 42)
        #expect(ConfigValueParser.integer("-7") == -7)
        #expect(ConfigValueParser.integer("0x10") == 16)
        #expect(ConfigValueParser.integer("4k") == nil)
    }

    @Test func kernelVersions() {
        #expect(KernelVersion(parsing: "4.9") == KernelVersion(major: 4, minor: 9))
        #expect(KernelVersion(parsing: "6.1.0-13-amd64") == KernelVersion(major: 6, minor: 1, patch: 0))
        #expect(KernelVersion(parsing: "5") == nil)
        #expect(KernelVersion(parsing: "4.9") ?? KernelVersion(major: 0, minor: 0) < KernelVersion(major: 4, minor: 14))
    }
}
