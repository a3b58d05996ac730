// SPDX-License-Identifier: MIT
import WeirCore
import WeirDecode
import WeirFlow

/// Frames held in memory for a benchmark: one buffer, with each frame's place and capture time.
public final class BenchFrames {
    /// All frame bytes back to back.
    public private(set) var bytes: [UInt8] = []
    /// (offset in ``bytes``, length, timestamp in microseconds) per frame.
    public private(set) var index: [(offset: Int, length: Int, time: Int64)] = []
    /// Sum of TCP payload bytes the generator wrote (0 for frames loaded from a file).
    public private(set) var payloadBytes = 0

    /// An empty set of frames.
    public init() {}

    /// Appends one frame.
    public func append(_ frame: UnsafeRawBufferPointer, time: Int64) {
        self.index.append((self.bytes.count, frame.count, time))
        self.bytes.append(contentsOf: frame)
    }

    /// Reserves room for `bytes` bytes and `frames` frames.
    public func reserve(bytes: Int, frames: Int) {
        self.bytes.reserveCapacity(bytes)
        self.index.reserveCapacity(frames)
    }

    /// Total frame bytes.
    public var totalBytes: Int { self.bytes.count }

    /// Generates TCP-heavy traffic as Ethernet/IPv4/TCP frames: `concurrent` interleaved sessions, each a
    /// handshake, a short request, a response of `perSession` bytes in 1460-byte segments (every `reorderEvery`th
    /// pair of segments swapped), an ACK after every two segments and a FIN close; sessions are added until
    /// at least `totalPayload` response bytes exist. Deterministic.
    public static func generate(totalPayload: Int, perSession: Int = 262_144, concurrent: Int = 512, reorderEvery: Int = 20)
        -> BenchFrames
    {
        let frames = BenchFrames()
        let sessions = max(1, (totalPayload + perSession - 1) / perSession)
        frames.reserve(bytes: sessions * perSession * 110 / 100 + 1 << 20, frames: sessions * (perSession / 1460 * 3 / 2 + 16))
        // The bytes at stream offset o of session s are pattern[(o + 97 s) % 65536]: retransmitted and reordered
        // data stays consistent.
        var pattern = [UInt8](repeating: 0, count: 65_536 + 2048)
        var x: UInt32 = 0x1234_5678
        for i in 0..<pattern.count {
            x = x &* 1_103_515_245 &+ 12_345
            pattern[i] = UInt8(truncatingIfNeeded: x >> 16)
        }
        var state = [GeneratedSession]()
        var next = 0
        var time: Int64 = 1_700_000_000_000_000
        var frame = [UInt8](repeating: 0, count: 1600)
        var active: [Int] = []
        func emit(_ s: GeneratedSession, toServer: Bool, flags: UInt8, seq: UInt32, ack: UInt32, payload: Range<Int>?) {
            let length = payload.map { $0.count } ?? 0
            frame.withUnsafeMutableBytes { f in
                BenchFrames.writeHeaders(f, s, toServer: toServer, flags: flags, seq: seq, ack: ack, payloadLength: length)
                if let payload {
                    let start = (payload.lowerBound + s.salt) & 65_535
                    for i in 0..<length { f[54 + i] = pattern[start + i] }
                }
                frames.append(UnsafeRawBufferPointer(rebasing: f[0..<(54 + length)]), time: time)
            }
            time += 10
        }
        while next < sessions || !active.isEmpty {
            while active.count < concurrent && next < sessions {
                let s = GeneratedSession(id: next, length: perSession)
                state.append(s)
                active.append(next)
                next += 1
                emit(s, toServer: true, flags: 0x02, seq: s.cisn, ack: 0, payload: nil)
                emit(s, toServer: false, flags: 0x12, seq: s.sisn, ack: s.cisn &+ 1, payload: nil)
                emit(s, toServer: true, flags: 0x10, seq: s.cisn &+ 1, ack: s.sisn &+ 1, payload: nil)
                emit(s, toServer: true, flags: 0x18, seq: s.cisn &+ 1, ack: s.sisn &+ 1, payload: 0..<200)
            }
            var i = 0
            while i < active.count {
                var s = state[active[i]]
                let clientEnd = s.cisn &+ 201
                if s.sent < s.length {
                    let a = s.sent..<min(s.length, s.sent + 1460)
                    let b = a.upperBound..<min(s.length, a.upperBound + 1460)
                    let swap = s.burst % reorderEvery == reorderEvery - 1 && !b.isEmpty
                    let first = swap ? b : a
                    let second = swap ? a : b
                    emit(s, toServer: false, flags: 0x10, seq: s.sisn &+ 1 &+ UInt32(first.lowerBound), ack: clientEnd, payload: first)
                    if !second.isEmpty {
                        emit(s, toServer: false, flags: 0x10, seq: s.sisn &+ 1 &+ UInt32(second.lowerBound), ack: clientEnd, payload: second)
                    }
                    s.sent = max(a.upperBound, b.upperBound)
                    s.burst += 1
                    frames.payloadBytes += a.count + b.count
                    emit(s, toServer: true, flags: 0x10, seq: clientEnd, ack: s.sisn &+ 1 &+ UInt32(s.sent), payload: nil)
                    state[active[i]] = s
                    i += 1
                } else {
                    let serverEnd = s.sisn &+ 1 &+ UInt32(s.length)
                    emit(s, toServer: false, flags: 0x11, seq: serverEnd, ack: clientEnd, payload: nil)
                    emit(s, toServer: true, flags: 0x11, seq: clientEnd, ack: serverEnd &+ 1, payload: nil)
                    emit(s, toServer: false, flags: 0x10, seq: serverEnd &+ 1, ack: clientEnd &+ 1, payload: nil)
                    active.remove(at: i)
                }
            }
        }
        return frames
    }

    private static func writeHeaders(
        _ f: UnsafeMutableRawBufferPointer, _ s: GeneratedSession, toServer: Bool, flags: UInt8, seq: UInt32,
        ack: UInt32, payloadLength: Int
    ) {
        func put16(_ at: Int, _ v: UInt16) { f.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt16.self) }
        func put32(_ at: Int, _ v: UInt32) { f.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt32.self) }
        for i in 0..<12 { f[i] = UInt8(i) }
        put16(12, 0x0800)
        f[14] = 0x45
        f[15] = 0
        put16(16, UInt16(40 + payloadLength))
        put32(18, 0x4000)  // id 0, DF
        f[22] = 64
        f[23] = 6
        put16(24, 0)
        let client: UInt32 = 0x0A00_0000 | UInt32(s.id & 0xFFFF)
        let server: UInt32 = 0xC0A8_0001
        let cport = UInt16(10_000 + (s.id >> 16) & 0x7FFF)
        put32(26, toServer ? client : server)
        put32(30, toServer ? server : client)
        put16(34, toServer ? cport : 80)
        put16(36, toServer ? 80 : cport)
        put32(38, seq)
        put32(42, ack)
        f[46] = 0x50
        f[47] = flags
        put16(48, 65_535)
        put32(50, 0)
    }
}

private struct GeneratedSession {
    var id: Int
    var length: Int
    var cisn: UInt32
    var sisn: UInt32
    var salt: Int
    var sent = 0
    var burst = 0
    init(id: Int, length: Int) {
        self.id = id
        self.length = length
        // ISNs spread over the whole space, some close to the wrap.
        self.cisn = UInt32(truncatingIfNeeded: UInt64(id) &* 0x9E37_79B9)
        self.sisn = UInt32.max &- UInt32(truncatingIfNeeded: id &* 4099)
        self.salt = id &* 97
    }
}

/// A minimal Ethernet/IPv4/TCP decoder for the stream benchmark, standing in for `PacketDecoder` (which lives on
/// another branch): the same per-packet work in both benchmark modes, so the ratio isolates the stream engine.
public enum BenchDecoder {
    /// Fills `p` from an Ethernet frame; false when the frame is not IPv4/TCP.
    @inlinable
    public static func decode(_ f: UnsafeRawBufferPointer, into p: inout Packet) -> Bool {
        p = Packet()
        var at = 14
        guard f.count >= 54 else { return false }
        var type = UInt16(f[12]) << 8 | UInt16(f[13])
        if type == 0x8100 {
            type = UInt16(f[16]) << 8 | UInt16(f[17])
            at = 18
        }
        guard type == 0x0800, f.count >= at + 40, f[at] >> 4 == 4 else { return false }
        let ihl = Int(f[at] & 0x0F) * 4
        let total = Int(f[at + 2]) << 8 | Int(f[at + 3])
        p.ipVersion = 4
        p.l3Offset = at
        p.ipHeaderLength = ihl
        p.ipTotalLength = total
        p.ttl = f[at + 8]
        p.l4Protocol = f[at + 9]
        p.source = IPAddress(v4: UInt32(bigEndian: f.loadUnaligned(fromByteOffset: at + 12, as: UInt32.self)))
        p.destination = IPAddress(v4: UInt32(bigEndian: f.loadUnaligned(fromByteOffset: at + 16, as: UInt32.self)))
        let t = at + ihl
        guard p.l4Protocol == 6, f.count >= t + 20 else { return true }
        p.l4Offset = t
        p.hasL4 = true
        p.sourcePort = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: t, as: UInt16.self))
        p.destinationPort = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: t + 2, as: UInt16.self))
        p.tcpSequence = UInt32(bigEndian: f.loadUnaligned(fromByteOffset: t + 4, as: UInt32.self))
        p.tcpAcknowledgement = UInt32(bigEndian: f.loadUnaligned(fromByteOffset: t + 8, as: UInt32.self))
        let thl = Int(f[t + 12] >> 4) * 4
        p.tcpHeaderLength = thl
        p.tcpFlags = f[t + 13]
        p.tcpWindow = UInt16(bigEndian: f.loadUnaligned(fromByteOffset: t + 14, as: UInt16.self))
        var o = t + 20
        while o < t + thl && o < f.count {
            let kind = f[o]
            if kind == 0 { break }
            if kind == 1 {
                o += 1
                continue
            }
            guard o + 1 < f.count else { break }
            let len = Int(f[o + 1])
            if len < 2 { break }
            if kind == 3 && len == 3 && o + 2 < f.count { p.tcpOptions.windowScale = f[o + 2] }
            if kind == 8 && len == 10 && o + 9 < f.count {
                p.tcpOptions.timestampValue = UInt32(bigEndian: f.loadUnaligned(fromByteOffset: o + 2, as: UInt32.self))
            }
            o += len
        }
        p.payloadOffset = t + thl
        p.payloadLength = max(0, min(f.count, at + total) - (t + thl))
        p.captureLength = f.count
        p.wireLength = f.count
        return true
    }
}

/// One timed pass of the benchmark loop.
public struct StreamBenchPass: Sendable {
    /// Wall time of the pass, seconds.
    public var seconds: Double
    /// Frames fed to the pipeline.
    public var packets: Int
    /// Raw-stream bytes handed to inspection (0 with the stream engine off).
    public var inspectedBytes: Int
    /// TCP sessions the engine created.
    public var sessions: UInt64
    /// The stream engine's counters after the pass.
    public var statistics: StreamStatistics
}

/// The per-packet pipeline the stream benchmark times: decode → flow lookup → (optionally) stream engine, with
/// the raw-stream chunks touched as detection would read them.
public enum StreamBenchmark {
    /// Runs every frame `source` yields through the pipeline once; `clock` returns monotonic seconds.
    ///
    /// - Parameters:
    ///   - source: Calls its argument with each frame and its capture time (µs), in capture order.
    ///   - withStream: Run the stream engine (on) or stop after the flow lookup (off).
    ///   - scanPayload: In both modes, read every packet payload once, word by word, standing in for the
    ///     packet-payload pass detection makes whether or not streams are reassembled.
    public static func run(
        source: ((UnsafeRawBufferPointer, Int64) -> Void) -> Void, withStream: Bool, scanPayload: Bool,
        settings: StreamSettings, clock: () -> Double
    ) -> StreamBenchPass {
        var table = FlowTable(settings: FlowSettings(maxFlows: 1 << 20, hashSize: 1 << 16, midstream: settings.midstream))
        let engine = StreamEngine(settings: settings)
        var packet = Packet()
        var inspected = 0
        var checksum: UInt64 = 0
        var packets = 0
        let start = clock()
        source { frame, time in
            packets += 1
            guard BenchDecoder.decode(frame, into: &packet) else { return }
            packet.timestamp = Timestamp(microseconds: time)
            guard let handle = table.process(packet, emit: { _, _ in }) else { return }
            if scanPayload && packet.payloadLength > 0 {
                checksum &+= Self.scan(UnsafeRawBufferPointer(rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)]))
            }
            if withStream && packet.isTCP {
                let flowID = table[handle.slot].flowID
                let result = engine.handle(packet, flow: handle, flowID: flowID, frame: frame)
                if result.rawChunkCount > 0 {
                    for chunk in engine.rawChunks {
                        inspected += chunk.block.length
                        if let first = chunk.block.bytes.first { checksum &+= UInt64(first) }
                    }
                }
            }
        }
        if withStream {
            // Flow end: the final flush of every session, as the flow manager triggers it.
            table.flush { _, _ in }
            for slot in 0..<engine.slotCount where engine.hasSession(slot: slot) {
                engine.endFlow(slot: slot) { session in
                    for chunk in session.rawChunks { inspected += chunk.block.length }
                }
            }
        }
        let elapsed = clock() - start
        if checksum == 0x5EED_5EED { inspected += 1 }  // keeps the touched bytes observable
        return StreamBenchPass(
            seconds: elapsed, packets: packets, inspectedBytes: inspected, sessions: engine.statistics.sessions,
            statistics: engine.statistics)
    }

    /// Reads every byte of `bytes` (8 at a time).
    @inline(never)
    static func scan(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var sum: UInt64 = 0
        var i = 0
        while i + 8 <= bytes.count {
            sum = sum &+ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            sum = sum &+ UInt64(bytes[i])
            i += 1
        }
        return sum
    }

    /// Runs every frame of `frames` through the pipeline (see ``run(source:withStream:scanPayload:settings:clock:)``).
    public static func run(
        _ frames: BenchFrames, withStream: Bool, scanPayload: Bool, settings: StreamSettings, clock: () -> Double
    ) -> StreamBenchPass {
        frames.bytes.withUnsafeBytes { all in
            Self.run(
                source: { body in
                    for entry in frames.index {
                        body(UnsafeRawBufferPointer(rebasing: all[entry.offset..<(entry.offset + entry.length)]), entry.time)
                    }
                }, withStream: withStream, scanPayload: scanPayload, settings: settings, clock: clock)
        }
    }
}
