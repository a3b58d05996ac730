// SPDX-License-Identifier: MIT
import Testing
import WeirConfig
import WeirCore

/// `exception-policy` and the per-target `*-policy` keys: parsing, bad values, and the resolution for IDS and IPS
/// mode as Suricata's `ExceptionPolicyParse` / `ExceptionPolicyMidstreamParse` do it.
@Suite struct ExceptionPolicyConfigTests {
    private func settings(_ yaml: String) throws -> ExceptionPolicySettings {
        try ConfigLoader.load(yaml: yaml, file: "test.yaml").configuration.exceptionPolicy
    }

    @Test func everyKeyIsReadIntoItsTarget() throws {
        let loaded = try ConfigLoader.load(
            yaml: """
                exception-policy: drop-packet
                stream:
                  memcap-policy: pass-flow
                  midstream-policy: bypass
                  reassembly:
                    memcap-policy: reject
                flow:
                  memcap-policy: pass-packet
                defrag:
                  memcap-policy: drop-packet
                app-layer:
                  error-policy: rejectboth
                stats:
                  exception-policy:
                    per-app-proto-errors: true
                """, file: "test.yaml")
        let s = loaded.configuration.exceptionPolicy
        #expect(s.master == .dropPacket)
        #expect(s.targets[.streamMemcap] == .passFlow)
        #expect(s.targets[.streamMidstream] == .bypass)
        #expect(s.targets[.streamReassemblyMemcap] == .reject)
        #expect(s.targets[.flowMemcap] == .passPacket)
        #expect(s.targets[.defragMemcap] == .dropPacket)
        #expect(s.targets[.appLayerError] == .rejectBoth)
        #expect(s.perAppProtoErrorCounters)
        // They are Weir settings now, not ignored Suricata keys.
        let ignored = loaded.ignoredKeys.map(\.key)
        #expect(!ignored.contains { $0.contains("policy") })
    }

    @Test func badValuesStopStartUpNamingTheKey() {
        let cases: [(String, String)] = [
            ("exception-policy: drop", "exception-policy"),
            ("stream:\n  memcap-policy: dropflow", "stream.memcap-policy"),
            ("stream:\n  midstream-policy: yes", "stream.midstream-policy"),
            ("stream:\n  reassembly:\n    memcap-policy: x", "stream.reassembly.memcap-policy"),
            ("flow:\n  memcap-policy: pass", "flow.memcap-policy"),
            ("defrag:\n  memcap-policy: 1", "defrag.memcap-policy"),
            ("app-layer:\n  error-policy: drop_flow", "app-layer.error-policy"),
        ]
        for (yaml, key) in cases {
            let error = loadError(yaml)
            #expect(error?.key == key, "\(yaml)")
            #expect(error?.description.contains("is not a valid exception policy") == true)
        }
        #expect(loadError("stats:\n  exception-policy:\n    per-app-protos: true")?.key
            == "stats.exception-policy.per-app-protos")
    }

    @Test func unsetMeansIgnoreInIDSAndDropFlowInIPS() throws {
        let s = ExceptionPolicySettings()
        let ids = try s.resolve(ips: false, midstream: false).policies
        let ips = try s.resolve(ips: true, midstream: false).policies
        for target in ExceptionTarget.allCases {
            #expect(ids[target] == .ignore)
            // Suricata's built-in IPS default is drop-flow for every target (flow-less ones drop the packet).
            #expect(ips[target] == .dropFlow)
        }
        // Midstream enabled: its policy stays ignore so sessions are picked up.
        #expect(try s.resolve(ips: true, midstream: true).policies[.streamMidstream] == .ignore)
    }

    @Test func autoIsDropFlowOrDropPacketInIPSAndIgnoreInIDS() throws {
        var s = ExceptionPolicySettings()
        s.master = .auto
        let ips = try s.resolve(ips: true, midstream: false).policies
        #expect(ips[.streamMemcap] == .dropFlow)
        #expect(ips[.streamReassemblyMemcap] == .dropFlow)
        #expect(ips[.appLayerError] == .dropFlow)
        #expect(ips[.streamMidstream] == .dropFlow)
        #expect(ips[.flowMemcap] == .dropPacket)
        #expect(ips[.defragMemcap] == .dropPacket)
        let ids = try s.resolve(ips: false, midstream: false).policies
        for target in ExceptionTarget.allCases { #expect(ids[target] == .ignore) }
        // With midstream on, auto leaves midstream sessions alone in IPS mode too.
        #expect(try s.resolve(ips: true, midstream: true).policies[.streamMidstream] == .ignore)
        // A per-target auto follows the same rule.
        var t = ExceptionPolicySettings()
        t.targets[.flowMemcap] = .auto
        t.targets[.appLayerError] = .auto
        #expect(try t.resolve(ips: true, midstream: false).policies[.flowMemcap] == .dropPacket)
        #expect(try t.resolve(ips: true, midstream: false).policies[.appLayerError] == .dropFlow)
        #expect(try t.resolve(ips: false, midstream: false).policies[.appLayerError] == .ignore)
    }

    @Test func masterDropBecomesIgnoreInIDSWithANote() throws {
        var s = ExceptionPolicySettings()
        s.master = .dropFlow
        let (policies, notes) = try s.resolve(ips: false, midstream: false)
        for target in ExceptionTarget.allCases { #expect(policies[target] == .ignore) }
        #expect(notes.contains { $0.hasPrefix("exception-policy: drop-flow has no effect in IDS mode") })
        // In IPS mode it stands (flow-less targets fall back to drop-packet).
        let ips = try s.resolve(ips: true, midstream: false).policies
        #expect(ips[.streamMemcap] == .dropFlow)
        #expect(ips[.defragMemcap] == .dropPacket)
    }

    @Test func aPerTargetKeyOverridesTheMaster() throws {
        var s = ExceptionPolicySettings()
        s.master = .passFlow
        s.targets[.streamMemcap] = .bypass
        let p = try s.resolve(ips: true, midstream: false).policies
        #expect(p[.streamMemcap] == .bypass)
        #expect(p[.streamReassemblyMemcap] == .passFlow)
        // Flow actions fall back to packet actions where there is no flow.
        #expect(p[.flowMemcap] == .passPacket)
        #expect(p[.defragMemcap] == .passPacket)
    }

    @Test func flowLessTargetsTakePacketActionsOnly() throws {
        var s = ExceptionPolicySettings()
        s.targets[.flowMemcap] = .dropFlow
        s.targets[.defragMemcap] = .bypass
        let (p, notes) = try s.resolve(ips: true, midstream: false)
        #expect(p[.flowMemcap] == .dropPacket)
        #expect(p[.defragMemcap] == .ignore)
        #expect(notes.contains { $0.hasPrefix("flow.memcap-policy: flow actions are not supported") })
        #expect(notes.contains { $0.hasPrefix("defrag.memcap-policy: flow actions are not supported") })
    }

    @Test func midstreamPolicyIsValidatedAsSuricataDoes() throws {
        var s = ExceptionPolicySettings()
        // Midstream pick-up on: only ignore and pass-flow.
        for bad in [ExceptionPolicy.dropFlow, .bypass, .reject, .rejectBoth] {
            s.targets[.streamMidstream] = bad
            #expect(throws: ExceptionPolicySettings.ResolveError.self) { try s.resolve(ips: true, midstream: true) }
        }
        for good in [ExceptionPolicy.ignore, .passFlow] {
            s.targets[.streamMidstream] = good
            #expect(try s.resolve(ips: true, midstream: true).policies[.streamMidstream] == good)
        }
        // Packet actions never.
        for bad in [ExceptionPolicy.passPacket, .dropPacket] {
            s.targets[.streamMidstream] = bad
            #expect(throws: ExceptionPolicySettings.ResolveError.self) { try s.resolve(ips: true, midstream: false) }
        }
        // drop-flow is refused in IDS mode, allowed in IPS mode with midstream off.
        s.targets[.streamMidstream] = .dropFlow
        let idsError = #expect(throws: ExceptionPolicySettings.ResolveError.self) {
            try s.resolve(ips: false, midstream: false)
        }
        #expect(idsError?.key == "stream.midstream-policy")
        #expect(try s.resolve(ips: true, midstream: false).policies[.streamMidstream] == .dropFlow)
        // A master drop-packet reaches the midstream target in IPS mode and is refused there, naming the master.
        var m = ExceptionPolicySettings()
        m.master = .dropPacket
        let masterError = #expect(throws: ExceptionPolicySettings.ResolveError.self) {
            try m.resolve(ips: true, midstream: false)
        }
        #expect(masterError?.key == "exception-policy")
    }

    @Test func rejectInIDSModeIsKeptWithANote() throws {
        var s = ExceptionPolicySettings()
        s.targets[.appLayerError] = .reject
        let (p, notes) = try s.resolve(ips: false, midstream: false)
        #expect(p[.appLayerError] == .reject)
        #expect(notes.contains { $0.hasPrefix("app-layer.error-policy: reject in IDS mode") })
    }

    @Test func policyNamesAreSuricatas() {
        #expect(ExceptionPolicy.allCases.map(\.eveName) == [
            "ignore", "auto", "pass_packet", "pass_flow", "bypass", "drop_packet", "drop_flow", "reject", "reject_both",
        ])
        for policy in ExceptionPolicy.allCases {
            #expect(ExceptionPolicy(configValue: policy.configName) == policy)
        }
        #expect(ExceptionTarget.allCases.map(\.eveName) == [
            "defrag_memcap", "stream_memcap", "stream_reassembly_memcap", "flow_memcap", "stream_midstream",
            "app_layer_error",
        ])
    }
}
