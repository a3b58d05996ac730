// SPDX-License-Identifier: MIT
import Testing
import WeirConfig

/// `app-layer.protocols.http.libhtp`: its options are checked key by key and handed to the parser flattened.
@Suite struct LibHTPConfigTests {
    static func load(_ libhtp: String) throws -> LoadedConfiguration {
        let yaml = "%YAML 1.1\n---\napp-layer:\n  protocols:\n    http:\n      libhtp:\n" + libhtp
        let dir = try Fixtures.folder(["weir.yaml": yaml])
        return try ConfigLoader.load(path: dir + "/weir.yaml", overrides: [])
    }

    @Test func defaultAndServerConfigsAreReadAndFlattened() throws {
        let loaded = try Self.load(
            """
                    default-config:
                      personality: IDS
                      request-body-limit: 100 KiB
                      response-body-inspect-window: 16kb
                      double-decode-path: no
                      headers-limit: 1024
                      randomize-inspection-sizes: yes
                    server-config:
                      - apache:
                          address: [192.168.1.0/24, 127.0.0.0/8, "::1"]
                          personality: Apache_2
                          request-body-limit: 4096
                      - iis7:
                          address:
                            - 192.168.0.0/24
                          personality: IIS_7_0
                          swf-decompression:
                            enabled: no
            """)
        let values = try #require(loaded.configuration.appLayer.protocols["http"]?.parserValues)
        #expect(values["libhtp.default-config.personality"] == "IDS")
        #expect(values["libhtp.server-config.0.apache.address.2"] == "::1")
        #expect(values["libhtp.server-config.1.iis7.personality"] == "IIS_7_0")
        // Suricata options the parser does not apply are ignored keys, reported once; the rest is used.
        #expect(
            Set(loaded.ignoredKeys.map(\.key)) == [
                "app-layer.protocols.http.libhtp.default-config.randomize-inspection-sizes",
                "app-layer.protocols.http.libhtp.server-config.1.iis7.swf-decompression",
            ])
    }

    @Test(arguments: [
        ("default-config:\n  personality: Nginx", "libhtp.default-config.personality"),
        ("default-config:\n  request-body-limit: lots", "libhtp.default-config.request-body-limit"),
        ("default-config:\n  double-decode-path: maybe", "libhtp.default-config.double-decode-path"),
        ("default-config:\n  headers-limit: -1", "libhtp.default-config.headers-limit"),
        ("default-config:\n  request-body-limt: 1kb", "libhtp.default-config.request-body-limt"),
        ("server-config:\n  - apache:\n      address: [10.0.0.0/33]", "libhtp.server-config.0.apache.address"),
        ("server-config:\n  - apache:\n      adress: [10.0.0.0/8]", "libhtp.server-config.0.apache.adress"),
        ("defaults-config:\n  personality: IDS", "libhtp.defaults-config"),
    ])
    func badOptionStopsStartUpNamingTheKey(text: String, key: String) {
        let indented = text.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n")
        do {
            _ = try Self.load(indented + "\n")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains("app-layer.protocols.http." + key), "\(error)")
        }
    }
}
