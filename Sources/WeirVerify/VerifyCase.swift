// SPDX-License-Identifier: MIT
import Foundation
import WeirRuntime

/// A problem with a case's own files (unreadable or malformed `test.yaml`/`expected.json`), with the file.
public struct CaseError: Error, Sendable, CustomStringConvertible {
    /// The file at fault.
    public let file: String
    /// What is wrong with it.
    public let message: String

    /// "file: message".
    public var description: String { "\(self.file): \(self.message)" }
}

/// One `filter:` check: count the EVE records whose fields match.
public struct FilterCheck: Sendable {
    /// The exact number of matching records wanted.
    public var count: Int64
    /// `match:` entries in file order: dotted paths (with `[i]` and `__` suffixes), `has-key`, `not-has-key`.
    public var match: [(key: String, value: Value)]
    /// `filename:`: another JSON-lines file of the output directory; `nil` for `eve.json`.
    public var filename: String?
    /// `comment:`, shown in failures.
    public var comment: String?
}

/// What a check asks for.
public enum CheckKind: Sendable {
    /// A suricata-verify `filter:` check.
    case filter(FilterCheck)
    /// A `stats:` check: dotted paths into the last stats record's `stats` object, with expected values.
    case stats([(key: String, value: Value)])
    /// `expect: [{sid, count}]` or expected.json's `expect`: exactly this many alert records for the sid.
    case alertCount(sid: Int64, count: Int64)
    /// expected.json's `expect_min` or the short form's `{sid, min}`: at least this many.
    case alertMinimum(sid: Int64, minimum: Int64)
    /// expected.json's `alert_total`: the total number of alert records.
    case alertTotal(Int64)
    /// A check `weir test` does not run (`shell:`, `file-compare:`), kept to be reported as skipped.
    case unsupported(type: String, reason: String)
    /// A check that cannot mean anything (an unknown type, an empty item, a filter without a count): it fails,
    /// as a typo in a check must not pass a case unnoticed.
    case invalid(type: String, reason: String)
}

/// One check of a case, numbered as in its file.
public struct Check: Sendable {
    /// 1-based position within its list (`checks:` of the case file, or the `expect` list).
    public var index: Int
    /// Where it came from: "checks", "expect", "expected.json".
    public var origin: String
    /// What the check asks for.
    public var kind: CheckKind
    /// Why the check is skipped (its own `requires:` not met, or an unsupported type); `nil` runs it.
    public var skipReason: String?

    /// A one-line description: "check 2 (filter {event_type: alert, alert.signature_id: 5})".
    public var title: String {
        let prefix = self.origin == "checks" ? "check \(self.index)" : "\(self.origin) \(self.index)"
        switch self.kind {
        case .filter(let f):
            var match = f.match.map { "\($0.key): \($0.value.json)" }.joined(separator: ", ")
            if match.count > 240 { match = String(match.prefix(240)) + " …" }
            var s = "\(prefix) (filter {\(match)}, count \(f.count)"
            if let file = f.filename { s += ", file \(file)" }
            return s + ")"
        case .stats(let values):
            return "\(prefix) (stats {\(values.map { "\($0.key): \($0.value.json)" }.joined(separator: ", "))})"
        case .alertCount(let sid, let count): return "\(prefix) (sid \(sid): count \(count))"
        case .alertMinimum(let sid, let minimum): return "\(prefix) (sid \(sid): at least \(minimum))"
        case .alertTotal(let total): return "\(prefix) (alert total \(total))"
        case .unsupported(let type, _), .invalid(let type, _): return "\(prefix) (\(type))"
        }
    }
}

/// A case ready to run: how to call Weir, and what to check afterwards.
public struct VerifyCase: Sendable {
    /// Display name: the folder's path relative to the root given on the command line.
    public var name: String
    /// Absolute folder path.
    public var directory: String
    /// The file the checks came from (`test.yaml`, `upstream-test.yaml` or `expected.json`).
    public var caseFile: String
    /// The replay, without its log directory (the runner gives each run a fresh one).
    public var options: RunOptions
    /// The checks, in file order (`checks:` first, then `expect:`).
    public var checks: [Check] = []
    /// Why the whole case is skipped; `nil` runs it.
    public var skipReason: String?
    /// A problem that makes the case fail before it runs (bad YAML, missing pcap).
    public var loadError: String?
    /// The exit status the replay must end with (`exit-code:`, default 0).
    public var expectedExitCode: Int32 = 0
    /// Things the loader ignored or assumed, shown with `-v`.
    public var notes: [String] = []
    /// The case's `env:` entries: such a case runs in a child process that has them in its environment.
    public var environment: [String: String] = [:]
    /// The rule files given to the replay, for `--update`.
    public var ruleFiles: [String] = []

    /// Stands for the run's output directory in options until the runner knows it (`$OUTPUT_DIR` in `args:`).
    static let outputDirectoryMarker = "\u{1}OUTPUT_DIR\u{1}"

    /// The options with `$OUTPUT_DIR` replaced by `directory`.
    func options(outputDirectory directory: String) -> RunOptions {
        var o = self.options
        let fix = { (s: String) in s.replacingOccurrences(of: Self.outputDirectoryMarker, with: directory) }
        o.overrides = o.overrides.map(fix)
        o.readPaths = o.readPaths.map(fix)
        o.exclusiveRuleFiles = o.exclusiveRuleFiles.map(fix)
        o.extraRuleFiles = o.extraRuleFiles.map(fix)
        o.configPath = o.configPath.map(fix)
        return o
    }

    /// An empty case; ``CaseLoader`` fills it.
    public init(name: String, directory: String, caseFile: String) {
        self.name = name
        self.directory = directory
        self.caseFile = caseFile
        self.options = RunOptions()
    }
}
