// SPDX-License-Identifier: MIT

/// A check that did not hold, with the lines that explain it (expected against actual, nearest records).
public struct CheckFailure: Sendable {
    /// The check's one-line title ("check 2 (filter {…}, count 1)").
    public var title: String
    /// "expected 1, got 0", then field differences and nearby records, one per line.
    public var lines: [String]
}

/// The EVE records of one run, with their line numbers in `eve.json`.
struct EVELog {
    var records: [Value] = []
    var lineNumbers: [Int] = []
    var unparsable = 0

    /// Reads a JSON-lines file; a missing file gives `nil`.
    static func read(_ path: String) -> EVELog? {
        guard let text = try? readText(path) else { return nil }
        var log = EVELog()
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0.isWhitespace }) { continue }
            do {
                let value = try JSONReader.parse(bytes: Array(line.utf8))
                guard case .object = value else {
                    log.unparsable += 1
                    continue
                }
                log.records.append(value)
                log.lineNumbers.append(lineNumber)
            } catch {
                log.unparsable += 1
            }
        }
        return log
    }

    /// Alert records per `alert.signature_id`, and their total (score.py's counting).
    var alertCounts: (bySID: [Int64: Int], total: Int) {
        var counts: [Int64: Int] = [:]
        var total = 0
        for record in self.records where record["event_type"] == .string("alert") {
            total += 1
            let sid = record["alert"]?["signature_id"]?.intValue ?? -1
            counts[sid, default: 0] += 1
        }
        return (counts, total)
    }
}

/// Runs a case's checks on its output and explains each failure.
struct CaseEvaluator {
    let log: EVELog
    let outputDirectory: String
    /// Most records shown per failed check.
    var nearestLimit = 3
    /// Longest record text shown.
    var recordWidth = 360

    enum Outcome {
        case passed
        case failed(CheckFailure)
        case skipped(String)
    }

    func evaluate(_ check: Check) -> Outcome {
        if let reason = check.skipReason { return .skipped(reason) }
        switch check.kind {
        case .unsupported(_, let reason):
            return .skipped(reason)
        case .invalid(_, let reason):
            return .failed(CheckFailure(title: check.title, lines: [reason]))
        case .filter(let filter):
            return self.evaluateFilter(filter, check: check)
        case .stats(let values):
            guard let stats = self.log.records.last(where: { $0["event_type"] == .string("stats") })?["stats"]
            else { return .failed(CheckFailure(title: check.title, lines: ["no stats record in eve.json"])) }
            let wrong = FieldMatcher.statsMismatches(values, stats: stats)
            if wrong.isEmpty { return .passed }
            return .failed(CheckFailure(title: check.title, lines: wrong.map(\.text)))
        case .alertCount(let sid, let count):
            let got = Int64(self.log.alertCounts.bySID[sid] ?? 0)
            if got == count { return .passed }
            return .failed(self.alertFailure(check, sid: sid, got: got, want: "\(count)", tooMany: got > count))
        case .alertMinimum(let sid, let minimum):
            let got = Int64(self.log.alertCounts.bySID[sid] ?? 0)
            if got >= minimum { return .passed }
            return .failed(self.alertFailure(check, sid: sid, got: got, want: "at least \(minimum)", tooMany: false))
        case .alertTotal(let total):
            let counts = self.log.alertCounts
            if Int64(counts.total) == total { return .passed }
            var lines = ["alert records: expected \(total), got \(counts.total)"]
            lines.append("alerts seen: " + Self.describe(counts.bySID))
            return .failed(CheckFailure(title: check.title, lines: lines))
        }
    }

    private func evaluateFilter(_ filter: FilterCheck, check: Check) -> Outcome {
        let log: EVELog
        if let name = filter.filename, name != "eve.json" {
            guard let other = EVELog.read(self.outputDirectory + "/" + name) else {
                return .failed(CheckFailure(title: check.title, lines: ["\(name) does not exist in the output"]))
            }
            log = other
        } else {
            log = self.log
        }
        var matching: [Int] = []
        for (i, record) in log.records.enumerated() where FieldMatcher.matches(filter.match, record) {
            matching.append(i)
        }
        let got = Int64(matching.count)
        if got == filter.count { return .passed }
        var lines: [String] = []
        if let comment = filter.comment { lines.append(comment) }
        lines.append("count: expected \(filter.count), got \(got)")
        if got > filter.count {
            lines.append("matching records (first \(min(self.nearestLimit, matching.count)) of \(matching.count)):")
            for i in matching.prefix(self.nearestLimit) { lines.append(self.recordLine(log, i)) }
            return .failed(CheckFailure(title: check.title, lines: lines))
        }
        // Too few: show the records that came closest, preferring the same event_type.
        let eventType = filter.match.first(where: { $0.key == "event_type" })?.value
        let matched = Set(matching)
        var candidates: [(index: Int, misses: [Mismatch])] = []
        for (i, record) in log.records.enumerated() where !matched.contains(i) {
            if let eventType, record["event_type"] != eventType { continue }
            candidates.append((i, FieldMatcher.mismatches(filter.match, record)))
        }
        let sameType = eventType.map { "\($0.scalarText) " } ?? ""
        if candidates.isEmpty {
            let types = Dictionary(grouping: log.records, by: { $0["event_type"]?.scalarText ?? "?" })
                .map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
            lines.append(
                "no \(sameType)records to compare with (records by event_type: \(types.isEmpty ? "none" : types))"
            )
            return .failed(CheckFailure(title: check.title, lines: lines))
        }
        candidates.sort { $0.misses.count != $1.misses.count ? $0.misses.count < $1.misses.count : $0.index < $1.index }
        lines.append("nearest \(sameType)records (\(min(self.nearestLimit, candidates.count)) of \(candidates.count)):")
        for candidate in candidates.prefix(self.nearestLimit) {
            lines.append(self.recordLine(log, candidate.index))
            for miss in candidate.misses { lines.append("    differs: " + miss.text) }
        }
        return .failed(CheckFailure(title: check.title, lines: lines))
    }

    private func alertFailure(_ check: Check, sid: Int64, got: Int64, want: String, tooMany: Bool) -> CheckFailure {
        var lines = ["sid \(sid): expected \(want) alert(s), got \(got)"]
        let counts = self.log.alertCounts
        lines.append("alerts seen: " + Self.describe(counts.bySID))
        let alerts = self.log.records.indices.filter { self.log.records[$0]["event_type"] == .string("alert") }
        let sidOf = { (i: Int) in self.log.records[i]["alert"]?["signature_id"]?.intValue }
        if tooMany {
            let mine = alerts.filter { sidOf($0) == sid }
            lines.append("alerts of sid \(sid) (first \(min(self.nearestLimit, mine.count)) of \(mine.count)):")
            for i in mine.prefix(self.nearestLimit) { lines.append(self.recordLine(self.log, i)) }
        } else {
            let others = alerts.filter { sidOf($0) != sid }
            if !others.isEmpty {
                lines.append("nearest alert records (\(min(self.nearestLimit, others.count)) of \(others.count)):")
                for i in others.prefix(self.nearestLimit) {
                    lines.append(self.recordLine(self.log, i))
                    let actual = sidOf(i).map { Value.int($0) }
                    lines.append(
                        "    differs: " + Mismatch(path: "alert.signature_id", expected: .int(sid), actual: actual).text
                    )
                }
            }
        }
        return CheckFailure(title: check.title, lines: lines)
    }

    /// "  eve.json:12 {"timestamp":…}" cut to the record width.
    private func recordLine(_ log: EVELog, _ index: Int) -> String {
        var text = log.records[index].json
        if text.count > self.recordWidth { text = String(text.prefix(self.recordWidth)) + "…" }
        return "  line \(log.lineNumbers[index]): \(text)"
    }

    /// "1000001 ×3, 1000002 ×1", or "none".
    static func describe(_ counts: [Int64: Int]) -> String {
        if counts.isEmpty { return "none" }
        return counts.sorted { $0.key < $1.key }.map { "sid \($0.key) ×\($0.value)" }.joined(separator: ", ")
    }
}
