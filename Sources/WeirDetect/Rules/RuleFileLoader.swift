// SPDX-License-Identifier: MIT
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads rule and config files with plain `fopen`/`fread` (the only I/O WeirDetect does).
public enum RuleFileReader {
    /// Largest rule, classification or threshold file read (all of ET Open together is about 40 MB): a
    /// bigger one, or an endless one such as `/dev/zero`, is unreadable rather than read until memory ends.
    public static let maxFileBytes = 256 << 20

    /// The whole file, or `nil` if it cannot be opened or read, or holds more than `limit` bytes.
    public static func readFile(_ path: String, limit: Int = Self.maxFileBytes) -> [UInt8]? {
        guard let file = fopen(path, "rbe") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 {
                guard out.count + n <= limit else { return nil }
                out.append(contentsOf: chunk[0..<n])
            }
            if n < chunk.count {
                if ferror(file) != 0 { return nil }
                break
            }
        }
        return out
    }

    /// The names in a directory (no `.` and `..`), or an empty list if it cannot be opened.
    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// An environment variable, or `nil` if unset or empty.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}

/// One logical rule of a file: continuation lines joined, with the map back to physical lines.
public struct LogicalRuleLine: Sendable {
    /// The joined text (trailing `\` removed).
    public var text: String
    /// The 1-based line the rule starts on.
    public var line: Int
    /// Start offset in ``text`` of each physical line and its line number.
    var segments: [(offset: Int, line: Int)]
    /// Offset of the first byte that is not UTF-8, if any; such a rule is rejected rather than having content
    /// bytes silently replaced.
    public var invalidUTF8Offset: Int?

    /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// The physical line and 1-based column of a byte offset in ``text``.
    public func position(ofOffset offset: Int) -> (line: Int, column: Int) {
        var segment = self.segments[0]
        for candidate in self.segments where candidate.offset <= offset { segment = candidate }
        return (segment.line, offset - segment.offset + 1)
    }

    /// Splits file bytes into logical rules, skipping blank lines and comments (disabled rules).
    public static func split(_ bytes: [UInt8]) -> [LogicalRuleLine] {
        var out: [LogicalRuleLine] = []
        var lineNumber = 0
        var pending: [UInt8] = []
        var segments: [(Int, Int)] = []
        var start = 0
        let count = bytes.count
        while start < count || (start == count && !pending.isEmpty) {
            var end = start
            while end < count, bytes[end] != 10 { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            var continued = false
            if lineEnd > start, bytes[lineEnd - 1] == UInt8(ascii: "\\") {
                continued = true
                lineEnd -= 1
            }
            segments.append((pending.count, lineNumber))
            pending.append(contentsOf: bytes[start..<lineEnd])
            start = end + 1
            if continued && start < count { continue }
            var first = 0
            while first < pending.count, pending[first] == 32 || pending[first] == 9 { first += 1 }
            if first < pending.count, pending[first] != UInt8(ascii: "#") {
                let text = String(decoding: pending, as: UTF8.self)
                // Decoding replaced invalid bytes with U+FFFD (3 bytes each) when the lengths differ.
                let invalid = text.utf8.count != pending.count ? LogicalRuleLine.firstInvalidUTF8(pending) : nil
                out.append(
                    LogicalRuleLine(text: text, line: segments[0].1, segments: segments, invalidUTF8Offset: invalid)
                )
            }
            pending.removeAll(keepingCapacity: true)
            segments.removeAll(keepingCapacity: true)
            if start > count { break }
        }
        return out
    }
}

/// A rule that parsed, with where it came from and its resolved header sets.
public struct LoadedRule: Sendable {
    /// The typed rule.
    public var rule: Rule
    /// The rule file.
    public var file: String
    /// The line the rule starts on.
    public var line: Int
    /// Source addresses with variables resolved.
    public var sourceSet: AddressSet
    /// Destination addresses with variables resolved.
    public var destinationSet: AddressSet
    /// Source ports with variables resolved.
    public var sourcePortSet: PortSet
    /// Destination ports with variables resolved.
    public var destinationPortSet: PortSet
}

/// A rule that parsed but uses keywords Weir does not type yet: not loaded.
public struct UnsupportedRule: Sendable {
    /// The rule file.
    public var file: String
    /// The line.
    public var line: Int
    /// `gid:sid`.
    public var gid: UInt32
    /// The sid.
    public var sid: UInt32
    /// The keywords that are not supported.
    public var keywords: [String]
}

/// Two rules with the same `gid:sid`; the one with the higher `rev` is kept (the first one on a tie).
public struct DuplicateRule: Sendable {
    /// gid.
    public var gid: UInt32
    /// sid.
    public var sid: UInt32
    /// Where the dropped copy is.
    public var file: String
    /// Its line.
    public var line: Int
    /// Where the kept copy is.
    public var keptFile: String
    /// Its line.
    public var keptLine: Int
}

/// The result of loading rule files: loaded rules plus every diagnostic.
public struct RuleSet: Sendable {
    /// Rules ready for the engine, in file order.
    public var rules: [LoadedRule] = []
    /// Rules that did not parse.
    public var errors: [RuleParseError] = []
    /// Rules that parsed but use unsupported keywords.
    public var unsupported: [UnsupportedRule] = []
    /// Dropped duplicates.
    public var duplicates: [DuplicateRule] = []
    /// Problems that did not stop a rule from loading (a bad line in a `filemd5` hash list, skipped as Suricata
    /// skips it), with the rule's file, line and column.
    public var warnings: [RuleParseError] = []
    /// Rules skipped because their `requires` is not met (file, line and the reason in each).
    public var unmetRequirements: [RuleParseError] = []
    /// Classtypes the classification table lacks, with the first rule that uses each: those rules load with
    /// Suricata's "Unknown Classtype" and priority 3 (an error only with `strict`).
    public var unknownClasstypes: [(name: String, file: String, line: Int)] = []
    /// Files that could not be read.
    public var unreadableFiles: [String] = []
    /// Logical (non-comment) rule lines seen.
    public var rulesSeen = 0
    /// Whether loading stopped at the first error (strict mode).
    public var stoppedEarly = false
    /// Rules that parsed with only typed keywords, counted before duplicates are dropped.
    public var parsedTyped = 0
    /// Rules that parsed but use an unsupported keyword, counted before duplicates are dropped.
    public var parsedUnsupported = 0

    var removedRules: Set<Int> = []
    var removedUnsupported: Set<Int> = []

    /// Makes an empty set.
    public init() {}

    /// Drops the copies that duplicates replaced.
    mutating func compact() {
        if !self.removedRules.isEmpty {
            self.rules = self.rules.enumerated().filter { !self.removedRules.contains($0.offset) }.map(\.element)
        }
        if !self.removedUnsupported.isEmpty {
            self.unsupported = self.unsupported.enumerated().filter { !self.removedUnsupported.contains($0.offset) }
                .map(\.element)
        }
        self.removedRules = []
        self.removedUnsupported = []
    }

    /// Unsupported rules counted per keyword, most frequent first.
    public var unsupportedByKeyword: [(keyword: String, count: Int)] {
        var counts: [String: Int] = [:]
        for rule in self.unsupported { for keyword in rule.keywords { counts[keyword, default: 0] += 1 } }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// Loads rule files into a ``RuleSet``: parse, resolve variables, report unsupported keywords and duplicates.
public struct RuleFileLoader: Sendable {
    /// Address and port groups for `$NAME`s.
    public var variables: RuleVariables
    /// Classtypes accepted by `classtype`.
    public var classifications: ClassificationTable
    /// Stop at the first error (Suricata's `--strict-rules`).
    public var strict: Bool
    /// Compile every pcre with PCRE2 while loading (``RuleParser/validatesRegexes``).
    public var validatesRegexes: Bool
    /// The features `requires: feature …` finds (see ``RuleParser/requirementFeatures``).
    public var requirementFeatures = RuleRequirements.features
    /// Drop all but one copy of a duplicate `gid:sid`, as Suricata does.
    ///
    /// A linter may keep every copy to check each rule; duplicates are reported either way.
    public var dropsDuplicates = true
    /// `default-rule-path`: where `filemd5` and its kin look for a relative hash list first (then next to the
    /// rule file), as Suricata does.
    public var defaultRulePath: String?

    /// Makes a loader.
    public init(
        variables: RuleVariables = .suricataDefaults,
        classifications: ClassificationTable = .suricataDefault,
        strict: Bool = false,
        validatesRegexes: Bool = false
    ) {
        self.variables = variables
        self.classifications = classifications
        self.strict = strict
        self.validatesRegexes = validatesRegexes
    }

    /// Loads files in order.
    public func load(paths: [String]) -> RuleSet {
        var set = RuleSet()
        var seen: [UInt64: SeenRule] = [:]
        var cache = ResolveCache()
        for path in paths {
            guard let bytes = RuleFileReader.readFile(path) else {
                set.unreadableFiles.append(path)
                if self.strict { set.stoppedEarly = true; return set }
                continue
            }
            self.load(bytes: bytes, file: path, into: &set, seen: &seen, cache: &cache)
            if set.stoppedEarly { break }
        }
        set.compact()
        return set
    }

    /// Loads rules from text (tests, `-e`-style use).
    public func load(text: String, file: String = "<string>") -> RuleSet {
        var set = RuleSet()
        var seen: [UInt64: SeenRule] = [:]
        var cache = ResolveCache()
        self.load(bytes: Array(text.utf8), file: file, into: &set, seen: &seen, cache: &cache)
        set.compact()
        return set
    }

    /// Reads the hash list of each `filemd5`/`filesha1`/`filesha256` of a rule. A relative name is looked for
    /// under `default-rule-path` (or the working directory), then next to the rule file. A list that cannot be
    /// read fails the rule; a bad line in it is a warning and is skipped.
    func loadHashLists(_ rule: inout Rule, ruleFile: String, warnings: inout [RuleParseError]) throws(RuleParseError)
    {
        for (index, option) in rule.options.enumerated() {
            guard case .fileHash(var match) = option, match.hashes == nil else { continue }
            var candidates: [String] = []
            if match.list.hasPrefix("/") {
                candidates.append(match.list)
            } else {
                if let base = self.defaultRulePath, !base.isEmpty {
                    candidates.append(base.hasSuffix("/") ? base + match.list : base + "/" + match.list)
                } else {
                    candidates.append(match.list)
                }
                if let slash = ruleFile.lastIndex(of: "/") {
                    candidates.append(String(ruleFile[...slash]) + match.list)
                } else {
                    candidates.append(match.list)
                }
            }
            guard let (path, bytes) = candidates.lazy.compactMap({ p in RuleFileReader.readFile(p).map { (p, $0) } })
                .first
            else {
                throw RuleParseError(
                    offset: match.valueOffset, keyword: match.kind.keyword,
                    reason: "cannot read hash list \(match.list) (tried \(candidates.joined(separator: ", ")))")
            }
            let (hashes, bad) = FileHashMatch.parseList(bytes, kind: match.kind)
            for line in bad {
                warnings.append(
                    RuleParseError(
                        offset: match.valueOffset, keyword: match.kind.keyword,
                        reason: "\(path):\(line.line): \(line.reason); line skipped"))
            }
            match.hashes = hashes
            rule.options[index] = .fileHash(match)
        }
    }

    struct ResolveCache {
        var addresses: [AddressSpec: Result<AddressSet, RuleParseError>] = [:]
        var ports: [PortSpec: Result<PortSet, RuleParseError>] = [:]
    }

    func load(
        bytes: [UInt8],
        file: String,
        into set: inout RuleSet,
        seen: inout [UInt64: SeenRule],
        cache: inout ResolveCache
    ) {
        // An unknown classtype fails the rule only with --strict-rules; otherwise the rule loads with Suricata's
        // "Unknown Classtype" (priority 3) and the first use of each such classtype is reported.
        var parser = RuleParser(classifications: self.strict ? self.classifications : nil)
        parser.validatesRegexes = self.validatesRegexes
        parser.requirementFeatures = self.requirementFeatures
        for logical in LogicalRuleLine.split(bytes) {
            set.rulesSeen += 1
            let resolved: LoadedRule
            do throws(RuleParseError) {
                if let bad = logical.invalidUTF8Offset {
                    throw RuleParseError(
                        offset: bad,
                        reason: "rule text is not valid UTF-8 (write such bytes as |hex|)"
                    )
                }
                var rule = try parser.parse(logical.text)
                var listWarnings: [RuleParseError] = []
                try self.loadHashLists(&rule, ruleFile: file, warnings: &listWarnings)
                for var warning in listWarnings {
                    let (line, column) = logical.position(ofOffset: warning.offset)
                    warning.file = file
                    warning.line = line
                    warning.column = column
                    set.warnings.append(warning)
                }
                resolved = try self.resolve(rule, logical: logical, file: file, cache: &cache)
            } catch {
                var located = error
                let (line, column) = logical.position(ofOffset: error.offset)
                located.file = file
                located.line = line
                located.column = column
                if error.isUnmetRequirement {
                    // Not an error: a rule written for another engine, skipped as Suricata skips it.
                    set.unmetRequirements.append(located)
                    continue
                }
                set.errors.append(located)
                if self.strict { set.stoppedEarly = true; return }
                continue
            }
            if let classtype = resolved.rule.classtype, self.classifications[classtype] == nil,
                !set.unknownClasstypes.contains(where: { $0.name == classtype })
            {
                set.unknownClasstypes.append((classtype, file, logical.line))
            }
            let key = UInt64(resolved.rule.gid) << 32 | UInt64(resolved.rule.sid)
            let keywords = resolved.rule.unsupportedKeywords
            if keywords.isEmpty { set.parsedTyped += 1 } else { set.parsedUnsupported += 1 }
            if let previous = seen[key] {
                // Suricata keeps the higher revision; on a tie the first one stays.
                let (keptFile, keptLine, keptRev) =
                    previous.isLoaded
                    ? (
                        set.rules[previous.index].file, set.rules[previous.index].line,
                        set.rules[previous.index].rule.rev
                    )
                    : (set.unsupported[previous.index].file, set.unsupported[previous.index].line, previous.rev)
                if resolved.rule.rev <= keptRev {
                    set.duplicates.append(
                        DuplicateRule(
                            gid: resolved.rule.gid,
                            sid: resolved.rule.sid,
                            file: file,
                            line: logical.line,
                            keptFile: keptFile,
                            keptLine: keptLine
                        )
                    )
                    if self.dropsDuplicates { continue }
                } else {
                    set.duplicates.append(
                        DuplicateRule(
                            gid: resolved.rule.gid,
                            sid: resolved.rule.sid,
                            file: keptFile,
                            line: keptLine,
                            keptFile: file,
                            keptLine: logical.line
                        )
                    )
                    if self.dropsDuplicates {
                        if previous.isLoaded {
                            set.removedRules.insert(previous.index)
                        } else {
                            set.removedUnsupported.insert(previous.index)
                        }
                    }
                }
            }
            if keywords.isEmpty {
                seen[key] = SeenRule(isLoaded: true, index: set.rules.count, rev: resolved.rule.rev)
                set.rules.append(resolved)
            } else {
                seen[key] = SeenRule(isLoaded: false, index: set.unsupported.count, rev: resolved.rule.rev)
                set.unsupported.append(
                    UnsupportedRule(
                        file: file,
                        line: logical.line,
                        gid: resolved.rule.gid,
                        sid: resolved.rule.sid,
                        keywords: keywords
                    )
                )
            }
        }
    }

    struct SeenRule {
        var isLoaded: Bool
        var index: Int
        var rev: UInt32
    }

    func resolve(_ rule: Rule, logical: LogicalRuleLine, file: String, cache: inout ResolveCache) throws(RuleParseError)
        -> LoadedRule
    {
        func headerOffset(_ index: Int) -> Int {
            (try? RuleScanner.scan(Substring(logical.text)).header[index].offset) ?? 0
        }
        func address(_ spec: AddressSpec, _ index: Int) throws(RuleParseError) -> AddressSet {
            let result: Result<AddressSet, RuleParseError>
            if let cached = cache.addresses[spec] {
                result = cached
            } else {
                do throws(RuleParseError) { result = .success(try spec.resolve(in: self.variables)) } catch {
                    result = .failure(error)
                }
                cache.addresses[spec] = result
            }
            switch result {
            case .success(let set): return set
            case .failure(var error):
                error.offset = headerOffset(index)
                throw error
            }
        }
        func port(_ spec: PortSpec, _ index: Int) throws(RuleParseError) -> PortSet {
            let result: Result<PortSet, RuleParseError>
            if let cached = cache.ports[spec] {
                result = cached
            } else {
                do throws(RuleParseError) { result = .success(try spec.resolve(in: self.variables)) } catch {
                    result = .failure(error)
                }
                cache.ports[spec] = result
            }
            switch result {
            case .success(let set): return set
            case .failure(var error):
                error.offset = headerOffset(index)
                throw error
            }
        }
        return LoadedRule(
            rule: rule,
            file: file,
            line: logical.line,
            sourceSet: try address(rule.source, 2),
            destinationSet: try address(rule.destination, 5),
            sourcePortSet: try port(rule.sourcePorts, 3),
            destinationPortSet: try port(rule.destinationPorts, 6)
        )
    }
}
