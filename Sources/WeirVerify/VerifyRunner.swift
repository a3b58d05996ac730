// SPDX-License-Identifier: MIT
import Foundation
import WeirRuntime

/// A case's outcome.
public enum CaseStatus: String, Sendable {
    case pass = "PASS"
    case fail = "FAIL"
    case skip = "SKIP"
}

/// What happened to one case.
public struct CaseResult: Sendable {
    /// The case's display name.
    public var name: String
    /// The case folder.
    public var directory: String
    /// PASS, FAIL or SKIP.
    public var status: CaseStatus
    /// Wall-clock seconds for the replay and the checks.
    public var seconds: Double
    /// Why the case was skipped, or why it failed before any check ran.
    public var reason: String?
    /// The checks that did not hold, with their explanations.
    public var failures: [CheckFailure] = []
    /// "check 3 (shell): shell checks are not run by weir test".
    public var skippedChecks: [String] = []
    /// How many checks held.
    public var passedChecks = 0
    /// Alert records per sid in this run.
    public var alertCounts: [Int64: Int] = [:]
    /// The replay's own warnings and errors.
    public var engineMessages: [String] = []
    /// What `--update` did, if anything.
    public var updateNote: String?
    /// Loader notes (ignored keys, substituted pcaps).
    public var notes: [String] = []

    /// The case's one-line verdict: "PASS  name  (0.031 s)", with the skip reason or skipped-check count.
    public var line: String {
        var s = "\(self.status.rawValue)  \(self.name)  (\(Self.fixed(self.seconds)) s)"
        if self.status == .skip, let reason = self.reason { s += ": " + reason }
        if self.status == .pass && !self.skippedChecks.isEmpty {
            s += " [\(self.skippedChecks.count) check(s) skipped]"
        }
        if let update = self.updateNote { s += " — " + update }
        return s
    }

    /// The readable diff of a failure (empty for passes and skips), indented under the case line.
    public var report: String {
        guard self.status == .fail else { return "" }
        var out = ""
        if let reason = self.reason { out += "    \(reason)\n" }
        for failure in self.failures {
            out += "    \(failure.title) failed:\n"
            for line in failure.lines { out += "      \(line)\n" }
        }
        if !self.engineMessages.isEmpty && (self.reason != nil || self.failures.isEmpty == false) {
            let shown = self.engineMessages.suffix(5)
            out += "    weir said (\(shown.count) of \(self.engineMessages.count) line(s)):\n"
            for m in shown { out += "      \(m)\n" }
        }
        return out
    }

    static func fixed(_ x: Double) -> String {
        let ms = Int((x * 1000).rounded())
        let frac = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}

/// How the runner runs.
public struct RunnerSettings: Sendable {
    /// Cases replayed at once, each on its own thread of this process.
    public var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Copy each case's output directory below this directory (`--keep-output`).
    public var keepOutput: String?
    /// Rewrite each `test.yaml` case's `expect:` list with the alert counts of this run.
    public var update = false
    /// Instead of calling the replay in-process, run this `weir` executable once per case (for comparison).
    public var spawnExecutable: String?

    /// Defaults: one job per core, in-process, no update, no kept output.
    public init() {}
}

/// Runs cases in parallel inside this process and evaluates their checks.
public struct VerifyRunner: Sendable {
    /// How it runs.
    public var settings: RunnerSettings

    /// A runner with these settings.
    public init(settings: RunnerSettings) { self.settings = settings }

    /// Runs every case; `onResult` is called as each one finishes (serialised). Results come back in input order.
    public func run(_ cases: [VerifyCase], onResult: @escaping @Sendable (CaseResult) -> Void = { _ in })
        -> [CaseResult]
    {
        let workRoot = makeTemporaryDirectory(prefix: "weir-test")
        defer { removeTree(workRoot) }
        let state = RunState(count: cases.count)
        let jobs = max(1, min(self.settings.jobs, cases.count))
        let group = DispatchGroup()
        for _ in 0..<jobs {
            group.enter()
            let thread = Thread {
                while let index = state.claim() {
                    let result = self.runOne(cases[index], outputDirectory: workRoot + "/\(index)")
                    state.finish(index, result, onResult)
                }
                group.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        group.wait()
        return state.results.enumerated().map { i, r in
            r
                ?? CaseResult(
                    name: cases[i].name,
                    directory: cases[i].directory,
                    status: .fail,
                    seconds: 0,
                    reason: "not run"
                )
        }
    }

    /// Replays one case into `outputDirectory` and checks it.
    public func runOne(_ verifyCase: VerifyCase, outputDirectory: String) -> CaseResult {
        let started = monotonicNow()
        var result = CaseResult(
            name: verifyCase.name,
            directory: verifyCase.directory,
            status: .fail,
            seconds: 0
        )
        result.notes = verifyCase.notes
        if let error = verifyCase.loadError {
            result.reason = error
            result.seconds = monotonicNow() - started
            return result
        }
        if let why = verifyCase.skipReason {
            result.status = .skip
            result.reason = why
            result.seconds = monotonicNow() - started
            return result
        }
        removeTree(outputDirectory)
        try? FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var options = verifyCase.options(outputDirectory: outputDirectory)
        options.logDirectory = outputDirectory
        options.quiet = true
        options.showProgress = false
        if options.exclusiveRuleFiles.isEmpty && options.extraRuleFiles.isEmpty {
            // run.py passes --disable-detection when a case has no rules; an empty -S file does the same here.
            let none = outputDirectory + "/no-rules.rules"
            _ = FileManager.default.createFile(atPath: none, contents: Data())
            options.exclusiveRuleFiles = [none]
        }
        let collector = MessageCollector()
        let status: Int32
        // A case with `env:` entries (SURICATA_EVE_DNS_VERSION …) runs in a child process that has them: setting
        // them in this process would reach the cases running beside it.
        if let executable = self.settings.spawnExecutable ?? (verifyCase.environment.isEmpty ? nil : "/proc/self/exe") {
            status = spawn(
                executable, ArgumentTranslator.commandLine(options), environment: verifyCase.environment,
                messages: collector)
        } else {
            options.messages = { collector.append($0) }
            status = Replay.run(options)
        }
        result.engineMessages = collector.lines
        if status != verifyCase.expectedExitCode {
            result.reason = "weir exited with status \(status), expected \(verifyCase.expectedExitCode)"
            result.seconds = monotonicNow() - started
            self.keep(outputDirectory, name: verifyCase.name)
            return result
        }
        let log = EVELog.read(outputDirectory + "/eve.json") ?? EVELog()
        result.alertCounts = log.alertCounts.bySID

        var checks = verifyCase.checks
        if self.settings.update {
            let update = CaseUpdater.update(verifyCase, counts: result.alertCounts)
            result.updateNote = update.note
            if let newChecks = update.checks { checks = newChecks }
        }
        let evaluator = CaseEvaluator(log: log, outputDirectory: outputDirectory)
        for check in checks {
            switch evaluator.evaluate(check) {
            case .passed: result.passedChecks += 1
            case .failed(let failure): result.failures.append(failure)
            case .skipped(let why): result.skippedChecks.append("\(check.title): \(why)")
            }
        }
        if log.unparsable > 0 { result.notes.append("\(log.unparsable) unparsable eve.json line(s) ignored") }
        // run.py: any failure fails the case; only-skipped checks skip it; no checks at all is a pass.
        if !result.failures.isEmpty {
            result.status = .fail
        } else if result.passedChecks == 0 && !result.skippedChecks.isEmpty {
            result.status = .skip
            result.reason =
                "every check skipped (\(result.skippedChecks[0])" + (result.skippedChecks.count > 1 ? ", …)" : ")")
        } else {
            result.status = .pass
        }
        result.seconds = monotonicNow() - started
        self.keep(outputDirectory, name: verifyCase.name)
        return result
    }

    private func keep(_ outputDirectory: String, name: String) {
        guard let root = self.settings.keepOutput else { return }
        let dest = root + "/" + name.replacingOccurrences(of: "/", with: "__")
        removeTree(dest)
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try? FileManager.default.copyItem(atPath: outputDirectory, toPath: dest)
    }
}

/// Work distribution and results shared by the runner's threads.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    var results: [CaseResult?]

    init(count: Int) {
        self.count = count
        self.results = Array(repeating: nil, count: count)
    }

    func claim() -> Int? {
        self.lock.lock()
        defer { self.lock.unlock() }
        guard self.next < self.count else { return nil }
        self.next += 1
        return self.next - 1
    }

    func finish(_ index: Int, _ result: CaseResult, _ onResult: (CaseResult) -> Void) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.results[index] = result
        onResult(result)
    }
}

/// Collects a replay's messages, split into lines.
final class MessageCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""

    func append(_ s: String) {
        self.lock.lock()
        self.text += s
        self.lock.unlock()
    }

    var lines: [String] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.text.split(separator: "\n").map(String.init)
    }
}

/// Runs `executable` with `arguments`, its stderr collected, and returns its exit status (127 if it cannot start).
func spawn(
    _ executable: String, _ arguments: [String], environment: [String: String] = [:], messages: MessageCollector
) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let pipe = Pipe()
    process.standardError = pipe
    process.standardOutput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        messages.append("cannot start \(executable): \(error)\n")
        return 127
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    messages.append(String(decoding: data, as: UTF8.self))
    return process.terminationStatus
}

func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func makeTemporaryDirectory(prefix: String) -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
        return String(cString: base)
    }
    if let made { return made }
    let fallback = base + "/" + prefix + "-\(getpid())-\(Int(monotonicNow() * 1e6))"
    try? FileManager.default.createDirectory(atPath: fallback, withIntermediateDirectories: true)
    return fallback
}

func removeTree(_ path: String) {
    if fileExists(path) { try? FileManager.default.removeItem(atPath: path) }
}
