// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirRuntime
import WeirTestSupport

/// `pcaps/defrag/udp-split.pcap` (scripts/gen_defrag_fixtures.py) through the whole replay path.
@Suite struct DefragPipelineTests {
    static let pcap = tunnelRepositoryRoot + "/pcaps/defrag/udp-split.pcap"
    static let rules = """
        alert udp any any -> any 4444 (msg:"content across fragments"; content:"WEIR-FRAGMENTED-CONTENT"; sid:1;)
        alert ip any any -> any any (msg:"more fragments"; fragbits:M; sid:2;)
        alert ip any any -> any any (msg:"later fragment"; fragoffset:>0; sid:3;)
        alert ip any any -> any any (msg:"in the completing fragment"; content:"MENTED-CONTENT0"; sid:4;)
        """

    static func alerts(_ records: [[String: Any]]) -> [[String: Any]] {
        records.filter { $0["event_type"] as? String == "alert" }
    }

    static func sid(_ record: [String: Any]) -> Int? { (record["alert"] as? [String: Any])?["signature_id"] as? Int }

    @Test func reassembledDatagramsAlertAndFragmentsStillMatch() throws {
        let records = try replayRecords(Self.pcap, rules: Self.rules)
        let alerts = Self.alerts(records)
        let content = alerts.filter { Self.sid($0) == 1 }
        // IPv4 two fragments, IPv6 three (with a duplicate), IPv6 behind hop-by-hop, and the atomic fragment.
        #expect(content.count == 4, "\(content.map { $0["src_ip"] ?? "" })")
        let rebuilt = content.filter { $0["pkt_src"] as? String == "defrag" }
        #expect(rebuilt.count == 3)
        for alert in rebuilt {
            // As Suricata: the rebuilt packet names the fragment that completed it as its tunnel root.
            let tunnel = try #require(alert["tunnel"] as? [String: Any])
            #expect(tunnel["depth"] as? Int == 0)
            #expect(tunnel["pcap_cnt"] as? Int != nil)
            #expect(alert["pcap_cnt"] == nil)
            #expect(alert["src_port"] as? Int != nil)
        }
        // The fragment that completes the IPv4 datagram holds these bytes, but only the rebuilt packet is
        // inspected for them.
        let completing = alerts.filter { Self.sid($0) == 4 }
        #expect(completing.count == 1)
        #expect(completing.first?["pkt_src"] as? String == "defrag")
        // fragbits:M matches the first IPv4 fragment and the IPv6 ones with M set; fragoffset the later ones.
        #expect(alerts.contains { Self.sid($0) == 2 })
        #expect(alerts.contains { Self.sid($0) == 3 })
        // Fragments get no flow of their own: every flow record names ports.
        let flows = records.filter { $0["event_type"] as? String == "flow" }
        #expect(flows.count == 4, "\(flows.map { "\($0["src_ip"] ?? "") \($0["src_port"] ?? "-")" })")
        #expect(flows.allSatisfy { $0["dest_port"] as? Int == 4444 })
        // The rebuilt IPv4 datagram (20 + 8 + 40 bytes) behind the first fragment's Ethernet header.
        let v4 = try #require(flows.first { $0["src_ip"] as? String == "10.9.0.1" })
        #expect((v4["flow"] as? [String: Any])?["bytes_toserver"] as? Int == 14 + 68)
        let stats = flatStats(records)
        #expect(stats["defrag.ipv4.fragments"] == 2)
        #expect(stats["defrag.ipv4.reassembled"] == 1)
        #expect(stats["defrag.ipv6.fragments"] == 6)
        #expect(stats["defrag.ipv6.reassembled"] == 2)
        #expect((stats["decoder.event.ipv6.frag_overlap"] ?? 0) >= 1, "the duplicate overlaps")
    }

    @Test func rebuiltPacketIsLoggedAsAFrameOfTheCaptureLinkType() throws {
        // Suricata rebuilds a datagram behind the offset-0 fragment's link header and gives it the tracker's data
        // link type, so an alert's `packet` is a whole Ethernet frame here, not bare IP with DLT_RAW.
        let dir = try makeTemporaryDirectory("weir-defrag-packet")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        let config = """
            %YAML 1.1
            ---
            outputs:
              - eve-log:
                  enabled: yes
                  filename: eve.json
                  ethernet: yes
                  types:
                    - alert:
                        packet: yes
            """
        try config.write(toFile: dir + "/weir.yaml", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.configPath = dir + "/weir.yaml"
        options.readPaths = [Self.pcap]
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        #expect(Replay.run(options) == 0)
        let text = try String(contentsOfFile: dir + "/eve.json", encoding: .utf8)
        let records = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let rebuilt = Self.alerts(records).filter { Self.sid($0) == 1 && $0["pkt_src"] as? String == "defrag" }
        #expect(rebuilt.count == 3)
        // `ethernet: yes`: a captured fragment's alert names its frame's addresses; a rebuilt datagram, decoded
        // from its IP header, has none (as Suricata's).
        let fragments = Self.alerts(records).filter { Self.sid($0) == 2 }
        try #require(!fragments.isEmpty)
        for alert in fragments {
            let ether = try #require(alert["ether"] as? [String: Any], "\(alert)")
            #expect((ether["src_mac"] as? String)?.split(separator: ":").count == 6)
            #expect(ether["ether_type"] as? Int == 0x0800 || ether["ether_type"] as? Int == 0x86dd)
        }
        #expect(rebuilt.allSatisfy { $0["ether"] == nil })
        for alert in rebuilt {
            let info = try #require(alert["packet_info"] as? [String: Any])
            #expect(info["linktype"] as? Int == 1)
            #expect(info["linktype_name"] as? String == "EN10MB")
            let encoded = try #require(alert["packet"] as? String)
            let packet = try #require(Data(base64Encoded: encoded))
            let bytes = [UInt8](packet)
            try #require(bytes.count > 14)
            let version = try #require(alert["ip_v"] as? Int)
            // The frame's ethertype names the IP version of the datagram behind it.
            #expect(bytes[12] == (version == 4 ? 0x08 : 0x86) && bytes[13] == (version == 4 ? 0x00 : 0xdd))
            #expect(bytes[14] >> 4 == UInt8(version))
            if alert["src_ip"] as? String == "10.9.0.1" { #expect(bytes.count == 14 + 68) }
        }
    }

    @Test func disabledDefragLeavesTheContentUnseen() throws {
        let records = try replayRecords(Self.pcap, rules: Self.rules, overrides: ["defrag.enabled=false"])
        let content = Self.alerts(records).filter { Self.sid($0) == 1 }
        // Only the atomic fragment, which is a whole datagram.
        #expect(content.count == 1)
        #expect(flatStats(records)["defrag.ipv4.fragments"] == nil)
    }

    /// True when `python3` on PATH can import jsonschema (validate.py needs it).
    static func pythonHasJSONSchema() -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import jsonschema"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test(.needsSharedCorpus) func eveOutputValidatesAgainstTheSchema() throws {
        // Every record of the tunnel and defrag fixtures against the shared corpus's eve/schema.json.
        let validator = SharedCorpus.path("eve/validate.py")
        // Stats records are left out: their counter set is checked elsewhere; these fixtures add alerts and flows.
        try #require(FileManager.default.fileExists(atPath: validator), "no \(validator)")
        try #require(Self.pythonHasJSONSchema(), "python3 cannot import jsonschema (scripts/install-deps.sh installs it)")
        let dir = try makeTemporaryDirectory("weir-validate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TunnelFixtureTests.rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        var inputs = try FileManager.default.contentsOfDirectory(atPath: tunnelRepositoryRoot + "/pcaps/tunnels")
            .map { tunnelRepositoryRoot + "/pcaps/tunnels/" + $0 }
        inputs.append(Self.pcap)
        for (index, input) in inputs.sorted().enumerated() {
            var options = RunOptions()
            options.readPaths = [input]
            options.exclusiveRuleFiles = [dir + "/test.rules"]
            options.logDirectory = dir + "/\(index)"
            options.checksumChecks = "none"
            options.showProgress = false
            options.quiet = true
            #expect(Replay.run(options) == 0)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", validator, "--types", "alert,flow", dir + "/\(index)/eve.json"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            process.waitUntilExit()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "\(input): \(output)")
        }
    }
}
