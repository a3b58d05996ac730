// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport

@testable import WeirRuntime

/// EVE `vlan` lists of alert and flow records with three tags (Suricata 8's `output-json.c` and
/// `output-json-flow.c` write up to three), and `vlan.use-for-tracking` end to end.
@Suite struct VLANRecordTests {
    /// An Ethernet frame with 802.1Q tags `ids` carrying UDP 10.0.0.1:1000 ↔ 10.0.0.2:53 (`reply` swaps the ends).
    static func udp(_ ids: [UInt16], reply: Bool = false) -> [UInt8] {
        var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]
        for id in ids { frame += [0x81, 0x00, UInt8(id >> 8), UInt8(id & 0xff)] }
        let a: [UInt8] = [10, 0, 0, 1]
        let b: [UInt8] = [10, 0, 0, 2]
        let payload: [UInt8] = Array("vlan".utf8)
        let total = 20 + 8 + payload.count
        frame += [0x08, 0x00, 0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0, 0, 64, 17, 0, 0]
        frame += reply ? b + a : a + b
        let (sport, dport): (UInt16, UInt16) = reply ? (53, 1000) : (1000, 53)
        frame += [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff), 0, 12, 0, 0]
        return frame + payload
    }

    func replay(frames: [[UInt8]], extra: String = "", _ tag: String) throws -> [[String: Any]] {
        let dir = try makeTemporaryDirectory("weir-vlan-\(tag)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(pcapFile(frames: frames)).write(to: URL(fileURLWithPath: dir + "/in.pcap"))
        try writeText(
            """
            %YAML 1.1
            ---
            \(extra)
            outputs:
              - eve-log:
                  enabled: yes
                  filename: eve.json
                  types:
                    - alert
                    - flow

            """, dir + "/weir.yaml")
        try writeText("alert udp any any -> any any (msg:\"three tags\"; vlan.layers:3; sid:1;)\n", dir + "/r.rules")
        var options = RunOptions()
        options.readPaths = [dir + "/in.pcap"]
        options.configPath = dir + "/weir.yaml"
        options.exclusiveRuleFiles = [dir + "/r.rules"]
        options.logDirectory = dir + "/log"
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        return try eveRecords(dir + "/log/eve.json")
    }

    static func vlans(_ records: [[String: Any]], _ type: String) -> [[Int]] {
        records.filter { $0["event_type"] as? String == type }.map { ($0["vlan"] as? [Int]) ?? [] }.sorted {
            $0.lexicographicallyPrecedes($1)
        }
    }

    @Test func alertAndFlowRecordsListThreeIDs() throws {
        let records = try self.replay(
            frames: [Self.udp([200, 300, 400]), Self.udp([200, 300, 400], reply: true), Self.udp([200, 300, 401])],
            "tracked")
        #expect(Self.vlans(records, "alert") == [[200, 300, 400], [200, 300, 400], [200, 300, 401]])
        // The third tag separates the flows.
        #expect(Self.vlans(records, "flow") == [[200, 300, 400], [200, 300, 401]])
    }

    @Test func withoutTrackingOneFlowKeepsItsFirstPacketsTags() throws {
        let records = try self.replay(
            frames: [Self.udp([200, 300, 400]), Self.udp([200, 300, 401], reply: true), Self.udp([7])],
            extra: "vlan:\n  use-for-tracking: false", "untracked")
        // Alerts carry their own packet's tags; the one flow carries its first packet's.
        #expect(Self.vlans(records, "alert") == [[200, 300, 400], [200, 300, 401]])
        #expect(Self.vlans(records, "flow") == [[200, 300, 400]])
        let flow = try #require(records.first { $0["event_type"] as? String == "flow" }?["flow"] as? [String: Any])
        #expect(flow["pkts_toserver"] as? Int == 2 && flow["pkts_toclient"] as? Int == 1)
    }
}
