// SPDX-License-Identifier: MIT
import WeirCore

/// A rule-header address expression as written: `any`, hosts, CIDRs, ranges, `$VARS`, lists and negation.
///
/// The spec is kept unresolved so the printer can write it back; ``resolve(in:)`` turns it into an
/// ``AddressSet`` with the caller's variables.
public indirect enum AddressSpec: Sendable, Hashable, CustomStringConvertible {
    case any
    /// A host or network: `address/prefixLength` (32 or 128 for a host).
    case cidr(IPAddress, prefixLength: Int)
    /// `a.b.c.d-e.f.g.h`: an inclusive address range.
    case range(IPAddress, IPAddress)
    /// `$NAME`.
    case variable(String)
    /// `[a, b, …]`.
    case list([AddressSpec])
    /// `!spec`.
    case negated(AddressSpec)

    /// The canonical spelling.
    public var description: String {
        switch self {
        case .any: return "any"
        case .cidr(let address, let prefix):
            let full = address.isIPv4 ? 32 : 128
            return prefix == full ? "\(address)" : "\(address)/\(prefix)"
        case .range(let low, let high): return "\(low)-\(high)"
        case .variable(let name): return "$" + name
        case .list(let items): return "[" + items.map(\.description).joined(separator: ",") + "]"
        case .negated(let inner): return "!" + inner.description
        }
    }

    /// Parses an address expression.
    ///
    /// - Parameters:
    ///   - text: The header field.
    ///   - offset: The byte offset of `text` in the rule, for error positions.
    /// - Returns: The expression as written.
    /// - Throws: ``RuleParseError`` naming the bad element.
    public static func parse(_ text: Substring, offset: Int) throws(RuleParseError) -> AddressSpec {
        // Fast paths for the common single-token forms (`any`, `$HOME_NET`).
        if text == "any" { return .any }
        if text.utf8.first == UInt8(ascii: "$"), text.utf8.dropFirst().allSatisfy(isVariableByte), text.utf8.count > 1 {
            return .variable(String(text.dropFirst()))
        }
        var parser = HeaderListParser(text: Array(text.utf8), base: offset, what: "address")
        return try parser.parseField(leaf: AddressSpec.parseLeaf, list: AddressSpec.list, negate: AddressSpec.negated)
    }

    static func parseLeaf(_ text: String, _ offset: Int) throws(RuleParseError) -> AddressSpec {
        if text.lowercased() == "any" { return .any }
        if text.hasPrefix("$") {
            let name = String(text.dropFirst())
            guard !name.isEmpty, name.utf8.allSatisfy(isVariableByte) else {
                throw RuleParseError(offset: offset, reason: "invalid variable name '\(text)'")
            }
            return .variable(name)
        }
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(text[..<slash]) else {
                throw RuleParseError(offset: offset, reason: "invalid address '\(text)'")
            }
            let prefixText = text[text.index(after: slash)...]
            let full = address.isIPv4 ? 32 : 128
            if let prefix = Int(prefixText), prefix >= 0, prefix <= full {
                return .cidr(address.masked(toPrefix: prefix), prefixLength: prefix)
            }
            // Netmask form: 10.0.0.0/255.0.0.0.
            if address.isIPv4, let mask = IPAddress(prefixText), mask.isIPv4 {
                let bits = mask.v4Value
                let prefix = bits.leadingZeroBitCount == 0 ? (~bits).leadingZeroBitCount : 0
                guard prefix == 32 - bits.trailingZeroBitCount || bits == 0 else {
                    throw RuleParseError(offset: offset, reason: "netmask '\(prefixText)' is not contiguous")
                }
                let p = bits == 0 ? 0 : bits.nonzeroBitCount
                return .cidr(address.masked(toPrefix: p), prefixLength: p)
            }
            throw RuleParseError(offset: offset, reason: "invalid prefix length in '\(text)'")
        }
        if let dash = text.firstIndex(of: "-") {
            guard let low = IPAddress(text[..<dash]), let high = IPAddress(text[text.index(after: dash)...]),
                low.family == high.family
            else { throw RuleParseError(offset: offset, reason: "invalid address range '\(text)'") }
            guard low <= high else {
                throw RuleParseError(offset: offset, reason: "address range '\(text)' is reversed")
            }
            return .range(low, high)
        }
        guard let address = IPAddress(text) else {
            throw RuleParseError(offset: offset, reason: "invalid address '\(text)'")
        }
        return .cidr(address, prefixLength: address.isIPv4 ? 32 : 128)
    }

    /// Resolves variables and negation into a set of address ranges.
    ///
    /// - Throws: ``RuleParseError`` (offset 0) for an undefined or recursive variable, or an expression that
    ///   matches nothing (such as `[1.2.3.4,!1.2.3.4]`), as Suricata rejects those.
    public func resolve(in variables: RuleVariables) throws(RuleParseError) -> AddressSet {
        let set = try self.resolve(in: variables, depth: 0)
        guard !set.ranges.isEmpty else {
            throw RuleParseError(offset: 0, reason: "address '\(self)' matches no address")
        }
        return set
    }

    func resolve(in variables: RuleVariables, depth: Int) throws(RuleParseError) -> AddressSet {
        guard depth < 16 else { throw RuleParseError(offset: 0, reason: "address variables nest too deeply") }
        switch self {
        case .any: return .all
        case .cidr(let address, let prefix): return AddressSet(ranges: [IPRange(cidr: address, prefixLength: prefix)])
        case .range(let low, let high): return AddressSet(ranges: [IPRange(lower: low, upper: high)])
        case .variable(let name):
            guard let text = variables.addresses[name] else {
                throw RuleParseError(offset: 0, reason: "address variable $\(name) is not defined")
            }
            let spec = try AddressSpec.parse(Substring(text), offset: 0)
            return try spec.resolve(in: variables, depth: depth + 1)
        case .list(let items):
            // Suricata semantics: the union of the positive items minus the union of the negated ones; a list
            // of only negations means "any except".
            var include = AddressSet(ranges: [])
            var exclude = AddressSet(ranges: [])
            var hasPositive = false
            for item in items {
                if case .negated(let inner) = item {
                    exclude = exclude.union(try inner.resolve(in: variables, depth: depth + 1))
                } else {
                    hasPositive = true
                    include = include.union(try item.resolve(in: variables, depth: depth + 1))
                }
            }
            if !hasPositive { include = .all }
            return include.subtracting(exclude)
        case .negated(let inner):
            return AddressSet.all.subtracting(try inner.resolve(in: variables, depth: depth + 1))
        }
    }
}

func isVariableByte(_ byte: UInt8) -> Bool {
    (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 95
        || byte == 45 || byte == 46
}

/// An inclusive range of addresses of one family.
public struct IPRange: Sendable, Equatable {
    /// The first address.
    public var lower: IPAddress
    /// The last address.
    public var upper: IPAddress

    /// Makes a range; both ends must be of the same family.
    public init(lower: IPAddress, upper: IPAddress) {
        self.lower = lower
        self.upper = upper
    }

    /// The range a CIDR covers.
    public init(cidr address: IPAddress, prefixLength: Int) {
        self.lower = address.masked(toPrefix: prefixLength)
        self.upper = address.filledHost(fromPrefix: prefixLength)
    }

    /// Whether `address` is in the range (same family only).
    @inlinable
    public func contains(_ address: IPAddress) -> Bool {
        address.family == self.lower.family && address >= self.lower && address <= self.upper
    }
}

/// A normalised set of addresses: sorted, non-overlapping ranges (IPv4 ranges before IPv6).
public struct AddressSet: Sendable, Equatable {
    /// The ranges, sorted and merged.
    public private(set) var ranges: [IPRange]

    /// Makes a set from ranges in any order.
    public init(ranges: [IPRange]) {
        self.ranges = AddressSet.normalise(ranges)
    }

    /// Every IPv4 and IPv6 address.
    public static let all = AddressSet(ranges: [
        IPRange(lower: IPAddress(v4: 0), upper: IPAddress(v4: .max)),
        IPRange(lower: IPAddress(v6High: 0, low: 0), upper: IPAddress(v6High: .max, low: .max)),
    ])

    /// Whether the set holds every address.
    public var isAll: Bool { self == AddressSet.all }

    /// Whether `address` is in the set (binary search).
    public func contains(_ address: IPAddress) -> Bool {
        var low = 0
        var high = self.ranges.count
        while low < high {
            let mid = (low + high) / 2
            let range = self.ranges[mid]
            if address < range.lower {
                high = mid
            } else if address > range.upper {
                low = mid + 1
            } else {
                return range.contains(address)
            }
        }
        return false
    }

    /// The union with `other`.
    public func union(_ other: AddressSet) -> AddressSet { AddressSet(ranges: self.ranges + other.ranges) }

    /// The addresses of `self` that are not in `other`.
    public func subtracting(_ other: AddressSet) -> AddressSet {
        var result: [IPRange] = []
        for range in self.ranges {
            var pieces = [range]
            for cut in other.ranges where cut.lower.family == range.lower.family {
                var next: [IPRange] = []
                for piece in pieces {
                    if cut.upper < piece.lower || cut.lower > piece.upper {
                        next.append(piece)
                        continue
                    }
                    if cut.lower > piece.lower, let before = cut.lower.predecessor {
                        next.append(IPRange(lower: piece.lower, upper: before))
                    }
                    if cut.upper < piece.upper, let after = cut.upper.successor {
                        next.append(IPRange(lower: after, upper: piece.upper))
                    }
                }
                pieces = next
            }
            result += pieces
        }
        return AddressSet(ranges: result)
    }

    static func normalise(_ input: [IPRange]) -> [IPRange] {
        let sorted = input.sorted { $0.lower < $1.lower }
        var out: [IPRange] = []
        for range in sorted {
            if var last = out.last, last.lower.family == range.lower.family,
                range.lower <= last.upper || last.upper.successor == range.lower
            {
                if range.upper > last.upper { last.upper = range.upper }
                out[out.count - 1] = last
            } else {
                out.append(range)
            }
        }
        return out
    }
}

extension IPAddress {
    /// The address with every bit after `prefix` cleared.
    func masked(toPrefix prefix: Int) -> IPAddress {
        switch self.family {
        case .v4:
            let mask: UInt32 = prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
            return IPAddress(v4: self.v4Value & mask)
        case .v6:
            let highMask: UInt64 = prefix >= 64 ? .max : (prefix == 0 ? 0 : UInt64.max << UInt64(64 - prefix))
            let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? .max : UInt64.max << UInt64(128 - prefix))
            return IPAddress(v6High: self.high & highMask, low: self.low & lowMask)
        }
    }

    /// The address with every bit after `prefix` set (the last address of the network).
    func filledHost(fromPrefix prefix: Int) -> IPAddress {
        switch self.family {
        case .v4:
            let mask: UInt32 = prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix)
            return IPAddress(v4: self.v4Value | ~mask)
        case .v6:
            let highMask: UInt64 = prefix >= 64 ? .max : (prefix == 0 ? 0 : UInt64.max << UInt64(64 - prefix))
            let lowMask: UInt64 = prefix <= 64 ? 0 : (prefix == 128 ? .max : UInt64.max << UInt64(128 - prefix))
            return IPAddress(v6High: self.high | ~highMask, low: self.low | ~lowMask)
        }
    }

    /// The next address of the same family, or `nil` at the end of the space.
    var successor: IPAddress? {
        switch self.family {
        case .v4: return self.v4Value == .max ? nil : IPAddress(v4: self.v4Value + 1)
        case .v6:
            if self.low != .max { return IPAddress(v6High: self.high, low: self.low + 1) }
            if self.high == .max { return nil }
            return IPAddress(v6High: self.high + 1, low: 0)
        }
    }

    /// The previous address of the same family, or `nil` at the start of the space.
    var predecessor: IPAddress? {
        switch self.family {
        case .v4: return self.v4Value == 0 ? nil : IPAddress(v4: self.v4Value - 1)
        case .v6:
            if self.low != 0 { return IPAddress(v6High: self.high, low: self.low - 1) }
            if self.high == 0 { return nil }
            return IPAddress(v6High: self.high - 1, low: .max)
        }
    }
}
