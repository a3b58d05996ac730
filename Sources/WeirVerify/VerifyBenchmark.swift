// SPDX-License-Identifier: MIT

/// In-process runs against one `weir` process per case, on the same cases with the same parallelism.
public struct VerifyBenchmark: Sendable {
    /// Wall-clock seconds of each in-process round.
    public var inProcessSeconds: [Double] = []
    /// Wall-clock seconds of each process-per-case round.
    public var spawnedSeconds: [Double] = []
    /// Cases whose status differed between the two ways (should be none).
    public var disagreements: [String] = []
    /// Cases run per round.
    public var cases = 0
    /// Cases skipped before replaying (the same both ways).
    public var skipped = 0

    /// Runs `rounds` rounds, alternating the two ways so that cache warmth favours neither.
    public static func run(_ cases: [VerifyCase], jobs: Int, executable: String, rounds: Int) -> VerifyBenchmark {
        var bench = VerifyBenchmark()
        bench.cases = cases.count
        var inProcess = RunnerSettings()
        inProcess.jobs = jobs
        var spawned = inProcess
        spawned.spawnExecutable = executable
        for _ in 0..<max(1, rounds) {
            var started = monotonicNow()
            let a = VerifyRunner(settings: inProcess).run(cases)
            bench.inProcessSeconds.append(monotonicNow() - started)
            started = monotonicNow()
            let b = VerifyRunner(settings: spawned).run(cases)
            bench.spawnedSeconds.append(monotonicNow() - started)
            bench.skipped = a.filter { $0.status == .skip }.count
            bench.disagreements = zip(a, b).filter { $0.status != $1.status || $0.alertCounts != $1.alertCounts }
                .map { "\($0.0.name): in-process \($0.0.status.rawValue), spawned \($0.1.status.rawValue)" }
        }
        return bench
    }

    /// The median of a list of seconds.
    public static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
