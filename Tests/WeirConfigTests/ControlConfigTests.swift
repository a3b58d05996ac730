// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// `unix-command`, `metrics` and `detect.rule-reload`: read, defaulted, and checked like every other section.
@Suite struct ControlConfigTests {
    @Test func defaultsAreOffAndReloadAllowed() throws {
        let config = try ConfigLoader.load(yaml: "%YAML 1.1\n---\nvars: {}\n", file: "t.yaml").configuration
        #expect(config.unixCommand.enabled == .no && config.unixCommand.filename == nil)
        #expect(!config.metrics.enabled && config.metrics.listen == "127.0.0.1:9637")
        #expect(config.detect.ruleReload)
    }

    @Test func sectionsAreRead() throws {
        let yaml = """
            unix-command:
              enabled: yes
              filename: custom.socket
            metrics:
              enabled: yes
              listen: "[::1]:9100"
            detect:
              rule-reload: false
            """
        let loaded = try ConfigLoader.load(yaml: yaml, file: "t.yaml")
        #expect(loaded.configuration.unixCommand.enabled == .yes)
        #expect(loaded.configuration.unixCommand.filename == "custom.socket")
        #expect(loaded.configuration.metrics.enabled && loaded.configuration.metrics.listen == "[::1]:9100")
        #expect(!loaded.configuration.detect.ruleReload)
        // Read now: no "ignored Suricata key" warning for them.
        #expect(!loaded.warnings.joined().contains("unix-command"), "\(loaded.warnings)")
        #expect(!loaded.warnings.joined().contains("rule-reload"), "\(loaded.warnings)")
    }

    @Test func suricataSpellingOfEnabledIsAccepted() throws {
        let config = try ConfigLoader.load(yaml: "unix-command:\n  enabled: auto\n", file: "t.yaml").configuration
        #expect(config.unixCommand.enabled == .auto)
    }

    @Test func unknownKeysStopStartUpNamingTheKey() throws {
        let metrics = try #require(loadError("metrics:\n  enabled: yes\n  listn: 127.0.0.1:1\n"))
        #expect(metrics.code == .unknownKey && metrics.key == "metrics.listn", "\(metrics)")
        let unix = try #require(loadError("unix-command:\n  enabled: yes\n  file: x\n"))
        #expect(unix.code == .unknownKey && unix.key == "unix-command.file", "\(unix)")
        let listen = try #require(loadError("metrics:\n  enabled: yes\n  listen: 9637\n"))
        #expect(listen.key == "metrics.listen" && listen.line == 3, "\(listen)")
        let mode = try #require(loadError("unix-command:\n  enabled: sometimes\n"))
        #expect(mode.key == "unix-command.enabled", "\(mode)")
    }
}
