// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirRuntime

/// Replays `conversation` inline (`--simulate-ips`) with `rules` and an optional configuration, and returns every
/// EVE record.
private func replayInline(_ conversation: TCPConversation, rules: String, config: String? = nil) throws
    -> [[String: Any]]
{
    let dir = try makeTemporaryDirectory("weir-drop")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try conversation.write(to: dir + "/in.pcap")
    try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
    var options = RunOptions()
    if let config {
        try config.write(toFile: dir + "/weir.yaml", atomically: true, encoding: .utf8)
        options.configPath = dir + "/weir.yaml"
    }
    options.readPaths = [dir + "/in.pcap"]
    options.exclusiveRuleFiles = [dir + "/test.rules"]
    options.logDirectory = dir
    options.checksumChecks = "none"
    options.simulateIPS = true
    options.showProgress = false
    options.quiet = true
    #expect(Replay.run(options) == 0)
    let text = try String(contentsOfFile: dir + "/eve.json", encoding: .utf8)
    return try text.split(separator: "\n").compactMap {
        try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}

private func drops(_ records: [[String: Any]]) -> [[String: Any]] {
    records.filter { $0["event_type"] as? String == "drop" }.compactMap { $0["drop"] as? [String: Any] }
}

private func flowAction(_ records: [[String: Any]]) -> String? {
    let flow = records.first { $0["event_type"] as? String == "flow" }?["flow"] as? [String: Any]
    return flow?["action"] as? String
}

@Suite struct DropRecordTests {
    /// Three requests of three bytes and one longer, each acknowledged.
    static var conversation: TCPConversation {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "one")
        c.send(toServer: true, "two")
        c.send(toServer: true, "three")
        c.close()
        return c
    }

    @Test func aPacketRuleDropsItsPacketsOnlyAndEachIsLoggedAsARuleDrop() throws {
        // dsize is a packet property: Suricata drops the packet, not the flow, and logs every such drop even with
        // the default `flows: start`.
        let records = try replayInline(Self.conversation, rules: "drop tcp any any -> any 80 (dsize:3; sid:1;)")
        let dropped = drops(records)
        #expect(dropped.count == 2)
        #expect(dropped.allSatisfy { $0["reason"] as? String == "rules" })
        #expect(flowAction(records) == nil)
    }

    @Test func aFlowDropLogsFlowDropReasonsAndTheCausingAlert() throws {
        let config = """
            %YAML 1.1
            ---
            outputs:
              - eve-log:
                  enabled: yes
                  types:
                    - alert
                    - flow
                    - drop:
                        alerts: yes
                        flows: all
            """
        // Like IP-only (no payload, no direction): the drop reaches the flow, and every later packet is dropped.
        let records = try replayInline(
            Self.conversation, rules: "drop tcp any any -> any any (flow:established; sid:2;)", config: config)
        let dropped = drops(records)
        let reasons = dropped.map { $0["reason"] as? String ?? "" }
        #expect(reasons.first == "rules")
        #expect(reasons.count > 3)
        #expect(reasons.dropFirst().allSatisfy { $0 == "flow drop" }, "\(reasons)")
        let withAlert = records.filter {
            $0["event_type"] as? String == "drop" && ($0["alert"] as? [String: Any])?["signature_id"] as? Int == 2
        }
        #expect(withAlert.count == 1)
        #expect(flowAction(records) == "drop")

        // With the default `flows: start`, the flow's later drops are logged once per direction.
        let start = drops(try replayInline(Self.conversation, rules: "drop tcp any any -> any any (flow:established; sid:2;)"))
        #expect(start.map { $0["reason"] as? String ?? "" } == ["rules", "flow drop"])
    }

    @Test func aDroppedFlowGetsNoMoreAppLayerWork() throws {
        // The request's packet drops the flow: the response that follows is not parsed, so no transaction
        // completes with it and no `http` record carries its packet (Suricata 8.0.4+).
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        c.send(toServer: false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
        let config = "%YAML 1.1\n---\noutputs:\n  - eve-log:\n      types:\n        - http\n        - drop\n"
        let records = try replayInline(c, rules: "drop http any any -> any any (sid:1;)", config: config)
        #expect(!drops(records).isEmpty)
        #expect(records.filter { $0["event_type"] as? String == "http" && $0["pcap_cnt"] != nil }.isEmpty, "\(records)")
    }
}
