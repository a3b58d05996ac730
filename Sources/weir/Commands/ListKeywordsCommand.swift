// SPDX-License-Identifier: MIT
import ArgumentParser
import WeirDetect

/// `weir list-keywords`: every rule keyword Weir recognises, one per line.
struct ListKeywordsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-keywords",
        abstract: "List every rule keyword with its kind, syntax, and whether it is parsed and matched."
    )

    func run() throws {
        var lines = [
            "# parsed:  the rule parser turns the keyword into a typed model (otherwise rules using it are not loaded)",
            "# matched: the detection engine evaluates the keyword; for a buffer, an app-layer parser fills it",
            "#          (a rule that needs an unmatched buffer or an app-layer protocol without a parser is inert:",
            "#          it loads but cannot alert; `weir rules check` counts them)",
            "# app-layer parsers: "
                + (KeywordRegistry.appLayerParsers.isEmpty
                    ? "none yet" : KeywordRegistry.appLayerParsers.sorted().joined(separator: ", ")),
            "# keyword\tkind\tparsed\tmatched\tsyntax\tsummary",
        ]
        for keyword in KeywordRegistry.all {
            var kind = keyword.kind.label
            if case .stickyBuffer(let canonical) = keyword.kind, canonical != keyword.name { kind += "(=\(canonical))" }
            if case .legacyModifier(let canonical) = keyword.kind { kind += "(→\(canonical))" }
            let syntax = keyword.syntax.isEmpty ? "-" : "\(keyword.name):\(keyword.syntax)"
            lines.append(
                "\(keyword.name)\t\(kind)\t\(keyword.isParsed ? "yes" : "no")\t\(keyword.isMatched ? "yes" : "no")\t\(syntax)\t\(keyword.summary)"
            )
        }
        RulesConsole.out(lines.joined(separator: "\n") + "\n")
    }
}
