// SPDX-License-Identifier: MIT
import ArgumentParser
import Glibc
import WeirCapture
import WeirCore
import WeirDecode
import WeirDetect
import WeirFlow

/// `weir bench detect`: load every ET Open rule that loads into the detection engine (signature groups and
/// Vectorscan databases), report load time and peak RSS; with `--pcap`, also replay a capture through
/// decode → flow → detect with the full ruleset and with no rules, against a read-only pass, in the same run.
struct DetectBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Build the detection engine from ET Open (load time, peak RSS) and optionally replay a pcap."
    )

    @Argument(help: "Rule files (default: every .rules file under <shared>/rulesets/et-open and its supplement).")
    var files: [String] = []

    @Option(name: .long, help: "A pcap to replay with the full ruleset, with no rules, and read-only.")
    var pcap: String?

    @Option(name: .long, help: "Replay repetitions; the best time of each pass is reported.")
    var repeats: Int = 3

    func run() throws {
        var paths = self.files
        if paths.isEmpty { paths = RuleSetLocator.etOpenFiles() }
        guard !paths.isEmpty else {
            RulesConsole.error("no rule files found (set WEIR_SHARED to the shared data folder)\n")
            throw ExitCode(2)
        }
        let clock = ContinuousClock()
        let rssBefore = Self.peakRSSKilobytes()
        var set = RuleSet()
        let parse = clock.measure { set = RuleFileLoader().load(paths: paths) }
        var engine: DetectEngine?
        var buildError: String?
        let build = clock.measure {
            do {
                engine = try DetectEngine(rules: set.rules, settings: DetectSettings())
            } catch {
                buildError = "\(error)"
            }
        }
        guard let engine else {
            RulesConsole.error("engine build failed: \(buildError ?? "unknown")\n")
            throw ExitCode(1)
        }
        let rssAfter = Self.peakRSSKilobytes()
        let stats = engine.loadStatistics
        var rejectedByKeyword: [String: Int] = [:]
        for r in engine.rejected { rejectedByKeyword[r.keyword, default: 0] += 1 }
        let topRejected = rejectedByKeyword.sorted { $0.value > $1.value }.prefix(12)
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        RulesConsole.out(
            """
            files: \(paths.count), rule lines: \(set.rulesSeen)
            parsed: \(set.rules.count) (unsupported \(set.unsupported.count), errors \(set.errors.count), duplicates \(set.duplicates.count))
            engine: \(engine.signatureCount) signatures loaded, \(engine.rejected.count) rejected by the engine
              rejected by keyword: \(topRejected)
            groups: \(stats.groups), prefilter patterns: \(stats.patterns), Vectorscan databases: \(stats.databases), \(stats.databaseBytes / 1024) KiB
            port groups per bucket (destination/source): \(Self.portGroups(engine))
            ip-only: \(stats.ipOnlySignatures), always evaluated (no fast pattern): \(stats.alwaysEvaluatedSignatures)
            parse + resolve: \(Self.ms(parse)) ms
            engine build (compile signatures, pcre JIT, groups, Vectorscan): \(Self.ms(build)) ms (groups + Vectorscan: \(Int(stats.buildSeconds * 1000)) ms)
            load total: \(Self.ms(parse + build)) ms
            peak RSS: \(rssAfter / 1024) MiB (before loading: \(rssBefore / 1024) MiB)

            """
        )
        guard let pcapPath = self.pcap else { return }
        let empty = try DetectEngine(rules: [], settings: DetectSettings())
        var tcpdump: Duration?
        var readOnly = ReplayResult(time: .seconds(1_000_000))
        var noRules = readOnly
        var full = readOnly
        for _ in 0..<max(1, self.repeats) {
            if let t = Self.runTcpdump(pcapPath, clock: clock) { tcpdump = min(tcpdump ?? t, t) }
            let r = try Self.replay(path: pcapPath, engine: nil, clock: clock)
            if r.time < readOnly.time { readOnly = r }
            let n = try Self.replay(path: pcapPath, engine: empty, clock: clock)
            if n.time < noRules.time { noRules = n }
            let f = try Self.replay(path: pcapPath, engine: engine, clock: clock)
            if f.time < full.time { full = f }
        }
        let fullSeconds = Self.seconds(full.time)
        var tcpdumpLine = "  tcpdump -r FILE -w /dev/null: not available\n"
        if let tcpdump {
            tcpdumpLine = "  tcpdump -r FILE -w /dev/null: \(Self.ms(tcpdump)) ms; ET Open replay / tcpdump: "
                + "\(Self.ratio(fullSeconds, Self.seconds(tcpdump)))x, no-rules replay / tcpdump: "
                + "\(Self.ratio(Self.seconds(noRules.time), Self.seconds(tcpdump)))x\n"
        }
        let base = Self.seconds(readOnly.time)
        RulesConsole.out(
            """
            replay \(pcapPath): \(full.packets) packets, \(full.bytes / 1_000_000) MB, best of \(max(1, self.repeats))
            \(tcpdumpLine)\
              read only (libpcap):          \(Self.ms(readOnly.time)) ms
              decode+flow+detect, no rules: \(Self.ms(noRules.time)) ms (\(Self.ratio(Self.seconds(noRules.time), base))x read)
              decode+flow+detect, ET Open:  \(Self.ms(full.time)) ms (\(Self.ratio(fullSeconds, base))x read, \
            \(Self.ratio(fullSeconds, Self.seconds(noRules.time)))x no-rules), \(full.alerts) alerts
              per packet: \(Self.ratio(Double(full.counters.prefilterCandidates), Double(full.packets))) candidates, \
            \(Self.ratio(Double(full.counters.signaturesEvaluated), Double(full.packets))) evaluated in full, \
            \(Self.ratio(Double(full.counters.prefilterScans), Double(full.packets))) prefilter scans
              throughput with ET Open: \(Int(Double(full.bytes) * 8 / fullSeconds / 1e6)) Mbit/s
              peak RSS: \(Self.peakRSSKilobytes() / 1024) MiB

            """)
    }

    /// Wall time of `tcpdump -r path -w /dev/null`, or `nil` when tcpdump cannot be run.
    static func runTcpdump(_ path: String, clock: ContinuousClock) -> Duration? {
        var pid: pid_t = 0
        let arguments = ["tcpdump", "-q", "-r", path, "-w", "/dev/null"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var status: Int32 = 0
        var ok = false
        let time = clock.measure {
            guard posix_spawnp(&pid, "tcpdump", &actions, nil, argv, environ) == 0 else { return }
            ok = waitpid(pid, &status, 0) == pid && status == 0
        }
        return ok ? time : nil
    }

    /// Distinct destination-port and source-port groups of each protocol bucket that has any.
    static func portGroups(_ engine: DetectEngine) -> String {
        ProtocolBucket.allCases.compactMap { b -> String? in
            let index = engine.buckets[b.rawValue]
            let destination = Set(index.destinationPortGroup.filter { $0 >= 0 }).count
            let source = Set(index.sourcePortGroup.filter { $0 >= 0 }).count
            return destination + source == 0 ? nil : "\(b) \(destination)/\(source)"
        }.joined(separator: ", ")
    }

    struct ReplayResult {
        var time: Duration
        var packets = 0
        var bytes = 0
        var alerts = 0
        var counters = DetectCounters()
    }

    /// One pass over the pcap: read only when `engine` is nil, else decode, flow and detect.
    static func replay(path: String, engine: DetectEngine?, clock: ContinuousClock) throws -> ReplayResult {
        let pcap = try PcapFile(path: path)
        var result = ReplayResult(time: .zero)
        var decoder = PacketDecoder(linkType: LinkType(rawValue: pcap.linkType) ?? .ethernet, checksums: .auto)
        var table = FlowTable()
        let context = engine?.makeContext()
        var packet = Packet()
        var alerts: [Alert] = []
        alerts.reserveCapacity(16)
        result.time = clock.measure {
            loop: while true {
                switch pcap.next() {
                case .record(let record):
                    result.packets += 1
                    result.bytes += record.bytes.count
                    guard let context else { continue }
                    packet.reset()
                    packet.timestamp = record.timestamp
                    packet.captureLength = record.bytes.count
                    packet.wireLength = record.wireLength
                    packet.packetNumber = UInt64(result.packets)
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
                    result.alerts += alerts.count
                    if result.packets & 0x3FFF == 0 { table.expire(now: packet.timestamp) { _, _ in } }
                case .end, .damaged: break loop
                }
            }
        }
        if let context { result.counters = context.counters }
        return result
    }

    static func peakRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func ms(_ d: Duration) -> Int { Int(self.seconds(d) * 1000) }

    static func ratio(_ a: Double, _ b: Double) -> String {
        guard b > 0 else { return "-" }
        return String((a / b * 100).rounded() / 100)
    }
}
