// SPDX-License-Identifier: MIT
import Foundation
import Glibc
import Testing
import WeirTestSupport
@testable import WeirRuntime
import WeirDecode

/// `runmode: autofp` replay against one worker: the same alerts, byte for byte, each flow's in the same order.
@Suite struct ReplayWorkersTests {
    /// Every packet alerts (so `pcap_cnt` and the order within each flow are checked packet by packet), plus
    /// content, flow and stream rules.
    static let rules = """
        alert ip any any -> any any (msg:"every packet"; sid:1;)
        alert tcp any any -> any any (msg:"http request"; flow:to_server,established; content:"GET "; sid:2;)
        alert tcp any any -> any any (msg:"http response"; flow:to_client; content:"HTTP/1."; sid:3;)
        alert udp any any -> any any (msg:"dns"; content:"|01 00 00 01|"; sid:4;)
        alert http any any -> any any (msg:"uri"; http.uri; content:"/"; sid:5;)
        alert tcp any any -> any any (msg:"stream"; flow:established; content:"Content-"; sid:6;)
        """

    struct Run {
        var alerts: [String]
        var flows: Int
        var stats: [String: UInt64]
    }

    /// Replays `pcaps` with `workers` workers (0: the single-threaded replay) and returns its records.
    static func replay(_ pcaps: [String], rules: String, workers: Int, config: String? = nil) throws -> Run {
        let dir = try makeTemporaryDirectory("weir-workers")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rules.write(toFile: dir + "/test.rules", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.readPaths = pcaps
        options.configPath = config
        options.exclusiveRuleFiles = [dir + "/test.rules"]
        options.logDirectory = dir
        options.checksumChecks = "none"
        options.showProgress = false
        options.quiet = true
        if workers > 0 {
            // As many workers as asked, whatever the machine's CPU count.
            let cpus = Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
            options.overrides = ["runmode=autofp", "threading.detect-thread-ratio=\(Double(workers) / cpus + 0.0001)"]
        }
        #expect(Replay.run(options) == 0)
        let text = try String(contentsOfFile: dir + "/eve.json", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let alerts = lines.filter { $0.contains("\"event_type\":\"alert\"") }
        let flows = lines.filter { $0.contains("\"event_type\":\"flow\"") }.count
        let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        return Run(alerts: alerts, flows: flows, stats: flatStats(records))
    }

    /// Alerts of each flow, in file order.
    static func perFlow(_ alerts: [String]) throws -> [UInt64: [String]] {
        var out: [UInt64: [String]] = [:]
        for line in alerts {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard let id = (record["flow_id"] as? NSNumber)?.uint64Value else { continue }
            out[id, default: []].append(line)
        }
        return out
    }

    static func compare(_ one: Run, _ many: Run) throws {
        #expect(one.alerts.count > 0)
        #expect(one.alerts.sorted() == many.alerts.sorted(), "the alert sets differ")
        #expect(try Self.perFlow(one.alerts) == Self.perFlow(many.alerts), "a flow's alerts came in another order")
        #expect(one.flows == many.flows)
        for name in ["decoder.pkts", "decoder.bytes", "flow.total", "tcp.sessions", "detect.alert", "pcap.files"] {
            #expect(one.stats[name] == many.stats[name], "\(name): \(one.stats[name] ?? 0) vs \(many.stats[name] ?? 0)")
        }
    }

    /// Every capture in pcaps/ (several link types, tunnels, fragments, HTTP, DNS, damage) in one run.
    @Test(arguments: [1, 2, 3])
    func repositoryCapturesGiveTheSameAlerts(workers: Int) throws {
        let root = tunnelRepositoryRoot + "/pcaps"
        let files = try #require(FileManager.default.enumerator(atPath: root)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { root + "/" + $0 }
        try #require(files.count >= 20)
        let one = try Self.replay(files, rules: Self.rules, workers: 0)
        let many = try Self.replay(files, rules: Self.rules, workers: workers)
        try Self.compare(one, many)
    }

    /// The conformance cases' captures with their own rules, two workers against one.
    @Test(.needsSharedCorpus) func conformanceCasesGiveTheSameAlerts() throws {
        let root = sharedDirectory + "/conformance/suricata-verify"
        var compared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
            let dir = root + "/" + name
            guard let rules = try? String(contentsOfFile: dir + "/test.rules", encoding: .utf8),
                let files = try? FileManager.default.contentsOfDirectory(atPath: dir)
            else { continue }
            let pcaps = files.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { dir + "/" + $0 }
            guard !pcaps.isEmpty else { continue }
            let one = try Self.replay(pcaps, rules: rules, workers: 0)
            guard !one.alerts.isEmpty else { continue }
            let many = try Self.replay(pcaps, rules: rules, workers: 2)
            #expect(one.alerts.sorted() == many.alerts.sorted(), "\(name)")
            #expect(try Self.perFlow(one.alerts) == Self.perFlow(many.alerts), "\(name)")
            compared += 1
        }
        #expect(compared >= 50)
    }

    /// Both directions, and an IPv4 datagram's fragments, pin to the same worker.
    @Test func dispatchHashIsSymmetricAndIgnoresPorts() {
        func frame(_ src: [UInt8], _ dst: [UInt8], sport: UInt16, dport: UInt16, fragment: Bool) -> [UInt8] {
            var f: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
            f += [0x45, 0, 0, 40, 0, 1, fragment ? 0x20 : 0x40, fragment ? 0x10 : 0, 64, 6, 0, 0] + src + dst
            if !fragment { f += [UInt8(sport >> 8), UInt8(sport & 0xff), UInt8(dport >> 8), UInt8(dport & 0xff)] }
            f += [UInt8](repeating: 0, count: 16)
            return f
        }
        let a: [UInt8] = [10, 0, 0, 1]
        let b: [UInt8] = [192, 168, 7, 9]
        let hash = { (bytes: [UInt8]) in bytes.withUnsafeBytes { DispatchHash.of($0, linkType: .ethernet) } }
        let forward = hash(frame(a, b, sport: 40000, dport: 80, fragment: false))
        #expect(forward != 0)
        #expect(hash(frame(b, a, sport: 80, dport: 40000, fragment: false)) == forward)
        #expect(hash(frame(a, b, sport: 0, dport: 0, fragment: true)) == forward)
        // Other address pairs spread over the workers.
        var used = Set<Int>()
        for i in 0..<64 {
            let c: [UInt8] = [10, 1, UInt8(i), 2]
            used.insert(DispatchHash.worker(hash(frame(c, b, sport: 1, dport: 2, fragment: false)), count: 4))
        }
        #expect(used.count == 4)
    }

    /// A destination unreachable from a router in between pins to the worker of the flow it quotes, where the
    /// flow table joins it to that flow; other ICMP errors keep their own addresses.
    @Test func dispatchHashSendsAnUnreachableToItsQuotedFlowsWorker() {
        let client: [UInt8] = [10, 0, 0, 1]
        let server: [UInt8] = [192, 168, 7, 9]
        let router: [UInt8] = [172, 16, 0, 254]
        func ipv4(_ src: [UInt8], _ dst: [UInt8], proto: UInt8, payload: [UInt8]) -> [UInt8] {
            let total = 20 + payload.count
            return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0x40, 0, 64, proto, 0, 0] + src + dst
                + payload
        }
        let udp: [UInt8] = [0x9c, 0x40, 0, 53, 0, 8, 0, 0]
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        let flowFrame = ethernet + ipv4(client, server, proto: 17, payload: udp)
        let quoted = ipv4(client, server, proto: 17, payload: udp)
        let unreachable = ethernet + ipv4(router, client, proto: 1, payload: [3, 1, 0, 0, 0, 0, 0, 0] + quoted)
        let exceeded = ethernet + ipv4(router, client, proto: 1, payload: [11, 0, 0, 0, 0, 0, 0, 0] + quoted)
        let hash = { (bytes: [UInt8]) in bytes.withUnsafeBytes { DispatchHash.of($0, linkType: .ethernet) } }
        #expect(hash(unreachable) == hash(flowFrame))
        #expect(hash(exceeded) == hash(ethernet + ipv4(client, router, proto: 1, payload: [8, 0, 0, 0, 0, 0, 0, 0])))
        #expect(hash(exceeded) != hash(flowFrame))
    }
}
