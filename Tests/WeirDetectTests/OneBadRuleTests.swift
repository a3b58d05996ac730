// SPDX-License-Identifier: MIT
import Testing
import WeirDecode

@testable import WeirDetect

/// Issue 15, point 5: a rule the prefilter cannot compile costs that rule, not the engine.
@Suite struct OneBadRuleTests {
    let f = FrameBuilder()
    static let rules = """
        alert udp any any -> any any (msg:"short"; content:"GET"; sid:1;)
        alert udp any any -> any any (msg:"too long"; content:"\(String(repeating: "A", count: 20_000))"; sid:2;)
        alert udp any any -> any any (msg:"too long too"; content:"\(String(repeating: "|01|", count: 5_000))"; sid:3;)
        alert udp any any -> any any (msg:"long but fine"; content:"\(String(repeating: "B", count: 9_000))"; sid:4;)
        alert udp any any -> any any (msg:"post"; content:"POST"; sid:5;)
        """

    @Test func overlongContentIsRejectedAloneWithItsLocation() throws {
        let loaded = RuleFileLoader().load(text: Self.rules)
        #expect(loaded.errors.isEmpty)
        let engine = try DetectEngine(rules: loaded.rules, settings: DetectSettings())
        #expect(engine.rejected.map(\.sid) == [2, 3])
        #expect(engine.rejected.allSatisfy { $0.isError && $0.line >= 2 && $0.reason.contains("Vectorscan") })
        #expect(engine.rejected.map(\.line) == [2, 3])
        #expect(engine.loadStatistics.signatures == 3)
        let context = engine.makeContext()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        func sids(_ payload: [UInt8]) -> [UInt32] {
            var packet = Packet()
            var alerts: [Alert] = []
            let frame = f.udp(sport: 1, dport: 2, payload: payload)
            frame.withUnsafeBytes { bytes in
                decoder.decode(bytes, into: &packet)
                _ = context.inspect(packet: packet, frame: bytes, flow: nil, handle: nil, alerts: &alerts)
            }
            return alerts.map(\.sid).sorted()
        }
        #expect(sids(Array("GET / POST".utf8)) == [1, 5])
        #expect(sids([UInt8](repeating: 0x41, count: 20_000) + Array("x".utf8)).isEmpty)
        #expect(sids([UInt8](repeating: 0x42, count: 9_000)) == [4])
    }

    /// `rules check` takes the engine's compile step, so its counts are the engine's.
    @Test func rulesCheckAgreesWithTheEngine() throws {
        let set = RuleFileLoader().load(text: Self.rules)
        let engine = RuleCheckReport.engineRejections(set)
        let text = RuleCheckReport.text(set, files: 1, engine: engine)
        #expect(text.contains("loaded: 3\n"))
        #expect(text.contains("rejected (errors): 2\n"))
        #expect(text.contains(":2: sid 1:2: content: the prefilter (Vectorscan) cannot compile its fast pattern"))
        let json = RuleCheckReport.json(set, files: 1, engine: engine)
        #expect(json.contains("\"loaded\":3,") && json.contains("\"engine_errors\":[{"))
    }
}
