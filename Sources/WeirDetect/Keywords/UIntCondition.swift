// SPDX-License-Identifier: MIT

/// An unsigned comparison as Suricata's `detect-engine-uint.c` evaluates it (`ttl`, `dsize`, `itype`, `bsize` …).
package struct UIntCondition: Sendable, Equatable {
    /// The comparison.
    package enum Operator: Sendable, Equatable {
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        /// Strictly between `value` and `high`.
        case range
        /// Outside the open range (the ends match).
        case notRange
        /// `&mask=value`: the masked bits equal `high`; `value` is the mask.
        case maskEqual
        /// `&mask!=value`.
        case maskNotEqual
    }

    /// The comparison.
    package var op: Operator
    /// The value, the low end of a range, or the mask.
    package var value: UInt64
    /// The high end of a range, or the masked value to compare.
    package var high: UInt64

    /// Makes a condition.
    package init(_ op: Operator, _ value: UInt64, _ high: UInt64 = 0) {
        self.op = op
        self.value = value
        self.high = high
    }

    /// Whether `x` satisfies the condition.
    @inline(__always)
    package func matches(_ x: UInt64) -> Bool {
        switch self.op {
        case .equal: return x == self.value
        case .notEqual: return x != self.value
        case .less: return x < self.value
        case .lessOrEqual: return x <= self.value
        case .greater: return x > self.value
        case .greaterOrEqual: return x >= self.value
        case .range: return x > self.value && x < self.high
        case .notRange: return x <= self.value || x >= self.high
        case .maskEqual: return x & self.value == self.high
        case .maskNotEqual: return x & self.value != self.high
        }
    }
}
