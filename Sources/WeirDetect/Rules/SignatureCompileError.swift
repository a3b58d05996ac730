// SPDX-License-Identifier: MIT

/// Why a parsed rule could not be turned into a signature (the rule is skipped and reported).
public struct SignatureCompileError: Error, Sendable, CustomStringConvertible {
    /// The rule's gid.
    public var gid: UInt32
    /// The rule's sid.
    public var sid: UInt32
    /// Rule file and line, when known.
    public var file: String
    /// The line the rule starts on.
    public var line: Int
    /// The keyword at fault.
    public var keyword: String
    /// One line.
    public var reason: String
    /// The rule is wrong (a pattern PCRE2 or the prefilter cannot compile), not merely beyond what the
    /// engine runs yet: `weir rules check` fails on it.
    public var isError = false

    /// `file:line: sid gid:sid: keyword: reason`.
    public var description: String {
        "\(self.file):\(self.line): sid \(self.gid):\(self.sid): \(self.keyword): \(self.reason)"
    }
}
