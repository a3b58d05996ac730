// SPDX-License-Identifier: MIT
import Testing
@testable import WeirStream

/// A small deterministic generator (SplitMix64) so every seed replays the same case.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random stream cut into segments, with duplicates and overlapping re-cuts of the same bytes, shuffled.
func randomDelivery(seed: UInt64) -> (data: [UInt8], segments: [Range<Int>]) {
    var rng = SplitMix64(seed: seed)
    let length = Int.random(in: 1...24_000, using: &rng)
    let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
    var segments: [Range<Int>] = []
    var at = 0
    while at < length {
        let n = min(Int.random(in: 1...1460, using: &rng), length - at)
        segments.append(at..<(at + n))
        at += n
    }
    // Duplicates of some segments, and overlapping ranges cut anew from the same data.
    let extra = Int.random(in: 0...max(1, segments.count), using: &rng)
    for _ in 0..<extra {
        if Bool.random(using: &rng), let s = segments.randomElement(using: &rng) {
            segments.append(s)
        } else {
            let a = Int.random(in: 0..<length, using: &rng)
            let b = min(length, a + Int.random(in: 1...3000, using: &rng))
            segments.append(a..<b)
        }
    }
    segments.shuffle(using: &rng)
    return (data, segments)
}

@Test(arguments: Array(UInt64(0)..<64))
func reassemblerRebuildsAnyConsistentDelivery(seed: UInt64) {
    for round in UInt64(0)..<4 {
        let s = seed &* 4 &+ round
        let (data, segments) = randomDelivery(seed: s)
        let policy = OverlapPolicy.allCases[Int(s % UInt64(OverlapPolicy.allCases.count))]
        let context = StreamContext(settings: StreamSettings(reassemblyDepth: 0, overlapPolicy: policy))
        let r = TCPReassembler(context: context)
        var events = StreamEventSet()
        for seg in segments {
            _ = data[seg].withUnsafeBytes {
                r.insert(offset: UInt64(seg.lowerBound), data: $0, policy: policy, inline: s % 3 == 0, events: &events)
            }
        }
        #expect(!events.contains(.reassemblyOverlapDifferentData), "seed \(s)")
        #expect(r.contiguousEnd == UInt64(data.count), "seed \(s)")
        var blocks: [StreamBlock] = []
        r.blocks(from: 0, to: UInt64(data.count), into: &blocks)
        #expect(blocks.count == 1 && !blocks[0].isGap, "seed \(s)")
        #expect(blocks.flatMap { Array($0.bytes) } == data, "seed \(s)")
    }
}

@Test(arguments: Array(UInt64(100)..<164))
func sessionDeliversAnyConsistentDeliveryInOrder(seed: UInt64) {
    let (data, segments) = randomDelivery(seed: seed)
    var rng = SplitMix64(seed: seed ^ 0xABCDEF)
    let inline = seed % 4 == 0
    let isn = UInt32.random(in: 0...UInt32.max, using: &rng)
    let h = Harness(StreamSettings(reassemblyDepth: 0, inline: inline, overlapPolicy: .allCases[Int(seed % 13)]))
    h.handshake(cisn: isn, sisn: 77)
    for seg in segments {
        h.send(toServer: true, flags: F.ack, seq: isn &+ 1 &+ UInt32(seg.lowerBound), ack: 78, payload: Array(data[seg]))
        if UInt64.random(in: 0..<10, using: &rng) < 3 {
            // The receiver ACKs what it has in order, as a real stack would.
            let have = UInt32(h.session.clientReassembler.contiguousEnd)
            h.send(toServer: false, flags: F.ack, seq: 78, ack: isn &+ 1 &+ have)
        }
    }
    h.send(toServer: false, flags: F.ack, seq: 78, ack: isn &+ 1 &+ UInt32(data.count))
    h.finish()
    #expect(h.app[true]?.contains { $0.1 == nil } == false, "seed \(seed): no gap expected")
    #expect(h.appBytes(toServer: true) == data, "seed \(seed)")
    // Raw inspection sees every byte once, in order (IDS); inline windows may repeat bytes, so compare coverage.
    if !inline {
        #expect(h.rawBytes(toServer: true) == data, "seed \(seed)")
    } else {
        let covered = (h.raw[true] ?? []).map { $0.0 + UInt64($0.1.count) }.max() ?? 0
        #expect(covered == UInt64(data.count), "seed \(seed)")
    }
}

/// Regions as Suricata's streaming buffer counts them (EVE `ts_max_regions`): data landing more than 256 KiB
/// past what is held opens another region; filling the holes joins them again; the most held at once stays.
@Test func dataFarAheadOpensARegionUntilTheHolesFill() {
    let context = StreamContext(settings: StreamSettings(reassemblyDepth: 0))
    let r = TCPReassembler(context: context)
    var events = StreamEventSet()
    func put(_ offset: UInt64, _ count: Int) {
        let data = [UInt8](repeating: 0x41, count: count)
        _ = data.withUnsafeBytes { r.insert(offset: offset, data: $0, policy: .bsd, inline: false, events: &events) }
    }
    put(0, 1000)
    put(2000, 1000)
    #expect(r.maxRegions == 1)
    put(300_000, 1000)
    #expect(r.maxRegions == 2)
    put(700_000, 1000)
    #expect(r.maxRegions == 3)
    // Filling every hole joins the regions; a later jump counts from one again.
    put(1000, 1000)
    put(3000, 700_000 - 3000)
    #expect(r.contiguousEnd == 701_000 && r.maxRegions == 3)
    put(1_000_000, 10)
    #expect(r.maxRegions == 3)
    // A reassembler reset for another flow starts from one region (SessionPoolTests cannot reach these).
    r.reset()
    #expect(r.maxRegions == 1 && r.regions == 1)
}
