// SPDX-License-Identifier: MIT
import ArgumentParser
import Foundation
import WeirRuntime
import WeirVerify

/// `weir test DIR…`: runs suricata-verify-style cases (pcaps + rules + test.yaml) in this process.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rule-authoring test cases: folders of pcaps, rules and a suricata-verify style test.yaml.",
        discussion: """
            Every folder at or below each DIR that holds test.yaml (or expected.json, the conformance scorer's \
            format) is one case. Cases run in parallel inside this process; each prints PASS, FAIL or SKIP with \
            its time, and a failure prints the check that failed, expected against actual, and the nearest EVE \
            records. requires: is answered as Suricata \(SuricataVersion.weirDefault) without optional features \
            (--suricata-version changes that). shell: and file-compare: checks are skipped and reported. \
            Exit status: 0 when no case failed, 1 when one did, 2 for a usage error.
            """
    )

    @Argument(help: ArgumentHelp("Case folders, or folders holding case folders.", valueName: "dir"))
    var directories: [String] = []

    @Option(
        name: .customShort("j"),
        help: ArgumentHelp("Cases run at once (default: the number of cores).", valueName: "n")
    )
    var jobs: Int?

    @Option(
        help: ArgumentHelp(
            "Only run cases whose name contains this text (as run.py's patterns); repeat for more.",
            valueName: "text"
        )
    )
    var only: [String] = []

    @Flag(help: "Read upstream-test.yaml as the case file instead of test.yaml (conformance folders).")
    var upstream = false

    @Flag(help: "Rewrite each test.yaml's expect: list with the alert counts of this run.")
    var update = false

    @Option(help: ArgumentHelp("Write a JUnit XML report to this file.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Write the results as JSON to this file, for scripts.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Keep each case's output directory below this directory.", valueName: "dir"))
    var keepOutput: String?

    @Option(
        help: ArgumentHelp("Answer requires: min-version and friends as this Suricata version.", valueName: "version")
    )
    var suricataVersion: String?

    @Flag(help: "Run each case as its own weir process instead of in this one (isolates a crashing case; slower).")
    var processPerCase = false

    @Flag(name: .shortAndLong, help: "Only print failing cases and the summary.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Also print skipped checks and loader notes of each case.")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Make a new case folder with this name (with --pcap and --rules) in DIR or here.",
            valueName: "name"
        )
    )
    var new: String?

    @Option(help: ArgumentHelp("The capture for --new.", valueName: "file"))
    var pcap: String?

    @Option(help: ArgumentHelp("The rules file for --new.", valueName: "file"))
    var rules: String?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j needs at least 1.") }
        if let v = self.suricataVersion, SuricataVersion(v) == nil {
            throw ValidationError("--suricata-version: '\(v)' is not a version like 8.0.0.")
        }
        if self.new != nil {
            guard self.pcap != nil, self.rules != nil else { throw ValidationError("--new needs --pcap and --rules.") }
            if self.directories.count > 1 { throw ValidationError("--new takes at most one parent directory.") }
        } else if self.pcap != nil || self.rules != nil {
            throw ValidationError("--pcap and --rules go with --new.")
        }
    }

    func run() throws {
        let out = FileDescriptorOutput.standardOutput
        if let name = self.new, let pcap = self.pcap, let rules = self.rules {
            do {
                let made = try CaseUpdater.scaffold(
                    name: name,
                    pcap: pcap,
                    rules: rules,
                    parent: self.directories.first ?? "."
                )
                out.write(
                    "created \(made.directory): \(made.counts.values.reduce(0, +)) alert(s) recorded in test.yaml\n"
                )
                return
            } catch {
                FileDescriptorOutput.standardError.write("weir test: \(error)\n")
                throw ExitCode(1)
            }
        }

        var loader = CaseLoader()
        loader.upstream = self.upstream
        if let v = self.suricataVersion, let version = SuricataVersion(v) { loader.capabilities.version = version }
        var settings = RunnerSettings()
        if let jobs { settings.jobs = jobs }
        settings.update = self.update
        if self.processPerCase {
            settings.spawnExecutable =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        }
        settings.keepOutput = self.keepOutput.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let suite = VerifySuite(loader: loader, settings: settings)
        let roots = self.directories.isEmpty ? ["."] : self.directories
        for root in roots where !FileManager.default.fileExists(atPath: root) {
            FileDescriptorOutput.standardError.write("weir test: no such directory: \(root)\n")
            throw ExitCode(2)
        }
        let only = self.only
        let cases = suite.cases(in: roots).filter { c in only.isEmpty || only.contains { c.name.contains($0) } }
        if cases.isEmpty {
            let file = self.upstream ? "upstream-test.yaml" : "test.yaml"
            FileDescriptorOutput.standardError.write(
                "weir test: no cases (folders with \(file) or expected.json) below \(roots.joined(separator: ", "))\n"
            )
            throw ExitCode(2)
        }
        let quiet = self.quiet
        let verbose = self.verbose
        let (results, seconds) = suite.run(cases) { result in
            if quiet && result.status != .fail { return }
            var text = result.line + "\n" + result.report
            if verbose {
                for note in result.notes { text += "    note: \(note)\n" }
                for skipped in result.skippedChecks { text += "    skipped \(skipped)\n" }
            }
            out.write(text)
        }
        out.write(VerifySuite.summary(results, seconds: seconds) + " (\(settings.jobs) job(s))\n")
        if let junit {
            do {
                try OutputFile.write(JUnitReport.xml(results, totalSeconds: seconds), to: junit)
            } catch {
                FileDescriptorOutput.standardError.write("weir test: \(error)\n")
                throw ExitCode(2)
            }
        }
        if let json {
            do {
                try OutputFile.write(ResultsJSON.render(results, seconds: seconds), to: json)
            } catch {
                FileDescriptorOutput.standardError.write("weir test: \(error)\n")
                throw ExitCode(2)
            }
        }
        if results.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}
