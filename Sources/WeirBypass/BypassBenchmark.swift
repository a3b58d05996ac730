// SPDX-License-Identifier: MIT
import CWeirLinux
import WeirBPFObjects
import WeirCore
import WeirFlow

/// Measures the kernel programs with BPF_PROG_TEST_RUN against bare baselines (XDP_PASS, accept-all)
/// compiled by the same build, in one run, as ratios, so machine speed and load cancel out.
public enum BypassBenchmark {
    /// One program's figures.
    public struct Figures: Sendable {
        /// Median ns per packet of the baseline, the miss path and the hit path.
        public var baselineNanoseconds: Double
        public var missNanoseconds: Double
        public var hitNanoseconds: Double
        /// Median over rounds of (miss / baseline) and (hit / baseline) measured in the same round.
        public var missRatio: Double
        public var hitRatio: Double
        /// Verdicts seen, to prove the paths taken: baseline, miss, hit.
        public var verdicts: (UInt32, UInt32, UInt32)
        /// Median ns and ratio of a reference program: one LRU_HASH hit in a table of the flow table's size
        /// and fill and nothing else (XDP), or one header load and that hit (socket filter). It is what a
        /// kernel hash table alone costs, which the slot tables avoid.
        public var floorNanoseconds: Double? = nil
        public var floorRatio: Double? = nil
    }

    /// Everything one benchmark run produced.
    public struct Report: Sendable {
        public var repeatCount: UInt32
        public var rounds: Int
        public var mapEntries: Int
        public var xdp: Figures
        public var socketFilter: Figures?
    }

    /// Runs the benchmark.
    ///
    /// - Parameters:
    ///   - repeatCount: BPF_PROG_TEST_RUN repetitions per measurement (the kernel averages them).
    ///   - rounds: rounds; the median is reported.
    ///   - mapEntries: flows put into the IPv4 table before measuring (the hit flow among them).
    public static func run(
        repeatCount: UInt32 = 1_000_000,
        rounds: Int = 5,
        mapEntries: Int = 100_000,
        includeSocketFilter: Bool = true,
        features: KernelFeatures
    ) throws(BPFError) -> Report {
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = UInt32(max(mapEntries * 5 / 4, 1024))
        let baseline = try BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline")
        // The floor's table has the flow table's size and fill, so only the program around it differs.
        try baseline.setMaxEntries(WEIR_MAP_FLOOR, settings.flowTableSize)
        try baseline.load()

        let hitFrame = Self.frame(source: 0x0a00_0001, destination: 0x0a00_0002, sourcePort: 40000, destinationPort: 80)
        let missFrame = Self.frame(
            source: 0x0a63_0001,
            destination: 0x0a63_0002,
            sourcePort: 40001,
            destinationPort: 81
        )
        let hitKey = FlowKey(
            firstAddress: IPAddress(v4: 0x0a00_0001),
            secondAddress: IPAddress(v4: 0x0a00_0002),
            firstPort: 40000,
            secondPort: 80,
            proto: IPProtocol.tcp
        )

        let xdpPlane = try BypassDataPlane(kind: .xdp, settings: settings, features: features)
        try Self.fill(xdpPlane.table(), count: mapEntries, hit: hitKey)
        var xdp = try Self.measure(
            baseline: try baseline.program(WEIR_PROG_XDP_PASS),
            program: xdpPlane.program,
            miss: missFrame,
            hit: hitFrame,
            repeatCount: repeatCount,
            rounds: rounds
        )
        let floorMap: BPFMap<weir_flow_key_v4, weir_flow_value> = try baseline.map(WEIR_MAP_FLOOR)
        var floorKey = weir_flow_key_v4()
        floorKey.addr_a = UInt32(hitFrame.count)
        try floorMap.update(floorKey, weir_flow_value())
        for index in 1..<max(mapEntries, 1) {
            var key = weir_flow_key_v4()
            key.addr_a = (0xac10_0000 | UInt32(index)).bigEndian
            key.addr_b = UInt32(index).bigEndian
            key.proto = IPProtocol.tcp
            try floorMap.update(key, weir_flow_value())
        }
        let floor = try Self.measure(
            baseline: try baseline.program(WEIR_PROG_XDP_PASS),
            program: try baseline.program(WEIR_PROG_XDP_FLOOR),
            miss: hitFrame,
            hit: hitFrame,
            repeatCount: repeatCount,
            rounds: rounds
        )
        xdp.floorNanoseconds = floor.hitNanoseconds
        xdp.floorRatio = floor.hitRatio
        // A "hit" that passed would time a miss: refuse to report it.
        try Self.expectVerdicts(xdp, program: "weir_xdp", pass: 2, hit: 1)

        var sock: Figures? = nil
        if includeSocketFilter && features.uses(.socketFilter) {
            let sockPlane = try BypassDataPlane(kind: .socketFilter, settings: settings, features: features)
            try Self.fill(sockPlane.table(), count: mapEntries, hit: hitKey)
            sock = try Self.measure(
                baseline: try baseline.program(WEIR_PROG_SOCK_ACCEPT),
                program: sockPlane.program,
                miss: missFrame,
                hit: hitFrame,
                repeatCount: repeatCount,
                rounds: rounds
            )
            let sockFloor = try Self.measure(
                baseline: try baseline.program(WEIR_PROG_SOCK_ACCEPT),
                program: try baseline.program(WEIR_PROG_SOCK_FLOOR),
                miss: hitFrame,
                hit: hitFrame,
                repeatCount: repeatCount,
                rounds: rounds
            )
            sock?.floorNanoseconds = sockFloor.hitNanoseconds
            sock?.floorRatio = sockFloor.hitRatio
            // Under BPF_PROG_TEST_RUN a socket filter's skb starts at the network header: len = frame - 14.
            if let sock { try Self.expectVerdicts(sock, program: "weir_sock", pass: UInt32(hitFrame.count - 14), hit: 0) }
        }
        return Report(repeatCount: repeatCount, rounds: rounds, mapEntries: mapEntries, xdp: xdp, socketFilter: sock)
    }

    /// Checks that the miss frame passed and the hit frame was dropped (XDP_PASS = 2, XDP_DROP = 1; a socket
    /// filter returns the frame length to keep it and 0 to hide it).
    static func expectVerdicts(_ figures: Figures, program: String, pass: UInt32, hit: UInt32) throws(BPFError) {
        guard figures.verdicts.1 == pass, figures.verdicts.2 == hit else {
            throw BPFError(
                .invalidArgument,
                call: "bench \(program)",
                message: "verdicts miss \(figures.verdicts.1) / hit \(figures.verdicts.2), expected \(pass) / \(hit): the hit flow is not in the table"
            )
        }
    }

    static func fill(_ table: BypassTable, count: Int, hit: FlowKey) throws(BPFError) {
        try table.insert(hit, action: .bypass)
        // Distinct keys spread over 172.16/12 and many ports, none equal to the miss frame's.
        for index in 1..<max(count, 1) {
            let a = 0xac10_0000 | UInt32(index >> 4)
            let key = FlowKey(
                firstAddress: IPAddress(v4: a),
                secondAddress: IPAddress(v4: a &+ 0x0010_0000),
                firstPort: UInt16(1024 + index & 0xf),
                secondPort: 443,
                proto: IPProtocol.tcp
            )
            try table.insert(key, action: .bypass)
        }
    }

    static func measure(
        baseline: BPFProgram,
        program: BPFProgram,
        miss: [UInt8],
        hit: [UInt8],
        repeatCount: UInt32,
        rounds: Int
    ) throws(BPFError) -> Figures {
        var base: [Double] = []
        var missTimes: [Double] = []
        var hitTimes: [Double] = []
        var missRatios: [Double] = []
        var hitRatios: [Double] = []
        var verdicts: (UInt32, UInt32, UInt32) = (0, 0, 0)
        for _ in 0..<max(rounds, 1) {
            let b = try baseline.testRun(hit, repeat: repeatCount)
            let m = try program.testRun(miss, repeat: repeatCount)
            let h = try program.testRun(hit, repeat: repeatCount)
            verdicts = (b.returnValue, m.returnValue, h.returnValue)
            let baseNs = Double(max(b.durationNanoseconds, 1))
            base.append(baseNs)
            missTimes.append(Double(m.durationNanoseconds))
            hitTimes.append(Double(h.durationNanoseconds))
            missRatios.append(Double(m.durationNanoseconds) / baseNs)
            hitRatios.append(Double(h.durationNanoseconds) / baseNs)
        }
        return Figures(
            baselineNanoseconds: median(base),
            missNanoseconds: median(missTimes),
            hitNanoseconds: median(hitTimes),
            missRatio: median(missRatios),
            hitRatio: median(hitRatios),
            verdicts: verdicts
        )
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// A 64-byte Ethernet/IPv4/TCP ACK frame with a valid IP checksum.
    static func frame(source: UInt32, destination: UInt32, sourcePort: UInt16, destinationPort: UInt16) -> [UInt8] {
        var ip: [UInt8] = [0x45, 0, 0, 50, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0]
        for value in [source, destination] {
            ip += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
        }
        var sum: UInt32 = 0
        for index in stride(from: 0, to: ip.count, by: 2) { sum += UInt32(ip[index]) << 8 | UInt32(ip[index + 1]) }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        ip[10] = UInt8(~sum >> 8 & 0xff)
        ip[11] = UInt8(~sum & 0xff)
        let tcp: [UInt8] = [
            UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), UInt8(destinationPort >> 8),
            UInt8(destinationPort & 0xff),
            0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0,
        ]
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        return ethernet + ip + tcp + [UInt8](repeating: 0x61, count: 10)
    }
}
