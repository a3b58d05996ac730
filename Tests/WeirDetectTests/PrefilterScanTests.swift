// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow
import WeirStream

@testable import WeirDetect

/// One prefilter scan per inspection buffer (issue 18, item 4): a packet that reaches a destination-port group,
/// a source-port group and the any-port group scans each buffer once, with the same candidates as scanning
/// each group's patterns; a payload that went into the stream is scanned only for packet-only rules.
@Suite struct PrefilterScanTests {
    /// One TCP packet through a fresh context; returns its alerts, candidates and prefilter scans.
    struct Outcome: Equatable {
        var alerts: Set<UInt32>
        var candidates: Set<UInt32>
        var scans: UInt64
    }

    func inspect(
        _ engine: DetectEngine, sport: UInt16, dport: UInt16, payload: String, chunk: String?,
        stream: StreamPacketInfo?
    ) -> Outcome {
        let context = engine.makeContext()
        let alerts = inspectTCPPacket(context, sport: sport, dport: dport, payload: payload, chunk: chunk, stream: stream)
        let candidates = Set(context.candidates.map { engine.signatures[Int($0)].sid })
        #expect(context.counters.prefilterCandidates == UInt64(context.candidates.count))
        return Outcome(alerts: Set(alerts.map(\.sid)), candidates: candidates, scans: context.counters.prefilterScans)
    }

    static let portRules = """
        alert tcp any any -> any 80 (content:"dstpat"; sid:1;)
        alert tcp any 1234 -> any any (content:"srcpat"; sid:2;)
        alert tcp any any -> any any (content:"anypat"; sid:3;)
        alert tcp any any -> any 81 (content:"dstpat"; sid:4;)
        alert tcp any 1235 -> any any (content:"srcpat"; sid:5;)
        alert tcp any any -> any [80,81] (content:"both"; sid:6;)
        alert tcp any any <> any 80 (content:"anypat"; sid:7;)
        alert tcp any any -> any any (content:"chunkonly"; sid:8;)
        """

    @Test func aPacketInThreeGroupsScansEachBufferOnce() throws {
        let loaded = RuleFileLoader().load(text: Self.portRules)
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty, "\(engine.rejected)")
        // The groups exist: two destination ports, two source ports and the any-port group (sid 7 is
        // bidirectional), but the TCP bucket has one payload database.
        let tcp = engine.buckets[ProtocolBucket.tcp.rawValue]
        #expect(tcp.destinationPortGroup[80] >= 0 && tcp.sourcePortGroup[1234] >= 0 && tcp.anyPortGroup >= 0)
        #expect(engine.loadStatistics.groups == 5)
        #expect(engine.loadStatistics.databases == 1)

        let text = "dstpat srcpat anypat both"
        // Without stream facts the payload and the chunk are each scanned once.
        let hit = inspect(engine, sport: 1234, dport: 80, payload: text, chunk: "chunkonly", stream: nil)
        #expect(hit.scans == 2)
        #expect(hit.candidates == [1, 2, 3, 6, 7, 8])
        #expect(hit.alerts == [1, 2, 3, 6, 7, 8])

        // Candidates are those of the groups the ports reach, for every combination of ports: the
        // signatures whose fast pattern occurs and whose port key (destination, source, any) the packet has.
        for (sport, dport) in [(1234, 80), (1235, 81), (1234, 81), (1235, 80), (9, 9), (80, 1234)] as [(UInt16, UInt16)] {
            var expected: Set<UInt32> = [3, 7]
            if dport == 80 { expected.formUnion([1, 6]) }
            if dport == 81 { expected.formUnion([4, 6]) }
            if sport == 1234 { expected.insert(2) }
            if sport == 1235 { expected.insert(5) }
            let outcome = inspect(engine, sport: sport, dport: dport, payload: text, chunk: nil, stream: nil)
            #expect(outcome.scans == 1, "\(sport) -> \(dport)")
            #expect(outcome.candidates == expected, "\(sport) -> \(dport)")
            // The bidirectional rule is a candidate everywhere and alerts where either port is 80.
            #expect(outcome.alerts == (sport == 80 || dport == 80 ? expected : expected.subtracting([7])))
        }
    }

    @Test func aPayloadInTheStreamIsScannedOnlyForPacketOnlyRules() throws {
        let rules = """
            alert tcp any any -> any any (content:"SEGMENT"; sid:1;)
            alert tcp any any -> any any (flow:no_stream; content:"SEGMENT"; sid:2;)
            alert tcp any any -> any any (flow:only_stream; content:"SEGMENT"; sid:3;)
            alert tcp any any -> any any (dsize:7; content:"SEGMENT"; sid:4;)
            alert tcp-pkt any any -> any any (content:"SEGMENT"; sid:5;)
            """
        let engine = try DetectEngine(rules: RuleFileLoader().load(text: rules).rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty, "\(engine.rejected)")
        // The full payload database and the packet-only one.
        #expect(engine.loadStatistics.databases == 2)
        let added = StreamPacketInfo(wasEstablished: true, addedToStream: true)
        // Added to the stream, no chunk yet: the packet-only rules' database alone scans the payload, and the
        // packet-only rules still alert.
        let waiting = inspect(engine, sport: 40000, dport: 80, payload: "SEGMENT", chunk: nil, stream: added)
        #expect(waiting == Outcome(alerts: [2, 4, 5], candidates: [2, 4, 5], scans: 1))
        // With the chunk holding the bytes: the chunk is scanned for the stream-capable rules.
        let withChunk = inspect(engine, sport: 40000, dport: 80, payload: "SEGMENT", chunk: "SEGMENT", stream: added)
        #expect(withChunk == Outcome(alerts: [1, 2, 3, 4, 5], candidates: [1, 2, 3, 4, 5], scans: 2))
        // Not added: the payload is scanned once for every rule that may inspect it; stream-only rules wait.
        let notAdded = StreamPacketInfo(wasEstablished: false, addedToStream: false)
        let alone = inspect(engine, sport: 40000, dport: 80, payload: "SEGMENT", chunk: nil, stream: notAdded)
        #expect(alone == Outcome(alerts: [1, 2, 4, 5], candidates: [1, 2, 4, 5], scans: 1))
    }

    @Test func withoutPacketOnlyRulesAPayloadInTheStreamIsNotScanned() throws {
        let rules = "alert tcp any any -> any any (content:\"SEGMENT\"; sid:1;)"
        let engine = try DetectEngine(rules: RuleFileLoader().load(text: rules).rules, settings: DetectSettings())
        #expect(engine.loadStatistics.databases == 1)
        let added = StreamPacketInfo(wasEstablished: true, addedToStream: true)
        let waiting = inspect(engine, sport: 40000, dport: 80, payload: "SEGMENT", chunk: nil, stream: added)
        #expect(waiting == Outcome(alerts: [], candidates: [], scans: 0))
        let inChunk = inspect(engine, sport: 40000, dport: 80, payload: "SEGMENT", chunk: "xxSEGMENTxx", stream: added)
        #expect(inChunk == Outcome(alerts: [1], candidates: [1], scans: 1))
    }
}
