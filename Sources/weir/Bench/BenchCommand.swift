// SPDX-License-Identifier: MIT
import ArgumentParser

/// `weir bench …`: benchmarks that report ratios against a baseline measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures as ratios to a baseline measured in the same run.",
        subcommands: [
            RulesBenchCommand.self, DetectBenchCommand.self, EVEBenchCommand.self, XDPBenchCommand.self,
            VerifyBenchCommand.self, StreamBench.self,
        ]
    )
}
