// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// Every EVE record type takes Suricata's generic `enabled` switch, and the DNS type its format settings.
@Suite struct EVETypeSwitchTests {
    static func eve(_ types: String) throws -> EVELogOutput {
        let yaml = "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n" + types
        let loaded = try ConfigLoader.load(yaml: yaml, file: "t.yaml")
        return try #require(loaded.configuration.outputs.eveLog)
    }

    @Test func enabledNoLeavesATypeOutWithoutReadingIt() throws {
        let eve = try Self.eve(
            """
                    - http:
                        enabled: no
                        not-a-setting: 1
                    - tls:
                        enabled: yes
                        extended: no
                    - files:
                        enabled: true
                        force-md5: yes
                    - flow:
                        enabled: no

            """)
        #expect(eve.http == nil && !eve.flow)
        #expect(eve.tls?.extended == false)
        #expect(eve.files != nil)
    }

    @Test func aSwitchThatIsNotABooleanIsAnError() throws {
        #expect(throws: ConfigError.self) { try Self.eve("        - tls:\n            enabled: maybe\n") }
        do {
            _ = try Self.eve("        - tls:\n            enabled: maybe\n")
        } catch {
            #expect("\(error)".contains("tls.enabled"))
        }
    }

    @Test func keysBesideATypeAreIgnoredAsSuricataIgnoresThem() throws {
        // `totals` one level too far left: a sibling of `stats` in the list item, which Suricata never reads.
        let yaml = "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n        - stats:\n          totals: no\n"
        let loaded = try ConfigLoader.load(yaml: yaml, file: "t.yaml")
        #expect(loaded.configuration.outputs.eveLog?.stats?.totals == true)
        #expect(loaded.ignoredKeys.map(\.key) == ["outputs.0.eve-log.types.0.totals"])
        let vntagYAML = "%YAML 1.1\n---\ndecoder:\n  vntag:\n    enabled: yes\n"
        let vntag = try ConfigLoader.load(yaml: vntagYAML, file: "v.yaml")
        #expect(vntag.ignoredKeys.map(\.key) == ["decoder.vntag"])
    }

    @Test func recursionLevelTracking() throws {
        let yaml = "%YAML 1.1\n---\ndecoder:\n  recursion-level:\n    use-for-tracking: false\n"
        let loaded = try ConfigLoader.load(yaml: yaml, file: "r.yaml")
        #expect(loaded.configuration.decoder.recursionTracking == false)
        #expect(loaded.ignoredKeys.isEmpty)
        #expect(try ConfigLoader.load(yaml: "%YAML 1.1\n---\n", file: "e.yaml").configuration.decoder.recursionTracking)
    }

    @Test func dnsFormatSettings() throws {
        let eve = try Self.eve(
            "        - dns:\n            version: 2\n            formats: [Grouped]\n            types: [A, mx]\n")
        let dns = try #require(eve.dns)
        #expect(dns.version == 2 && dns.formats == ["grouped"] && dns.types == ["a", "mx"])
        #expect(try Self.eve("        - dns\n").dns?.version == nil)
        // Version 1 is gone in Suricata 8, which uses 3 instead.
        #expect(try Self.eve("        - dns:\n            version: 1\n").dns?.version == 3)
        #expect(throws: ConfigError.self) { try Self.eve("        - dns:\n            types: [bogus]\n") }
    }
}

/// `xff:` of the alert and http record types.
@Suite struct XFFConfigTests {
    @Test func readsModeDeploymentAndHeader() throws {
        let eve = try EVETypeSwitchTests.eve(
            """
                    - alert:
                        xff:
                          enabled: yes
                          mode: overwrite
                          deployment: forward
                          header: X-Real-IP
                    - http:
                        xff:
                          enabled: yes

            """)
        #expect(eve.alert?.xff?.mode == .overwrite && eve.alert?.xff?.deployment == .forward)
        #expect(eve.alert?.xff?.header == "X-Real-IP")
        // Suricata's defaults: extra-data, reverse, X-Forwarded-For.
        #expect(eve.http?.xff == EVEXFFOptions())
    }

    @Test func disabledIsNilAndABadModeNamesItsKey() throws {
        let eve = try EVETypeSwitchTests.eve(
            "        - alert:\n            xff:\n              enabled: no\n              mode: x\n")
        #expect(eve.alert != nil && eve.alert?.xff == nil)
        do {
            _ = try EVETypeSwitchTests.eve(
                "        - alert:\n            xff:\n              enabled: yes\n              mode: sideways\n")
            Issue.record("a bad mode was accepted")
        } catch {
            #expect("\(error)".contains("xff.mode"))
        }
    }
}

/// `dump-all-headers` and `custom` of the http record type.
@Suite struct HTTPHeaderLoggingConfigTests {
    @Test func dumpAllHeadersAndCustomNames() throws {
        let eve = try EVETypeSwitchTests.eve(
            """
                    - http:
                        dump-all-headers: response
                        custom: [accept_encoding, X-Forwarded-Proto, Referer, etag, accept_encoding]

            """)
        #expect(eve.http?.dumpAllHeaders == .response)
        // By Suricata's field name or the header's; referer is left to extended logging; `etag` stands for the
        // `etags` header, as in Suricata's table; each once.
        #expect(eve.http?.customHeaders == ["accept-encoding", "x-forwarded-proto", "etags"])
        let plain = try EVETypeSwitchTests.eve(
            "        - http:\n            extended: no\n            custom: [referer]\n")
        #expect(plain.http?.customHeaders == ["referer"])
    }

    @Test func badValuesNameTheirKey() throws {
        for (setting, key) in [("dump-all-headers: all", "dump-all-headers"), ("custom: [x_not_a_field]", "custom")] {
            do {
                _ = try EVETypeSwitchTests.eve("        - http:\n            \(setting)\n")
                Issue.record("\(setting) was accepted")
            } catch {
                #expect("\(error)".contains("http.\(key)"))
            }
        }
    }
}
