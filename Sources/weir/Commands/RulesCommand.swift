// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirDetect

/// `weir rules …`: rule-file tools.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check rule files.",
        subcommands: [RulesCheckCommand.self, RulesFuzzCommand.self]
    )
}

/// `weir rules check FILE…`: parse rule files and report every problem with its position.
struct RulesCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Parse rule files; list unsupported keywords, duplicates and errors (file:line:column). Exit 1 on any error."
    )

    @Argument(help: "Rule files to check.")
    var files: [String]

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Flag(name: .customLong("strict-rules"), help: "Stop at the first error, and also fail on unsupported rules.")
    var strictRules = false

    @Option(name: .long, help: "A classification.config to check classtypes against (default: the bundled one).")
    var classificationFile: String?

    func run() throws {
        var classifications = ClassificationTable.suricataDefault
        if let path = self.classificationFile {
            do { classifications = try ClassificationTable.load(path: path) } catch {
                RulesConsole.error("\(error)\n")
                throw ExitCode(2)
            }
        }
        // A linter compiles every regex, as Suricata does when it loads rules.
        let loader = RuleFileLoader(classifications: classifications, strict: self.strictRules, validatesRegexes: true)
        let set = loader.load(paths: self.files)
        let report =
            self.json
            ? RuleCheckReport.json(set, files: self.files.count) : RuleCheckReport.text(set, files: self.files.count)
        RulesConsole.out(report + "\n")
        let failed =
            !set.errors.isEmpty || !set.unreadableFiles.isEmpty || (self.strictRules && !set.unsupported.isEmpty)
        if failed { throw ExitCode(1) }
    }
}
