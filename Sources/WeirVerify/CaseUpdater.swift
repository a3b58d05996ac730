// SPDX-License-Identifier: MIT
import Foundation
import WeirRuntime

/// Writes alert counts into cases: `--update` on existing ones, `--new` for fresh ones.
public enum CaseUpdater {
    /// Every `sid:` of the enabled rules in `files` (commented-out rules are left out).
    static func ruleSIDs(_ files: [String]) -> [Int64] {
        var sids: [Int64] = []
        for file in files {
            guard let text = try? readText(file) else { continue }
            for line in text.split(separator: "\n") {
                let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                guard let range = trimmed.range(of: "sid:") else { continue }
                var digits = ""
                for ch in trimmed[range.upperBound...].drop(while: { $0 == " " }) {
                    guard ch.isASCII && ch.isNumber else { break }
                    digits.append(ch)
                }
                if let sid = Int64(digits), !sids.contains(sid) { sids.append(sid) }
            }
        }
        return sids
    }

    /// The `expect:` entries for a run: every sid that alerted, and every rule's sid with its count (0 when silent),
    /// sorted by sid.
    static func expectations(ruleFiles: [String], counts: [Int64: Int]) -> [(sid: Int64, count: Int)] {
        var all = Set(counts.keys)
        for sid in self.ruleSIDs(ruleFiles) { all.insert(sid) }
        return all.sorted().map { ($0, counts[$0] ?? 0) }
    }

    /// The YAML block for `expect:`.
    static func expectBlock(_ entries: [(sid: Int64, count: Int)]) -> [String] {
        if entries.isEmpty { return ["expect: []"] }
        return ["expect:"] + entries.map { "  - {sid: \($0.sid), count: \($0.count)}" }
    }

    /// Replaces the top-level `expect:` block of a YAML text (or appends one), keeping everything else as written.
    static func replacingExpectBlock(in text: String, with block: [String]) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if let start = lines.firstIndex(where: { $0.hasPrefix("expect:") }) {
            var end = start + 1
            // The block runs on while lines are indented, list items or blank.
            while end < lines.count {
                let line = lines[end]
                if line.isEmpty || line.hasPrefix(" ") || line.hasPrefix("\t") || line.hasPrefix("-") {
                    end += 1
                } else {
                    break
                }
            }
            // Keep trailing blank lines outside the block.
            while end > start + 1 && lines[end - 1].trimmingSpaces.isEmpty { end -= 1 }
            lines.replaceSubrange(start..<end, with: block)
        } else {
            if let last = lines.last, !last.isEmpty { lines.append("") }
            lines.append(contentsOf: block)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `--update`: rewrites the case's `test.yaml` `expect:` list from `counts`. Returns what it did and, when it
    /// wrote the file, the case's checks as they now stand.
    static func update(_ verifyCase: VerifyCase, counts: [Int64: Int]) -> (note: String?, checks: [Check]?) {
        guard verifyCase.caseFile == "test.yaml" else {
            return ("not updated: its case file is \(verifyCase.caseFile), not test.yaml", nil)
        }
        let path = verifyCase.directory + "/test.yaml"
        let entries = self.expectations(ruleFiles: verifyCase.ruleFiles, counts: counts)
        let old = (try? readText(path)) ?? ""
        let new = self.replacingExpectBlock(in: old, with: self.expectBlock(entries))
        if new == old { return ("expect: unchanged", nil) }
        do {
            try new.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            return ("not updated: cannot write \(path): \(error.localizedDescription)", nil)
        }
        var checks = verifyCase.checks.filter { $0.origin != "expect" }
        for (i, entry) in entries.enumerated() {
            checks.append(
                Check(index: i + 1, origin: "expect", kind: .alertCount(sid: entry.sid, count: Int64(entry.count)))
            )
        }
        return ("updated expect: (\(entries.count) sid(s))", checks)
    }

    /// What `weir test --new` made.
    public struct Scaffold: Sendable {
        /// The new case folder.
        public var directory: String
        /// Alert records per sid seen when the case was made.
        public var counts: [Int64: Int]
        /// The replay's messages, for the user.
        public var messages: [String]
    }

    /// A scaffolding failure, with the path involved.
    public struct ScaffoldError: Error, Sendable, CustomStringConvertible {
        /// What went wrong, with the path involved.
        public let message: String
        /// The message.
        public var description: String { self.message }
    }

    /// `weir test --new NAME --pcap FILE --rules FILE [DIR]`: makes `DIR/NAME/` with copies of the pcap and
    /// rules, replays them, and writes `test.yaml` (the alert counts seen now as `expect:`) and a README stub.
    public static func scaffold(name: String, pcap: String, rules: String, parent: String)
        throws(ScaffoldError) -> Scaffold
    {
        let fm = FileManager.default
        let directory = absolutePath(parent) + "/" + name
        guard !fileExists(directory) else { throw ScaffoldError(message: "\(directory) already exists") }
        guard fileExists(pcap) else { throw ScaffoldError(message: "no such pcap: \(pcap)") }
        guard fileExists(rules) else { throw ScaffoldError(message: "no such rules file: \(rules)") }
        var pcapName = lastComponent(pcap)
        if !(pcapName.hasSuffix(".pcap") || pcapName.hasSuffix(".pcapng")) { pcapName += ".pcap" }
        let rulesName = lastComponent(rules).hasSuffix(".rules") ? lastComponent(rules) : "test.rules"
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try fm.copyItem(atPath: pcap, toPath: directory + "/" + pcapName)
            try fm.copyItem(atPath: rules, toPath: directory + "/" + rulesName)
        } catch {
            throw ScaffoldError(message: "cannot create \(directory): \(error.localizedDescription)")
        }

        let out = makeTemporaryDirectory(prefix: "weir-test-new")
        defer { removeTree(out) }
        var options = RunOptions()
        options.readPaths = [directory + "/" + pcapName]
        options.exclusiveRuleFiles = [directory + "/" + rulesName]
        options.logDirectory = out
        options.quiet = true
        options.showProgress = false
        let collector = MessageCollector()
        options.messages = { collector.append($0) }
        let status = Replay.run(options)
        guard status == 0 else {
            throw ScaffoldError(
                message: "weir could not replay the case (status \(status)):\n"
                    + collector.lines.joined(separator: "\n")
            )
        }
        let counts = (EVELog.read(out + "/eve.json") ?? EVELog()).alertCounts.bySID
        let entries = self.expectations(ruleFiles: [directory + "/" + rulesName], counts: counts)
        let total = counts.values.reduce(0, +)
        var yaml = [
            "# Made by `weir test --new` from \(pcap) and \(rules).",
            "# The expect: list records the alerts Weir raised then; review it, then add checks as needed",
            "# (suricata-verify format: requires, args, checks with filter/stats). `weir test --update` rewrites expect:.",
            "",
        ]
        yaml += self.expectBlock(entries)
        let readme = """
            # \(name)

            Made by `weir test --new` from:

            - pcap: `\(pcap)` (copied as `\(pcapName)`)
            - rules: `\(rules)` (copied as `\(rulesName)`)

            When it was made, Weir raised \(total) alert(s): \(CaseEvaluator.describe(counts)).

            TODO: say what this case checks, why the expected counts are right, and where the pcap comes from.

            """
        do {
            try (yaml.joined(separator: "\n") + "\n").write(
                toFile: directory + "/test.yaml",
                atomically: true,
                encoding: .utf8
            )
            try readme.write(toFile: directory + "/README.md", atomically: true, encoding: .utf8)
        } catch {
            throw ScaffoldError(message: "cannot write the case files: \(error.localizedDescription)")
        }
        return Scaffold(directory: directory, counts: counts, messages: collector.lines)
    }
}
