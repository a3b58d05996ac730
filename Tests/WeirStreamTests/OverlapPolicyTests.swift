// SPDX-License-Identifier: MIT
import Testing
@testable import WeirStream

/// One overlap shape: the stored segment is always stream bytes [4, 8) of 'A'; the new segment of 'B' bytes
/// covers `newRange`. `newWins` lists the policies under which the new bytes replace the stored ones where they
/// overlap, after Suricata's stream-tcp-list.c table (hand-written here, not derived from the code under test).
struct OverlapCase: Sendable, CustomStringConvertible {
    var name: String
    var newRange: Range<UInt64>
    var newWins: Set<OverlapPolicy>
    var description: String { self.name }
}

let everyoneButFirst: Set<OverlapPolicy> = Set(OverlapPolicy.allCases).subtracting([.first, .vista])

let overlapCases: [OverlapCase] = [
    OverlapCase(name: "same start, ends inside", newRange: 4..<6, newWins: [.last]),
    OverlapCase(name: "same start, same end", newRange: 4..<8, newWins: [.oldLinux, .solaris, .hpux11, .last]),
    OverlapCase(name: "same start, ends beyond", newRange: 4..<10, newWins: [.linux, .oldLinux, .solaris, .hpux11, .last]),
    OverlapCase(
        name: "starts before, ends inside", newRange: 2..<6,
        newWins: [.bsd, .hpux10, .irix, .windows, .windows2k3, .oldLinux, .linux, .macos, .last]),
    OverlapCase(name: "starts before, same end", newRange: 2..<8, newWins: everyoneButFirst),
    OverlapCase(name: "starts before, ends beyond", newRange: 2..<10, newWins: everyoneButFirst),
    OverlapCase(name: "starts inside, ends inside", newRange: 5..<7, newWins: [.last]),
    OverlapCase(name: "starts inside, same end", newRange: 5..<8, newWins: [.last]),
    OverlapCase(name: "starts inside, ends beyond", newRange: 5..<10, newWins: [.solaris, .hpux11, .last]),
]

/// Reassembles the shape under `policy` and returns bytes [2, 10) ('.' where nothing was stored).
func reassemble(_ shape: OverlapCase, policy: OverlapPolicy) -> String {
    let context = StreamContext(settings: StreamSettings(overlapPolicy: policy))
    let r = TCPReassembler(context: context)
    var events = StreamEventSet()
    let old = [UInt8](repeating: 0x41, count: 4)
    _ = old.withUnsafeBytes { r.insert(offset: 4, data: $0, policy: policy, inline: false, events: &events) }
    let new = [UInt8](repeating: 0x42, count: shape.newRange.count)
    _ = new.withUnsafeBytes {
        r.insert(offset: shape.newRange.lowerBound, data: $0, policy: policy, inline: false, events: &events)
    }
    #expect(events.contains(.reassemblyOverlapDifferentData))
    var blocks: [StreamBlock] = []
    r.blocks(from: 2, to: 10, into: &blocks)
    var out = ""
    for b in blocks {
        out += b.isGap ? String(repeating: ".", count: b.length) : String(decoding: b.bytes, as: UTF8.self)
    }
    return out
}

/// The expected bytes for stream offsets [2, 10).
func expected(_ shape: OverlapCase, newWins: Bool) -> String {
    var out = ""
    for offset in UInt64(2)..<10 {
        let inOld = (4..<8).contains(offset)
        let inNew = shape.newRange.contains(offset)
        if inOld && inNew {
            out += newWins ? "B" : "A"
        } else if inOld {
            out += "A"
        } else if inNew {
            out += "B"
        } else {
            out += "."
        }
    }
    return out
}

@Test(arguments: overlapCases)
func overlapShapeFollowsEachPolicy(_ shape: OverlapCase) {
    for policy in OverlapPolicy.allCases {
        let got = reassemble(shape, policy: policy)
        #expect(got == expected(shape, newWins: shape.newWins.contains(policy)), "\(shape.name) under \(policy)")
    }
}

@Test func identicalPoliciesBehaveIdentically() {
    // Suricata's table makes these groups indistinguishable; check it across every shape.
    let groups: [[OverlapPolicy]] = [
        [.bsd, .hpux10, .irix, .macos, .windows, .windows2k3], [.solaris, .hpux11], [.first, .vista],
    ]
    for group in groups {
        for shape in overlapCases {
            let results = Set(group.map { reassemble(shape, policy: $0) })
            #expect(results.count == 1, "\(group) differ on \(shape.name)")
        }
    }
    // And linux, old-linux, bsd, solaris, first, last are all different somewhere.
    let distinct: [OverlapPolicy] = [.bsd, .linux, .oldLinux, .solaris, .first, .last]
    let signatures = Set(distinct.map { p in overlapCases.map { reassemble($0, policy: p) }.joined(separator: "|") })
    #expect(signatures.count == distinct.count)
}

@Test func sameDataOverlapRaisesNoEvent() {
    let context = StreamContext()
    let r = TCPReassembler(context: context)
    var events = StreamEventSet()
    let data = Array("abcdefgh".utf8)
    _ = data.withUnsafeBytes { r.insert(offset: 0, data: $0, policy: .bsd, inline: false, events: &events) }
    let outcome = data[2..<6].withUnsafeBytes { r.insert(offset: 2, data: $0, policy: .bsd, inline: false, events: &events) }
    #expect(outcome == .overlapped(different: false))
    #expect(events.isEmpty)
    #expect(context.statistics.overlaps == 1)
    #expect(context.statistics.overlapsWithDifferentData == 0)
}

@Test func policyNamesParseAsSuricataConfig() {
    #expect(OverlapPolicy(configName: "old-linux") == .oldLinux)
    #expect(OverlapPolicy(configName: "Windows2k3") == .windows2k3)
    #expect(OverlapPolicy(configName: "bsd-right") == .hpux11)
    #expect(OverlapPolicy(configName: "beos") == nil)
    #expect(OverlapPolicy.default == .bsd)
}

@Test func overlapWithALongEarlierSegmentIsResolved() {
    // [0, 30) stored, then [5, 8) (sorts last), then new data over [20, 25): it overlaps the long first segment,
    // not the last one in sort order.
    let context = StreamContext()
    let r = TCPReassembler(context: context)
    var events = StreamEventSet()
    let long = [UInt8](repeating: 0x61, count: 30)
    _ = long.withUnsafeBytes { r.insert(offset: 0, data: $0, policy: .bsd, inline: false, events: &events) }
    _ = long[0..<3].withUnsafeBytes { r.insert(offset: 5, data: $0, policy: .bsd, inline: false, events: &events) }
    let evil = [UInt8](repeating: 0x45, count: 5)
    let outcome = evil.withUnsafeBytes { r.insert(offset: 20, data: $0, policy: .bsd, inline: false, events: &events) }
    #expect(outcome == .overlapped(different: true))
    #expect(events.contains(.reassemblyOverlapDifferentData))
    #expect(r.contiguousBytes(from: 0, to: 30).map { Array($0) } == long)
}
