// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirCore
import WeirOutput
import WeirRuntime
import WeirTestSupport

/// The captures of `scripts/gen_tunnel_fixtures.py`: each carries one inner UDP datagram with the payload
/// WEIR-INNER-PAYLOAD; the rule on it must fire once, on the inner packet, with the tunnel object Suricata writes.
struct TunnelCase: CustomStringConvertible, Sendable {
    var name: String
    /// Expected `tunnel.depth`; 0 for layers peeled in place (no `tunnel` object).
    var depth: Int
    /// Expected `tunnel.proto` (the outermost packet's protocol).
    var rootProto: String = ""
    /// Expected `pkt_src` of the alert.
    var packetSource: String = "wire/pcap"
    /// The inner source address.
    var innerSource: String = "10.1.1.1"
    /// A `decoder.*` counter that must be 1 or more.
    var counter: String
    var description: String { self.name }
}

let tunnelRepositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Replays `pcap` with `rules` and returns every EVE record.
func replayRecords(_ pcap: String, rules: String, overrides: [String] = []) throws -> [[String: Any]] {
    try replayRecordsAndCounters(pcap, rules: rules, overrides: overrides).records
}

/// Replays `pcap` with `rules` and returns every EVE record and stats.log's totals (Weir's own counters too).
func replayRecordsAndCounters(
    _ pcap: String, rules: String, overrides: [String] = []
) throws -> (records: [[String: Any]], counters: [String: UInt64]) {
    let dir = try makeTemporaryDirectory("weir-tunnel")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
    var options = RunOptions()
    options.readPaths = [pcap]
    options.exclusiveRuleFiles = [dir + "/test.rules"]
    options.logDirectory = dir
    options.checksumChecks = "none"
    options.overrides = overrides
    options.showProgress = false
    options.quiet = true
    #expect(Replay.run(options) == 0)
    let text = try String(contentsOfFile: dir + "/eve.json", encoding: .utf8)
    let records = try text.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    return (records, statsLogTotals(dir + "/stats.log"))
}

/// An address as EVE prints it (Suricata 8: IPv6 uncompressed), for comparing with a record's `src_ip`.
func eveAddress(_ text: String) -> String {
    guard let address = IPAddress(text), !address.isIPv4 else { return text }
    return IPv6Text.string(address)
}

/// The stats counters of the last stats record, flattened to dotted names.
func flatStats(_ records: [[String: Any]]) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    func walk(_ prefix: String, _ value: Any) {
        if let dict = value as? [String: Any] {
            for (k, v) in dict { walk(prefix.isEmpty ? k : prefix + "." + k, v) }
        } else if let n = value as? NSNumber {
            out[prefix] = n.uint64Value
        }
    }
    if let stats = records.last(where: { $0["event_type"] as? String == "stats" })?["stats"] { walk("", stats) }
    return out
}

@Suite struct TunnelFixtureTests {
    static let rules = """
        alert udp any any -> any 5678 (msg:"inner payload"; content:"WEIR-INNER-PAYLOAD"; sid:1;)
        """

    static let cases: [TunnelCase] = [
        TunnelCase(name: "gre-ipv4", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.gre"),
        TunnelCase(
            name: "gre-key-seq-ipv6", depth: 1, rootProto: "GRE", packetSource: "gre tunnel",
            innerSource: "2001:db8:1::1", counter: "decoder.gre"),
        TunnelCase(name: "gre-pptp", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.ppp"),
        TunnelCase(name: "gre-over-ip", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.gre"),
        TunnelCase(name: "gre-over-ipv6", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.gre"),
        TunnelCase(name: "erspan-type1", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.erspan"),
        TunnelCase(name: "erspan-type2", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.erspan"),
        TunnelCase(name: "vxlan", depth: 1, rootProto: "UDP", packetSource: "vxlan encapsulation", counter: "decoder.vxlan"),
        TunnelCase(name: "geneve", depth: 1, rootProto: "UDP", packetSource: "geneve encapsulation", counter: "decoder.geneve"),
        TunnelCase(
            name: "geneve-ipv4", depth: 1, rootProto: "UDP", packetSource: "geneve encapsulation", counter: "decoder.geneve"),
        TunnelCase(
            name: "teredo", depth: 1, rootProto: "UDP", packetSource: "teredo tunnel", innerSource: "2001:db8:1::1",
            counter: "decoder.teredo"),
        TunnelCase(name: "ipip", depth: 1, rootProto: "IP-in-IP", packetSource: "ipv4 tunnel", counter: "decoder.ipv4_in_ipv4"),
        TunnelCase(
            name: "6in4", depth: 1, rootProto: "IPv6", packetSource: "ipv4 tunnel", innerSource: "2001:db8:1::1",
            counter: "decoder.ipv6_in_ipv4"),
        TunnelCase(name: "4in6", depth: 1, rootProto: "IP-in-IP", packetSource: "ipv6 tunnel", counter: "decoder.ipv4_in_ipv6"),
        TunnelCase(
            name: "6in6", depth: 1, rootProto: "IPv6", packetSource: "ipv6 tunnel", innerSource: "2001:db8:1::1",
            counter: "decoder.ipv6_in_ipv6"),
        TunnelCase(name: "vlan-gre-vlan", depth: 1, rootProto: "GRE", packetSource: "gre tunnel", counter: "decoder.gre"),
        TunnelCase(name: "vxlan-in-gre", depth: 2, rootProto: "GRE", packetSource: "vxlan encapsulation", counter: "decoder.vxlan"),
        TunnelCase(name: "mpls", depth: 0, counter: "decoder.mpls"),
        TunnelCase(name: "mpls-pseudowire", depth: 0, counter: "decoder.mpls"),
        TunnelCase(name: "pppoe", depth: 0, counter: "decoder.pppoe"),
        TunnelCase(name: "nsh", depth: 0, counter: "decoder.nsh"),
        TunnelCase(name: "vntag", depth: 0, counter: "decoder.vntag"),
        TunnelCase(name: "etag", depth: 0, counter: "decoder.etag"),
        TunnelCase(name: "chdlc", depth: 0, counter: "decoder.chdlc"),
        TunnelCase(name: "ppp", depth: 0, counter: "decoder.ppp"),
        TunnelCase(name: "sll2", depth: 0, counter: "decoder.sll2"),
    ]

    @Test(arguments: TunnelFixtureTests.cases)
    func innerRuleFiresWithTheTunnelObject(_ c: TunnelCase) throws {
        let pcap = tunnelRepositoryRoot + "/pcaps/tunnels/\(c.name).pcap"
        let (records, counters) = try replayRecordsAndCounters(pcap, rules: Self.rules)
        let alerts = records.filter { $0["event_type"] as? String == "alert" }
        try #require(alerts.count == 1, "\(c.name): \(alerts.count) alerts")
        let alert = alerts[0]
        #expect(alert["src_ip"] as? String == eveAddress(c.innerSource))
        #expect(alert["src_port"] as? Int == 1234)
        #expect(alert["dest_port"] as? Int == 5678)
        #expect(alert["pkt_src"] as? String == c.packetSource)
        let tunnel = alert["tunnel"] as? [String: Any]
        if c.depth == 0 {
            #expect(tunnel == nil)
            #expect(alert["pcap_cnt"] as? Int != nil)
        } else {
            let t = try #require(tunnel, "\(c.name): no tunnel object")
            #expect(t["depth"] as? Int == c.depth)
            #expect(t["proto"] as? String == c.rootProto)
            #expect(t["pcap_cnt"] as? Int == 1)
            #expect(t["pkt_src"] as? String == "wire/pcap")
            #expect(t["src_ip"] as? String != nil && t["src_ip"] as? String != eveAddress(c.innerSource))
            #expect(alert["pcap_cnt"] == nil, "a tunnelled packet has no pcap_cnt of its own")
        }
        // The inner flow has its own record, named by the inner 5-tuple.
        let innerFlows = records.filter {
            $0["event_type"] as? String == "flow" && $0["src_ip"] as? String == eveAddress(c.innerSource)
                && $0["dest_port"] as? Int == 5678
        }
        #expect(innerFlows.count == 1, "\(c.name): inner flow records \(innerFlows.count)")
        // decoder.etag is Weir's own counter: stats.log has it, EVE does not.
        let stats = flatStats(records).merging(counters) { eve, _ in eve }
        #expect(flatStats(records)["decoder.etag"] == nil)
        #expect((stats[c.counter] ?? 0) >= 1, "\(c.name): \(c.counter) = \(stats[c.counter] ?? 0)")
        #expect(stats["decoder.invalid"] == 0, "\(c.name): invalid packets")
    }

    @Test func innerFlowsCountTheInnerPacketsBytes() throws {
        // VXLAN: the inner Ethernet frame (14 + 20 + 8 + 18); GRE: the inner IPv4 packet (20 + 8 + 18).
        for (name, bytes) in [("vxlan", 60), ("gre-ipv4", 46)] {
            let records = try replayRecords(tunnelRepositoryRoot + "/pcaps/tunnels/\(name).pcap", rules: Self.rules)
            let inner = try #require(
                records.first { $0["event_type"] as? String == "flow" && $0["src_ip"] as? String == "10.1.1.1" })
            #expect((inner["flow"] as? [String: Any])?["bytes_toserver"] as? Int == bytes, "\(name)")
            // Suricata's GRE decoder asks for no flow: only the inner flow is recorded.
            let flows = records.filter { $0["event_type"] as? String == "flow" }
            #expect(flows.count == (name == "gre-ipv4" ? 1 : 2), "\(name)")
        }
    }

    @Test func fragmentsInsideATunnelAreReassembledAtTheirDepth() throws {
        let records = try replayRecords(tunnelRepositoryRoot + "/pcaps/tunnels/vxlan-fragments.pcap", rules: Self.rules)
        let alerts = records.filter { $0["event_type"] as? String == "alert" }
        try #require(alerts.count == 1)
        #expect(alerts[0]["pkt_src"] as? String == "defrag")
        // The rebuilt packet's root is the root of the fragment that completed it: the second VXLAN packet.
        let tunnel = try #require(alerts[0]["tunnel"] as? [String: Any])
        #expect(tunnel["depth"] as? Int == 1)
        #expect(tunnel["proto"] as? String == "UDP")
        #expect(tunnel["dest_port"] as? Int == 4789)
        #expect(tunnel["pcap_cnt"] as? Int == 2)
        let stats = flatStats(records)
        #expect(stats["defrag.ipv4.reassembled"] == 1)
        #expect(stats["decoder.vxlan"] == 2)
    }

    @Test func disabledVXLANLeavesTheOuterFlowOnly() throws {
        let pcap = tunnelRepositoryRoot + "/pcaps/tunnels/vxlan.pcap"
        let records = try replayRecords(pcap, rules: Self.rules, overrides: ["decoder.vxlan.enabled=false"])
        #expect(records.filter { $0["event_type"] as? String == "alert" }.isEmpty)
        #expect(flatStats(records)["decoder.vxlan"] == 0)
    }

    @Test func vxlanOnAnotherPortIsPlainUDP() throws {
        let pcap = tunnelRepositoryRoot + "/pcaps/tunnels/vxlan.pcap"
        let records = try replayRecords(pcap, rules: Self.rules, overrides: ["decoder.vxlan.ports=8472"])
        #expect(records.filter { $0["event_type"] as? String == "alert" }.isEmpty)
        let outer = try #require(records.first { $0["event_type"] as? String == "flow" })
        #expect(outer["dest_port"] as? Int == 4789)
    }

    @Test func maxLayersStopsTheSecondTunnel() throws {
        // vxlan-in-gre: Ethernet, IPv4, GRE, IPv4, VXLAN, Ethernet, IPv4 … 6 layers are not enough for all of it.
        let pcap = tunnelRepositoryRoot + "/pcaps/tunnels/vxlan-in-gre.pcap"
        let rules = Self.rules + "\nalert pkthdr any any -> any any (msg:\"layers\"; decode-event:too_many_layers; sid:2;)\n"
        let records = try replayRecords(pcap, rules: rules, overrides: ["decoder.max-layers=6"])
        let sids = records.compactMap { ($0["alert"] as? [String: Any])?["signature_id"] as? Int }
        #expect(!sids.contains(1))
        #expect(sids.contains(2))
        #expect((flatStats(records)["decoder.too_many_layers"] ?? 0) >= 1)
    }

    @Test func outerPayloadIsNotInspected() throws {
        // The outer UDP datagram of the VXLAN capture holds the inner payload too: only the inner packet alerts.
        let pcap = tunnelRepositoryRoot + "/pcaps/tunnels/vxlan.pcap"
        let rules = "alert udp any any -> any 4789 (msg:\"outer\"; content:\"WEIR-INNER-PAYLOAD\"; sid:3;)\n"
        let records = try replayRecords(pcap, rules: rules)
        #expect(records.filter { $0["event_type"] as? String == "alert" }.isEmpty)
    }
}
