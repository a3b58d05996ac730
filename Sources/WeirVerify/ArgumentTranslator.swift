// SPDX-License-Identifier: MIT
import WeirRuntime

/// A case `args:` flag Weir does not have; the case is skipped with this message.
public struct UnsupportedArgument: Error, Sendable, CustomStringConvertible {
    /// The flag as written.
    public let flag: String
    /// Why it cannot be honoured.
    public let reason: String

    /// "args: FLAG: reason".
    public var description: String { "args: \(self.flag): \(self.reason)" }
}

/// Turns a case's `args:` (Suricata command-line flags) into ``RunOptions``, as `weir` itself reads them.
public enum ArgumentTranslator {
    /// Flags accepted and ignored because an offline replay behaves the same without them.
    static let ignoredWithValue: Set<String> = ["--runmode"]
    static let ignoredFlags: Set<String> = ["--init-errors-fatal", "--no-random"]

    /// Applies `args` (each entry split on whitespace, as run.py does) to `options`. Relative file arguments
    /// are taken from `directory`.
    ///
    /// - Throws: ``UnsupportedArgument`` for a flag Weir does not implement or a flag missing its value.
    public static func apply(_ args: [String], directory: String, to options: inout RunOptions)
        throws(UnsupportedArgument)
    {
        var tokens: [String] = []
        for arg in args { tokens.append(contentsOf: arg.split(whereSeparator: { $0.isWhitespace }).map(String.init)) }
        var i = 0
        func value(_ flag: String) throws(UnsupportedArgument) -> String {
            i += 1
            guard i < tokens.count else { throw UnsupportedArgument(flag: flag, reason: "missing its value") }
            return tokens[i]
        }
        func path(_ p: String) -> String { p.hasPrefix("/") ? p : directory + "/" + p }
        while i < tokens.count {
            let token = tokens[i]
            var flag = token
            var inline: String?
            if token.hasPrefix("--"), let eq = token.firstIndex(of: "=") {
                flag = String(token[..<eq])
                inline = String(token[token.index(after: eq)...])
            }
            switch flag {
            case "-k":
                let mode: String
                if let inline { mode = inline } else { mode = try value(flag) }
                guard ["none", "all", "auto"].contains(mode) else {
                    throw UnsupportedArgument(flag: token, reason: "-k takes none, all or auto")
                }
                options.checksumChecks = mode
            case "--set":
                let setting: String
                if let inline { setting = inline } else { setting = try value(flag) }
                guard setting.contains("=") else { throw UnsupportedArgument(flag: token, reason: "needs key=value") }
                options.overrides.append(setting)
            case "--simulate-ips":
                options.simulateIPS = true
            case "-S":
                options.exclusiveRuleFiles.append(path(try value(flag)))
            case "-s":
                options.extraRuleFiles.append(path(try value(flag)))
            case "-c":
                options.configPath = path(try value(flag))
            case "-r":
                options.readPaths.append(path(try value(flag)))
            case "-T":
                options.testOnly = true
            case "--strict-rules":
                options.strictRules = true
            case "-v", "-vv", "-vvv", "-vvvv":
                options.verbosity += token.count - 1
            default:
                if Self.ignoredFlags.contains(flag) {
                    break
                } else if Self.ignoredWithValue.contains(flag) {
                    if inline == nil { _ = try value(flag) }
                } else {
                    throw UnsupportedArgument(flag: token, reason: "not a flag Weir implements")
                }
            }
            i += 1
        }
    }

    /// The `weir` command line that runs the same replay as `options` (for spawning one process per case).
    public static func commandLine(_ options: RunOptions) -> [String] {
        var argv: [String] = []
        if let config = options.configPath { argv += ["-c", config] }
        for path in options.readPaths { argv += ["-r", path] }
        for file in options.exclusiveRuleFiles { argv += ["-S", file] }
        for file in options.extraRuleFiles { argv += ["-s", file] }
        if let dir = options.logDirectory { argv += ["-l", dir] }
        if let k = options.checksumChecks { argv += ["-k", k] }
        for setting in options.overrides { argv += ["--set", setting] }
        if options.simulateIPS { argv.append("--simulate-ips") }
        if options.testOnly { argv.append("-T") }
        if options.strictRules { argv.append("--strict-rules") }
        if options.verbosity > 0 { argv += Array(repeating: "-v", count: options.verbosity) }
        return argv
    }
}
