// SPDX-License-Identifier: MIT

/// Why a rule could not be parsed, and where: the one-line reason plus the keyword and position.
///
/// The parser fills ``offset`` (a byte offset into the logical rule text, continuation lines joined); the
/// file loader then maps it to ``file``, ``line`` and ``column`` of the physical line the author wrote.
public struct RuleParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule file, or `nil` for a rule parsed from a string.
    public var file: String?
    /// The 1-based physical line of the error.
    public var line: Int
    /// The 1-based column (in bytes) of the error on ``line``.
    public var column: Int
    /// The byte offset of the error in the logical rule text.
    public var offset: Int
    /// The keyword being parsed, or `nil` for header errors.
    public var keyword: String?
    /// A one-line human reason, without position.
    public var reason: String
    /// The rule is not broken: its `requires` is not met by this engine, so it is skipped, as Suricata skips it
    /// (counted in `rules_skipped`, not `rules_failed`).
    public var isUnmetRequirement = false

    /// Makes an error at `offset` of the logical rule; line and column are resolved later.
    public init(offset: Int, keyword: String? = nil, reason: String) {
        self.file = nil
        self.line = 1
        self.column = offset + 1
        self.offset = offset
        self.keyword = keyword
        self.reason = reason
    }

    /// `file:line:column: keyword: reason`, the format compilers and editors understand.
    public var description: String {
        var out = "\(self.file ?? "<rule>"):\(self.line):\(self.column): "
        if let keyword = self.keyword { out += "\(keyword): " }
        out += self.reason
        return out
    }
}
