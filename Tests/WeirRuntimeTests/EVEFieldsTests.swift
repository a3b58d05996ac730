// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirDecode
import WeirDetect
import WeirTestSupport

@testable import WeirRuntime

/// `host` (sensor-name), `pcap_filename` (eve-log pcap-file) and alert `verdict`, as Suricata writes them.
@Suite struct EVEFieldsTests {
    func replay(
        config: String, rules: String, simulateIPS: Bool = false, pcap: String = "sample.pcap", _ tag: String
    ) throws -> [[String: Any]] {
        let dir = try makeTemporaryDirectory("weir-evefields-\(tag)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeText(config, dir + "/weir.yaml")
        try writeText(rules, dir + "/r.rules")
        var options = RunOptions()
        options.readPaths = [StatsOutputTests.repositoryRoot + "/pcaps/" + pcap]
        options.configPath = dir + "/weir.yaml"
        options.exclusiveRuleFiles = [dir + "/r.rules"]
        options.logDirectory = dir + "/log"
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        options.simulateIPS = simulateIPS
        #expect(Replay.run(options) == 0)
        return try eveRecords(dir + "/log/eve.json")
    }

    static func config(verdict: Bool, extra: String = "") -> String {
        """
        %YAML 1.1
        ---
        \(extra)
        outputs:
          - eve-log:
              enabled: yes
              filename: eve.json
              pcap-file: yes
              types:
                - alert:
                    verdict: \(verdict ? "yes" : "no")
                - drop:
                    verdict: yes
                - flow
                - stats

        """
    }

    @Test func hostAndPcapFilenameEndEveryRecord() throws {
        let records = try self.replay(
            config: Self.config(verdict: false, extra: "sensor-name: sensor-7"),
            rules: "alert tcp any any -> any any (msg:\"syn\"; flags:S; sid:1;)\n", "host")
        #expect(records.count > 3)
        for record in records {
            #expect(record["host"] as? String == "sensor-7", "\(record["event_type"] ?? "?")")
            #expect((record["pcap_filename"] as? String)?.hasSuffix("pcaps/sample.pcap") == true)
            #expect(record["verdict"] == nil)
        }
        #expect(records.contains { $0["event_type"] as? String == "stats" })
    }

    @Test func verdictSaysWhatBecameOfThePacket() throws {
        let rules = """
            alert tcp any any -> any any (msg:"syn"; flags:S; sid:1;)
            drop icmp any any -> any any (msg:"echo"; itype:8; sid:2;)

            """
        func verdicts(_ records: [[String: Any]]) -> [Int: [String: Any]] {
            var out: [Int: [String: Any]] = [:]
            for record in records where record["event_type"] as? String == "alert" {
                guard let sid = (record["alert"] as? [String: Any])?["signature_id"] as? Int else { continue }
                out[sid] = record["verdict"] as? [String: Any] ?? [:]
            }
            return out
        }
        let ids = verdicts(try self.replay(config: Self.config(verdict: true), rules: rules, "ids"))
        #expect(ids[1]?["action"] as? String == "alert")
        // IDS mode: a drop rule's packet is not dropped.
        #expect(ids[2]?["action"] as? String == "alert")
        let ipsRecords = try self.replay(config: Self.config(verdict: true), rules: rules, simulateIPS: true, "ips")
        let ips = verdicts(ipsRecords)
        #expect(ips[1]?["action"] as? String == "alert")
        #expect(ips[2]?["action"] as? String == "drop")
        let drops = ipsRecords.filter { $0["event_type"] as? String == "drop" }
        #expect(!drops.isEmpty)
        for drop in drops { #expect((drop["verdict"] as? [String: Any])?["action"] as? String == "drop") }
    }

    @Test func rejectVerdictNamesItsTargetAndReply() {
        var verdict = PacketVerdict()
        verdict.reject = true
        verdict.rejectTarget = .both
        var packet = Packet()
        packet.l4Protocol = 6
        let ids = ReplayOutputs.eveVerdict(verdict, packet: packet, inline: false)
        #expect(ids.action == "alert" && ids.rejectTarget == "both" && ids.reject == ["tcp-reset"])
        packet.l4Protocol = 17
        let ips = ReplayOutputs.eveVerdict(verdict, packet: packet, inline: true)
        #expect(ips.action == "drop" && ips.reject == ["icmp-prohib"])
        var pass = PacketVerdict()
        pass.pass = true
        #expect(ReplayOutputs.eveVerdict(pass, packet: packet, inline: true).action == "pass")
    }

    @Test func anomalyRecordsForDecodeEventsAsConfigured() throws {
        let anomaly = """
            %YAML 1.1
            ---
            outputs:
              - eve-log:
                  enabled: yes
                  filename: eve.json
                  types:
                    - anomaly:
                        enabled: yes
                        types:
                          decode: DECODE
                          stream: yes
                          applayer: yes
                        packethdr: yes

            """
        let on = try self.replay(
            config: anomaly.replacingOccurrences(of: "DECODE", with: "yes"), rules: "", pcap: "malformed.pcap", "anomaly")
        let records = on.filter { $0["event_type"] as? String == "anomaly" }
        #expect(!records.isEmpty)
        for record in records {
            let body = try #require(record["anomaly"] as? [String: Any])
            let type = body["type"] as? String
            #expect(type == "decode" || type == "stream" || type == "applayer")
            if type == "decode" {
                #expect((body["event"] as? String)?.hasPrefix("decoder.") == true)
                #expect(record["packet"] as? String != nil && record["packet_info"] != nil)
            }
        }
        #expect(records.contains { ($0["anomaly"] as? [String: Any])?["type"] as? String == "decode" })
        // decode: no (Suricata's default) leaves them out.
        let off = try self.replay(
            config: anomaly.replacingOccurrences(of: "DECODE", with: "no"), rules: "", pcap: "malformed.pcap", "anomaly-off")
        #expect(!off.contains { ($0["anomaly"] as? [String: Any])?["type"] as? String == "decode" })
    }

    @Test func alertsCarryTheFlowsFlowbitsAndFlowints() throws {
        let rules = """
            alert tcp any any -> any any (msg:"syn"; flags:S; flowbits:set,weir.seen_syn; flowint:syns,=,1; sid:1;)
            alert tcp any any -> any any (msg:"unset"; flags:S; flowbits:isnotset,never.set; flowbits:noalert; sid:2;)

            """
        let records = try self.replay(config: Self.config(verdict: false), rules: rules, "flowbits")
        let alerts = records.filter { $0["event_type"] as? String == "alert" }
        #expect(!alerts.isEmpty)
        for alert in alerts {
            let metadata = try #require(alert["metadata"] as? [String: Any], "\(alert)")
            #expect(metadata["flowbits"] as? [String] == ["weir.seen_syn"])
            #expect((metadata["flowints"] as? [String: Any])?["syns"] as? Int == 1)
        }
        // Records of flows without variables have no metadata object.
        #expect(records.filter { $0["event_type"] as? String == "flow" }.allSatisfy { $0["metadata"] == nil })
        // The eve-log's `metadata: no` leaves it out.
        let off = Self.config(verdict: false).replacingOccurrences(of: "pcap-file: yes", with: "pcap-file: yes\n      metadata: no")
        #expect(off != Self.config(verdict: false))
        let without = try self.replay(config: off, rules: rules, "flowbits-off")
        #expect(without.contains { $0["event_type"] as? String == "alert" })
        #expect(without.allSatisfy { $0["metadata"] == nil })
    }
}
