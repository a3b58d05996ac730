// SPDX-License-Identifier: MIT
import WeirCore

/// Renders a ``RuleSet`` as the `weir rules check` summary, in text or JSON.
public enum RuleCheckReport {
    /// The human summary: counts, unsupported rules by keyword, then every error as `file:line:column: reason`.
    /// `engine` is `engineRejections(_:classifications:)`: those rules count as not loaded, and the ones
    /// that are errors are listed with the parse errors.
    public static func text(_ set: RuleSet, files: Int, engine: [SignatureCompileError] = []) -> String {
        var lines: [String] = []
        lines.append(
            "files: \(files)\(set.unreadableFiles.isEmpty ? "" : " (\(set.unreadableFiles.count) unreadable)")"
        )
        lines.append("rules seen: \(set.rulesSeen)")
        let engineErrors = engine.filter { $0.isError }
        lines.append("loaded: \(set.rules.count - engine.count)")
        lines.append("not loaded (unsupported keyword): \(set.unsupported.count)")
        if engine.count > engineErrors.count {
            lines.append("not loaded (the engine cannot run them yet): \(engine.count - engineErrors.count)")
        }
        lines.append("rejected (errors): \(set.errors.count + engineErrors.count)")
        lines.append("duplicates (gid:sid): \(set.duplicates.count)")
        lines.append(
            "before dropping duplicates: \(set.parsedTyped) typed, \(set.parsedUnsupported) unsupported, \(set.errors.count) rejected"
        )
        if set.stoppedEarly { lines.append("stopped at the first error (--strict-rules)") }
        for path in set.unreadableFiles { lines.append("error: cannot read \(path)") }
        if !set.unsupported.isEmpty {
            lines.append("unsupported keywords (rules not loaded):")
            for (keyword, count) in set.unsupportedByKeyword { lines.append("  \(keyword): \(count)") }
        }
        for duplicate in set.duplicates {
            lines.append(
                "\(duplicate.file):\(duplicate.line): warning: duplicate \(duplicate.gid):\(duplicate.sid), kept \(duplicate.keptFile):\(duplicate.keptLine)"
            )
        }
        for error in set.errors { lines.append("\(error)") }
        for error in engineErrors { lines.append("\(error)") }
        return lines.joined(separator: "\n")
    }

    /// The same content as JSON (one object).
    public static func json(_ set: RuleSet, files: Int, engine: [SignatureCompileError] = []) -> String {
        let engineErrors = engine.filter { $0.isError }
        var out = "{"
        out += "\"files\":\(files),\"rules_seen\":\(set.rulesSeen),\"loaded\":\(set.rules.count - engine.count),"
        out +=
            "\"unsupported\":\(set.unsupported.count),\"rejected\":\(set.errors.count + engineErrors.count),\"duplicates\":\(set.duplicates.count),"
        out += "\"engine_not_loaded\":\(engine.count - engineErrors.count),"
        out += "\"parsed_typed\":\(set.parsedTyped),\"parsed_unsupported\":\(set.parsedUnsupported),"
        out += "\"stopped_early\":\(set.stoppedEarly),"
        out += "\"unreadable_files\":[" + set.unreadableFiles.map { quote($0) }.joined(separator: ",") + "],"
        out +=
            "\"unsupported_by_keyword\":{"
            + set.unsupportedByKeyword.map { "\(quote($0.keyword)):\($0.count)" }.joined(separator: ",") + "},"
        out +=
            "\"unsupported_rules\":["
            + set.unsupported.map {
                "{\"file\":\(quote($0.file)),\"line\":\($0.line),\"gid\":\($0.gid),\"sid\":\($0.sid),\"keywords\":["
                    + $0.keywords.map { quote($0) }.joined(separator: ",") + "]}"
            }.joined(separator: ",") + "],"
        out +=
            "\"duplicate_rules\":["
            + set.duplicates.map {
                "{\"gid\":\($0.gid),\"sid\":\($0.sid),\"file\":\(quote($0.file)),\"line\":\($0.line),\"kept_file\":\(quote($0.keptFile)),\"kept_line\":\($0.keptLine)}"
            }.joined(separator: ",") + "],"
        out +=
            "\"errors\":["
            + set.errors.map {
                "{\"file\":\(quote($0.file ?? "")),\"line\":\($0.line),\"column\":\($0.column),\"keyword\":\($0.keyword.map { quote($0) } ?? "null"),\"reason\":\(quote($0.reason))}"
            }.joined(separator: ",") + "],"
        out +=
            "\"engine_errors\":["
            + engineErrors.map {
                "{\"file\":\(quote($0.file)),\"line\":\($0.line),\"gid\":\($0.gid),\"sid\":\($0.sid),\"keyword\":\(quote($0.keyword)),\"reason\":\(quote($0.reason))}"
            }.joined(separator: ",") + "]"
        return out + "}"
    }

    /// A JSON string literal.
    public static func quote(_ text: String) -> String { JSONText.quote(text) }
}
