// SPDX-License-Identifier: MIT
import Foundation
import Testing
import WeirTestSupport
import WeirCore
import WeirDecode
import WeirFlow

@testable import WeirDetect

/// Random and mutated traffic through the full ET Open engine: nothing may trap. Runs only when
/// `WEIR_FUZZ_PACKETS` is set (the packet count), since loading ET Open takes seconds in a debug build.
@Suite(.needsSharedCorpus) struct RandomTrafficTests {
    @Test func etOpenSurvivesRandomPayloads() throws {
        guard let text = ProcessInfo.processInfo.environment["WEIR_FUZZ_PACKETS"], let count = Int(text) else { return }
        let root = FileManager.default.currentDirectoryPath + "/../shared/rulesets/et-open"
        let files = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasSuffix(".rules") }
            .map { root + "/" + $0 }
        let set = RuleFileLoader().load(paths: files)
        var settings = DetectSettings()
        settings.isIPS = true
        let engine = try DetectEngine(rules: set.rules, settings: settings)
        let context = engine.makeContext()
        var table = FlowTable()
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
        var rng = SystemRandomNumberGenerator()
        // Seeds: fragments of ET contents so that prefilters fire and full evaluation runs on hostile bytes.
        var seeds: [[UInt8]] = []
        for rule in set.rules.prefix(5000) {
            for section in rule.rule.sections {
                for case .content(let c) in section.matches where c.pattern.count > 3 { seeds.append(c.pattern) }
            }
        }
        var alerts: [Alert] = []
        var packet = Packet()
        var alerted = 0
        for i in 0..<count {
            var payload: [UInt8] = []
            let pieces = Int.random(in: 1...6, using: &rng)
            for _ in 0..<pieces {
                if Bool.random(using: &rng), let seed = seeds.randomElement(using: &rng) {
                    payload += seed
                } else {
                    payload += (0..<Int.random(in: 0...64, using: &rng)).map { _ in
                        UInt8.random(in: 0...255, using: &rng)
                    }
                }
            }
            var f = FrameBuilder()
            f.source = [10, 0, UInt8(i & 3), 1]
            let sport = UInt16.random(in: 1024...1100, using: &rng)
            let dport: UInt16 = [80, 443, 53, 25, 445, 8080, 21].randomElement(using: &rng) ?? 80
            let frame =
                Bool.random(using: &rng)
                ? f.tcp(sport: sport, dport: dport, flags: 0x18, seq: UInt32(i), ack: 1, payload: payload)
                : f.udp(sport: sport, dport: dport, payload: payload)
            frame.withUnsafeBytes { bytes in
                packet.reset()
                packet.timestamp = Timestamp(seconds: Int64(1000 + i / 100), microseconds: 0)
                decoder.decode(bytes, into: &packet)
                let handle = table.process(packet) { _, _ in }
                _ = context.inspect(
                    packet: packet,
                    frame: bytes,
                    flow: handle.map { table[$0.slot] },
                    handle: handle,
                    alerts: &alerts
                )
                alerted += alerts.isEmpty ? 0 : 1
            }
        }
        #expect(context.counters.packets == UInt64(count))
        FileHandle.standardError.write(
            Data(
                "random traffic: \(count) packets, \(alerted) with alerts, \(context.counters.signaturesEvaluated) evaluations\n"
                    .utf8
            )
        )
    }
}
