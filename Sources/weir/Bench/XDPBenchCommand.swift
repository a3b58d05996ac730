// SPDX-License-Identifier: MIT
import ArgumentParser
import Glibc
import WeirBypass

/// `weir bench xdp`: weir_xdp (and weir_sock) against bare programs through BPF_PROG_TEST_RUN.
struct XDPBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xdp",
        abstract: "Time weir_xdp and weir_sock on a miss and a hit against bare XDP_PASS / accept-all programs."
    )

    @Option(name: .customLong("repeat"), help: "BPF_PROG_TEST_RUN repetitions per measurement.")
    var repeatCount: UInt32 = 1_000_000

    @Option(help: "Rounds; the median is reported.")
    var rounds: Int = 5

    @Option(help: "Flows in the IPv4 table while measuring.")
    var entries: Int = 100_000

    @Flag(help: "Skip the socket-filter measurement.")
    var xdpOnly = false

    func run() throws {
        BPFLogging.install()
        let features = KernelFeatures.probe(environment: currentEnvironment())
        let report = try BypassBenchmark.run(
            repeatCount: self.repeatCount,
            rounds: self.rounds,
            mapEntries: self.entries,
            includeSocketFilter: !self.xdpOnly,
            features: features
        )
        var out = "weir bench xdp: repeat \(report.repeatCount), \(report.rounds) rounds (median), "
        out += "\(report.mapEntries) flows in the IPv4 table, load average \(Self.loadAverage())\n"
        out += Self.describe(
            "weir_xdp",
            "XDP_PASS program",
            report.xdp,
            targets: (1.9, 2.4),
            floor: "reference: a program doing only one LRU_HASH hit"
        )
        if let sock = report.socketFilter {
            out += Self.describe(
                "weir_sock",
                "accept-all filter",
                sock,
                targets: (2.2, 2.2),
                floor: "reference: one 54-byte header load + one LRU_HASH hit"
            )
        }
        writeStandardOutput(out)
    }

    /// The 1-, 5- and 15-minute load averages from /proc/loadavg, or "unknown": the figures are only
    /// comparable between runs made under similar load.
    static func loadAverage() -> String {
        let fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "unknown" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return "unknown" }
        let fields = buffer[0..<count].split(separator: UInt8(ascii: " "))
        return fields.prefix(3).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    static func describe(
        _ name: String,
        _ baseline: String,
        _ f: BypassBenchmark.Figures,
        targets: (Double, Double),
        floor: String
    ) -> String {
        func fixed(_ value: Double) -> String {
            let scaled = Int((value * 100).rounded())
            let fraction = scaled % 100
            return "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        }
        var text = "  \(baseline): \(fixed(f.baselineNanoseconds)) ns/pkt (verdict \(f.verdicts.0))\n"
        text += "  \(name) miss: \(fixed(f.missNanoseconds)) ns/pkt, ratio \(fixed(f.missRatio))x"
        text +=
            " (target <= \(fixed(targets.0))x) \(f.missRatio <= targets.0 ? "ok" : "OVER") (verdict \(f.verdicts.1))\n"
        text += "  \(name) hit:  \(fixed(f.hitNanoseconds)) ns/pkt, ratio \(fixed(f.hitRatio))x"
        text +=
            " (target <= \(fixed(targets.1))x) \(f.hitRatio <= targets.1 ? "ok" : "OVER") (verdict \(f.verdicts.2))\n"
        if let floorNs = f.floorNanoseconds, let floorRatio = f.floorRatio {
            text +=
                "  \(floor): \(fixed(floorNs)) ns/pkt, ratio \(fixed(floorRatio))x\n"
        }
        return text
    }
}
