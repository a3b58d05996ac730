// SPDX-License-Identifier: MIT
import ArgumentParser
import Glibc
import WeirCapture
import WeirStream

/// `weir bench stream`: the per-packet pipeline with the TCP stream engine on and off, in one run.
struct StreamBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Time decode + flow lookup with and without the TCP stream engine (reassembly, raw-stream hand-off).",
        discussion: """
            With a pcap path, the file is replayed through libpcap inside each timed pass; otherwise TCP-heavy \
            traffic is generated in memory (interleaved sessions, 1460-byte segments, some reordering) and \
            replayed from memory. Two pipelines are timed, each with the stream engine off and on, alternating \
            passes: "bare" (decode + flow lookup) and "scan" (the same plus one read of each packet payload, \
            which detection does in both modes). Medians of --runs passes, their ratios and peak RSS are printed.
            """
    )

    @Argument(help: "A pcap to replay (Ethernet, IPv4/TCP is what the benchmark decoder reads).")
    var pcap: String?

    @Option(help: "Megabytes of TCP payload to generate when no pcap is given.")
    var sizeMB: Int = 200

    @Option(help: "Concurrent sessions in generated traffic.")
    var concurrent: Int = 512

    @Option(help: "Timed passes per configuration; the median is reported.")
    var runs: Int = 5

    @Option(help: "stream.reassembly.depth in bytes (0 = unlimited).")
    var depth: UInt64 = 1 << 20

    @Flag(help: "Inline (IPS) stream semantics.")
    var inline = false

    func run() throws {
        var frames: BenchFrames? = nil
        if self.pcap == nil { frames = BenchFrames.generate(totalPayload: self.sizeMB << 20, concurrent: max(1, self.concurrent)) }
        let rssLoaded = Self.peakRSSKiB()
        if let frames {
            Self.say(
                "input: generated frames=\(frames.index.count) bytes=\(frames.totalBytes) tcp_payload=\(frames.payloadBytes)")
        } else {
            Self.say("input: \(self.pcap ?? "") (replayed from the file in every pass)")
        }
        let settings = StreamSettings(reassemblyDepth: self.depth, midstream: true, inline: self.inline)
        var failure: String? = nil
        let pass = { (withStream: Bool, scan: Bool) -> StreamBenchPass in
            if let frames {
                return StreamBenchmark.run(frames, withStream: withStream, scanPayload: scan, settings: settings, clock: Self.now)
            }
            return StreamBenchmark.run(
                source: { body in
                    guard let path = self.pcap else { return }
                    do {
                        let file = try PcapFile(path: path)
                        while true {
                            switch file.next() {
                            case .record(let record): body(record.bytes, record.timestamp.microseconds)
                            case .end: return
                            case .damaged(let why):
                                failure = why
                                return
                            }
                        }
                    } catch {
                        failure = "\(error)"
                    }
                }, withStream: withStream, scanPayload: scan, settings: settings, clock: Self.now)
        }
        var times: [String: [Double]] = [:]
        var last: StreamBenchPass? = nil
        // One untimed pass with the engine off first: the peak RSS of the baseline alone.
        _ = pass(false, false)
        let rssOff = Self.peakRSSKiB()
        var pairedRatios: [Bool: [Double]] = [false: [], true: []]
        for round in 0..<max(1, self.runs) {
            for scan in [false, true] {
                // Alternate which mode goes first, so cache and allocator warm-up do not favour one side.
                var off = 0.0
                var on = 0.0
                if round % 2 == 0 {
                    off = pass(false, scan).seconds
                    let b = pass(true, scan)
                    on = b.seconds
                    last = b
                } else {
                    let b = pass(true, scan)
                    on = b.seconds
                    last = b
                    off = pass(false, scan).seconds
                }
                times["off-\(scan)", default: []].append(off)
                times["on-\(scan)", default: []].append(on)
                pairedRatios[scan, default: []].append(on / off)
            }
        }
        if let failure { throw ValidationError("\(self.pcap ?? ""): \(failure)") }
        let rssOn = Self.peakRSSKiB()
        let packets = Double(last?.packets ?? 0)
        for scan in [false, true] {
            let name = scan ? "scan" : "bare"
            let off = Self.median(times["off-\(scan)"] ?? [])
            let on = Self.median(times["on-\(scan)"] ?? [])
            Self.say("\(name) stream off: median \(Self.fmt(off)) s  \(Self.fmt(packets / off / 1e6)) Mpps  passes \((times["off-\(scan)"] ?? []).map(Self.fmt))")
            Self.say("\(name) stream on:  median \(Self.fmt(on)) s  \(Self.fmt(packets / on / 1e6)) Mpps  passes \((times["on-\(scan)"] ?? []).map(Self.fmt))")
            Self.say(
                "\(name) ratio on/off: \(Self.fmt(on / off)) (of medians), \(Self.fmt(Self.median(pairedRatios[scan] ?? [])))"
                    + " (median of paired passes)  target <= 1.5")
        }
        Self.say(
            "packets=\(Int(packets)) sessions=\(last?.sessions ?? 0) raw_inspected_bytes=\(last?.inspectedBytes ?? 0)"
                + " reassembly_memuse_peak=\(last?.statistics.reassemblyMemusePeak ?? 0)")
        Self.say("peak_rss_kib: after_input=\(rssLoaded) stream_off=\(rssOff) stream_on=\(rssOn)")
        let counters = (last?.statistics.namedValues ?? []).filter { $0.1 != 0 }
        Self.say("stream counters: " + counters.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func fmt(_ v: Double) -> String {
        let scaled = (v * 1000).rounded() / 1000
        return String(scaled)
    }

    static func say(_ line: String) {
        let text = line + "\n"
        _ = text.utf8CString.withUnsafeBufferPointer { buffer in write(1, buffer.baseAddress, buffer.count - 1) }
    }
}
