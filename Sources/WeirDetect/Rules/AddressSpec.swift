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
        if text.utf8.count == 3, text.lowercased() == "any" { return .any }
        if text.hasPrefix("$") {
            let name = String(text.dropFirst())
            guard !name.isEmpty, name.utf8.allSatisfy(isVariableByte) else {
                throw RuleParseError(offset: offset, reason: "invalid variable name '\(text)'")
            }
            return .variable(name)
        }
        if let slash = text.firstIndex(of: "/") {
            guard
                let address = AddressSpec.dottedQuad(text[..<slash].utf8).map({ IPAddress(v4: $0) })
                    ?? IPAddress(text[..<slash])
            else {
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
        if let value = AddressSpec.dottedQuad(text.utf8) { return .cidr(IPAddress(v4: value), prefixLength: 32) }
        guard let address = IPAddress(text) else {
            throw RuleParseError(offset: offset, reason: "invalid address '\(text)'")
        }
        return .cidr(address, prefixLength: address.isIPv4 ? 32 : 128)
    }

    /// A byte-wise dotted-quad IPv4 parser (the common case in IP-list rules); `nil` for anything else, which
    /// then goes to ``IPAddress/init(_:)``.
    static func dottedQuad(_ bytes: some Sequence<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | part
                part = 0
                digits = 0
                dots += 1
            } else if byte >= 48 && byte <= 57 {
                digits += 1
                part = part * 10 + UInt32(byte - 48)
                guard digits <= 3, part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | part
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
            // The ranges are gathered and normalised once (a union per item made long lists quadratic).
            var include: [IPRange] = []
            var exclude: [IPRange] = []
            var hasPositive = false
            for item in items {
                if case .negated(let inner) = item {
                    exclude += try inner.resolve(in: variables, depth: depth + 1).ranges
                } else {
                    hasPositive = true
                    include += try item.resolve(in: variables, depth: depth + 1).ranges
                }
            }
            let included = hasPositive ? AddressSet(ranges: include) : .all
            return included.subtracting(AddressSet(ranges: exclude))
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

    /// The addresses of `self` that are not in `other`: one merge-like pass over both sorted lists, so the
    /// cost is linear in their lengths.
    public func subtracting(_ other: AddressSet) -> AddressSet {
        var result: [IPRange] = []
        let cuts = other.ranges
        var first = 0
        for range in self.ranges {
            // Cuts wholly below this range are below every later one too.
            while first < cuts.count && cuts[first].upper < range.lower { first += 1 }
            var lower = range.lower
            var open = true
            var k = first
            while open && k < cuts.count && cuts[k].lower <= range.upper {
                let cut = cuts[k]
                if cut.lower > lower, let before = cut.lower.predecessor {
                    result.append(IPRange(lower: lower, upper: before))
                }
                if cut.upper >= range.upper {
                    open = false
                } else if let after = cut.upper.successor, after > lower {
                    lower = after
                }
                k += 1
            }
            if open { result.append(IPRange(lower: lower, upper: range.upper)) }
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
