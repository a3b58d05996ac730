// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirRuntime

/// Replays `conversation` with `rules` and returns the alert count per sid, the flow records' `flow` objects
/// and the stats counters.
func replayWithFlows(_ conversation: TCPConversation, rules: String, overrides: [String] = []) throws
    -> (alerts: [Int: Int], flows: [[String: Any]], stats: [String: UInt64])
{
    let dir = try makeTemporaryDirectory("weir-bypass")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try conversation.write(to: dir + "/in.pcap")
    try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.readPaths = [dir + "/in.pcap"]
    options.exclusiveRuleFiles = [dir + "/test.rules"]
    options.logDirectory = dir
    options.checksumChecks = "none"
    options.overrides = overrides
    options.showProgress = false
    options.quiet = true
    #expect(Replay.run(options) == 0)
    var alerts: [Int: Int] = [:]
    var flows: [[String: Any]] = []
    for line in try String(contentsOfFile: dir + "/eve.json", encoding: .utf8).split(separator: "\n") {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        if object?["event_type"] as? String == "flow", let flow = object?["flow"] as? [String: Any] { flows.append(flow) }
        guard object?["event_type"] as? String == "alert", let alert = object?["alert"] as? [String: Any],
            let sid = alert["signature_id"] as? Int
        else { continue }
        alerts[sid, default: 0] += 1
    }
    return (alerts, flows, try statsCounters(dir + "/eve.json"))
}

@Suite struct BypassIntegrationTests {
    /// Handshake, then `count` request/ACK pairs "chunk N marker" (each carries "marker"), then FIN.
    static func conversation(chunks count: Int, size: Int = 40) -> TCPConversation {
        var c = TCPConversation()
        c.handshake()
        for index in 0..<count {
            let text = "chunk \(index) marker "
            c.send(toServer: true, text + String(repeating: "x", count: max(0, size - text.count)))
            c.send(toServer: false, "reply \(index) " + String(repeating: "y", count: size))
        }
        c.close()
        return c
    }

    @Test func aBypassRuleStopsInspectionOfTheRestOfTheFlow() throws {
        let rules = """
            alert tcp any any -> any any (msg:"every request segment"; flow:no_stream; content:"marker"; sid:1;)
            alert tcp any any -> any any (msg:"bypass on chunk 2"; flow:no_stream; content:"chunk 2 "; bypass; sid:2;)
            """
        let conversation = Self.conversation(chunks: 6)
        let (alerts, flows, stats) = try replayWithFlows(conversation, rules: rules)
        // Chunks 0, 1 and 2 are inspected (the bypass acts after its packet), 3, 4 and 5 are not.
        #expect(alerts[1] == 3 && alerts[2] == 1)
        let flow = try #require(flows.first)
        #expect(flow["state"] as? String == "bypassed" && flow["bypass"] as? String == "local")
        // Every packet still counts in the flow record; the ones after the bypass skipped the engine.
        let total = (flow["pkts_toserver"] as? Int ?? 0) + (flow["pkts_toclient"] as? Int ?? 0)
        #expect(total == conversation.frames.count)
        let inspected = 3 + 2 * 4 + 1  // handshake, rounds 0 and 1 (request, ACK, reply, ACK), chunk 2's request
        #expect(stats["flow_bypassed.local_pkts"] == UInt64(conversation.frames.count - inspected))
    }

    @Test(arguments: [true, false])
    func streamBypassActsOnceBothDirectionsReachTheDepth(enabled: Bool) throws {
        let rules = """
            alert tcp any any -> any any (msg:"every request segment"; flow:no_stream; content:"marker"; sid:1;)
            """
        let conversation = Self.conversation(chunks: 8, size: 100)
        let (alerts, flows, stats) = try replayWithFlows(
            conversation, rules: rules,
            overrides: ["stream.reassembly.depth=250", "stream.bypass=\(enabled ? "yes" : "no")"])
        let flow = try #require(flows.first)
        if enabled {
            #expect(flow["state"] as? String == "bypassed" && flow["bypass"] as? String == "local")
            #expect((alerts[1] ?? 0) < 8 && (alerts[1] ?? 0) >= 2)
            #expect((stats["flow_bypassed.local_pkts"] ?? 0) > 0)
        } else {
            #expect(flow["state"] as? String == "closed" && flow["bypass"] == nil)
            #expect(alerts[1] == 8)
            #expect(stats["flow_bypassed.local_pkts"] == 0)
        }
    }
}
