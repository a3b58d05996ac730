// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// Heap allocations per packet once warm (issue 18, item 1), counted in a real `weir -r` run by the
/// LD_PRELOAD shim scripts/alloc-count/alloc_count.c (every malloc-family call of the process). Each workload
/// is replayed over its first N and its first 2N packets; the difference over N is the figure per packet, so
/// start-up and end-of-run work cancel out. scripts/bench-alloc.sh prints the same figures for a release build.
@Suite(.serialized) struct AllocationTests {
    /// A shim built into `directory`, or nil when no C compiler is there.
    static func buildShim(in directory: TemporaryDirectory) -> String? {
        let shim = directory.path + "/alloc_count.so"
        let result = Self.run(
            ["cc", "-O2", "-shared", "-fPIC", "-o", shim, repositoryRoot + "/scripts/alloc-count/alloc_count.c"],
            in: directory)
        return result.status == 0 ? shim : nil
    }

    static func run(_ arguments: [String], in directory: TemporaryDirectory) -> WeirProcess.Result {
        guard let running = WeirProcess.start(arguments, in: directory.path) else {
            return WeirProcess.Result(status: -1, stdout: "", stderr: "could not start \(arguments[0])")
        }
        return running.wait(seconds: 300)
    }

    /// Allocations of one `weir -r pcap` run under the shim, or nil when the run failed.
    static func allocations(
        pcap: String, rules: String, shim: String, extra: [String] = [], in directory: TemporaryDirectory
    ) -> Int? {
        let log = directory.path + "/log-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(log, 0o755)
        let counts = log + "/counts"
        let result = WeirProcess.run(
            ["-r", pcap, "-l", log, "-S", rules] + extra, in: directory.path,
            environment: ["LD_PRELOAD": shim, "WEIR_ALLOC_COUNT_OUT": counts])
        guard result.status == 0 else { return nil }
        for line in readText(counts).split(separator: "\n") where line.hasPrefix("allocations ") {
            return Int(line.dropFirst("allocations ".count))
        }
        return nil
    }

    /// The fewest allocations of `runs` identical runs: a debug run's total varies by a few hundred with timing
    /// (more on a loaded machine), and the variation only ever adds, so the least is the run's own figure.
    static func fewestAllocations(
        pcap: String, rules: String, shim: String, extra: [String], in directory: TemporaryDirectory, runs: Int = 3
    ) -> Int? {
        var fewest: Int?
        for _ in 0..<runs {
            guard let count = Self.allocations(pcap: pcap, rules: rules, shim: shim, extra: extra, in: directory)
            else { return nil }
            fewest = min(fewest ?? count, count)
        }
        return fewest
    }

    /// Allocations per packet between the first `n` and the first `2n` packets of `pcap`.
    static func perPacket(
        pcap: String, packets n: Int, rules: String, shim: String, extra: [String] = [], in directory: TemporaryDirectory
    ) -> Double? {
        let first = directory.path + "/first-\(n).pcap"
        let firstTwice = directory.path + "/first-\(2 * n).pcap"
        guard Self.run(["tcpdump", "-r", pcap, "-c", "\(n)", "-w", first], in: directory).status == 0,
            Self.run(["tcpdump", "-r", pcap, "-c", "\(2 * n)", "-w", firstTwice], in: directory).status == 0,
            let a = Self.fewestAllocations(pcap: first, rules: rules, shim: shim, extra: extra, in: directory),
            let b = Self.fewestAllocations(pcap: firstTwice, rules: rules, shim: shim, extra: extra, in: directory)
        else { return nil }
        return Double(b - a) / Double(n)
    }

    /// The issue-18 peer workload (HTTP sessions, 50 content rules) and the same packets without rules.
    @Test func peerWorkloadAllocationsPerPacket() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let shim = try #require(Self.buildShim(in: directory), "cc could not build the shim")
        let pcap = directory.path + "/peer.pcap"
        let rules = directory.path + "/peer.rules"
        let generated = Self.run(
            ["python3", repositoryRoot + "/scripts/gen_peer_pcap.py", pcap, "--packets", "12000", "--seed", "1",
             "--rules", rules], in: directory)
        try #require(generated.status == 0, "gen_peer_pcap.py: \(generated.stderr)")
        let none = directory.write("none.rules", "")
        let withRules = try #require(Self.perPacket(pcap: pcap, packets: 6000, rules: rules, shim: shim, in: directory))
        let noRules = try #require(Self.perPacket(pcap: pcap, packets: 6000, rules: none, shim: shim, in: directory))
        // Ceilings of today (debug build); the target is 0.
        #expect(withRules <= Self.peerCeiling, "peer, 50 rules: \(withRules) allocations per packet")
        #expect(noRules <= Self.peerNoRulesCeiling, "peer, no rules: \(noRules) allocations per packet")
        withKnownIssue(Self.peerSites) {
            #expect(withRules == 0, "peer, 50 rules: \(withRules) allocations per packet")
            #expect(noRules == 0, "peer, no rules: \(noRules) allocations per packet")
        }
    }

    /// TCP-only sessions through the stream engine, no rules.
    @Test func streamWorkloadAllocationsPerPacket() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let shim = try #require(Self.buildShim(in: directory), "cc could not build the shim")
        let pcap = directory.path + "/tcp.pcap"
        let generated = Self.run(
            ["python3", repositoryRoot + "/scripts/gen_bench_pcap.py", pcap, "--size-mb", "4", "--mix", "tcp"],
            in: directory)
        try #require(generated.status == 0, "gen_bench_pcap.py: \(generated.stderr)")
        let none = directory.write("none.rules", "")
        let stream = try #require(Self.perPacket(pcap: pcap, packets: 2400, rules: none, shim: shim, in: directory))
        // Without the HTTP parser: decode, flow table, stream engine and EVE alone.
        let core = try #require(
            Self.perPacket(
                pcap: pcap, packets: 2400, rules: none, shim: shim,
                extra: ["--set", "app-layer.protocols.http.enabled=no"], in: directory))
        #expect(stream <= Self.streamCeiling, "stream, no rules: \(stream) allocations per packet")
        #expect(core <= Self.coreCeiling, "stream, no HTTP: \(core) allocations per packet")
        withKnownIssue(Self.streamSites) {
            #expect(stream == 0, "stream, no rules: \(stream) allocations per packet")
            #expect(core == 0, "stream, no HTTP: \(core) allocations per packet")
        }
    }

    // Measured with the debug build these tests run (release, the same tests: 6.4, 6.8, 1.3 and 0.24):
    // 13.2, 10.9, 2.2 and 0.84 (a debug run's total varies with timing, more on a loaded machine, even as the
    // fewest of three runs; release runs do not), with headroom for that. Lower them as sites are removed.
    static let peerCeiling = 15.5
    static let peerNoRulesCeiling = 13.0
    static let streamCeiling = 3.0
    static let coreCeiling = 1.4
    static let peerSites: Comment = """
        Not 0 yet. Per packet: libhtp's bstr_alloc for every header, URI and body piece (about 3.6 in release), the \
        HTTP parser's [UInt8] appends, transaction objects and Strings (WeirAppLayer: HTTPParser.onHeaderData, \
        onBodyData, normalizedURI, transaction; AppLayer.Stage.handle). TCP sessions come from the stream engine's \
        pool (stream.prealloc-sessions preallocated, ended flows' sessions reused), not from malloc.
        """
    static let streamSites: Comment = """
        Not 0 yet: the TCP-only sessions are HTTP, so the same app-layer sites as the peer workload (libhtp \
        bstr_alloc, HTTPParser appends). With the HTTP parser off what is left is per session (the app-layer \
        stage's per-flow state; the TCPSession and its reassemblers come from the stream engine's pool); the \
        debug build adds closure contexts the optimiser removes.
        """
}
