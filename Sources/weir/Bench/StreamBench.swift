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
            With a pcap path, its frames are loaded into memory and replayed; otherwise TCP-heavy traffic is \
            generated in memory (interleaved sessions, 1460-byte segments, some reordering). Each mode runs \
            --runs times, alternating; the medians, their ratio and the peak RSS are printed.
            """
    )

    @Argument(help: "A pcap to replay (Ethernet, IPv4/TCP is what the benchmark decoder reads).")
    var pcap: String?

    @Option(help: "Megabytes of TCP payload to generate when no pcap is given.")
    var sizeMB: Int = 200

    @Option(help: "Timed runs per mode; the median is reported.")
    var runs: Int = 5

    @Option(help: "stream.reassembly.depth in bytes (0 = unlimited).")
    var depth: UInt64 = 1 << 20

    @Flag(help: "Inline (IPS) stream semantics.")
    var inline = false

    func run() throws {
        let frames: BenchFrames
        if let pcap {
            frames = BenchFrames()
            let file = try PcapFile(path: pcap)
            loop: while true {
                switch file.next() {
                case .record(let record): frames.append(record.bytes, time: record.timestamp.microseconds)
                case .end: break loop
                case .damaged(let why): throw ValidationError("\(pcap): \(why)")
                }
            }
        } else {
            frames = BenchFrames.generate(totalPayload: self.sizeMB << 20)
        }
        let rssLoaded = Self.peakRSSKiB()
        Self.say(
            "input: \(self.pcap ?? "generated") frames=\(frames.index.count) bytes=\(frames.totalBytes) "
                + "payload=\(frames.payloadBytes) peak_rss_after_load_kib=\(rssLoaded)")
        let settings = StreamSettings(reassemblyDepth: self.depth, midstream: true, inline: self.inline)
        var off: [Double] = []
        var on: [Double] = []
        var rssOff = 0
        var inspected = 0
        var sessions: UInt64 = 0
        for _ in 0..<max(1, self.runs) {
            let a = StreamBenchmark.run(frames, withStream: false, settings: settings, clock: Self.now)
            off.append(a.seconds)
            rssOff = Self.peakRSSKiB()
            let b = StreamBenchmark.run(frames, withStream: true, settings: settings, clock: Self.now)
            on.append(b.seconds)
            inspected = b.inspectedBytes
            sessions = b.sessions
        }
        let rssOn = Self.peakRSSKiB()
        let medOff = Self.median(off)
        let medOn = Self.median(on)
        let packets = Double(frames.index.count)
        Self.say("stream off: median \(Self.fmt(medOff)) s  \(Self.fmt(packets / medOff / 1e6)) Mpps  runs \(off.map(Self.fmt))")
        Self.say("stream on:  median \(Self.fmt(medOn)) s  \(Self.fmt(packets / medOn / 1e6)) Mpps  runs \(on.map(Self.fmt))")
        Self.say("ratio on/off: \(Self.fmt(medOn / medOff))  (target <= 1.5)")
        Self.say("sessions=\(sessions) raw_inspected_bytes=\(inspected)")
        Self.say("peak_rss_kib: after_load=\(rssLoaded) after_off_runs=\(rssOff) after_on_runs=\(rssOn)")
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
