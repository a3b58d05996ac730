// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirOutput
import WeirRuntime
import WeirTestSupport

/// One TCP conversation between 10.0.0.1:40000 (client) and 10.0.0.2:80, written as a pcap.
struct TCPConversation {
    var frames: [[UInt8]] = []
    var clientSeq: UInt32 = 1000
    var serverSeq: UInt32 = 5000

    static func frame(
        toServer: Bool, flags: UInt8, seq: UInt32, ack: UInt32, payload: [UInt8], serverPort: UInt16 = 80
    ) -> [UInt8] {
        let client: [UInt8] = [10, 0, 0, 1]
        let server: [UInt8] = [10, 0, 0, 2]
        let (sport, dport): (UInt16, UInt16) = toServer ? (40000, serverPort) : (serverPort, 40000)
        var tcp: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        tcp += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xFF), UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF)]
        tcp += [UInt8(ack >> 24), UInt8(ack >> 16 & 0xFF), UInt8(ack >> 8 & 0xFF), UInt8(ack & 0xFF)]
        tcp += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0] + payload
        let total = 20 + tcp.count
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        frame += [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34, 0x40, 0, 64, 6, 0, 0]
        frame += toServer ? client + server : server + client
        return frame + tcp
    }

    /// Client SYN, server SYN/ACK (acknowledging `synAckOffset` past the SYN), client ACK.
    mutating func handshake(synAckOffset: UInt32 = 1) {
        self.frames.append(Self.frame(toServer: true, flags: 0x02, seq: self.clientSeq, ack: 0, payload: []))
        self.frames.append(
            Self.frame(toServer: false, flags: 0x12, seq: self.serverSeq, ack: self.clientSeq &+ synAckOffset, payload: []))
        self.clientSeq &+= 1
        self.serverSeq &+= 1
        self.frames.append(Self.frame(toServer: true, flags: 0x10, seq: self.clientSeq, ack: self.serverSeq, payload: []))
    }

    /// A data segment and the peer's ACK of it.
    mutating func send(toServer: Bool, _ text: String, retransmitOf previous: UInt32? = nil) {
        let bytes = Array(text.utf8)
        if toServer {
            let seq = previous ?? self.clientSeq
            self.frames.append(Self.frame(toServer: true, flags: 0x18, seq: seq, ack: self.serverSeq, payload: bytes))
            if previous == nil { self.clientSeq &+= UInt32(bytes.count) }
            self.frames.append(Self.frame(toServer: false, flags: 0x10, seq: self.serverSeq, ack: self.clientSeq, payload: []))
        } else {
            self.frames.append(Self.frame(toServer: false, flags: 0x18, seq: self.serverSeq, ack: self.clientSeq, payload: bytes))
            self.serverSeq &+= UInt32(bytes.count)
            self.frames.append(Self.frame(toServer: true, flags: 0x10, seq: self.clientSeq, ack: self.serverSeq, payload: []))
        }
    }

    /// FIN from both sides and the last ACK.
    mutating func close() {
        self.frames.append(Self.frame(toServer: true, flags: 0x11, seq: self.clientSeq, ack: self.serverSeq, payload: []))
        self.clientSeq &+= 1
        self.frames.append(Self.frame(toServer: false, flags: 0x11, seq: self.serverSeq, ack: self.clientSeq, payload: []))
        self.serverSeq &+= 1
        self.frames.append(Self.frame(toServer: true, flags: 0x10, seq: self.clientSeq, ack: self.serverSeq, payload: []))
    }

    func write(to path: String) throws {
        var out: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]
        func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        for (i, frame) in self.frames.enumerated() {
            out += le32(1_700_000_000) + le32(UInt32(i) * 1000) + le32(UInt32(frame.count)) + le32(UInt32(frame.count))
            out += frame
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}

/// Replays `conversation` with `rules` (-k none) and returns the alert count per sid and the stats counters:
/// the EVE stats record's, and Weir's own (docs/counters.md) from stats.log.
func replay(
    _ conversation: TCPConversation, rules: String, overrides: [String] = [], ruleFiles: [String] = [], ips: Bool = false
) throws -> (alerts: [Int: Int], stats: [String: UInt64])
{
    let dir = try makeTemporaryDirectory("weir-stream")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try conversation.write(to: dir + "/in.pcap")
    try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.readPaths = [dir + "/in.pcap"]
    options.exclusiveRuleFiles = [dir + "/test.rules"] + ruleFiles
    options.logDirectory = dir
    options.checksumChecks = "none"
    options.overrides = overrides
    options.simulateIPS = ips
    options.showProgress = false
    options.quiet = true
    #expect(Replay.run(options) == 0)
    var alerts: [Int: Int] = [:]
    let text = try String(contentsOfFile: dir + "/eve.json", encoding: .utf8)
    for line in text.split(separator: "\n") {
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        guard object?["event_type"] as? String == "alert", let alert = object?["alert"] as? [String: Any],
            let sid = alert["signature_id"] as? Int
        else { continue }
        alerts[sid, default: 0] += 1
    }
    let eve = try statsCounters(dir + "/eve.json")
    let weirOnly = statsLogTotals(dir + "/stats.log").filter { !StatsSchemaPaths.all.contains($0.key) }
    #expect(weirOnly.keys.allSatisfy { eve[$0] == nil }, "Weir-only counters in EVE")
    return (alerts, eve.merging(weirOnly) { eve, _ in eve })
}

@Suite struct StreamIntegrationTests {
    /// A request whose pattern is split over two segments, with the second segment retransmitted.
    static var splitRequest: TCPConversation {
        var c = TCPConversation()
        c.handshake()
        c.send(toServer: true, "GET /EVIL")
        let second = c.clientSeq
        c.send(toServer: true, "PATTERN HTTP/1.0\r\n\r\n")
        c.send(toServer: true, "PATTERN HTTP/1.0\r\n\r\n", retransmitOf: second)
        c.send(toServer: false, "HTTP/1.0 200 OK\r\n\r\n")
        c.close()
        return c
    }

    static let rules = """
        alert tcp any any -> any any (msg:"split pattern"; content:"EVILPATTERN"; sid:1;)
        alert tcp-pkt any any -> any any (msg:"packets only"; content:"EVILPATTERN"; sid:2;)
        alert tcp any any -> any any (msg:"stream only"; flow:only_stream; content:"EVILPATTERN"; sid:3;)
        alert tcp any any -> any any (msg:"one segment, established"; flow:established,to_server; content:"GET /EVIL"; sid:4;)
        alert tcp any any -> any any (msg:"packet rule on the segment"; flow:no_stream; content:"GET /EVIL"; sid:5;)
        alert tcp any any -> any any (msg:"never: request is to_server"; flow:to_client; content:"EVILPATTERN"; sid:6;)
        """

    @Test func patternSplitAcrossSegmentsAlertsOnceOnTheStream() throws {
        let (alerts, stats) = try replay(Self.splitRequest, rules: Self.rules)
        #expect(alerts[1] == 1, "\(alerts)")
        #expect(alerts[2] == nil, "\(alerts)")
        #expect(alerts[3] == 1, "\(alerts)")
        #expect(alerts[4] == 1, "\(alerts)")
        #expect(alerts[5] == 1, "\(alerts)")
        #expect(alerts[6] == nil, "\(alerts)")
        #expect(stats["tcp.sessions"] == 1)
        #expect(stats["stream.pkt_retransmission"].map { $0 >= 1 } == true, "\(stats.filter { $0.key.hasPrefix("stream.") })")
    }

    @Test func withoutTheStreamEngineOnlyPacketsAreInspected() throws {
        let (alerts, stats) = try replay(Self.splitRequest, rules: Self.rules, overrides: ["stream.enabled=false"])
        #expect(alerts[1] == nil, "\(alerts)")
        #expect(alerts[3] == nil, "\(alerts)")
        #expect(alerts[5] == 1, "\(alerts)")
        #expect(stats["stream.pkt_retransmission"] == nil)
    }

    @Test(.needsSharedCorpus) func streamEventRulesFireOnTheEnginesEvents() throws {
        var c = TCPConversation()
        c.handshake(synAckOffset: 100)  // the SYN/ACK acknowledges the wrong sequence number
        let bundled = sharedDirectory + "/rulesets/suricata-bundled/stream-events.rules"
        let (alerts, stats) = try replay(
            c, rules: "alert tcp any any -> any any (msg:\"wrong ack\"; stream-event:3whs_synack_with_wrong_ack; sid:10;)\n",
            ruleFiles: [bundled])
        #expect(alerts[10] == 1, "\(alerts)")
        #expect(alerts[2210007] == 1, "\(alerts)")
        #expect(stats["stream.3whs_synack_with_wrong_ack"] == 1)
    }

    @Test func inlineOverlapWithDifferentDataIsInspectedAsTheAcceptedData() throws {
        var c = TCPConversation()
        c.handshake()
        let first = c.clientSeq
        c.send(toServer: true, "GOOD")
        c.send(toServer: true, "EVIL", retransmitOf: first)
        let rules = """
            alert tcp-pkt any any -> any any (content:"EVIL"; sid:3;)
            alert tcp-pkt any any -> any any (content:"GOOD"; sid:4;)
            """
        // Inline (IPS): the overlapping segment is rewritten to the data already accepted.
        let inline = try replay(c, rules: rules, ips: true)
        #expect(inline.alerts[3] == nil, "\(inline.alerts)")
        #expect(inline.alerts[4] == 2, "\(inline.alerts)")
        // IDS: packets are inspected as captured.
        let ids = try replay(c, rules: rules)
        #expect(ids.alerts[3] == 1, "\(ids.alerts)")
        #expect(ids.alerts[4] == 1, "\(ids.alerts)")
    }

    @Test func streamSizeComparesTheSequenceSpaceEachSideUsed() throws {
        // Client: SYN (1) + 9 + 20 bytes; server: SYN/ACK (1) + 19 bytes. Sizes as Suricata's next_seq - isn.
        let rules = """
            alert tcp any any -> any any (flow:to_server; stream_size:client,=,10; sid:7;)
            alert tcp any any -> any any (flow:to_server; stream_size:server,=,1; sid:8;)
            alert tcp any any -> any any (flow:to_server; stream_size:both,>,1; sid:9;)
            alert tcp any any -> any any (flow:to_client; stream_size:either,>,1000; sid:10;)
            """
        let (alerts, _) = try replay(Self.splitRequest, rules: rules)
        #expect(alerts[7] == 1, "\(alerts)")
        #expect(alerts[8] == 4, "\(alerts)")
        #expect(alerts[9] == 3, "\(alerts)")
        #expect(alerts[10] == nil, "\(alerts)")
    }

    @Test func streamMatchesLogTheStreamDataAsPayload() throws {
        let dir = try makeTemporaryDirectory("weir-stream-payload")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.splitRequest.write(to: dir + "/in.pcap")
        try """
            alert tcp any any -> any any (msg:"split"; content:"EVILPATTERN"; sid:1;)
            alert tcp-pkt any any -> any any (msg:"packet"; content:"GET /EVIL"; sid:2;)
            """.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        try """
            %YAML 1.1
            ---
            outputs:
              - eve-log:
                  enabled: yes
                  filename: eve.json
                  types:
                    - alert:
                        payload: yes
                        payload-printable: yes
            """.write(toFile: dir + "/weir.yaml", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.configPath = dir + "/weir.yaml"
        options.readPaths = [dir + "/in.pcap"]
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        var seen: [Int: (String, Int)] = [:]
        for line in try String(contentsOfFile: dir + "/eve.json", encoding: .utf8).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let alert = object?["alert"] as? [String: Any], let sid = alert["signature_id"] as? Int else { continue }
            seen[sid] = (object?["payload_printable"] as? String ?? "", object?["stream"] as? Int ?? -1)
        }
        // The stream match logs the reassembled data it matched in, the packet match the packet's payload.
        #expect(seen[1]?.0.contains("GET /EVILPATTERN HTTP/1.0") == true, "\(seen)")
        #expect(seen[1]?.1 == 1)
        #expect(seen[2]?.0 == "GET /EVIL")
        #expect(seen[2]?.1 == 0)
    }

    @Test func aPassedFlowIsLoggedWithActionPass() throws {
        let dir = try makeTemporaryDirectory("weir-flow-pass")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.splitRequest.write(to: dir + "/in.pcap")
        try "pass tcp any any -> any any (sid:1;)\n".write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.readPaths = [dir + "/in.pcap"]
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        var actions: [String] = []
        for line in try String(contentsOfFile: dir + "/eve.json", encoding: .utf8).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard object?["event_type"] as? String == "flow", let flow = object?["flow"] as? [String: Any] else { continue }
            actions.append(flow["action"] as? String ?? "none")
        }
        #expect(actions == ["pass"])
    }

    @Test func hostOSPolicyDecidesWhichOverlappingBytesTheStreamKeeps() throws {
        var c = TCPConversation()
        c.handshake()
        // Two segments at the same sequence number with different bytes, acknowledged together.
        c.frames.append(TCPConversation.frame(toServer: true, flags: 0x18, seq: c.clientSeq, ack: c.serverSeq, payload: Array("GOOD".utf8)))
        c.frames.append(TCPConversation.frame(toServer: true, flags: 0x18, seq: c.clientSeq, ack: c.serverSeq, payload: Array("EVIL".utf8)))
        c.clientSeq &+= 4
        c.frames.append(TCPConversation.frame(toServer: false, flags: 0x10, seq: c.serverSeq, ack: c.clientSeq, payload: []))
        c.close()
        let rules = """
            alert tcp-stream any any -> any any (content:"EVIL"; sid:1;)
            alert tcp-stream any any -> any any (content:"GOOD"; sid:2;)
            """
        // Default (BSD): the data first received stays.
        let bsd = try replay(c, rules: rules)
        #expect(bsd.alerts[1] == nil && bsd.alerts[2] == 1, "\(bsd.alerts)")
        // The receiver 10.0.0.2 reassembles with the `last` policy: the retransmitted bytes win.
        let last = try replay(c, rules: rules, overrides: ["host-os-policy.last=[10.0.0.2]"])
        #expect(last.alerts[1] == 1 && last.alerts[2] == nil, "\(last.alerts)")
    }
}
