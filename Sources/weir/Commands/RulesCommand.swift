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

    @Flag(name: .long, help: "Check every copy of a duplicated gid:sid instead of keeping only one (still reported).")
    var keepDuplicates = false

    @Option(name: .long, help: "Override or add an address group, as NAME=EXPRESSION (e.g. HOME_NET=[10.0.0.0/8]).")
    var addressGroup: [String] = []

    @Option(name: .long, help: "Override or add a port group, as NAME=EXPRESSION (e.g. HTTP_PORTS=[80,8080]).")
    var portGroup: [String] = []

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
        var configured = loader
        for (options, isAddress) in [(self.addressGroup, true), (self.portGroup, false)] {
            for item in options {
                guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                    RulesConsole.error("expected NAME=EXPRESSION, got '\(item)'\n")
                    throw ExitCode(2)
                }
                var name = String(item[..<equals])
                if name.hasPrefix("$") { name.removeFirst() }
                let value = String(item[item.index(after: equals)...])
                if isAddress {
                    configured.variables.addresses[name] = value
                } else {
                    configured.variables.ports[name] = value
                }
            }
        }
        configured.dropsDuplicates = !self.keepDuplicates
        let set = configured.load(paths: self.files)
        // The engine's own compile step, so the verdict is the engine's.
        let engine = RuleCheckReport.engineRejections(set, classifications: classifications)
        let report =
            self.json
            ? RuleCheckReport.json(set, files: self.files.count, engine: engine)
            : RuleCheckReport.text(set, files: self.files.count, engine: engine)
        RulesConsole.out(report + "\n")
        let failed =
            !set.errors.isEmpty || !set.unreadableFiles.isEmpty || engine.contains(where: \.isError)
            || (self.strictRules && !set.unsupported.isEmpty)
        if failed { throw ExitCode(1) }
    }
}
