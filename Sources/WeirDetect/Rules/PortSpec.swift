// SPDX-License-Identifier: MIT

/// A rule-header port expression as written: `any`, `80`, `1024:`, `:1024`, `80:90`, `$VARS`, lists, `!`.
public indirect enum PortSpec: Sendable, Hashable, CustomStringConvertible {
    case any
    /// An inclusive range; a single port has equal ends.
    case range(UInt16, UInt16)
    /// `$NAME`.
    case variable(String)
    /// `[a, b, …]`.
    case list([PortSpec])
    /// `!spec`.
    case negated(PortSpec)

    /// The canonical spelling.
    public var description: String {
        switch self {
        case .any: return "any"
        case .range(let low, let high):
            if low == high { return "\(low)" }
            if high == .max { return "\(low):" }
            if low == 0 { return ":\(high)" }
            return "\(low):\(high)"
        case .variable(let name): return "$" + name
        case .list(let items): return "[" + items.map(\.description).joined(separator: ",") + "]"
        case .negated(let inner): return "!" + inner.description
        }
    }

    /// Parses a port expression.
    ///
    /// - Parameters:
    ///   - text: The header field.
    ///   - offset: The byte offset of `text` in the rule, for error positions.
    /// - Returns: The expression as written.
    /// - Throws: ``RuleParseError`` naming the bad element.
    public static func parse(_ text: Substring, offset: Int) throws(RuleParseError) -> PortSpec {
        // Fast paths for `any`, `$VAR` and a single port.
        if text == "any" { return .any }
        if text.utf8.first == UInt8(ascii: "$"), text.utf8.dropFirst().allSatisfy(isVariableByte), text.utf8.count > 1 {
            return .variable(String(text.dropFirst()))
        }
        if text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let port = UInt16(text) {
            return .range(port, port)
        }
        var parser = HeaderListParser(text: Array(text.utf8), base: offset, what: "port")
        return try parser.parseField(leaf: PortSpec.parseLeaf, list: PortSpec.list, negate: PortSpec.negated)
    }

    static func parseLeaf(_ text: String, _ offset: Int) throws(RuleParseError) -> PortSpec {
        if text.lowercased() == "any" { return .any }
        if text.hasPrefix("$") {
            let name = String(text.dropFirst())
            guard !name.isEmpty, name.utf8.allSatisfy(isVariableByte) else {
                throw RuleParseError(offset: offset, reason: "invalid variable name '\(text)'")
            }
            return .variable(name)
        }
        func port(_ part: Substring) throws(RuleParseError) -> UInt16 {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = UInt32(part),
                value <= 65535
            else { throw RuleParseError(offset: offset, reason: "invalid port '\(text)'") }
            return UInt16(value)
        }
        if let colon = text.firstIndex(of: ":") {
            let lowText = text[..<colon]
            let highText = text[text.index(after: colon)...]
            let low = lowText.isEmpty ? 0 : try port(lowText)
            let high = highText.isEmpty ? UInt16.max : try port(highText)
            guard !(lowText.isEmpty && highText.isEmpty) else {
                throw RuleParseError(offset: offset, reason: "invalid port range '\(text)'")
            }
            guard low <= high else { throw RuleParseError(offset: offset, reason: "port range '\(text)' is reversed") }
            return .range(low, high)
        }
        let value = try port(Substring(text))
        return .range(value, value)
    }

    /// Resolves variables and negation into a set of port ranges.
    ///
    /// - Throws: ``RuleParseError`` for an undefined variable or an expression that matches no port.
    public func resolve(in variables: RuleVariables) throws(RuleParseError) -> PortSet {
        let set = try self.resolve(in: variables, depth: 0)
        guard !set.ranges.isEmpty else { throw RuleParseError(offset: 0, reason: "port '\(self)' matches no port") }
        return set
    }

    func resolve(in variables: RuleVariables, depth: Int) throws(RuleParseError) -> PortSet {
        guard depth < 16 else { throw RuleParseError(offset: 0, reason: "port variables nest too deeply") }
        switch self {
        case .any: return .all
        case .range(let low, let high): return PortSet(ranges: [low...high])
        case .variable(let name):
            guard let text = variables.ports[name] else {
                throw RuleParseError(offset: 0, reason: "port variable $\(name) is not defined")
            }
            return try PortSpec.parse(Substring(text), offset: 0).resolve(in: variables, depth: depth + 1)
        case .list(let items):
            // Gathered and normalised once: a union per item made long lists quadratic.
            var include: [ClosedRange<UInt16>] = []
            var exclude: [ClosedRange<UInt16>] = []
            var hasPositive = false
            for item in items {
                if case .negated(let inner) = item {
                    exclude += try inner.resolve(in: variables, depth: depth + 1).ranges
                } else {
                    hasPositive = true
                    include += try item.resolve(in: variables, depth: depth + 1).ranges
                }
            }
            let included = hasPositive ? PortSet(ranges: include) : .all
            return included.subtracting(PortSet(ranges: exclude))
        case .negated(let inner):
            return PortSet.all.subtracting(try inner.resolve(in: variables, depth: depth + 1))
        }
    }
}

/// A normalised set of ports: sorted, merged inclusive ranges.
public struct PortSet: Sendable, Equatable {
    /// The ranges, sorted and merged.
    public private(set) var ranges: [ClosedRange<UInt16>]

    /// Makes a set from ranges in any order.
    public init(ranges: [ClosedRange<UInt16>]) {
        let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt16>] = []
        for range in sorted {
            if let last = out.last, Int(range.lowerBound) <= Int(last.upperBound) + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        self.ranges = out
    }

    /// Every port.
    public static let all = PortSet(ranges: [0...UInt16.max])

    /// Whether the set holds every port.
    public var isAll: Bool { self.ranges == [0...UInt16.max] }

    /// Whether `port` is in the set.
    public func contains(_ port: UInt16) -> Bool { self.ranges.contains { $0.contains(port) } }

    /// The union with `other`.
    public func union(_ other: PortSet) -> PortSet { PortSet(ranges: self.ranges + other.ranges) }

    /// The ports of `self` not in `other`, in one pass over both sorted lists.
    public func subtracting(_ other: PortSet) -> PortSet {
        var result: [ClosedRange<UInt16>] = []
        let cuts = other.ranges
        var first = 0
        for range in self.ranges {
            while first < cuts.count && cuts[first].upperBound < range.lowerBound { first += 1 }
            var lower = range.lowerBound
            var open = true
            var k = first
            while open && k < cuts.count && cuts[k].lowerBound <= range.upperBound {
                let cut = cuts[k]
                if cut.lowerBound > lower { result.append(lower...(cut.lowerBound - 1)) }
                if cut.upperBound >= range.upperBound {
                    open = false
                } else if cut.upperBound + 1 > lower {
                    lower = cut.upperBound + 1
                }
                k += 1
            }
            if open { result.append(lower...range.upperBound) }
        }
        return PortSet(ranges: result)
    }
}

/// The `vars.address-groups` and `vars.port-groups` a rule header's `$NAME`s resolve against.
public struct RuleVariables: Sendable, Equatable {
    /// Address groups by name (without `$`), each an address expression.
    public var addresses: [String: String]
    /// Port groups by name (without `$`), each a port expression.
    public var ports: [String: String]

    /// Makes a table.
    public init(addresses: [String: String] = [:], ports: [String: String] = [:]) {
        self.addresses = addresses
        self.ports = ports
    }

    /// The groups of Suricata's default `suricata.yaml`.
    public static let suricataDefaults = RuleVariables(
        addresses: [
            "HOME_NET": "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
            "EXTERNAL_NET": "!$HOME_NET",
            "HTTP_SERVERS": "$HOME_NET", "SMTP_SERVERS": "$HOME_NET", "SQL_SERVERS": "$HOME_NET",
            "DNS_SERVERS": "$HOME_NET", "TELNET_SERVERS": "$HOME_NET", "AIM_SERVERS": "$EXTERNAL_NET",
            "DC_SERVERS": "$HOME_NET", "DNP3_SERVER": "$HOME_NET", "DNP3_CLIENT": "$HOME_NET",
            "MODBUS_CLIENT": "$HOME_NET", "MODBUS_SERVER": "$HOME_NET", "ENIP_CLIENT": "$HOME_NET",
            "ENIP_SERVER": "$HOME_NET",
        ],
        ports: [
            "HTTP_PORTS": "80", "SHELLCODE_PORTS": "!80", "ORACLE_PORTS": "1521", "SSH_PORTS": "22",
            "DNP3_PORTS": "20000", "MODBUS_PORTS": "502", "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
            "FTP_PORTS": "21", "GENEVE_PORTS": "6081", "VXLAN_PORTS": "4789", "TEREDO_PORTS": "3544",
            "SIP_PORTS": "[5060,5061]",
        ]
    )
}
