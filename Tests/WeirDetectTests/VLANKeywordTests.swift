// SPDX-License-Identifier: MIT
import Testing
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// `vlan.id` and `vlan.layers` as Suricata 8's `detect-vlan.c` and `rust/src/detect/vlan.rs` define them.
@Suite struct VLANKeywordTests {
    let f = FrameBuilder()

    /// A UDP frame from port `sport` carrying `ids` as 802.1Q tags, outermost first.
    func tagged(_ ids: [UInt16], sport: UInt16) -> [UInt8] {
        let frame = self.f.udp(sport: sport, dport: 53, payload: [1, 2, 3])
        var out = Array(frame[0..<12])
        for id in ids { out += [0x81, 0x00, UInt8(id >> 8), UInt8(id & 0xff)] }
        return out + frame[12...]
    }

    /// The sids of `rules` that alert on one frame with tags `ids`.
    func alerting(_ rules: [(UInt32, String)], _ ids: [UInt16]) throws -> Set<UInt32> {
        let text = rules.map { "alert ip any any -> any any (\($0.1); sid:\($0.0);)" }.joined(separator: "\n")
        let h = try EngineHarness(text)
        return Set(h.feed(self.tagged(ids, sport: 1000)))
    }

    @Test func idsOfThreeLayers() throws {
        let rules: [(UInt32, String)] = [
            (1, "vlan.id:200,0"), (2, "vlan.id:300"), (3, "vlan.id:400,-1"), (4, "vlan.id:0x12C,1"),
            (5, "vlan.id:!200,1"), (6, "vlan.id:!500,all"), (7, "vlan.id:100-600,2"), (8, "vlan.id:<400,1"),
            (9, "vlan.id:>=0xC8"), (10, "vlan.id:>100,all"), (11, "vlan.id:200,-3"), (12, "vlan.id:300,any"),
            (13, "vlan.id:200,0; prefilter"),
            // Must not match: wrong layer, a value no layer has, a layer that fails `all`, an exclusive range end.
            (20, "vlan.id:200,1"), (21, "vlan.id:400,0"), (22, "vlan.id:200,-1"), (23, "vlan.id:500"),
            (24, "vlan.id:>200,all"), (25, "vlan.id:!300,1"), (26, "vlan.id:400-600,2"), (27, "vlan.id:300,-3"),
        ]
        #expect(try self.alerting(rules, [200, 300, 400]) == Set(1...13))
    }

    @Test func layerIndexesOnOneTag() throws {
        let rules: [(UInt32, String)] = [
            (1, "vlan.id:200,-1"), (2, "vlan.id:200,0"), (3, "vlan.id:200,all"),
            // Suricata reads the empty slot right after the last tag as id 0 …
            (4, "vlan.id:!200,1"), (5, "vlan.id:0,1"),
            // … but nothing further, and no negative index before the first tag.
            (10, "vlan.id:0,2"), (11, "vlan.id:200,-2"), (12, "vlan.id:!200,-2"), (13, "vlan.id:200,1"),
        ]
        #expect(try self.alerting(rules, [200]) == [1, 2, 3, 4, 5])
    }

    @Test func noVLANAtAllNeverMatchesVLANID() throws {
        let rules: [(UInt32, String)] = [
            (1, "vlan.id:!200"), (2, "vlan.id:!500,all"), (3, "vlan.id:0"), (4, "vlan.id:0,0"), (5, "vlan.id:<4095"),
            (6, "vlan.id:0,-1"),
            (10, "vlan.layers:0"), (11, "vlan.layers:!1"), (12, "vlan.layers:<1"),
        ]
        #expect(try self.alerting(rules, []) == [10, 11, 12])
    }

    @Test func layerCounts() throws {
        let rules: [(UInt32, String)] = [
            (1, "vlan.layers:3"), (2, "vlan.layers:>2"), (3, "vlan.layers:!1"), (4, "vlan.layers:>=1"),
            (5, "vlan.layers:2; prefilter"), (6, "vlan.layers:1-3"), (7, "vlan.layers:0"), (8, "vlan.layers:>3"),
        ]
        #expect(try self.alerting(rules, [1, 2, 3]) == [1, 2, 3, 4])
        // Ranges are exclusive at both ends: 1-3 is 2 only.
        #expect(try self.alerting(rules, [1, 2]) == [3, 4, 5, 6])
        #expect(try self.alerting(rules, [1]) == [4])
    }

    @Test func bothKeywordsTogether() throws {
        let rules: [(UInt32, String)] = [(1, "vlan.layers:2; vlan.id:20,-1"), (2, "vlan.layers:2; vlan.id:20,0")]
        #expect(try self.alerting(rules, [10, 20]) == [1])
    }

    @Test(arguments: [
        "vlan.id:4096", "vlan.id:600,100", "vlan.id:123,-4", "vlan.id:123,3", "vlan.id:1,2,3", "vlan.id:600,abc",
        "vlan.id:200abc", "vlan.id:100-5000", "vlan.id:<4096", "vlan.id", "vlan.layers:4", "vlan.layers:1-5", "vlan.layers:abc",
        "vlan.layers:256",
    ])
    func badValuesAreRuleErrors(option: String) {
        let loaded = RuleFileLoader().load(text: "alert ip any any -> any any (\(option); sid:1;)")
        #expect(loaded.rules.isEmpty)
        #expect(!loaded.errors.isEmpty)
    }

    @Test func parsedValuesAndTheirSpelling() throws {
        let loaded = RuleFileLoader().load(
            text: "alert ip any any -> any any (vlan.id:!0x12C,-2; vlan.id:>100,all; vlan.id:7,any; "
                + "vlan.layers:>1; sid:1;)")
        let rule = try #require(loaded.rules.first).rule
        let ids = rule.options.compactMap { option -> VLANIDMatch? in
            if case .vlanID(let m) = option { return m }
            return nil
        }
        #expect(
            ids == [
                VLANIDMatch(IntegerMatch(.notEqual, 300), layer: .index(-2)),
                VLANIDMatch(IntegerMatch(.greater, 100), layer: .all),
                VLANIDMatch(IntegerMatch(.equal, 7), layer: .any),
            ])
        #expect(ids.map(\.description) == ["!300,-2", ">100,all", "7"])
        #expect(rule.integerMatches(.vlanLayers) == [IntegerMatch(.greater, 1)])
        let descriptor = try #require(KeywordRegistry.descriptor(named: "vlan.id"))
        #expect(descriptor.isParsed && descriptor.isMatched)
        let layers = try #require(KeywordRegistry.descriptor(named: "vlan.layers"))
        #expect(layers.isParsed && layers.isMatched)
    }
}
