// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirDetect

/// `weir rules fuzz`: a seeded mutation fuzzer for the rule parser (hidden; for CI and long runs).
struct RulesFuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract:
            "Mutate rules from seed files and parse them until the time is up; report executions and the slowest input.",
        shouldDisplay: false
    )

    @Argument(help: "Seed rule files.")
    var files: [String]

    @Option(name: .long, help: "How long to run, in seconds.")
    var seconds: Double = 600

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 0x5EED

    @Option(name: .long, help: "An input taking more than this many milliseconds of CPU time counts as a hang.")
    var hangMilliseconds: Double = 1000

    func run() throws {
        var seeds: [String] = []
        for path in self.files {
            guard let bytes = RuleFileReader.readFile(path) else { continue }
            seeds += LogicalRuleLine.split(bytes).map(\.text)
        }
        guard !seeds.isEmpty else {
            RulesConsole.error("no seed rules\n")
            throw ExitCode(2)
        }
        var fuzzer = RuleFuzzer(seeds: seeds, seed: self.seed)
        let result = fuzzer.run(seconds: self.seconds, hangMilliseconds: self.hangMilliseconds) { progress in
            RulesConsole.out(
                "execs \(progress.executions) parsed \(progress.parsed) rejected \(progress.rejected) slowest \(progress.slowestMilliseconds) ms CPU (\(progress.slowestWallMilliseconds) ms wall)\n"
            )
        }
        RulesConsole.out(
            "done: \(result.executions) executions in \(Int(result.elapsedSeconds)) s, \(result.parsed) parsed, \(result.rejected) rejected, \(result.roundTripFailures) round-trip mismatches, slowest input \(result.slowestMilliseconds) ms CPU (\(result.slowestWallMilliseconds) ms wall), hangs (CPU > limit) \(result.hangs)\n"
        )
        RulesConsole.out("slowest input: \(result.slowestInput ?? "")\n")
        if result.hangs > 0 || result.roundTripFailures > 0 {
            RulesConsole.out("first problem input: \(result.firstProblem ?? "")\n")
            throw ExitCode(1)
        }
    }
}
