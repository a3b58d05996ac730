// SPDX-License-Identifier: MIT

/// The comparison shared by every integer keyword (`ttl`, `dsize`, `itype`, `bsize`, `urilen` …), as
/// Suricata's generic `uint` parser accepts it: `N`, `=N`, `<N`, `>N`, `<=N`, `>=N`, `!N`, `!=N`, `N-M`,
/// `N<>M` (both exclusive ranges) and `!N-M`.
public struct IntegerMatch: Sendable, Equatable, CustomStringConvertible {
    /// The comparison.
    public enum Operator: Sendable, Equatable {
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        /// `N-M` / `N<>M`: strictly between the two values.
        case range
        /// `!N-M`: outside the range (the ends match).
        case notRange
        /// `&M=V` (Suricata 8): `x & M == V`; `value` is the mask, `high` the compared value.
        case maskEqual
        /// `&M!=V`: `x & M != V`.
        case maskNotEqual
    }

    /// The comparison.
    public var op: Operator
    /// The value, or the low end of a range.
    public var value: UInt64
    /// The high end of a range, otherwise equal to `value`.
    public var high: UInt64

    /// Makes a match.
    public init(_ op: Operator, _ value: UInt64, _ high: UInt64? = nil) {
        self.op = op
        self.value = value
        self.high = high ?? value
    }

    /// Whether `x` satisfies the comparison.
    @inlinable
    public func matches(_ x: UInt64) -> Bool {
        switch self.op {
        case .equal: x == self.value
        case .notEqual: x != self.value
        case .less: x < self.value
        case .lessOrEqual: x <= self.value
        case .greater: x > self.value
        case .greaterOrEqual: x >= self.value
        case .range: x > self.value && x < self.high
        case .notRange: x <= self.value || x >= self.high
        case .maskEqual: x & self.value == self.high
        case .maskNotEqual: x & self.value != self.high
        }
    }

    /// The canonical spelling.
    public var description: String {
        switch self.op {
        case .equal: "\(self.value)"
        case .notEqual: "!\(self.value)"
        case .less: "<\(self.value)"
        case .lessOrEqual: "<=\(self.value)"
        case .greater: ">\(self.value)"
        case .greaterOrEqual: ">=\(self.value)"
        case .range: "\(self.value)-\(self.high)"
        case .notRange: "!\(self.value)-\(self.high)"
        case .maskEqual: "&\(self.value)=\(self.high)"
        case .maskNotEqual: "&\(self.value)!=\(self.high)"
        }
    }

    /// Parses the text of an integer keyword's value, checking that numbers fit `maximum`.
    ///
    /// - Returns: The match, or a reason string for the error.
    public static func parse(_ text: Substring, maximum: UInt64 = UInt64.max) -> Result<IntegerMatch, IntegerMatchError>
    {
        var s = text.trimmingSpaces()
        guard !s.isEmpty else { return .failure(IntegerMatchError(reason: "empty value")) }
        if s.hasPrefix("&") {
            // Suricata 8 bitmask form: &mask=value or &mask!=value.
            let body = s.dropFirst()
            let notEqual = body.firstRange(of: "!=")
            let equal = body.firstIndex(of: "=")
            guard let split = notEqual?.lowerBound ?? equal else {
                return .failure(IntegerMatchError(reason: "expected '&mask=value' or '&mask!=value'"))
            }
            let after = notEqual?.upperBound ?? body.index(after: split)
            guard let mask = parseUnsigned(body[..<split].trimmingSpaces()),
                let value = parseUnsigned(body[after...].trimmingSpaces()), mask <= maximum, value <= maximum
            else { return .failure(IntegerMatchError(reason: "invalid bitmask comparison '\(text)'")) }
            return .success(IntegerMatch(notEqual == nil ? .maskEqual : .maskNotEqual, mask, value))
        }
        var op: Operator = .equal
        var negated = false
        if s.hasPrefix("!=") {
            op = .notEqual
            s = s.dropFirst(2)
        } else if s.hasPrefix("!") {
            negated = true
            op = .notEqual
            s = s.dropFirst()
        } else if s.hasPrefix("<=") {
            op = .lessOrEqual
            s = s.dropFirst(2)
        } else if s.hasPrefix(">=") {
            op = .greaterOrEqual
            s = s.dropFirst(2)
        } else if s.hasPrefix("<") {
            op = .less
            s = s.dropFirst()
        } else if s.hasPrefix(">") {
            op = .greater
            s = s.dropFirst()
        } else if s.hasPrefix("=") {
            s = s.dropFirst()
        }
        s = s.trimmingSpaces()
        // Ranges: "N-M" or "N<>M" (only after no operator or after "!").
        if op == .equal || negated {
            var separator: Range<Substring.Index>?
            if let r = s.firstRange(of: "<>") {
                separator = r
            } else if let dash = s.dropFirst().firstIndex(of: "-") {
                separator = dash..<s.index(after: dash)
            }
            if let separator {
                let lowText = s[s.startIndex..<separator.lowerBound].trimmingSpaces()
                let highText = s[separator.upperBound...].trimmingSpaces()
                guard let low = parseUnsigned(lowText), let high = parseUnsigned(highText) else {
                    return .failure(IntegerMatchError(reason: "invalid range '\(text)'"))
                }
                guard low < high else { return .failure(IntegerMatchError(reason: "range \(low)-\(high) is empty")) }
                guard high <= maximum else {
                    return .failure(IntegerMatchError(reason: "\(high) is larger than the maximum \(maximum)"))
                }
                return .success(IntegerMatch(negated ? .notRange : .range, low, high))
            }
        }
        guard let value = parseUnsigned(s) else {
            return .failure(IntegerMatchError(reason: "'\(text.trimmingSpaces())' is not an integer comparison"))
        }
        guard value <= maximum else {
            return .failure(IntegerMatchError(reason: "\(value) is larger than the maximum \(maximum)"))
        }
        switch op {
        case .less where value == 0: return .failure(IntegerMatchError(reason: "'<0' can never match"))
        case .greater where value == maximum:
            return .failure(IntegerMatchError(reason: "'>\(maximum)' can never match"))
        default: break
        }
        return .success(IntegerMatch(op, value))
    }

    /// Parses a decimal or `0x` hexadecimal unsigned number.
    static func parseUnsigned(_ text: Substring) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty else { return nil }
            return UInt64(digits, radix: 16)
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(text)
    }
}

/// Why an integer comparison did not parse.
public struct IntegerMatchError: Error, Sendable, Equatable {
    /// A one-line reason.
    public var reason: String
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs (byte-wise: no grapheme breaking).
    func trimmingSpaces() -> Substring {
        let view = self.utf8
        var start = view.startIndex
        var end = view.endIndex
        while start < end, view[start] == 32 || view[start] == 9 { start = view.index(after: start) }
        while end > start {
            let before = view.index(before: end)
            guard view[before] == 32 || view[before] == 9 else { break }
            end = before
        }
        if start == view.startIndex && end == view.endIndex { return self }
        return Substring(view[start..<end])
    }

    /// Splits on an ASCII byte without grapheme breaking, keeping empty pieces, each piece trimmed.
    func splitTrimmed(_ separator: UInt8) -> [Substring] {
        self.utf8.split(separator: separator, omittingEmptySubsequences: false).map { Substring($0).trimmingSpaces() }
    }
}

extension StringProtocol {
    /// The substring without leading and trailing spaces and tabs.
    func trimmedSubstring() -> Substring { Substring(self).trimmingSpaces() }
}
