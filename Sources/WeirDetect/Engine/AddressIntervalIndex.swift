// SPDX-License-Identifier: MIT
import WeirCore

/// Maps an address to the signatures whose address set contains it (the job of Suricata's IP-only radix
/// trees): the address space is cut into disjoint segments at every range boundary, each segment keeps the
/// signatures covering it, and a lookup is one bisection.
package struct AddressIntervalIndex: Sendable {
    var lowers: [IPAddress] = []
    var uppers: [IPAddress] = []
    var lists: [[Int32]] = []

    /// Number of non-empty segments.
    package var segmentCount: Int { self.lowers.count }

    /// Builds the index from each signature's (sorted, disjoint) ranges.
    package init(_ entries: [(signature: Int32, ranges: [ClosedRange<IPAddress>])]) {
        var starts: [IPAddress: [Int32]] = [:]
        var ends: [IPAddress: [Int32]] = [:]
        var points = Set<IPAddress>()
        for entry in entries {
            for range in entry.ranges {
                starts[range.lowerBound, default: []].append(entry.signature)
                points.insert(range.lowerBound)
                if let after = Self.successor(range.upperBound) {
                    ends[after, default: []].append(entry.signature)
                    points.insert(after)
                }
            }
        }
        let sorted = points.sorted()
        var active: [Int32: Int] = [:]
        for (k, point) in sorted.enumerated() {
            for s in ends[point] ?? [] {
                let n = (active[s] ?? 0) - 1
                active[s] = n > 0 ? n : nil
            }
            for s in starts[point] ?? [] { active[s, default: 0] += 1 }
            guard !active.isEmpty else { continue }
            var upper = Self.familyMaximum(point)
            if k + 1 < sorted.count, sorted[k + 1].family == point.family, let before = Self.predecessor(sorted[k + 1])
            {
                upper = before
            }
            self.lowers.append(point)
            self.uppers.append(upper)
            self.lists.append(active.keys.sorted())
        }
    }

    /// The signatures whose ranges contain `address` (empty when none).
    @inline(__always)
    package func signatures(containing address: IPAddress) -> [Int32]? {
        var low = 0
        var high = self.lowers.count
        while low < high {
            let mid = (low + high) >> 1
            if self.lowers[mid] <= address { low = mid + 1 } else { high = mid }
        }
        guard low > 0, address <= self.uppers[low - 1] else { return nil }
        return self.lists[low - 1]
    }

    static func successor(_ a: IPAddress) -> IPAddress? {
        if a.isIPv4 { return a.v4Value == .max ? nil : IPAddress(v4: a.v4Value + 1) }
        if a.low == .max { return a.high == .max ? nil : IPAddress(v6High: a.high + 1, low: 0) }
        return IPAddress(v6High: a.high, low: a.low + 1)
    }

    static func predecessor(_ a: IPAddress) -> IPAddress? {
        if a.isIPv4 { return a.v4Value == 0 ? nil : IPAddress(v4: a.v4Value - 1) }
        if a.low == 0 { return a.high == 0 ? nil : IPAddress(v6High: a.high - 1, low: .max) }
        return IPAddress(v6High: a.high, low: a.low - 1)
    }

    static func familyMaximum(_ a: IPAddress) -> IPAddress {
        a.isIPv4 ? IPAddress(v4: .max) : IPAddress(v6High: .max, low: .max)
    }
}
