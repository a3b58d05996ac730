// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport
import WeirCapture
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// In-process replay of suricata-verify conformance cases: rules + pcap through decoder, flow table and engine.
enum ConformanceReplay {
    static var corpus: String {
        if let shared = ProcessInfo.processInfo.environment["WEIR_SHARED"] {
            return shared + "/conformance/suricata-verify"
        }
        // Tests run from the package root; the shared data sits next to it.
        return FileManager.default.currentDirectoryPath + "/../shared/conformance/suricata-verify"
    }

    /// Categories that need the stream or app-layer stages.
    static var excluded: Set<String> {
        // WEIR_CONFORMANCE_SCOPE=nonapp also runs the stream cases (packet payloads only, no reassembly yet);
        // `all` runs every case (robustness: app-layer rules load but cannot match without the app-layer stage).
        if ProcessInfo.processInfo.environment["WEIR_CONFORMANCE_SCOPE"] == "all" { return [] }
        if ProcessInfo.processInfo.environment["WEIR_CONFORMANCE_SCOPE"] == "nonapp" {
            return ["http", "dns", "tls", "ssh", "http-evader"]
        }
        return ["stream", "http", "dns", "tls", "ssh", "http-evader"]
    }

    struct Outcome {
        var passed: Bool
        var details: [String]
        var counts: [UInt32: Int]
    }

    /// Packet-level case directories, sorted.
    static func packetLevelCases() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: corpus) else { return [] }
        return names.sorted().filter { name in
            guard let expected = self.expected(name), let categories = expected["category"] as? [String] else {
                return false
            }
            return Set(categories).isDisjoint(with: excluded)
        }
    }

    static func expected(_ name: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: corpus + "/" + name + "/expected.json") else {
            return nil
        }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Replays case `name` and compares alert counts with its expectations.
    static func run(_ name: String) -> Outcome {
        let dir = corpus + "/" + name
        guard let expected = self.expected(name) else {
            return Outcome(passed: false, details: ["no expected.json"], counts: [:])
        }
        var variables = RuleVariables(addresses: [:], ports: [:])
        for (key, value) in (expected["vars"] as? [String: String]) ?? [:] {
            if key.hasSuffix("_PORTS") || key.hasSuffix("_PORT") {
                variables.ports[key] = value
            } else {
                variables.addresses[key] = value
            }
        }
        let config = (expected["config"] as? [String: Any]) ?? [:]
        var settings = DetectSettings()
        settings.isIPS = (expected["mode"] as? String) == "ips"
        if let max = config["packet-alert-max"] as? Int { settings.packetAlertMax = max }
        if let order = config["action-order"] as? String {
            let names = order.split(whereSeparator: { "[], \"".contains($0) }).map(String.init)
            settings.actionOrder = names.compactMap { n in RuleVerdictAction.allCases.first { $0.name == n } }
        }
        if let file = expected["threshold_file"] as? String,
            let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8)
        {
            do {
                settings.thresholdConfig = try ThresholdConfig(text: text, addressVariables: variables.addresses)
            } catch {
                return Outcome(passed: false, details: ["threshold.config: \(error)"], counts: [:])
            }
        }
        let loaded = RuleFileLoader(variables: variables).load(paths: [dir + "/test.rules"])
        let engine: DetectEngine
        do {
            engine = try DetectEngine(rules: loaded.rules, settings: settings)
        } catch {
            return Outcome(passed: false, details: ["engine: \(error)"], counts: [:])
        }
        let checksums = ChecksumValidation(configValue: (config["checksum-checks"] as? String) ?? "auto") ?? .auto
        var flowSettings = FlowSettings()
        flowSettings.midstream =
            (config["stream.midstream"] as? Bool) ?? ((config["stream.midstream"] as? String) == "true")
        flowSettings.asyncOneside = (config["stream.async-oneside"] as? Bool) ?? false
        var counts: [UInt32: Int] = [:]
        var total = 0
        let pcapName = ((expected["pcaps"] as? [String]) ?? []).first ?? ""
        do {
            let pcap = try PcapFile(path: dir + "/" + pcapName)
            var decoder = PacketDecoder(linkType: LinkType(rawValue: pcap.linkType) ?? .ethernet, checksums: checksums)
            var table = FlowTable(settings: flowSettings)
            let context = engine.makeContext()
            var packet = Packet()
            var alerts: [Alert] = []
            var number: UInt64 = 0
            loop: while true {
                switch pcap.next() {
                case .record(let record):
                    number += 1
                    packet.reset()
                    packet.timestamp = record.timestamp
                    packet.captureLength = record.bytes.count
                    packet.wireLength = record.wireLength
                    packet.packetNumber = number
                    decoder.decode(record.bytes, into: &packet)
                    let handle = table.process(packet) { _, _ in }
                    let flow = handle.map { table[$0.slot] }
                    _ = context.inspect(
                        packet: packet,
                        frame: record.bytes,
                        flow: flow,
                        handle: handle,
                        alerts: &alerts
                    )
                    for alert in alerts {
                        counts[alert.sid, default: 0] += 1
                        total += 1
                    }
                case .end, .damaged: break loop
                }
            }
        } catch {
            return Outcome(passed: false, details: ["pcap: \(error)"], counts: [:])
        }
        var details: [String] = []
        for e in (expected["expect"] as? [[String: Any]]) ?? [] {
            guard let sid = e["sid"] as? Int, let count = e["count"] as? Int else { continue }
            let seen = counts[UInt32(sid)] ?? 0
            if seen != count { details.append("sid \(sid): expected \(count), got \(seen)") }
        }
        for e in (expected["expect_min"] as? [[String: Any]]) ?? [] {
            guard let sid = e["sid"] as? Int, let min = e["min"] as? Int else { continue }
            let seen = counts[UInt32(sid)] ?? 0
            if seen < min { details.append("sid \(sid): expected at least \(min), got \(seen)") }
        }
        if let expectedTotal = expected["alert_total"] as? Int, expectedTotal != total {
            details.append("total: expected \(expectedTotal), got \(total)")
        }
        if !engine.rejected.isEmpty || !loaded.errors.isEmpty || !loaded.unsupported.isEmpty {
            details.append(
                "(rules: \(engine.rejected.map(\.description)) \(loaded.errors.map(\.description)) unsupported \(loaded.unsupported.map(\.keywords)))"
            )
        }
        let failed = details.contains { !$0.hasPrefix("(") }
        return Outcome(passed: !failed, details: details, counts: counts)
    }
}

@Suite(.needsSharedCorpus) struct ConformanceReplayTests {
    /// Replays every packet-level case and reports the pass rate; fails below the issue's 90 % target only when
    /// `WEIR_CONFORMANCE_STRICT=1`, so that the figure is always printed.
    @Test func packetLevelCases() {
        let cases = ConformanceReplay.packetLevelCases()
        #expect(!cases.isEmpty, "conformance corpus not found at \(ConformanceReplay.corpus)")
        var passed = 0
        var report = ""
        for name in cases {
            let outcome = ConformanceReplay.run(name)
            if outcome.passed { passed += 1 }
            report += "\(outcome.passed ? "PASS" : "FAIL") \(name) \(outcome.details.joined(separator: "; "))\n"
        }
        let rate = cases.isEmpty ? 0 : Double(passed) * 100 / Double(cases.count)
        report += "cases in scope: \(passed)/\(cases.count) passed (\(Int(rate))%)\n"
        FileHandle.standardError.write(Data(report.utf8))
        if ProcessInfo.processInfo.environment["WEIR_CONFORMANCE_STRICT"] == "1" {
            #expect(rate >= 90, "packet-level pass rate \(rate)%")
        }
    }
}
