// SPDX-License-Identifier: MIT
import WeirCore

/// Renders a ``RuleSet`` as the `weir rules check` summary, in text or JSON.
public enum RuleCheckReport {
    /// The human summary: counts (loaded rules split into active and inert), inert rules by protocol and keyword,
    /// unsupported rules by keyword, then every error as `file:line:column: reason`. `engine` is
    /// `engineRejections(_:classifications:)`: those rules count as not loaded, and the ones that are errors
    /// are listed with the parse errors.
    public static func text(_ set: RuleSet, files: Int, engine: [SignatureCompileError] = []) -> String {
        let readiness = RuleReadiness(set, excluding: Self.keys(engine))
        var lines: [String] = []
        lines.append(
            "files: \(files)\(set.unreadableFiles.isEmpty ? "" : " (\(set.unreadableFiles.count) unreadable)")"
        )
        lines.append("rules seen: \(set.rulesSeen)")
        let engineErrors = engine.filter { $0.isError }
        lines.append("loaded: \(set.rules.count - engine.count)")
        lines.append("  active (can alert): \(readiness.active)")
        lines.append("  inert (need a parser, buffer or keyword the engine cannot serve yet): \(readiness.inert.count)")
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
        if !readiness.inert.isEmpty {
            lines.append("summary: " + readiness.summary())
            lines.append("inert rules by protocol:")
            for (name, count) in readiness.inertByProtocol { lines.append("  \(name): \(count)") }
            lines.append("inert rules by keyword:")
            for (name, count) in readiness.inertByKeyword { lines.append("  \(name): \(count)") }
        }
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
        let readiness = RuleReadiness(set, excluding: Self.keys(engine))
        var out = "{"
        out += "\"files\":\(files),\"rules_seen\":\(set.rulesSeen),\"loaded\":\(set.rules.count - engine.count),"
        out += "\"active\":\(readiness.active),\"inert\":\(readiness.inert.count),"
        out += "\"inert_by_protocol\":{"
        out += readiness.inertByProtocol.map { "\(quote($0.name)):\($0.count)" }.joined(separator: ",") + "},"
        out += "\"inert_by_keyword\":{"
        out += readiness.inertByKeyword.map { "\(quote($0.name)):\($0.count)" }.joined(separator: ",") + "},"
        out += "\"inert_rules\":["
        out +=
            readiness.inert.map {
                "{\"file\":\(quote($0.file)),\"line\":\($0.line),\"gid\":\($0.gid),\"sid\":\($0.sid),"
                    + "\"protocol\":\(quote($0.reason.appProtocol)),\"keyword\":\(quote($0.reason.keyword))}"
            }.joined(separator: ",") + "],"
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

    /// The rules the engine refused, by gid:sid.
    static func keys(_ engine: [SignatureCompileError]) -> Set<RuleKey> {
        Set(engine.map { RuleKey(gid: $0.gid, sid: $0.sid) })
    }

    /// A JSON string literal.
    public static func quote(_ text: String) -> String { JSONText.quote(text) }
}
