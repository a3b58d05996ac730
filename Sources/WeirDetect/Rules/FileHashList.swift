// SPDX-License-Identifier: MIT

/// The digest a `filemd5`, `filesha1` or `filesha256` rule compares.
public enum FileHashKind: String, Sendable, Hashable, CaseIterable {
    case md5, sha1, sha256

    /// The rule keyword.
    public var keyword: String { "file" + self.rawValue }

    /// Hex digits in one digest.
    public var hexLength: Int {
        switch self {
        case .md5: 32
        case .sha1: 40
        case .sha256: 64
        }
    }
}

/// `filemd5:[!]list` and its SHA kin: the file's final digest is (not) in a list of hashes read from a file.
///
/// The parser keeps the list's name and where its value starts in the rule; the rule loader reads the list
/// (``RuleFileLoader``), since only it knows the rule file's folder and `default-rule-path`.
public struct FileHashMatch: Sendable, Equatable {
    /// Which digest.
    public var kind: FileHashKind
    /// The list's file name as written.
    public var list: String
    /// `!`: the digest must not be in the list.
    public var isNegated: Bool
    /// Offset of the value in the rule text (errors about the list point there).
    public var valueOffset: Int
    /// The digests (lowercase hex), once the loader read the list.
    public var hashes: Set<String>?

    /// A match whose list is not read yet.
    public init(kind: FileHashKind, list: String, isNegated: Bool, valueOffset: Int) {
        self.kind = kind
        self.list = list
        self.isNegated = isNegated
        self.valueOffset = valueOffset
    }

    /// Equal when they compare the same digest against the same list; where the value sat in the rule text
    /// does not count (a printed rule parses back to an equal model).
    public static func == (a: Self, b: Self) -> Bool {
        a.kind == b.kind && a.list == b.list && a.isNegated == b.isNegated && a.hashes == b.hashes
    }

    /// A line of the list that is not a digest (reported, and skipped as Suricata skips it).
    public struct BadLine: Sendable, Equatable {
        /// 1-based line number in the list.
        public var line: Int
        /// Why.
        public var reason: String
    }

    /// Reads the digests from the text of a list file as Suricata reads it: each line's leading run of hex
    /// digits is a digest (anything after it is ignored); a line that starts with no hex digit (blank, comment)
    /// is skipped; a run of the wrong length is a bad line, reported and skipped.
    public static func parseList(_ bytes: [UInt8], kind: FileHashKind) -> (hashes: Set<String>, bad: [BadLine]) {
        var hashes: Set<String> = []
        var bad: [BadLine] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            lineNumber += 1
            var run = start
            while run < end && RuleBuilder.hexValue(bytes[run]) != nil { run += 1 }
            if run > start {
                if run - start == kind.hexLength {
                    let lowered = bytes[start..<run].map { $0 >= 65 && $0 <= 70 ? $0 | 0x20 : $0 }
                    hashes.insert(String(decoding: lowered, as: UTF8.self))
                } else {
                    bad.append(BadLine(line: lineNumber, reason: "hash string not \(kind.hexLength) characters"))
                }
            }
            start = end + 1
        }
        return (hashes, bad)
    }
}

/// What detection knows of the file of an inspected transaction (Weir's HTTP files: the response body).
public struct FileFacts: Sendable {
    /// Where the file stands.
    public enum State: Sendable {
        /// Still arriving.
        case open
        /// Complete: its size and digests are final.
        case closed
        /// Cut short (the flow ended first).
        case truncated
    }

    /// Bytes seen.
    public var size: UInt64
    /// Open, closed or truncated.
    public var state: State
    /// Final digests (lowercase hex) of a closed file, when hashing is on.
    public var md5: String?
    public var sha1: String?
    public var sha256: String?

    /// File facts without digests.
    public init(size: UInt64, state: State) {
        self.size = size
        self.state = state
    }

    /// The digest of one kind.
    public func digest(_ kind: FileHashKind) -> String? {
        switch kind {
        case .md5: self.md5
        case .sha1: self.sha1
        case .sha256: self.sha256
        }
    }
}

/// One file condition of a signature (`filesize`, `filemd5` …); every one must hold for the file.
package enum FileCheck: Sendable {
    case size(IntegerMatch)
    case hash(FileHashKind, Set<String>, negated: Bool)

    /// Whether the file satisfies the condition now. A size is compared once the file is closed; a truncated
    /// file can only show that it is larger (`>`, `>=`), as Suricata's `filesize`. A digest is compared once
    /// the file is closed and its digest computed.
    func matches(_ file: FileFacts) -> Bool {
        switch self {
        case .size(let match):
            switch file.state {
            case .closed: return match.matches(file.size)
            case .truncated:
                return (match.op == .greater || match.op == .greaterOrEqual) && match.matches(file.size)
            case .open: return false
            }
        case .hash(let kind, let hashes, let negated):
            guard file.state == .closed, let digest = file.digest(kind) else { return false }
            return hashes.contains(digest) != negated
        }
    }
}
