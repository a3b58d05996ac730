// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirDetect

#if canImport(Glibc)
    import Glibc
#endif

/// `weir bench rules`: parse every ET Open file; baseline: read and split the same files into rule lines.
struct RulesBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Time parsing ET Open (read + split + parse + resolve) against reading and splitting the same files."
    )

    @Argument(help: "Rule files (default: every .rules file under <shared>/rulesets/et-open and its supplement).")
    var files: [String] = []

    @Option(name: .long, help: "Repetitions; the best time of each phase is reported.")
    var repeats: Int = 3

    func run() throws {
        var paths = self.files
        if paths.isEmpty { paths = RuleSetLocator.etOpenFiles() }
        guard !paths.isEmpty else {
            RulesConsole.error("no rule files found (set WEIR_SHARED to the shared data folder)\n")
            throw ExitCode(2)
        }
        let clock = ContinuousClock()
        var baselineBest = Duration.seconds(1000)
        var parseBest = Duration.seconds(1000)
        var baselineCPUBest = 1e9
        var parseCPUBest = 1e9
        var lines = 0
        var loaded = 0
        var unsupported = 0
        var errors = 0
        for _ in 0..<max(1, self.repeats) {
            var cpu = processCPUSeconds()
            let baseline = clock.measure {
                var count = 0
                for path in paths {
                    if let bytes = RuleFileReader.readFile(path) { count += LogicalRuleLine.split(bytes).count }
                }
                lines = count
            }
            baselineBest = min(baselineBest, baseline)
            baselineCPUBest = min(baselineCPUBest, processCPUSeconds() - cpu)
            cpu = processCPUSeconds()
            let parse = clock.measure {
                let set = RuleFileLoader().load(paths: paths)
                loaded = set.rules.count
                unsupported = set.unsupported.count
                errors = set.errors.count
            }
            parseBest = min(parseBest, parse)
            parseCPUBest = min(parseCPUBest, processCPUSeconds() - cpu)
        }
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        let b = seconds(baselineBest)
        let p = seconds(parseBest)
        RulesConsole.out(
            """
            files: \(paths.count), rule lines: \(lines) (loaded \(loaded), unsupported \(unsupported), errors \(errors))
            baseline (read + split lines): \(fmt(b * 1000)) ms wall, \(fmt(baselineCPUBest * 1000)) ms CPU
            parse (read + split + parse + resolve): \(fmt(p * 1000)) ms wall, \(fmt(parseCPUBest * 1000)) ms CPU, \
            \(Int(Double(lines) / p)) rules/s
            ratio parse/baseline: \(fmt(p / b))x wall, \(fmt(parseCPUBest / baselineCPUBest))x CPU
            (best of \(max(1, self.repeats)); CPU time is what this process used, unaffected by other load)

            """
        )
    }

    /// CPU time used by this process so far, in seconds.
    func processCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    func fmt(_ x: Double) -> String {
        let scaled = (x * 100).rounded() / 100
        return String(scaled)
    }
}

/// Finds the shared rulesets: `$WEIR_SHARED/rulesets`, else `../shared/rulesets` from the working directory.
enum RuleSetLocator {
    static func sharedRoot() -> String {
        if let env = RuleFileReader.environment("WEIR_SHARED") { return env }
        return "../shared"
    }

    static func etOpenFiles() -> [String] {
        let root = sharedRoot() + "/rulesets/et-open"
        return listRules(root) + listRules(root + "/supplement-2024-04-21")
    }

    static func listRules(_ directory: String) -> [String] {
        RuleFileReader.listDirectory(directory).filter { $0.hasSuffix(".rules") }.sorted().map { directory + "/" + $0 }
    }
}
