// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// Builds Ethernet/IPv4 frames for engine tests (checksums are not verified by these tests' decoder).
struct FrameBuilder {
    var source: [UInt8] = [10, 0, 0, 1]
    var destination: [UInt8] = [10, 0, 0, 2]
    var ttl: UInt8 = 64
    var tos: UInt8 = 0
    var ipFlags: UInt8 = 0x2  // DF
    var ipOptions: [UInt8] = []

    func ipv4(proto: UInt8, l4: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        let headerLength = 20 + self.ipOptions.count
        let total = headerLength + l4.count
        frame += [0x40 | UInt8(headerLength / 4), self.tos, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34]
        frame += [self.ipFlags << 5, 0, self.ttl, proto, 0, 0]
        frame += self.source + self.destination + self.ipOptions
        return frame + l4
    }

    func tcp(sport: UInt16, dport: UInt16, flags: UInt8, seq: UInt32 = 1, ack: UInt32 = 0, payload: [UInt8] = [])
        -> [UInt8]
    {
        var l4: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF)]
        l4 += [UInt8(seq >> 24), UInt8(seq >> 16 & 0xFF), UInt8(seq >> 8 & 0xFF), UInt8(seq & 0xFF)]
        l4 += [UInt8(ack >> 24), UInt8(ack >> 16 & 0xFF), UInt8(ack >> 8 & 0xFF), UInt8(ack & 0xFF)]
        l4 += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        return self.ipv4(proto: 6, l4: l4 + payload)
    }

    func udp(sport: UInt16, dport: UInt16, payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        let l4: [UInt8] = [
            UInt8(sport >> 8), UInt8(sport & 0xFF), UInt8(dport >> 8), UInt8(dport & 0xFF), UInt8(length >> 8),
            UInt8(length & 0xFF), 0, 0,
        ]
        return self.ipv4(proto: 17, l4: l4 + payload)
    }

    func icmpEcho(type: UInt8 = 8, code: UInt8 = 0, id: UInt16, seq: UInt16) -> [UInt8] {
        let l4: [UInt8] = [type, code, 0, 0, UInt8(id >> 8), UInt8(id & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF)]
        return self.ipv4(proto: 1, l4: l4 + Array("ping".utf8))
    }

    /// The same builder with source and destination swapped.
    var reversed: FrameBuilder {
        var r = self
        r.source = self.destination
        r.destination = self.source
        return r
    }
}

/// Rules + flow table + engine over hand-made frames.
final class EngineHarness {
    let engine: DetectEngine
    let context: DetectContext
    var table = FlowTable()
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    var number: UInt64 = 0
    var seconds: Int64 = 1_000
    var lastVerdict = PacketVerdict()

    init(_ rules: String, settings: DetectSettings = DetectSettings()) throws {
        let loaded = RuleFileLoader().load(text: rules)
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        self.engine = try DetectEngine(rules: loaded.rules, settings: settings)
        #expect(self.engine.rejected.isEmpty, "\(self.engine.rejected)")
        self.context = self.engine.makeContext()
    }

    /// Feeds one frame; returns the sids that alerted, in alert order.
    @discardableResult
    func feed(_ frame: [UInt8], advance: Int64 = 1) -> [UInt32] {
        self.number += 1
        self.seconds += advance
        var packet = Packet()
        packet.timestamp = Timestamp(seconds: self.seconds, microseconds: 0)
        packet.captureLength = frame.count
        packet.wireLength = frame.count
        packet.packetNumber = self.number
        var alerts: [Alert] = []
        frame.withUnsafeBytes { bytes in
            self.decoder.decode(bytes, into: &packet)
            let handle = self.table.process(packet) { _, _ in }
            let flow = handle.map { self.table[$0.slot] }
            self.lastVerdict = self.context.inspect(
                packet: packet,
                frame: bytes,
                flow: flow,
                handle: handle,
                alerts: &alerts
            )
        }
        return alerts.map(\.sid)
    }

    /// A TCP three-way handshake from `f` (client) to `port`.
    func handshake(_ f: FrameBuilder, sport: UInt16 = 40000, dport: UInt16 = 80) {
        self.feed(f.tcp(sport: sport, dport: dport, flags: 0x02, seq: 100))
        self.feed(f.reversed.tcp(sport: dport, dport: sport, flags: 0x12, seq: 500, ack: 101))
        self.feed(f.tcp(sport: sport, dport: dport, flags: 0x10, seq: 101, ack: 501))
    }
}

@Suite struct HeaderKeywordTests {
    let f = FrameBuilder()

    @Test func ttlTosDsize() throws {
        let h = try EngineHarness(
            """
            alert ip any any -> any any (ttl:<10; sid:1;)
            alert ip any any -> any any (tos:16; sid:2;)
            alert udp any any -> any any (dsize:>3; sid:3;)
            alert udp any any -> any any (dsize:2<>5; sid:4;)
            """
        )
        var low = f
        low.ttl = 5
        low.tos = 16
        #expect(Set(h.feed(low.udp(sport: 1, dport: 2, payload: [1, 2, 3, 4]))) == [1, 2, 3, 4])
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: [1, 2])) == [])
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: [1, 2, 3, 4, 5])) == [3])
    }

    @Test func tcpFlagsModifiers() throws {
        let h = try EngineHarness(
            """
            alert tcp any any -> any any (flags:S; sid:1;)
            alert tcp any any -> any any (flags:S+; sid:2;)
            alert tcp any any -> any any (flags:*SF; sid:3;)
            alert tcp any any -> any any (flags:!A; sid:4;)
            alert tcp any any -> any any (flags:S,CE; sid:5;)
            """
        )
        #expect(Set(h.feed(f.tcp(sport: 1, dport: 2, flags: 0x02))) == [1, 2, 3, 4, 5])
        #expect(Set(h.feed(f.tcp(sport: 3, dport: 4, flags: 0x12))) == [2, 3])
        // SYN with ECE+CWR: exact S fails, the CE-masked form matches.
        #expect(Set(h.feed(f.tcp(sport: 5, dport: 6, flags: 0xC2))) == [2, 3, 4, 5])
        #expect(h.feed(f.tcp(sport: 7, dport: 8, flags: 0x10)) == [])
    }

    @Test func fragbitsAndSameIP() throws {
        let h = try EngineHarness(
            """
            alert ip any any -> any any (fragbits:D; sid:1;)
            alert ip any any -> any any (fragbits:!D; sid:2;)
            alert ip any any -> any any (sameip; sid:3;)
            """
        )
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: [0])) == [1])
        var noDF = f
        noDF.ipFlags = 0
        noDF.destination = noDF.source
        #expect(Set(h.feed(noDF.udp(sport: 1, dport: 2, payload: [0]))) == [2, 3])
    }

    @Test func ipopts() throws {
        let h = try EngineHarness("alert ip any any -> any any (ipopts:rr; sid:1;)")
        var withRR = f
        withRR.ipOptions = [7, 7, 4, 0, 0, 0, 0, 0]  // record route, length 7, pointer 4, then EOL padding
        #expect(h.feed(withRR.udp(sport: 1, dport: 2, payload: [0])) == [1])
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: [0])) == [])
    }

    @Test func icmpKeywords() throws {
        let h = try EngineHarness(
            """
            alert icmp any any -> any any (itype:8; icode:0; sid:1;)
            alert icmp any any -> any any (icmp_id:77; sid:2;)
            alert icmp any any -> any any (icmp_seq:3; sid:3;)
            alert ip any any -> any any (ip_proto:1; sid:4;)
            """
        )
        #expect(Set(h.feed(f.icmpEcho(id: 77, seq: 3))) == [1, 2, 3, 4])
        #expect(Set(h.feed(f.icmpEcho(type: 0, id: 78, seq: 4))) == [4])
    }

    @Test func tcpNumbersAndFlowCounters() throws {
        let h = try EngineHarness(
            """
            alert tcp any any -> any any (tcp.seq:100; sid:1;)
            alert tcp any any -> any any (ack:501; sid:2;)
            alert tcp any any -> any any (window:65535; flow.pkts_toserver:>=2; sid:3;)
            alert tcp any any -> any any (flow.pkts:3; sid:4;)
            """
        )
        h.handshake(f)
        // The 4th packet: 3 packets to the server, 4 in all; seq 101, ack 501.
        let sids = h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101, ack: 501, payload: [1]))
        #expect(Set(sids) == [2, 3])
        let h2 = try EngineHarness(
            "alert tcp any any -> any any (tcp.seq:100; sid:1;)\nalert tcp any any -> any any (flow.pkts:3; sid:4;)"
        )
        #expect(h2.feed(f.tcp(sport: 40000, dport: 80, flags: 0x02, seq: 100)) == [1])
        h2.feed(f.reversed.tcp(sport: 80, dport: 40000, flags: 0x12, seq: 500, ack: 101))
        #expect(h2.feed(f.tcp(sport: 40000, dport: 80, flags: 0x10, seq: 101, ack: 501)) == [4])
    }

    @Test func addressesPortsAndBidirectional() throws {
        let h = try EngineHarness(
            """
            alert tcp 10.0.0.0/24 any -> 10.0.0.2 80 (msg:"fwd"; content:"x"; sid:1;)
            alert tcp 10.0.0.2 80 <> 10.0.0.1 any (content:"x"; sid:2;)
            alert tcp !10.0.0.0/24 any -> any any (content:"x"; sid:3;)
            """
        )
        #expect(Set(h.feed(f.tcp(sport: 1234, dport: 80, flags: 0x18, payload: [0x78]))) == [1, 2])
        #expect(Set(h.feed(f.reversed.tcp(sport: 80, dport: 1234, flags: 0x18, payload: [0x78]))) == [2])
        #expect(h.feed(f.tcp(sport: 1234, dport: 81, flags: 0x18, payload: [0x78])) == [])
    }
}

@Suite struct FlowKeywordTests {
    let f = FrameBuilder()

    @Test func establishedAndDirection() throws {
        let h = try EngineHarness(
            """
            alert tcp any any -> any any (flow:established,to_server; content:"GET"; sid:1;)
            alert tcp any any -> any any (flow:not_established; sid:2;)
            alert tcp any any -> any any (flow:to_client; content:"200"; sid:3;)
            """
        )
        // SYN, SYN/ACK and the handshake's ACK are not established.
        #expect(h.feed(f.tcp(sport: 4000, dport: 80, flags: 0x02, seq: 1)) == [2])
        #expect(h.feed(f.reversed.tcp(sport: 80, dport: 4000, flags: 0x12, seq: 9, ack: 2)) == [2])
        #expect(h.feed(f.tcp(sport: 4000, dport: 80, flags: 0x10, seq: 2, ack: 10)) == [2])
        #expect(
            h.feed(f.tcp(sport: 4000, dport: 80, flags: 0x18, seq: 2, ack: 10, payload: Array("GET /".utf8))) == [1]
        )
        #expect(
            h.feed(f.reversed.tcp(sport: 80, dport: 4000, flags: 0x18, seq: 10, ack: 7, payload: Array("200".utf8)))
                == [3]
        )
    }

    @Test func flowbitsSetterRunsBeforeReaderInOnePacket() throws {
        // The readers come first in the file; Suricata orders setters first, so on the same packet sid 2 sees the
        // bit set and sid 3 (isnotset) no longer matches.
        let h = try EngineHarness(
            """
            alert tcp any any -> any any (msg:"reader"; flowbits:isset,seen; content:"b"; sid:2;)
            alert tcp any any -> any any (msg:"setter"; flowbits:set,seen; flowbits:noalert; content:"a"; sid:1;)
            alert tcp any any -> any any (flowbits:isnotset,seen; content:"a"; sid:3;)
            """
        )
        h.handshake(f)
        #expect(Set(h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101, payload: Array("ab".utf8)))) == [2])
        #expect(h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 103, payload: Array("b".utf8))) == [2])
        // Another flow has its own bits.
        #expect(h.feed(f.tcp(sport: 40001, dport: 80, flags: 0x18, payload: Array("b".utf8))) == [])
    }

    @Test func flowbitsToggleUnsetAndGroups() throws {
        let h = try EngineHarness(
            """
            alert udp any any -> any any (content:"set"; flowbits:set,a; flowbits:noalert; sid:1;)
            alert udp any any -> any any (content:"tog"; flowbits:toggle,a; flowbits:noalert; sid:2;)
            alert udp any any -> any any (content:"chk"; flowbits:isset,a|b; sid:3;)
            alert udp any any -> any any (content:"chk"; flowbits:isset,a&b; sid:4;)
            alert udp any any -> any any (content:"setb"; flowbits:set,b; flowbits:noalert; sid:5;)
            """
        )
        let u = { (s: String) in f.udp(sport: 5, dport: 6, payload: Array(s.utf8)) }
        #expect(h.feed(u("chk")) == [])
        h.feed(u("set"))
        #expect(h.feed(u("chk")) == [3])
        h.feed(u("setb"))
        #expect(Set(h.feed(u("chk"))) == [3, 4])
        h.feed(u("tog"))
        #expect(h.feed(u("chk")) == [3])
    }

    @Test func flowint() throws {
        let h = try EngineHarness(
            """
            alert udp any any -> any any (content:"x"; flowint:count,isset; flowint:count,>=,3; sid:2;)
            alert udp any any -> any any (content:"x"; flowint:count,+,1; noalert; sid:1;)
            """
        )
        let x = f.udp(sport: 5, dport: 6, payload: Array("x".utf8))
        #expect(h.feed(x) == [])
        #expect(h.feed(x) == [])
        #expect(h.feed(x) == [2])
    }

    @Test func xbitsAcrossFlows() throws {
        let h = try EngineHarness(
            """
            alert udp any any -> any any (content:"mark"; xbits:set,bad,track ip_src,expire 60; noalert; sid:1;)
            alert tcp any any -> any any (xbits:isset,bad,track ip_src; sid:2;)
            """
        )
        #expect(h.feed(f.tcp(sport: 1, dport: 2, flags: 0x02)) == [])
        h.feed(f.udp(sport: 5, dport: 6, payload: Array("mark".utf8)))
        #expect(h.feed(f.tcp(sport: 3, dport: 4, flags: 0x02)) == [2])
        // Expired after 60 seconds.
        #expect(h.feed(f.tcp(sport: 7, dport: 8, flags: 0x02), advance: 61) == [])
    }

    @Test func ipOnlyRulesOncePerDirection() throws {
        let h = try EngineHarness("alert ip 10.0.0.1 any -> any any (sid:1;)\nalert ip any any -> any any (sid:2;)")
        h.handshake(f)
        // The rules fire on the first packet of each direction only; sid 1 only matches client → server.
        let more = h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101, payload: [1]))
        #expect(more == [])
        let other = FrameBuilder(source: [10, 0, 0, 9], destination: [10, 0, 0, 2])
        #expect(h.feed(other.udp(sport: 1, dport: 2, payload: [0])) == [2])
    }
}

@Suite struct PrefilterEngineTests {
    @Test func onlyCandidatesAreEvaluated() throws {
        var rules = ""
        for i in 1...200 { rules += "alert udp any any -> any any (content:\"needle\(i)x\"; sid:\(i);)\n" }
        rules += "alert udp any any -> any 53 (content:\"port53\"; sid:1000;)\n"
        let h = try EngineHarness(rules)
        #expect(h.engine.loadStatistics.patterns == 201)
        let f = FrameBuilder()
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: Array("hay needle17x hay".utf8))) == [17])
        #expect(h.context.counters.signaturesEvaluated == 1)
        #expect(h.feed(f.udp(sport: 1, dport: 53, payload: Array("port53".utf8))) == [1000])
        #expect(h.feed(f.udp(sport: 1, dport: 54, payload: Array("port53".utf8))) == [])
        #expect(h.context.counters.signaturesEvaluated == 2)
    }

    @Test func nocaseFastPatternAndPCREOnlyRule() throws {
        let h = try EngineHarness(
            """
            alert udp any any -> any any (content:"EVIL"; nocase; sid:1;)
            alert udp any any -> any any (pcre:"/^a+b$/"; sid:2;)
            """
        )
        let f = FrameBuilder()
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: Array("an evil thing".utf8))) == [1])
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: Array("aaab".utf8))) == [2])
    }
}

@Suite struct ThresholdTests {
    let f = FrameBuilder()

    func run(_ rule: String, packets: Int, config: String? = nil, advance: Int64 = 1) throws -> Int {
        var settings = DetectSettings()
        if let config { settings.thresholdConfig = try ThresholdConfig(text: config) }
        let h = try EngineHarness(rule, settings: settings)
        var alerts = 0
        for _ in 0..<packets { alerts += h.feed(f.udp(sport: 1, dport: 2, payload: [0x41]), advance: advance).count }
        return alerts
    }

    @Test func limitThresholdBoth() throws {
        #expect(
            try run(
                "alert udp any any -> any any (content:\"A\"; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)",
                packets: 10
            ) == 2
        )
        #expect(
            try run(
                "alert udp any any -> any any (content:\"A\"; threshold:type threshold, track by_src, count 3, seconds 60; sid:1;)",
                packets: 10
            ) == 3
        )
        #expect(
            try run(
                "alert udp any any -> any any (content:\"A\"; threshold:type both, track by_dst, count 3, seconds 60; sid:1;)",
                packets: 10
            ) == 1
        )
        // Windows restart: 10 packets 20 s apart with limit 1 per 60 s → packets 1, 4, 7, 10.
        #expect(
            try run(
                "alert udp any any -> any any (content:\"A\"; threshold:type limit, track by_rule, count 1, seconds 60; sid:1;)",
                packets: 10,
                advance: 20
            ) == 4
        )
    }

    @Test func detectionFilter() throws {
        #expect(
            try run(
                "alert udp any any -> any any (content:\"A\"; detection_filter:track by_src, count 3, seconds 60; sid:1;)",
                packets: 5
            ) == 2
        )
    }

    @Test func thresholdConfig() throws {
        let rule = "alert udp any any -> any any (content:\"A\"; sid:7;)"
        #expect(try run(rule, packets: 5, config: "suppress gen_id 1, sig_id 7") == 0)
        #expect(try run(rule, packets: 5, config: "suppress gen_id 1, sig_id 7, track by_src, ip 10.0.0.0/8") == 0)
        #expect(try run(rule, packets: 5, config: "suppress gen_id 1, sig_id 7, track by_src, ip 192.168.0.0/16") == 5)
        #expect(
            try run(
                rule,
                packets: 5,
                config: "event_filter gen_id 1, sig_id 7, type limit, track by_src, count 1, seconds 60"
            ) == 1
        )
        // The file overrides the rule's own threshold.
        let limited =
            "alert udp any any -> any any (content:\"A\"; threshold:type limit, track by_src, count 1, seconds 60; sid:7;)"
        #expect(
            try run(
                limited,
                packets: 5,
                config: "threshold gen_id 1, sig_id 7, type limit, track by_src, count 3, seconds 60"
            ) == 3
        )
        #expect(throws: ThresholdConfig.ParseError.self) { try ThresholdConfig(text: "suppress sig_id 1") }
    }

    @Test func rateFilterChangesAction() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        settings.thresholdConfig = try ThresholdConfig(
            text: "rate_filter gen_id 1, sig_id 9, track by_src, count 2, seconds 60, new_action drop, timeout 30"
        )
        let h = try EngineHarness("alert udp any any -> any any (content:\"A\"; sid:9;)", settings: settings)
        var drops: [Bool] = []
        for port in 0..<4 {
            h.feed(f.udp(sport: UInt16(100 + port), dport: 2, payload: [0x41]))
            drops.append(h.lastVerdict.drop)
        }
        #expect(drops == [false, false, true, true])
    }

    @Test func dropReasonsNameTheRateFilterTheRuleAndTheFlow() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        settings.thresholdConfig = try ThresholdConfig(
            text: "rate_filter gen_id 1, sig_id 9, track by_rule, count 1, seconds 60, new_action drop, timeout 30"
        )
        let h = try EngineHarness(
            """
            alert udp any any -> any any (content:"A"; sid:9;)
            drop udp any any -> any any (content:"B"; sid:10;)
            """, settings: settings)
        h.feed(f.udp(sport: 100, dport: 2, payload: [0x41]))
        #expect(!h.lastVerdict.drop && h.lastVerdict.dropReason == nil)
        h.feed(f.udp(sport: 101, dport: 2, payload: [0x41]))
        #expect(h.lastVerdict.drop && h.lastVerdict.dropReason == .threshold)
        h.feed(f.udp(sport: 102, dport: 2, payload: [0x42]))
        #expect(h.lastVerdict.drop && h.lastVerdict.dropReason == .rules)
        #expect(DropReason.threshold.rawValue == "threshold detection_filter")
    }
}

@Suite struct VerdictTests {
    let f = FrameBuilder()

    @Test func ipsDropOfAPayloadMatchDropsThePacketOnly() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        let h = try EngineHarness(
            """
            drop tcp any any -> any any (content:"attack"; sid:1;)
            alert tcp any any -> any any (content:"more"; sid:2;)
            """,
            settings: settings
        )
        h.handshake(f)
        #expect(h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101, payload: Array("attack".utf8))) == [1])
        #expect(h.lastVerdict.drop)
        // Suricata applies a packet-payload drop to that packet only.
        #expect(h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 107, payload: Array("more".utf8))) == [2])
        #expect(!h.lastVerdict.drop)
        #expect(h.context.counters.droppedFlows == 0)
    }

    @Test func ipsDropOfAnIPOnlyLikeRuleDropsTheRestOfTheFlow() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        let h = try EngineHarness(
            """
            drop tcp 10.0.0.1 any -> any any (flow:established; sid:1;)
            alert tcp any any -> any any (content:"more"; sid:2;)
            """,
            settings: settings
        )
        h.handshake(f)
        #expect(h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 101, payload: Array("x".utf8))) == [1])
        #expect(h.lastVerdict.drop)
        #expect(h.feed(f.tcp(sport: 40000, dport: 80, flags: 0x18, seq: 102, payload: Array("more".utf8))) == [])
        #expect(h.lastVerdict.drop && h.lastVerdict.skipped)
        #expect(h.lastVerdict.dropReason == .flowDrop)
        #expect(h.context.counters.droppedFlows == 1)
        #expect(h.context.counters.dropped == 2)
    }

    @Test func idsDropOnlyAlerts() throws {
        let h = try EngineHarness("drop udp any any -> any any (content:\"attack\"; sid:1;)")
        var alerts: [Alert] = []
        h.feed(f.udp(sport: 1, dport: 2, payload: Array("attack".utf8)))
        #expect(!h.lastVerdict.drop)
        let loaded = RuleFileLoader().load(text: "drop udp any any -> any any (content:\"attack\"; sid:1;)")
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        let frame = f.udp(sport: 1, dport: 2, payload: Array("attack".utf8))
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            _ = context.inspect(packet: packet, frame: bytes, flow: nil, handle: nil, alerts: &alerts)
        }
        #expect(alerts.count == 1 && alerts[0].eveAction == "allowed")
    }

    @Test func passStopsAlertsAndFlowInspection() throws {
        let h = try EngineHarness(
            """
            alert udp any any -> any any (content:"x"; sid:1;)
            pass udp any any -> any 53 (content:"x"; sid:2;)
            pass ip 10.0.0.1 any -> 10.0.0.3 any (sid:3;)
            """
        )
        // A payload pass covers this packet only.
        #expect(h.feed(f.udp(sport: 1, dport: 53, payload: Array("x".utf8))) == [])
        #expect(h.lastVerdict.pass && !h.lastVerdict.skipped)
        #expect(h.feed(f.udp(sport: 1, dport: 54, payload: Array("x".utf8))) == [1])
        // An IP-only pass passes the whole flow.
        var other = f
        other.destination = [10, 0, 0, 3]
        #expect(h.feed(other.udp(sport: 1, dport: 54, payload: Array("x".utf8))) == [])
        #expect(h.feed(other.udp(sport: 1, dport: 54, payload: Array("x".utf8))) == [])
        #expect(h.lastVerdict.skipped)
        #expect(h.context.counters.passedFlows == 1)
    }

    @Test func rejectInIPSDropsAndIsCounted() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        let loaded = RuleFileLoader().load(text: "rejectboth tcp any any -> any any (content:\"bad\"; sid:4;)")
        let engine = try DetectEngine(rules: loaded.rules, settings: settings)
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        var alerts: [Alert] = []
        let frame = FrameBuilder().tcp(sport: 1, dport: 2, flags: 0x18, payload: Array("bad".utf8))
        let verdict = frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            return context.inspect(packet: packet, frame: bytes, flow: nil, handle: nil, alerts: &alerts)
        }
        #expect(verdict.drop && verdict.reject)
        #expect(alerts.count == 1 && alerts[0].isBlocking && alerts[0].eveAction == "blocked")
        #expect(alerts[0].action == .reject)
        #expect(context.counters.rejected == 1 && context.counters.dropped == 1)
    }

    @Test func actionOrderParsing() throws {
        #expect(
            try DetectSettings.actionOrder(from: ["drop", "pass", "reject", "alert"]) == [
                .drop, .pass, .reject, .alert,
            ]
        )
        #expect(try DetectSettings.actionOrder(from: ["alert"]) == [.alert, .pass, .drop, .reject])
        #expect(throws: ActionOrderError.self) { try DetectSettings.actionOrder(from: ["drop", "sdrop"]) }
        #expect(throws: ActionOrderError.self) { try DetectSettings.actionOrder(from: ["drop", "drop"]) }
    }

    @Test func actionOrderIsConfigurable() throws {
        var settings = DetectSettings()
        settings.actionOrder = [.alert, .drop, .reject, .pass]
        let h = try EngineHarness(
            """
            pass udp any any -> any any (content:"x"; sid:2;)
            alert udp any any -> any any (content:"x"; sid:1;)
            """,
            settings: settings
        )
        #expect(h.feed(f.udp(sport: 1, dport: 53, payload: Array("x".utf8))) == [1])
    }

    @Test func packetAlertMaxAndNoalert() throws {
        var rules = ""
        for i in 1...20 { rules += "alert udp any any -> any any (content:\"x\"; sid:\(i);)\n" }
        rules += "alert udp any any -> any any (content:\"x\"; noalert; sid:100;)\n"
        let h = try EngineHarness(rules)
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: Array("x".utf8))).count == 15)
        #expect(h.context.counters.alertsDiscarded == 5)
        #expect(h.context.counters.alertsSuppressed == 1)
        var settings = DetectSettings()
        settings.packetAlertMax = 3
        let capped = try EngineHarness(rules, settings: settings)
        #expect(capped.feed(f.udp(sport: 1, dport: 2, payload: Array("x".utf8))) == [1, 2, 3])
    }

    @Test func urilenChecksTheURIBuffer() throws {
        let loaded = RuleFileLoader().load(text: "alert http any any -> any any (urilen:>5; sid:1;)")
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty)
        let uri = try #require(engine.stickyBufferID(named: "http.uri"))
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        var alerts: [Alert] = []
        let frame = FrameBuilder().tcp(sport: 1, dport: 80, flags: 0x18, payload: [0x47])
        for (text, expected) in [("/abcdef", 1), ("/ab", 0)] {
            Array(text.utf8).withUnsafeBytes { u in
                frame.withUnsafeBytes { bytes in
                    decoder.decode(bytes, into: &packet)
                    var state = TransactionDetectState()
                    _ = context.inspectTransaction(
                        packet: packet,
                        flow: nil,
                        handle: nil,
                        buffers: [InspectionBuffer(bytes: u, kind: .sticky(id: uri))],
                        appProtocol: "http",
                        stream: nil,
                        txID: 0,
                        events: [],
                        state: &state,
                        alerts: &alerts
                    )
                }
            }
            #expect(alerts.count == expected, "\(text)")
        }
    }

    @Test func appLayerProtocolKeyword() throws {
        let loaded = RuleFileLoader().load(
            text: """
                alert tcp any any -> any any (app-layer-protocol:http; content:"x"; sid:1;)
                alert tcp any any -> any any (app-layer-protocol:!http; content:"x"; sid:2;)
                """
        )
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty)
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        var alerts: [Alert] = []
        let frame = FrameBuilder().tcp(sport: 1, dport: 80, flags: 0x18, payload: Array("x".utf8))
        func run(_ proto: String?) -> [UInt32] {
            frame.withUnsafeBytes { bytes in
                decoder.decode(bytes, into: &packet)
                _ = context.inspect(
                    packet: packet,
                    frame: bytes,
                    flow: nil,
                    handle: nil,
                    appProtocol: proto,
                    alerts: &alerts
                )
            }
            return alerts.map(\.sid)
        }
        #expect(run("http") == [1])
        #expect(run("tls") == [2])
        // Unknown protocol: neither form matches yet.
        #expect(run(nil) == [])
    }

    @Test func alertCarriesClassification() throws {
        let loaded = RuleFileLoader().load(
            text: "alert udp any any -> any any (msg:\"m\"; classtype:trojan-activity; content:\"x\"; rev:3; sid:5;)"
        )
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        let s = engine.signatures[0]
        #expect(s.category == "A Network Trojan was detected")
        #expect(s.severity == 1)
        #expect(s.rev == 3 && s.message == "m")
    }

    @Test func rejectedRulesAreReported() throws {
        // within shorter than the content can never match: Suricata refuses the rule at load.
        let text = """
            alert tcp any any -> any any (content:"x"; content:"abc"; within:2; sid:1;)
            alert tcp any any -> any any (pcre:"/a(b/"; sid:2;)
            alert tcp any any -> any any (content:"ok"; sid:3;)
            """
        let loaded = RuleFileLoader().load(text: text)
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.signatures.map(\.sid) == [3])
        // Rule 1 is refused by the parser or the engine, rule 2 by the engine (PCRE2 compile error).
        #expect(loaded.errors.count + engine.rejected.count == 2)
        #expect(engine.rejected.contains { $0.sid == 2 && $0.keyword == "pcre" })
    }
}

@Suite struct StickyBufferTests {
    @Test func appLayerRuleNeedsItsProtocolAndBuffer() throws {
        let loaded = RuleFileLoader().load(
            text: "alert http any any -> any any (http.uri; content:\"/admin\"; startswith; sid:1;)"
        )
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty)
        let uriID = try #require(engine.stickyBufferID(named: "http.uri"))
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        let frame = FrameBuilder().tcp(sport: 4000, dport: 80, flags: 0x18, payload: Array("GET /admin HTTP/1.1".utf8))
        var alerts: [Alert] = []
        func run(_ uri: String, proto: String?) -> [UInt32] {
            Array(uri.utf8).withUnsafeBytes { uriBytes in
                frame.withUnsafeBytes { bytes in
                    decoder.decode(bytes, into: &packet)
                    let buffers = [InspectionBuffer(bytes: uriBytes, kind: .sticky(id: uriID))]
                    var state = TransactionDetectState()
                    _ = context.inspectTransaction(
                        packet: packet,
                        flow: nil,
                        handle: nil,
                        buffers: buffers,
                        appProtocol: proto,
                        stream: nil,
                        txID: 0,
                        events: [],
                        state: &state,
                        alerts: &alerts
                    )
                    return alerts.map(\.sid)
                }
            }
        }
        #expect(run("/admin/x", proto: "http") == [1])
        #expect(run("/user/admin", proto: "http") == [])
        #expect(run("/admin/x", proto: nil) == [])
        // The payload alone (no uri buffer) never makes the rule a candidate.
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            _ = context.inspect(
                packet: packet,
                frame: bytes,
                flow: nil,
                handle: nil,
                appProtocol: "http",
                alerts: &alerts
            )
        }
        #expect(alerts.isEmpty)
    }
}

@Suite struct AddressMatcherTests {
    @Test func sortedMergedBisection() throws {
        func a(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }
        let ranges = [
            try a("10.0.0.5")...a("10.0.0.9"), try a("10.0.0.1")...a("10.0.0.6"),
            try a("192.168.1.1")...a("192.168.1.1"),
            try a("2001:db8::1")...a("2001:db8::ff"),
        ]
        let m = AddressMatcher(ranges: ranges)
        #expect(m.ranges.count == 3)
        for hit in ["10.0.0.1", "10.0.0.7", "10.0.0.9", "192.168.1.1", "2001:db8::80"] {
            #expect(m.contains(try a(hit)), "\(hit)")
        }
        for miss in ["10.0.0.0", "10.0.0.10", "192.168.1.2", "2001:db8::100", "0.0.0.0"] {
            #expect(!m.contains(try a(miss)), "\(miss)")
        }
        // An IPv4 range never contains an IPv6 address with the same low bits.
        #expect(!m.contains(IPAddress(v6High: 0, low: UInt64(try a("10.0.0.7").v4Value))))
    }
}

@Suite struct AddressIntervalIndexTests {
    @Test func overlappingSetsStab() throws {
        func a(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }
        let index = AddressIntervalIndex([
            (1, [try a("10.0.0.0")...a("10.0.0.255")]),
            (2, [try a("10.0.0.128")...a("10.0.1.0"), try a("192.0.2.1")...a("192.0.2.1")]),
            (3, [try a("::1")...a("::1")]),
        ])
        #expect(index.signatures(containing: try a("10.0.0.1")) == [1])
        #expect(index.signatures(containing: try a("10.0.0.200")) == [1, 2])
        #expect(index.signatures(containing: try a("10.0.1.0")) == [2])
        #expect(index.signatures(containing: try a("10.0.1.1")) == nil)
        #expect(index.signatures(containing: try a("192.0.2.1")) == [2])
        #expect(index.signatures(containing: try a("::1")) == [3])
        #expect(index.signatures(containing: try a("::2")) == nil)
        #expect(index.signatures(containing: try a("9.255.255.255")) == nil)
    }
}

@Suite struct StreamChunkTests {
    /// Runs one packet with `chunks` as reassembled stream data.
    func run(_ rules: String, payload: String, chunks: [String]) throws -> [UInt32] {
        let loaded = RuleFileLoader().load(text: rules)
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        var alerts: [Alert] = []
        let frame = FrameBuilder().tcp(sport: 4000, dport: 80, flags: 0x18, payload: Array(payload.utf8))
        let storage = chunks.map { Array($0.utf8) }
        func withBuffers(_ index: Int, _ built: [InspectionBuffer]) {
            if index == storage.count {
                frame.withUnsafeBytes { bytes in
                    decoder.decode(bytes, into: &packet)
                    _ = context.inspect(
                        packet: packet,
                        frame: bytes,
                        flow: nil,
                        handle: nil,
                        buffers: built,
                        alerts: &alerts
                    )
                }
                return
            }
            storage[index].withUnsafeBytes { chunk in
                withBuffers(index + 1, built + [InspectionBuffer(bytes: chunk, kind: .streamChunk(streamOffset: 0))])
            }
        }
        withBuffers(0, [])
        return alerts.map(\.sid).sorted()
    }

    @Test func streamScopes() throws {
        let rules = """
            alert tcp any any -> any any (content:"split-token"; sid:1;)
            alert tcp any any -> any any (flow:only_stream; content:"split-token"; sid:2;)
            alert tcp-pkt any any -> any any (content:"split-token"; sid:3;)
            alert tcp-stream any any -> any any (content:"token"; sid:4;)
            """
        // The packet holds only the tail; the reassembled chunk holds the whole token.
        #expect(try run(rules, payload: "token", chunks: ["a split-token"]) == [1, 2, 4])
        // Without stream data only packet-scope rules can match.
        #expect(try run(rules, payload: "split-token", chunks: []) == [1, 3])
    }
}

@Suite struct FlowDecisionTests {
    @Test func decisionsAreReadableAndForgotten() throws {
        var settings = DetectSettings()
        settings.isIPS = true
        let h = try EngineHarness("drop udp 10.0.0.1 any -> any any (sid:1;)", settings: settings)
        let f = FrameBuilder()
        #expect(h.feed(f.udp(sport: 1, dport: 2, payload: [0])) == [1])
        var packet = Packet()
        let frame = f.udp(sport: 1, dport: 2, payload: [0])
        frame.withUnsafeBytes { h.decoder.decode($0, into: &packet) }
        let handle = try #require(h.table.process(packet) { _, _ in })
        let flowID = h.table[handle.slot].flowID
        #expect(h.context.flowDecision(slot: handle.slot, flowID: flowID) == (false, true))
        #expect(h.context.flowDecision(slot: handle.slot, flowID: flowID &+ 1) == (false, false))
        h.context.flowEnded(slot: handle.slot)
        #expect(h.context.flowDecision(slot: handle.slot, flowID: flowID) == (false, false))
    }
}

@Suite struct DecodeEventTests {
    @Test func decoderEventRulesSeeBrokenPackets() throws {
        let h = try EngineHarness(
            """
            alert pkthdr any any -> any any (decode-event:ipv4.pkt_too_small; sid:1;)
            alert ip any any -> any any (sid:2;)
            """
        )
        // Ethernet header announcing IPv4, then only 10 bytes of it.
        let frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]
        #expect(h.feed(frame) == [1])
        #expect(h.feed(FrameBuilder().udp(sport: 1, dport: 2, payload: [0])) == [2])
    }

    @Test func transactionInspectionOnlyScansForTransactionRules() throws {
        let loaded = RuleFileLoader().load(
            text: """
                alert tcp any any -> any any (content:"evilpayload"; sid:1;)
                alert http any any -> any any (content:"evilpayload"; fast_pattern; http.uri; content:"/x"; sid:2;)
                alert tcp any any -> any any (dsize:>0; sid:3;)
                """
        )
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty, "\(engine.rejected)")
        #expect(engine.transactionSignatureCount == 1)
        #expect(engine.conditionSignatureCount == 0)
        // The transaction view of every group and bucket holds the transactional rule alone.
        for group in engine.groups {
            for i in group.transactionAlwaysEvaluated { #expect(engine.signatures[Int(i)].isTransactional) }
        }
        for bucket in engine.buckets {
            for list in bucket.prefilter.transactionPayload?.patternSignatures ?? [] {
                for i in list { #expect(engine.signatures[Int(i)].isTransactional) }
            }
        }
        #expect(engine.buckets.contains { $0.prefilter.transactionPayload != nil })
        let uriID = try #require(engine.stickyBufferID(named: "http.uri"))
        let context = engine.makeContext()
        #expect(context.inspectsTransactions)
        #expect(!context.usesAppLayerConditions)
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        let frame = FrameBuilder().tcp(sport: 4000, dport: 80, flags: 0x18, payload: Array("evilpayload".utf8))
        var alerts: [Alert] = []
        // The packet rules match the packet, the transaction rule its transaction (payload plus uri).
        let packetSIDs: [UInt32] = frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            _ = context.inspect(packet: packet, frame: bytes, flow: nil, handle: nil, appProtocol: "http", alerts: &alerts)
            return alerts.map(\.sid).sorted()
        }
        #expect(packetSIDs == [1, 3])
        let txSIDs: [UInt32] = Array("/x".utf8).withUnsafeBytes { uri in
            frame.withUnsafeBytes { bytes in
                decoder.decode(bytes, into: &packet)
                var state = TransactionDetectState()
                _ = context.inspectTransaction(
                    packet: packet, frame: bytes, flow: nil, handle: nil,
                    buffers: [InspectionBuffer(bytes: uri, kind: .sticky(id: uriID))], appProtocol: "http",
                    stream: nil, txID: 0, events: [], state: &state, alerts: &alerts)
                return alerts.map(\.sid).sorted()
            }
        }
        #expect(txSIDs == [2])
    }

    @Test func packetRulesAloneNeedNoTransactionInspection() throws {
        let loaded = RuleFileLoader().load(text: "alert tcp any any -> any any (content:\"x\"; sid:1;)")
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.transactionSignatureCount == 0)
        #expect(!engine.makeContext().inspectsTransactions)
        #expect(engine.groups.allSatisfy { $0.transactionAlwaysEvaluated.isEmpty })
        #expect(engine.buckets.allSatisfy { $0.prefilter.transactionPayload == nil && $0.prefilter.sticky.isEmpty })
    }
}

@Suite struct TransformTests {
    @Test func transformsApply() {
        func run(_ t: BufferTransform, _ text: String) -> String {
            let input = Array(text.utf8)
            var output = [UInt8](repeating: 0, count: t.maximumOutput(input.count))
            let n = input.withUnsafeBytes { i in output.withUnsafeMutableBytes { t.apply(i, into: $0) } }
            return String(decoding: output.prefix(n), as: UTF8.self)
        }
        #expect(run(.dotprefix, "example.com") == ".example.com")
        #expect(run(.stripWhitespace, " a b\t\r\nc ") == "abc")
        #expect(run(.compressWhitespace, "a  \t b") == "a b")
        #expect(run(.toLowercase, "AbC") == "abc")
        #expect(run(.toUppercase, "AbC") == "ABC")
        #expect(run(.urlDecode, "%41+b%2") == "A b%2")
        #expect(run(.xor([0x01]), "ab") == "`c")
    }

    @Test func transformedStickyBufferHasItsOwnPrefilter() throws {
        let loaded = RuleFileLoader().load(
            text: """
                alert dns any any -> any any (dns.query; dotprefix; content:".evil.com"; endswith; sid:1;)
                alert dns any any -> any any (dns.query; content:"EVIL"; nocase; sid:2;)
                """
        )
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.isEmpty, "\(engine.rejected)")
        let query = try #require(engine.stickyBufferID(named: "dns.query"))
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var packet = Packet()
        let frame = FrameBuilder().udp(sport: 5353, dport: 53, payload: [0])
        var alerts: [Alert] = []
        func run(_ name: String) -> [UInt32] {
            Array(name.utf8).withUnsafeBytes { q in
                frame.withUnsafeBytes { bytes in
                    decoder.decode(bytes, into: &packet)
                    var state = TransactionDetectState()
                    _ = context.inspectTransaction(
                        packet: packet,
                        flow: nil,
                        handle: nil,
                        buffers: [InspectionBuffer(bytes: q, kind: .sticky(id: query))],
                        appProtocol: "dns",
                        stream: nil,
                        txID: 0,
                        events: [],
                        state: &state,
                        alerts: &alerts
                    )
                    return alerts.map(\.sid).sorted()
                }
            }
        }
        #expect(run("evil.com") == [1, 2])
        #expect(run("www.evil.com") == [1, 2])
        #expect(run("notevil.com") == [2])
        #expect(run("good.org") == [])
    }
}

@Test func flowCountersEitherDirection() {
    // `flow.pkts:either,=10` holds when one direction's count is 10, whichever.
    var packet = Packet()
    packet.ipVersion = 4
    var table = FlowTable()
    guard let handle = table.process(packet, emit: { _, _ in }) else {
        Issue.record("no flow")
        return
    }
    var flow = table[handle.slot]
    flow.packetsToServer = 3
    flow.packetsToClient = 10
    let either = FlowValueCheck(field: .packetsEither, condition: UIntCondition(.equal, 10))
    #expect(either.matches(flow, now: Timestamp(microseconds: 0)))
    flow.packetsToClient = 9
    #expect(!either.matches(flow, now: Timestamp(microseconds: 0)))
    flow.packetsToServer = 10
    #expect(either.matches(flow, now: Timestamp(microseconds: 0)))
}
