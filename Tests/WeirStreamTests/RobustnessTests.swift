// SPDX-License-Identifier: MIT
import Testing
import WeirDecode
@testable import WeirStream

/// Hostile input: random flags, sequence and acknowledgement numbers near the session's own, random payloads,
/// in both directions, under every mode. The engine must never trap, and must give all memory back.
@Test(arguments: Array(UInt64(0)..<48))
func randomPacketsNeverTrapAndReleaseMemory(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let settings = StreamSettings(
        reassemblyMemcap: Bool.random(using: &rng) ? 40_000 : 0,
        reassemblyDepth: [0, 3000, 1 << 20][Int(seed % 3)],
        toServerChunkSize: Int.random(in: 1...3000, using: &rng),
        toClientChunkSize: Int.random(in: 1...3000, using: &rng),
        midstream: Bool.random(using: &rng),
        asyncOneside: Bool.random(using: &rng),
        inline: Bool.random(using: &rng),
        overlapPolicy: OverlapPolicy.allCases.randomElement(using: &rng) ?? .bsd
    )
    let h = Harness(settings)
    let cisn = UInt32.random(in: 0...UInt32.max, using: &rng)
    let sisn = UInt32.random(in: 0...UInt32.max, using: &rng)
    if Bool.random(using: &rng) { h.handshake(cisn: cisn, sisn: sisn) }
    let flagChoices: [UInt8] = [F.ack, F.ack, F.ack | F.psh, F.syn, F.syn | F.ack, F.fin | F.ack, F.rst, F.rst | F.ack, 0, F.syn | F.fin]
    for _ in 0..<300 {
        let toServer = Bool.random(using: &rng)
        let base = toServer ? cisn : sisn
        let other = toServer ? sisn : cisn
        let seq = base &+ UInt32.random(in: 0...40_000, using: &rng) &- 2000
        let ack = other &+ UInt32.random(in: 0...40_000, using: &rng) &- 2000
        let length = Int.random(in: 0...1500, using: &rng)
        let byte = UInt8.random(in: 0...255, using: &rng)
        let flags = flagChoices.randomElement(using: &rng) ?? F.ack
        h.send(
            toServer: toServer, flags: flags, seq: seq, ack: ack, payload: [UInt8](repeating: byte, count: length),
            window: UInt16.random(in: 0...UInt16.max, using: &rng), wscale: Bool.random(using: &rng) ? 7 : nil)
        for chunk in h.session.rawChunks where !chunk.block.isGap {
            #expect(chunk.block.bytes.count == chunk.block.length)
        }
    }
    h.finish()
    h.session.release()
    #expect(h.context.statistics.reassemblyMemuse == 0, "seed \(seed)")
}

@Test(arguments: Array(UInt64(0)..<32))
func reassemblerStaysConsistentUnderRandomInsertsAndPrunes(seed: UInt64) {
    var rng = SplitMix64(seed: seed &+ 1000)
    let policy = OverlapPolicy.allCases[Int(seed % 13)]
    let context = StreamContext(settings: StreamSettings(reassemblyDepth: 0, overlapPolicy: policy))
    let r = TCPReassembler(context: context)
    var events = StreamEventSet()
    var consumed: UInt64 = 0
    for _ in 0..<400 {
        let offset = consumed + UInt64.random(in: 0...20_000, using: &rng) &- min(consumed, 500)
        let length = Int.random(in: 1...1500, using: &rng)
        let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        _ = data.withUnsafeBytes { r.insert(offset: offset, data: $0, policy: policy, inline: seed % 2 == 0, events: &events) }
        #expect(r.contiguousEnd >= r.baseOffset)
        #expect(r.rightEdge >= r.contiguousEnd)
        if Bool.random(using: &rng) {
            // Read a random window: blocks must tile it exactly.
            let from = r.baseOffset + UInt64.random(in: 0...3000, using: &rng)
            let to = from + UInt64.random(in: 0...6000, using: &rng)
            var blocks: [StreamBlock] = []
            r.blocks(from: from, to: to, into: &blocks)
            var at = from
            for b in blocks {
                #expect(b.offset == at)
                #expect(b.isGap || b.bytes.count == b.length)
                at = b.end
            }
            #expect(at == to || (blocks.isEmpty && from >= to))
        }
        if UInt64.random(in: 0..<4, using: &rng) == 0 {
            consumed = min(r.rightEdge, consumed + UInt64.random(in: 0...4000, using: &rng))
            r.prune(upTo: consumed)
            #expect(r.baseOffset == max(consumed, r.baseOffset))
        }
    }
    r.releaseAll()
    #expect(context.statistics.reassemblyMemuse == 0)
}

@Test func releasedBuffersAreReusedWithTheSameAccountingAndNoStaleData() {
    let context = StreamContext()
    var events = StreamEventSet()
    let first = TCPReassembler(context: context)
    let old = [UInt8](repeating: 0xEE, count: 6000)
    _ = old.withUnsafeBytes { first.insert(offset: 0, data: $0, policy: .bsd, inline: false, events: &events) }
    let charged = context.statistics.reassemblyMemuse
    #expect(charged == 8192 + UInt64(StreamSettings.bytesPerSegment))
    first.releaseAll()
    #expect(context.statistics.reassemblyMemuse == 0)
    #expect(context.pooledBufferBytes == 8192)
    #expect(context.segmentListPool.count == 1)

    // A new stream grows through 4 KiB to 8 KiB as before (same charges), taking the pooled 8 KiB buffer.
    let second = TCPReassembler(context: context)
    let fresh = (0..<6000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    _ = fresh.prefix(3000).withUnsafeBytes {
        second.insert(offset: 0, data: $0, policy: .bsd, inline: false, events: &events)
    }
    #expect(context.segmentListPool.isEmpty)
    #expect(context.statistics.reassemblyMemuse == 4096 + UInt64(StreamSettings.bytesPerSegment))
    _ = fresh.suffix(3000).withUnsafeBytes {
        second.insert(offset: 3000, data: $0, policy: .bsd, inline: false, events: &events)
    }
    #expect(context.statistics.reassemblyMemuse == charged + UInt64(StreamSettings.bytesPerSegment))
    #expect(context.pooledBufferBytes == 4096)
    // The reused buffer holds the new stream's bytes, not the released one's.
    #expect(second.contiguousBytes(from: 0, to: 6000).map { Array($0) } == fresh)
    #expect(events.isEmpty)
    second.releaseAll()
    #expect(context.statistics.reassemblyMemuse == 0)
    #expect(context.pooledBufferBytes == 12_288)
}
