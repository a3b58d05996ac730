// SPDX-License-Identifier: MIT
import Testing

@testable import WeirConfig

/// `vlan.use-for-tracking`: read and typed (it used to be an ignored Suricata key).
@Suite struct VLANConfigTests {
    @Test func trackingIsOnByDefault() throws {
        let config = try ConfigLoader.load(yaml: "vars: {}\n", file: "t.yaml").configuration
        #expect(config.vlan.useForTracking)
    }

    @Test func theFileCanTurnTrackingOff() throws {
        let loaded = try ConfigLoader.load(yaml: "vlan:\n  use-for-tracking: false\n", file: "t.yaml")
        #expect(!loaded.configuration.vlan.useForTracking)
        #expect(!loaded.ignoredKeys.map(\.key).contains { $0.hasPrefix("vlan") })
    }

    @Test func anOverrideTurnsTrackingOff() throws {
        let loaded = try ConfigLoader.load(
            yaml: "vlan:\n  use-for-tracking: true\n", file: "t.yaml", overrides: ["vlan.use-for-tracking=false"])
        #expect(!loaded.configuration.vlan.useForTracking)
    }

    @Test func aValueThatIsNoBooleanIsAnError() {
        #expect(throws: ConfigError.self) {
            _ = try ConfigLoader.load(yaml: "vlan:\n  use-for-tracking: sometimes\n", file: "t.yaml")
        }
    }
}
