// SPDX-License-Identifier: MIT

/// The results of a run as one JSON document, for scripts (`weir test --json FILE`).
public enum ResultsJSON {
    /// `{"passed", "failed", "skipped", "seconds", "cases": [{name, directory, status, seconds, reason, failures:
    /// [{check, lines}], skipped_checks, passed_checks, alerts: {"sid": n}}]}`.
    public static func render(_ results: [CaseResult], seconds: Double) -> String {
        var cases: [Value] = []
        for r in results {
            var members: [(key: String, value: Value)] = [
                ("name", .string(r.name)), ("directory", .string(r.directory)), ("status", .string(r.status.rawValue)),
                ("seconds", .double(r.seconds)),
            ]
            members.append(("reason", r.reason.map(Value.string) ?? .null))
            members.append(
                (
                    "failures",
                    .array(
                        r.failures.map {
                            .object([("check", .string($0.title)), ("lines", .array($0.lines.map(Value.string)))])
                        }
                    )
                )
            )
            members.append(("skipped_checks", .array(r.skippedChecks.map(Value.string))))
            members.append(("passed_checks", .int(Int64(r.passedChecks))))
            members.append(
                (
                    "alerts",
                    .object(r.alertCounts.sorted { $0.key < $1.key }.map { (String($0.key), .int(Int64($0.value))) })
                )
            )
            cases.append(.object(members))
        }
        let count = { (s: CaseStatus) in Value.int(Int64(results.filter { $0.status == s }.count)) }
        let document = Value.object([
            ("passed", count(.pass)), ("failed", count(.fail)), ("skipped", count(.skip)),
            ("seconds", .double(seconds)),
            ("cases", .array(cases)),
        ])
        return document.json + "\n"
    }
}
