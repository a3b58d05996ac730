// SPDX-License-Identifier: MIT
import ArgumentParser
import Foundation
import WeirRuntime
import WeirVerify

/// `weir bench verify`: `weir test`'s in-process runner against one `weir -r …` process per case.
struct VerifyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Time weir test's in-process runner against spawning one weir process per case, same cases and -j.",
        discussion: """
            Both ways load the same cases (default: the conformance corpus in ../shared/conformance, or \
            $WEIR_SHARED/conformance) and evaluate the same checks; only the replay differs: Replay.run in a thread \
            of this process, or this executable run as `weir -r PCAP -S RULES -l DIR …` per case. Rounds alternate \
            the two ways; the figures are medians.
            """
    )

    @Argument(help: ArgumentHelp("Case folders (default: the shared conformance corpus).", valueName: "dir"))
    var directories: [String] = []

    @Option(
        name: .customShort("j"),
        help: ArgumentHelp("Cases run at once, both ways (default: cores).", valueName: "n")
    )
    var jobs: Int?

    @Option(help: ArgumentHelp("Rounds of each way.", valueName: "n"))
    var rounds = 3

    @Flag(help: "Read upstream-test.yaml as the case file (as weir test --upstream).")
    var upstream = false

    func run() throws {
        let out = FileDescriptorOutput.standardOutput
        var roots = self.directories
        if roots.isEmpty {
            let env = ProcessInfo.processInfo.environment["WEIR_SHARED"]
            let shared = env ?? FileManager.default.currentDirectoryPath + "/../shared"
            roots = [shared + "/conformance/suricata-verify"]
        }
        for root in roots where !FileManager.default.fileExists(atPath: root) {
            FileDescriptorOutput.standardError.write("weir bench verify: no such directory: \(root)\n")
            throw ExitCode(2)
        }
        var loader = CaseLoader()
        loader.upstream = self.upstream
        let suite = VerifySuite(loader: loader, settings: RunnerSettings())
        let cases = suite.cases(in: roots)
        guard !cases.isEmpty else {
            FileDescriptorOutput.standardError.write(
                "weir bench verify: no cases below \(roots.joined(separator: ", "))\n"
            )
            throw ExitCode(2)
        }
        let jobs = self.jobs ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        out.write("weir bench verify: \(cases.count) cases, -j \(jobs), \(self.rounds) round(s) each way\n")
        let bench = VerifyBenchmark.run(cases, jobs: jobs, executable: executable, rounds: self.rounds)
        let a = VerifyBenchmark.median(bench.inProcessSeconds)
        let b = VerifyBenchmark.median(bench.spawnedSeconds)
        let list = { (xs: [Double]) in xs.map { String(format: "%.3f", $0) }.joined(separator: ", ") }
        out.write(
            "  in-process:       median \(String(format: "%.3f", a)) s  (rounds: \(list(bench.inProcessSeconds)))\n"
        )
        out.write(
            "  process per case: median \(String(format: "%.3f", b)) s  (rounds: \(list(bench.spawnedSeconds)))\n"
        )
        out.write("  \(bench.skipped) case(s) skipped before replay in both ways\n")
        out.write("  ratio: process per case / in-process = \(String(format: "%.2f", a > 0 ? b / a : 0))x\n")
        if bench.disagreements.isEmpty {
            out.write("  both ways gave the same status and alert counts for every case\n")
        } else {
            out.write("  \(bench.disagreements.count) case(s) disagree:\n")
            for d in bench.disagreements { out.write("    \(d)\n") }
            throw ExitCode(1)
        }
    }
}
