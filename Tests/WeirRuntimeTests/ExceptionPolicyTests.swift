// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirRuntime
import WeirTestSupport

/// Exception policies applied by the replay path: what happens to the packet and its flow, the flow record's
/// `exception_policy` entries and the `exception_policy.*` counters.
@Suite struct ExceptionPolicyTests {
    struct Run {
        var records: [[String: Any]]
        var stats: [String: UInt64]
        var directory: String

        var alerts: Int { self.records.filter { $0["event_type"] as? String == "alert" }.count }
        var drops: [[String: Any]] {
            self.records.filter { $0["event_type"] as? String == "drop" }.compactMap { $0["drop"] as? [String: Any] }
        }
        var flow: [String: Any]? {
            self.records.first { $0["event_type"] as? String == "flow" }?["flow"] as? [String: Any]
        }
        /// The flow record's `exception_policy` entries as `target=policy`.
        var exceptions: [String] {
            (self.flow?["exception_policy"] as? [[String: Any]] ?? []).map {
                "\($0["target"] as? String ?? "?")=\($0["policy"] as? String ?? "?")"
            }
        }
    }

    /// Replays `conversation` with one content rule on its data; the log directory is removed by the caller.
    static func run(
        _ conversation: TCPConversation, overrides: [String], ips: Bool = false,
        rule: String = #"alert tcp any any -> any any (msg:"data"; content:"secret"; sid:1;)"#
    ) throws -> Run {
        let dir = try makeTemporaryDirectory("weir-expol")
        try conversation.write(to: dir + "/in.pcap")
        try rule.write(
            toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.readPaths = [dir + "/in.pcap"]
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.overrides = ["outputs.0.eve-log.types=[alert, flow, drop, stats]"] + overrides
        options.simulateIPS = ips
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        let text = try String(contentsOfFile: dir + "/eve.json", encoding: .utf8)
        let records = try text.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let weirOnly = statsLogTotals(dir + "/stats.log")
        return Run(records: records, stats: try statsCounters(dir + "/eve.json").merging(weirOnly) { a, _ in a }, directory: dir)
    }

    /// A conversation whose handshake was not captured: data both ways, then the close.
    static var midstream: TCPConversation {
        var c = TCPConversation()
        c.send(toServer: true, "GET /secret HTTP/1.0\r\n\r\n")
        c.send(toServer: false, "HTTP/1.0 200 OK\r\n\r\n")
        c.close()
        return c
    }

    /// The same with its handshake.
    static var complete: TCPConversation {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /secret HTTP/1.0\r\n\r\n")
        c.send(toServer: false, "HTTP/1.0 200 OK\r\n\r\n")
        c.close()
        return c
    }

    @Test func aMidstreamPickupIsRecordedAsIgnoredAndStillInspected() throws {
        let run = try Self.run(Self.midstream, overrides: ["stream.midstream=true"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_midstream=ignore"])
        #expect(run.alerts == 1)
        // `ignore` has no counters, as in Suricata.
        #expect(!run.stats.keys.contains { $0.hasPrefix("exception_policy.") })
    }

    @Test func aFlowWithItsHandshakeMeetsNoException() throws {
        let run = try Self.run(Self.complete, overrides: [])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.flow != nil)
        #expect(run.flow?["exception_policy"] == nil)
        #expect(run.alerts == 1)
    }

    @Test func midstreamPassFlowTracksButDoesNotInspect() throws {
        let run = try Self.run(
            Self.midstream, overrides: ["stream.midstream=true", "stream.midstream-policy=pass-flow"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_midstream=pass_flow"])
        #expect(run.alerts == 0)
        #expect(run.flow?["action"] as? String == "pass")
        // Applied once per packet that met it (the pick-up); only pass-flow is counted with midstream on.
        #expect((run.stats["exception_policy.tcp.midstream.pass_flow"] ?? 0) >= 1)
        #expect(run.stats["exception_policy.tcp.midstream.bypass"] == nil)
    }

    @Test func inIPSModeAutoDropsAMidstreamFlow() throws {
        let run = try Self.run(Self.midstream, overrides: [], ips: true)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_midstream=drop_flow"])
        #expect(run.alerts == 0)
        #expect(run.flow?["action"] as? String == "drop")
        let reasons = run.drops.compactMap { $0["reason"] as? String }
        // The first packet is dropped for the exception; the flow's later packets are not logged again (flows: start).
        #expect(reasons.first == "stream midstream")
        #expect(run.stats["exception_policy.tcp.midstream.drop_flow"] == 1)
    }

    /// Suricata 8's `ips.*` verdict counters: every frame accepted, blocked or rejected, and each drop's reason.
    @Test func ipsCountersGiveEachDroppedFramesReason() throws {
        let run = try Self.run(Self.midstream, overrides: [], ips: true)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let frames = try #require(run.stats["decoder.pkts"])
        #expect(frames >= 3)
        // The pick-up is dropped for the midstream exception, the flow's later packets for the flow's drop.
        #expect(run.stats["ips.blocked"] == frames && run.stats["ips.accepted"] == 0)
        #expect(run.stats["ips.drop_reason.stream_midstream"] == 1)
        #expect(run.stats["ips.drop_reason.exception_policy_flow_drop"] == frames - 1)
        #expect(run.stats["ips.drop_reason.rules"] == 0 && run.stats["ips.rejected"] == 0)
        #expect(run.stats["ips.replaced"] == 0)
    }

    @Test func ipsCountersCountARulesDropAndTheFlowItDrops() throws {
        let run = try Self.run(
            Self.complete, overrides: [], ips: true,
            rule: #"drop tcp any any -> any any (msg:"data"; content:"secret"; sid:1;)"#)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let frames = try #require(run.stats["decoder.pkts"])
        let blocked = try #require(run.stats["ips.blocked"])
        // The handshake passes; the data packet is dropped by the rule, and every packet after it with the flow.
        #expect(run.stats["ips.accepted"] == 3)
        #expect(blocked == frames - 3)
        #expect(run.stats["ips.drop_reason.rules"] == 1)
        #expect(run.stats["ips.drop_reason.flow_drop"] == blocked - 1)
    }

    @Test func idsModeHasNoIPSCounters() throws {
        let run = try Self.run(Self.complete, overrides: [])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        // Suricata registers them only in IPS mode (Weir's own `ips.drop_flows` is another matter).
        #expect(!run.stats.keys.contains { $0.hasPrefix("ips.drop_reason.") })
        #expect(run.stats["ips.accepted"] == nil && run.stats["ips.blocked"] == nil)
    }

    @Test func inIDSModeIgnoreIsTheDefaultForAMidstreamFlowWithoutPickup() throws {
        let run = try Self.run(Self.midstream, overrides: [])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_midstream=ignore"])
        #expect(run.drops.isEmpty)
    }

    @Test func midstreamBypassBypassesTheFlow() throws {
        let run = try Self.run(Self.midstream, overrides: ["stream.midstream-policy=bypass"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_midstream=bypass"])
        #expect(run.flow?["state"] as? String == "bypassed")
        #expect(run.alerts == 0)
        #expect(run.stats["exception_policy.tcp.midstream.bypass"] == 1)
        #expect((run.stats["flow_bypassed.local_pkts"] ?? 0) > 0)
    }

    @Test func aSessionMemcapWithDropPacketDropsTheSessionsPackets() throws {
        // A memcap smaller than one session: no session can be had.
        let run = try Self.run(
            Self.complete, overrides: ["stream.memcap=100", "stream.memcap-policy=drop-packet"], ips: true)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        // The SYN finds no room; the SYN/ACK then meets a session that never started, which Suricata treats as a
        // midstream start (auto in IPS mode: drop-flow).
        #expect(run.exceptions == ["stream_memcap=drop_packet", "stream_midstream=drop_flow"])
        #expect(run.drops.first?["reason"] as? String == "stream memcap")
        #expect(run.stats["exception_policy.tcp.ssn_memcap.drop_packet"] == 1)
        #expect(run.flow?["action"] as? String == "drop")
    }

    @Test func aSessionMemcapInIDSModeWithPassPacketIsCountedNotDropped() throws {
        let run = try Self.run(Self.complete, overrides: ["stream.memcap=100", "stream.memcap-policy=pass-packet"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions.contains("stream_memcap=pass_packet"))
        #expect(run.drops.isEmpty)
        #expect((run.stats["exception_policy.tcp.ssn_memcap.pass_packet"] ?? 0) >= 1)
        // IDS mode has no drop counters for this target.
        #expect(run.stats["exception_policy.tcp.ssn_memcap.drop_packet"] == nil)
    }

    @Test func aReassemblyMemcapAppliesItsPolicy() throws {
        let run = try Self.run(
            Self.complete, overrides: ["stream.reassembly.memcap=4", "stream.reassembly.memcap-policy=drop-flow"],
            ips: true)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_reassembly_memcap=drop_flow"])
        #expect(run.flow?["action"] as? String == "drop")
        #expect(run.drops.first?["reason"] as? String == "stream reassembly")
        #expect(run.stats["exception_policy.tcp.reassembly.drop_flow"] == 1)
        #expect(run.alerts == 0)
    }

    @Test(.needsSharedCorpus) func theFlowRecordValidatesAgainstTheSchema() throws {
        let run = try Self.run(
            Self.midstream, overrides: ["stream.midstream=true", "stream.midstream-policy=pass-flow"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["stream_midstream=pass_flow"])
        let (status, output) = validateEVE([run.directory + "/eve.json"])
        #expect(status == 0, "\(output)")
    }

    /// An SSH session whose client sends a binary packet too short to be one: the parser fails on it.
    static var brokenSSH: TCPConversation {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "SSH-2.0-Client\r\n")
        c.send(toServer: false, "SSH-2.0-Server\r\n")
        c.send(toServer: true, "\u{0}\u{0}\u{0}\u{1}\u{0}\u{14}secret")
        c.close()
        return c
    }

    @Test func anAppLayerErrorWithDropFlowDropsTheFlowInIPSMode() throws {
        let run = try Self.run(
            Self.brokenSSH,
            overrides: ["app-layer.error-policy=drop-flow", "stats.exception-policy.per-app-proto-errors=true"],
            ips: true)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["app_layer_error=drop_flow"])
        #expect(run.flow?["action"] as? String == "drop")
        #expect(run.drops.first?["reason"] as? String == "applayer error")
        #expect(run.alerts == 0)
        #expect(run.stats["exception_policy.app_layer.error.drop_flow"] == 1)
        #expect(run.stats["app_layer.error.ssh.exception_policy.drop_flow"] == 1)
    }

    @Test func anAppLayerErrorWithPassFlowStopsDetectionInIDSMode() throws {
        let run = try Self.run(Self.brokenSSH, overrides: ["app-layer.error-policy=pass-flow"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["app_layer_error=pass_flow"])
        #expect(run.flow?["action"] as? String == "pass")
        #expect(run.alerts == 0)
        #expect(run.stats["exception_policy.app_layer.error.pass_flow"] == 1)
        // Without per-app-proto-errors, only the summary counters.
        #expect(!run.stats.keys.contains { $0.hasPrefix("app_layer.error.ssh.exception_policy") })
    }

    @Test func anAppLayerErrorLeftToIgnoreIsRecordedAndInspected() throws {
        let run = try Self.run(Self.brokenSSH, overrides: [])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.exceptions == ["app_layer_error=ignore"])
        #expect(run.alerts == 1)
    }

    /// Two IPv4 datagrams in fragments, interleaved, with one tracker: the second datagram finds none.
    static var interleavedFragments: TCPConversation {
        func fragment(id: UInt16, offset: Int, more: Bool, payload: [UInt8]) -> [UInt8] {
            let total = 20 + payload.count
            let field = UInt16(offset / 8) | (more ? 0x2000 : 0)
            var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
            frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), UInt8(id >> 8), UInt8(id & 0xFF)]
            frame += [UInt8(field >> 8), UInt8(field & 0xFF), 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
            return frame + payload
        }
        // A UDP header (ports 5000 -> 6000, length 24) and the first 8 bytes of data; then the last 8.
        let head: [UInt8] = [0x13, 0x88, 0x17, 0x70, 0, 24, 0, 0] + Array("secret-1".utf8)
        var c = TCPConversation()
        c.frames = [
            fragment(id: 1, offset: 0, more: true, payload: head),
            fragment(id: 2, offset: 0, more: true, payload: head),
            fragment(id: 1, offset: 16, more: false, payload: Array("-tail-01".utf8)),
            fragment(id: 2, offset: 16, more: false, payload: Array("-tail-02".utf8)),
        ]
        return c
    }

    @Test func aDefragMemcapWithDropPacketDropsTheFragmentInIPSMode() throws {
        let run = try Self.run(
            Self.interleavedFragments, overrides: ["defrag.trackers=1", "defrag.memcap-policy=drop-packet"], ips: true)
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        let reasons = run.drops.compactMap { $0["reason"] as? String }
        #expect(reasons.filter { $0 == "defrag memcap" }.count == 1, "\(reasons)")
        #expect(run.stats["exception_policy.defrag.memcap.drop_packet"] == 1)
        #expect(run.stats["defrag.max_trackers_reached"] == 1)
    }

    @Test func aDefragMemcapInIDSModeIsIgnoredByDefault() throws {
        let run = try Self.run(Self.interleavedFragments, overrides: ["defrag.trackers=1"])
        defer { try? FileManager.default.removeItem(atPath: run.directory) }
        #expect(run.drops.isEmpty)
        #expect(!run.stats.keys.contains { $0.hasPrefix("exception_policy.defrag") })
        #expect(run.stats["defrag.max_trackers_reached"] == 1)
    }
}
