// SPDX-License-Identifier: MIT

/// One `weir test` run over folders: discovery, loading, running, and the totals.
public struct VerifySuite: Sendable {
    /// Finds and reads the cases.
    public var loader: CaseLoader
    /// Runs them.
    public var runner: VerifyRunner

    /// A suite from a loader and runner settings.
    public init(loader: CaseLoader, settings: RunnerSettings) {
        self.loader = loader
        self.runner = VerifyRunner(settings: settings)
    }

    /// The cases found below `roots`, loaded (never throws: broken cases carry their error).
    public func cases(in roots: [String]) -> [VerifyCase] {
        self.loader.discover(roots).map { self.loader.load(name: $0.name, directory: $0.directory) }
    }

    /// Runs `cases` and returns the results in input order with the wall-clock seconds.
    public func run(_ cases: [VerifyCase], onResult: @escaping @Sendable (CaseResult) -> Void = { _ in })
        -> (results: [CaseResult], seconds: Double)
    {
        let started = monotonicNow()
        let results = self.runner.run(cases, onResult: onResult)
        return (results, monotonicNow() - started)
    }

    /// "12 passed, 1 failed, 3 skipped in 1.234 s".
    public static func summary(_ results: [CaseResult], seconds: Double) -> String {
        let passed = results.filter { $0.status == .pass }.count
        let failed = results.filter { $0.status == .fail }.count
        let skipped = results.filter { $0.status == .skip }.count
        return "\(passed) passed, \(failed) failed, \(skipped) skipped in \(CaseResult.fixed(seconds)) s"
    }
}
