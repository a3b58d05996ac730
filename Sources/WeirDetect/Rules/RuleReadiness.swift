// SPDX-License-Identifier: MIT

/// Why a rule that loads can never alert yet: it needs an application-layer parser, a buffer or a keyword that
/// the engine cannot serve.
///
/// Such a rule is *inert*, not *loaded*: counting it as loaded would tell a user that their ruleset protects them
/// when most of it cannot fire. `weir rules check`, `weir -T` and the start-up summary report inert rules with
/// this reason, counted by protocol and by keyword.
public struct InertReason: Sendable, Hashable, CustomStringConvertible {
    /// The application protocol (or feature) the rule waits for: `http`, `dns`, `tls`, `file`, `frames` …
    public var appProtocol: String
    /// What in the rule needs it: `protocol http` for the header, a buffer (`http.uri`) or a keyword
    /// (`app-layer-event`, `ssl_state`).
    public var keyword: String

    /// Makes a reason.
    public init(appProtocol: String, keyword: String) {
        self.appProtocol = appProtocol
        self.keyword = keyword
    }

    /// `needs the http parser (http.uri)`.
    public var description: String { "needs the \(self.appProtocol) parser (\(self.keyword))" }
}

extension KeywordRegistry {
    /// Application-layer protocols with a parser behind them: the header protocols (`alert http …`) and
    /// `app-layer-protocol` values a rule can match. A parser adds its name here when it lands, together with
    /// the buffers it fills (in ``engineMatched``).
    public static let appLayerParsers: Set<String> = []

    /// The protocol name a rule header or `app-layer-protocol` value stands for (`http1` and `http-any` are
    /// HTTP, `smb2` is SMB …).
    public static func canonicalProtocol(_ name: String) -> String {
        switch name {
        case "http1", "http-any": "http"
        case "smb2": "smb"
        case "dcerpc-udp": "dcerpc"
        case "tls13": "tls"
        default: name
        }
    }

    /// The protocol whose parser fills a sticky buffer (`http.uri` → http, `ja3.hash` → tls, `file.data` →
    /// file, `tcp.hdr` → packet headers).
    public static func protocolOfBuffer(_ name: String) -> String {
        if name.hasPrefix("file.") || name.hasPrefix("file_") { return "file" }
        if name.hasPrefix("ja3") || name.hasPrefix("ja4") { return "tls" }
        if name.hasPrefix("email.") { return "smtp" }
        if name.hasSuffix(".hdr") { return "packet headers" }
        switch name {
        case "dce_stub_data": return "dcerpc"
        case "dnp3_data": return "dnp3"
        case "frame": return "frames"
        default: break
        }
        let end = name.firstIndex { $0 == "." || $0 == "_" } ?? name.endIndex
        return String(name[..<end])
    }
}

extension Rule {
    /// Why this rule cannot alert with the parsers and buffers the engine serves today; `nil` when it can.
    ///
    /// The header comes first (`alert http` needs the HTTP parser whatever else it says), then options, then
    /// buffers, so a rule is counted once, under the first thing it waits for.
    public var inertReason: InertReason? {
        if self.proto.isApplicationLayer {
            let name = KeywordRegistry.canonicalProtocol(self.proto.name)
            if !KeywordRegistry.appLayerParsers.contains(name) {
                return InertReason(appProtocol: name, keyword: "protocol \(self.proto.name)")
            }
        }
        for option in self.options {
            switch option {
            case .appLayerProtocol(let name, let negated, _):
                let canonical = KeywordRegistry.canonicalProtocol(name)
                // `failed` and `unknown` describe detection itself, and a negated protocol always holds.
                if !negated, canonical != "failed", canonical != "unknown",
                    !KeywordRegistry.appLayerParsers.contains(canonical)
                {
                    return InertReason(appProtocol: canonical, keyword: "app-layer-protocol")
                }
            case .event(.appLayer, let name):
                let end = name.firstIndex(of: ".") ?? name.endIndex
                let proto = KeywordRegistry.canonicalProtocol(String(name[..<end]))
                if !KeywordRegistry.appLayerParsers.contains(proto) {
                    return InertReason(appProtocol: proto, keyword: "app-layer-event")
                }
            case .sslState, .sslVersion, .tlsVersion:
                if !KeywordRegistry.engineMatched.contains(Self.optionKeyword(option)) {
                    return InertReason(appProtocol: "tls", keyword: Self.optionKeyword(option))
                }
            case .ftpbounce:
                if !KeywordRegistry.engineMatched.contains("ftpbounce") {
                    return InertReason(appProtocol: "ftp", keyword: "ftpbounce")
                }
            case .urilen(_, let raw):
                let buffer = raw ? BufferID.httpRawURI.name : BufferID.httpURI.name
                if !KeywordRegistry.engineMatched.contains(buffer) {
                    return InertReason(appProtocol: "http", keyword: "urilen")
                }
            default:
                continue
            }
        }
        for section in self.sections where section.buffer != .payload {
            let name = section.buffer.name
            if !KeywordRegistry.engineMatched.contains(name) {
                return InertReason(appProtocol: KeywordRegistry.protocolOfBuffer(name), keyword: name)
            }
        }
        return nil
    }

    private static func optionKeyword(_ option: RuleOption) -> String {
        switch option {
        case .sslState: "ssl_state"
        case .sslVersion: "ssl_version"
        case .tlsVersion: "tls.version"
        default: "option"
        }
    }
}

/// How many of a rule set's loaded rules can alert (active) and how many wait for a parser (inert), with the
/// inert ones counted by protocol and by keyword.
public struct RuleReadiness: Sendable {
    /// Loaded rules that can alert.
    public var active = 0
    /// Loaded rules that cannot alert yet, each with its file, line, sid and reason.
    public var inert: [(file: String, line: Int, gid: UInt32, sid: UInt32, reason: InertReason)] = []

    /// Classifies every loaded rule of `set`; `excluding` names rules (gid, sid) the engine refused, which are
    /// counted elsewhere as not loaded.
    public init(_ set: RuleSet, excluding refused: Set<RuleKey> = []) {
        for loaded in set.rules {
            let rule = loaded.rule
            if !refused.isEmpty && refused.contains(RuleKey(gid: rule.gid, sid: rule.sid)) { continue }
            if let reason = rule.inertReason {
                self.inert.append((loaded.file, loaded.line, rule.gid, rule.sid, reason))
            } else {
                self.active += 1
            }
        }
    }

    /// All classified rules.
    public var total: Int { self.active + self.inert.count }

    /// Inert rules per protocol, most first (ties by name).
    public var inertByProtocol: [(name: String, count: Int)] { Self.counted(self.inert.map(\.reason.appProtocol)) }

    /// Inert rules per keyword, most first (ties by name).
    public var inertByKeyword: [(name: String, count: Int)] { Self.counted(self.inert.map(\.reason.keyword)) }

    /// `14,957 rules: 3,278 active, 11,679 inert (http 7,826, dns 2,070, tls 1,591, …)`; the parenthesis lists
    /// at most `limit` protocols.
    public func summary(limit: Int = 6) -> String {
        var text = "\(Self.grouped(self.total)) rules: \(Self.grouped(self.active)) active"
        guard !self.inert.isEmpty else { return text + ", 0 inert" }
        let shown = self.inertByProtocol.prefix(limit).map { "\($0.name) \(Self.grouped($0.count))" }
        let more = self.inertByProtocol.count > limit ? ", …" : ""
        text += ", \(Self.grouped(self.inert.count)) inert (\(shown.joined(separator: ", "))\(more))"
        return text
    }

    static func counted(_ names: [String]) -> [(name: String, count: Int)] {
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `25803` → `25,803`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}

/// A rule's identity, `gid:sid`.
public struct RuleKey: Sendable, Hashable {
    /// Generator id.
    public var gid: UInt32
    /// Signature id.
    public var sid: UInt32

    /// Makes a key.
    public init(gid: UInt32, sid: UInt32) {
        self.gid = gid
        self.sid = sid
    }
}
