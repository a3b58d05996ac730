// SPDX-License-Identifier: MIT

/// Where a configuration value came from: a file and a 1-based line and column, or a `--set` option.
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file path as given (relative paths stay relative), or `--set a.b.c` for a command-line override,
    /// or `<built-in>` for Weir's own defaults.
    public var file: String
    /// The 1-based line, or 0 when the value has no line (a `--set` option or a built-in default).
    public var line: Int
    /// The 1-based column (counted in Unicode scalars, as libyaml counts), or 0 when unknown.
    public var column: Int

    /// A location in `file` at `line` and `column`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The location of values that come from Weir's built-in defaults.
    public static let builtIn = ConfigLocation(file: "<built-in>", line: 0, column: 0)

    /// `FILE:LINE:COL`, or just `FILE` when there is no line (command-line overrides).
    public var description: String {
        self.line > 0 ? "\(self.file):\(self.line):\(self.column)" : self.file
    }
}

/// A configuration problem that stops start-up: bad YAML, an unknown key, a bad value, a bad `--set`.
///
/// The description is one line, `FILE:LINE:COL: key 'a.b.c': message`, the form editors and CI logs link to.
/// When the problem has no key (a YAML syntax error, an unreadable file) the `key '…': ` part is left out.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is, for callers that branch on it (tests, `weir -T`).
    public enum Code: String, Sendable, Hashable {
        /// The file cannot be read.
        case unreadableFile
        /// The YAML itself is malformed.
        case syntax
        /// A key that neither Weir nor Suricata knows.
        case unknownKey
        /// A known key with a value of the wrong type or out of range.
        case badValue
        /// A `--set` option that is not `key=value` or whose path cannot be applied.
        case badOverride
        /// An `include` that cannot be followed (missing file, loop, too deep).
        case badInclude
    }

    /// The kind of problem.
    public var code: Code
    /// Where the offending node is.
    public var location: ConfigLocation
    /// The full dotted key (`af-packet.0.interface`), or `nil` when the problem is not about one key.
    public var key: String?
    /// A one-line explanation with the offending value where it helps.
    public var message: String

    /// A configuration error of kind `code` at `location`.
    public init(_ code: Code, at location: ConfigLocation, key: String?, _ message: String) {
        self.code = code
        self.location = location
        self.key = key
        self.message = message
    }

    /// The file the problem is in (or `--set …` for an override).
    public var file: String { self.location.file }
    /// The 1-based line, 0 when not from a file.
    public var line: Int { self.location.line }
    /// The 1-based column, 0 when not from a file.
    public var column: Int { self.location.column }

    /// `FILE:LINE:COL: key 'a.b.c': message`.
    public var description: String {
        if let key = self.key {
            return "\(self.location): key '\(key)': \(self.message)"
        }
        return "\(self.location): \(self.message)"
    }
}
