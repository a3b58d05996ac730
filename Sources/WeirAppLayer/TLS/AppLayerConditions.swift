// SPDX-License-Identifier: MIT
import Foundation
import WeirCore

/// A transaction that answers app-layer option keywords (`ssl_state`, `tls.version`, `dns.opcode` …): options
/// with a value that are not sticky buffers.
public protocol AppLayerConditionTransaction: AnyObject {
    /// Whether the transaction satisfies `keyword:value` (value as written in the rule, quotes removed);
    /// `now` is the packet time (for `tls_cert_expired`). `nil` for a keyword the protocol does not serve.
    func matches(keyword: String, value: String, toServer: Bool, now: Timestamp) -> Bool?
}

/// The option keywords served by TLS, SSH and DNS transactions, for the signature compiler.
public enum AppLayerConditionKeywords {
    public static let tls: Set<String> = [
        "ssl_state", "ssl_version", "tls.version", "tls.fingerprint", "tls.subject", "tls.issuerdn",
        "tls.cert_chain_len", "tls_cert_notbefore", "tls_cert_notafter", "tls_cert_expired", "tls_cert_valid",
    ]
    public static let dns: Set<String> = ["dns.opcode", "dns.rcode", "dns.rrtype"]
    public static let ssh: Set<String> = ["ssh.protoversion", "ssh.softwareversion"]
    public static var all: Set<String> { tls.union(dns).union(ssh) }
}

/// Suricata's unsigned-integer option syntax: `5`, `!5`, `<5`, `>=5`, `1-10`, `1<>10`, `!1-10`.
struct UIntCondition {
    enum Op { case equal, notEqual, less, lessEqual, greater, greaterEqual, range, notRange }
    let op: Op
    let a: UInt64
    let b: UInt64

    init?(_ text: String) {
        var t = text.trimmingCharacters(in: .whitespaces)
        var negated = false
        if t.hasPrefix("!") {
            negated = true
            t.removeFirst()
        }
        for separator in ["<>", "-"] {
            let parts = t.components(separatedBy: separator)
            if parts.count == 2, let low = UInt64(parts[0].trimmingCharacters(in: .whitespaces)),
                let high = UInt64(parts[1].trimmingCharacters(in: .whitespaces))
            {
                self.op = negated ? .notRange : .range
                self.a = low
                self.b = high
                return
            }
        }
        let prefixes: [(String, Op)] = [
            (">=", .greaterEqual), ("<=", .lessEqual), (">", .greater), ("<", .less), ("=", .equal),
        ]
        var op = Op.equal
        for (prefix, candidate) in prefixes where t.hasPrefix(prefix) {
            op = candidate
            t.removeFirst(prefix.count)
            break
        }
        guard let value = UInt64(t.trimmingCharacters(in: .whitespaces)) else { return nil }
        self.op = negated && op == .equal ? .notEqual : op
        self.a = value
        self.b = 0
    }

    func matches(_ value: UInt64) -> Bool {
        switch self.op {
        case .equal: value == self.a
        case .notEqual: value != self.a
        case .less: value < self.a
        case .lessEqual: value <= self.a
        case .greater: value > self.a
        case .greaterEqual: value >= self.a
        // Suricata's ranges are exclusive at both ends.
        case .range: value > self.a && value < self.b
        case .notRange: !(value > self.a && value < self.b)
        }
    }
}

extension TLSTransaction: AppLayerConditionTransaction {
    public func matches(keyword: String, value: String, toServer: Bool, now: Timestamp) -> Bool? {
        let session = self.session
        let leaf = session.serverCertificates.first
        switch keyword {
        case "ssl_state":
            return Self.sslState(value, flags: toServer ? session.clientMessageFlags : session.serverMessageFlags)
        case "ssl_version":
            let version = toServer ? session.clientVersion : session.serverVersion
            return Self.anyOf(value) { TLSVersion.keywordName(version) == $0 }
        case "tls.version":
            let version = session.logVersion
            let wanted = value.trimmingCharacters(in: .whitespaces).lowercased()
            switch wanted {
            case "1.0": return version == TLSVersion.tls10
            case "1.1": return version == TLSVersion.tls11
            case "1.2": return version == TLSVersion.tls12
            case "1.3": return TLSVersion.keywordName(version) == "tls1.3"
            default:
                if wanted.hasPrefix("0x"), let number = UInt16(wanted.dropFirst(2), radix: 16) {
                    return version == number
                }
                return false
            }
        case "tls.fingerprint":
            return Self.legacyText(value, leaf?.fingerprint, exact: true)
        case "tls.subject":
            return Self.legacyText(value, leaf?.subject, exact: false)
        case "tls.issuerdn":
            return Self.legacyText(value, leaf?.issuer, exact: false)
        case "tls.cert_chain_len":
            guard let condition = UIntCondition(value) else { return false }
            return condition.matches(UInt64(session.serverCertificates.count))
        case "tls_cert_notbefore":
            guard let leaf else { return false }
            return Self.dateCondition(value, leaf.notBefore)
        case "tls_cert_notafter":
            guard let leaf else { return false }
            return Self.dateCondition(value, leaf.notAfter)
        case "tls_cert_expired":
            guard let leaf else { return false }
            return leaf.notAfter < now.seconds
        case "tls_cert_valid":
            guard let leaf else { return false }
            return leaf.notBefore <= now.seconds && now.seconds <= leaf.notAfter
        default:
            return nil
        }
    }

    /// `client_hello|server_hello`, `!client_keyx`: positives are OR'ed, negations must all hold.
    static func sslState(_ value: String, flags: TLSSession.MessageFlags) -> Bool {
        var positive: [Bool] = []
        var negativeOK = true
        for item in value.split(separator: "|").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            let negated = item.hasPrefix("!")
            let name = negated ? String(item.dropFirst()) : item
            let flag: TLSSession.MessageFlags =
                switch name {
                case "client_hello": .clientHello
                case "server_hello": .serverHello
                case "client_keyx": .clientKeyExchange
                case "server_keyx": .serverKeyExchange
                default: .unknown
                }
            let set = flags.contains(flag)
            if negated { negativeOK = negativeOK && !set } else { positive.append(set) }
        }
        return negativeOK && (positive.isEmpty || positive.contains(true))
    }

    /// A comma-separated list where any item may match, with `!` items that must not.
    static func anyOf(_ value: String, _ test: (String) -> Bool) -> Bool {
        var positive: [Bool] = []
        var negativeOK = true
        for item in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            if item.hasPrefix("!") {
                negativeOK = negativeOK && !test(String(item.dropFirst()))
            } else {
                positive.append(test(item))
            }
        }
        return negativeOK && (positive.isEmpty || positive.contains(true))
    }

    /// The legacy `tls.subject:"…"` style: substring (or, for the fingerprint, equality), `!` negates.
    static func legacyText(_ value: String, _ field: String?, exact: Bool) -> Bool {
        var wanted = value.trimmingCharacters(in: .whitespaces)
        var negated = false
        if wanted.hasPrefix("!") {
            negated = true
            wanted = String(wanted.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
        if wanted.hasPrefix("\""), wanted.hasSuffix("\""), wanted.count >= 2 {
            wanted = String(wanted.dropFirst().dropLast())
        }
        guard let field else { return false }
        let hit = exact ? field.lowercased() == wanted.lowercased() : field.contains(wanted)
        return hit != negated
    }

    /// `>2015`, `<2015-10-22`, `2014-05-01<>2016-01-01`, `2015-01-01T12:00:00`, a bare date = equal.
    static func dateCondition(_ value: String, _ seconds: Int64) -> Bool {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let range = text.range(of: "<>") {
            guard let low = Self.epoch(String(text[..<range.lowerBound])),
                let high = Self.epoch(String(text[range.upperBound...]))
            else { return false }
            return seconds > low && seconds < high
        }
        if text.hasPrefix(">"), let date = Self.epoch(String(text.dropFirst())) { return seconds > date }
        if text.hasPrefix("<"), let date = Self.epoch(String(text.dropFirst())) { return seconds < date }
        if let date = Self.epoch(text) { return seconds == date }
        return false
    }

    /// `YYYY[-MM[-DD[THH[:MM[:SS]]]]]` (UTC) or a plain epoch number, as seconds.
    static func epoch(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(whereSeparator: { "-T:".contains($0) })
        let values = parts.compactMap { Int64($0) }
        guard !values.isEmpty, values.count == parts.count else { return nil }
        if values.count == 1 && values[0] > 9999 { return values[0] }
        var fields: [Int64] = [0, 1, 1, 0, 0, 0]
        for (i, v) in values.prefix(6).enumerated() { fields[i] = v }
        // Days from the civil date (Howard Hinnant's algorithm).
        let y = fields[1] <= 2 ? fields[0] - 1 : fields[0]
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = fields[1]
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + fields[2] - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return days * 86400 + fields[3] * 3600 + fields[4] * 60 + fields[5]
    }
}

extension SSHTransaction: AppLayerConditionTransaction {
    public func matches(keyword: String, value: String, toServer: Bool, now: Timestamp) -> Bool? {
        let side = toServer ? self.session.client : self.session.server
        var wanted = value.trimmingCharacters(in: .whitespaces)
        if wanted.hasPrefix("\""), wanted.hasSuffix("\""), wanted.count >= 2 {
            wanted = String(wanted.dropFirst().dropLast())
        }
        switch keyword {
        case "ssh.protoversion":
            let proto = String(decoding: side.protoVersion, as: UTF8.self)
            // `2_compat` also accepts 1.99, the version that speaks 2.0 too.
            if wanted == "2_compat" { return proto == "2.0" || proto == "1.99" }
            return proto == wanted
        case "ssh.softwareversion":
            return String(decoding: side.softwareVersion, as: UTF8.self).hasPrefix(wanted)
        default:
            return nil
        }
    }
}

extension DNSAppTransaction: AppLayerConditionTransaction {
    public func matches(keyword: String, value: String, toServer: Bool, now: Timestamp) -> Bool? {
        let message = self.transaction.message
        switch keyword {
        case "dns.opcode":
            guard let condition = UIntCondition(value) else { return false }
            return condition.matches(UInt64(message.opcode))
        case "dns.rcode":
            guard let condition = UIntCondition(Self.named(value) { DNSNames.rcode(named: $0).map(UInt64.init) }) else {
                return false
            }
            return condition.matches(UInt64(message.rcode))
        case "dns.rrtype":
            guard let condition = UIntCondition(Self.named(value) { DNSNames.type(named: $0).map(UInt64.init) }) else {
                return false
            }
            return message.questions.contains { condition.matches(UInt64($0.type)) }
                || message.answers.contains { condition.matches(UInt64($0.type)) }
        default:
            return nil
        }
    }

    /// Replaces a symbolic value (`NXDOMAIN`, `!AAAA`) by its number, keeping a `!`.
    private static func named(_ value: String, _ lookup: (String) -> UInt64?) -> String {
        var text = value.trimmingCharacters(in: .whitespaces)
        let negated = text.hasPrefix("!")
        if negated { text.removeFirst() }
        if UInt64(text) == nil, let number = lookup(text) { text = String(number) }
        return (negated ? "!" : "") + text
    }
}
