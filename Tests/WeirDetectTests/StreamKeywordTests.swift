// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow
import WeirStream

@testable import WeirDetect

/// `threshold: type backoff`, `stream-event:` and the stream-aware payload order, on hand-made packets.
@Suite struct StreamKeywordTests {
    let f = FrameBuilder()

    /// Feeds UDP packets of one flow and returns the match numbers (1-based) that alerted.
    func alertingMatches(_ rule: String, packets: Int) throws -> [Int] {
        let h = try EngineHarness(rule)
        var out: [Int] = []
        for i in 1...packets where !h.feed(f.udp(sport: 1, dport: 2, payload: [0x41])).isEmpty { out.append(i) }
        return out
    }

    @Test func backoffAlertsOnCountTimesPowersOfTheMultiplier() throws {
        func r(_ count: Int, _ m: Int) -> String {
            "alert udp any any -> any any (content:\"A\"; threshold:type backoff, track by_flow, count \(count), "
                + "multiplier \(m); sid:1;)"
        }
        #expect(try alertingMatches(r(1, 2), packets: 20) == [1, 2, 4, 8, 16])
        #expect(try alertingMatches(r(1, 10), packets: 120) == [1, 10, 100])
        #expect(try alertingMatches(r(5, 5), packets: 30) == [5, 25])
    }

    @Test func backoffNeedsTrackByFlow() throws {
        let loaded = RuleFileLoader().load(
            text: "alert udp any any -> any any (threshold:type backoff, track by_src, count 1, multiplier 2; sid:1;)")
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.count == 1)
    }

    /// Inspects one TCP packet with the given stream facts and chunk; returns the sids that alerted.
    func inspect(_ rules: String, payload: String, chunk: String?, stream: StreamPacketInfo?) throws -> Set<UInt32> {
        let loaded = RuleFileLoader().load(text: rules)
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty, "\(engine.rejected)")
        let alerts = inspectTCPPacket(engine.makeContext(), payload: payload, chunk: chunk, stream: stream)
        return Set(alerts.map(\.sid))
    }

    @Test func payloadAddedToTheStreamIsInspectedThroughTheStreamOnly() throws {
        let rules = """
            alert tcp any any -> any any (content:"SEGMENT"; sid:1;)
            alert tcp any any -> any any (flow:no_stream; content:"SEGMENT"; sid:2;)
            alert tcp any any -> any any (flow:only_stream; content:"SEGMENT"; sid:3;)
            alert tcp any any -> any any (dsize:7; content:"SEGMENT"; sid:4;)
            """
        // In the stream: the packet rule and dsize inspect the packet, the others wait for the chunk.
        let added = StreamPacketInfo(wasEstablished: true, addedToStream: true)
        #expect(try inspect(rules, payload: "SEGMENT", chunk: nil, stream: added) == [2, 4])
        #expect(try inspect(rules, payload: "SEGMENT", chunk: "SEGMENT", stream: added) == [1, 2, 3, 4])
        // Not added (for example a packet without a session): the payload is inspected by stream-capable rules.
        let notAdded = StreamPacketInfo(wasEstablished: false, addedToStream: false)
        #expect(try inspect(rules, payload: "SEGMENT", chunk: nil, stream: notAdded) == [1, 2, 4])
        // Pseudo packets carry stream data only: rules without stream payload keywords do not see them.
        let pseudo = StreamPacketInfo(wasEstablished: true, addedToStream: false, isPseudo: true)
        #expect(
            try inspect(rules + "\nalert tcp any any -> any any (flow:established; sid:5;)", payload: "", chunk: "SEGMENT", stream: pseudo)
                == [1, 3])
    }

    @Test func streamEventsAndEstablishedComeFromTheStreamEngine() throws {
        let rules = """
            alert tcp any any -> any any (stream-event:pkt_invalid_ack; sid:1;)
            alert tcp any any -> any any (flow:established; sid:2;)
            alert tcp any any -> any any (flow:not_established; sid:3;)
            """
        var events = StreamEventSet()
        events.insert(try #require(StreamEvent(name: "pkt_invalid_ack")))
        let established = StreamPacketInfo(events: events, wasEstablished: true, addedToStream: false)
        #expect(try inspect(rules, payload: "x", chunk: nil, stream: established) == [1, 2])
        let fresh = StreamPacketInfo(wasEstablished: false, addedToStream: false)
        #expect(try inspect(rules, payload: "x", chunk: nil, stream: fresh) == [3])
        #expect(try inspect(rules, payload: "x", chunk: nil, stream: nil) == [3])
    }

    @Test func passAfterAHigherPriorityDropDoesNotPassTheFlow() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        settings.actionOrder = [.drop, .pass, .reject, .alert]
        let h = try EngineHarness(
            """
            pass tcp any any -> any any (msg:"ip-only pass"; sid:1;)
            drop tcp any any -> any any (content:"Hi all"; sid:2;)
            """, settings: settings)
        // The first packet matches both: the drop comes first in the action order, so the pass does not act on
        // the flow and later packets are still inspected (suricata-verify util-action-13).
        var drops = 0
        for i in 0..<3 {
            let sids = h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101 + UInt32(i * 6), ack: 501, payload: Array("Hi all".utf8)))
            if sids == [2] { drops += 1 }
        }
        #expect(drops == 3)
    }
}
