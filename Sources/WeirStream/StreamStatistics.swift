// SPDX-License-Identifier: MIT

/// Stream-engine counters, printed under `tcp.*` in EVE stats with Suricata's names.
public struct StreamStatistics: Sendable, Equatable {
    /// Sessions created (`tcp.sessions`).
    public var sessions: UInt64 = 0
    /// Sessions not created because `stream.memcap` was reached (`tcp.ssn_memcap_drop`).
    public var sessionMemcapDrops: UInt64 = 0
    /// Packets skipped because their TCP checksum is invalid (`tcp.invalid_checksum`).
    public var invalidChecksum: UInt64 = 0
    /// Sessions picked up without a handshake (`tcp.midstream_pickups`).
    public var midstreamPickups: UInt64 = 0
    /// TCP packets with no session to belong to (`tcp.no_flow`-like: not tracked).
    public var packetsWithoutSession: UInt64 = 0
    /// Segments (or their data) dropped because `stream.reassembly.memcap` was reached (`tcp.segment_memcap_drop`).
    public var segmentMemcapDrops: UInt64 = 0
    /// Directions that reached `stream.reassembly.depth` (`tcp.stream_depth_reached`).
    public var depthReached: UInt64 = 0
    /// Gaps (data ACKed but never seen) skipped by reassembly (`tcp.reassembly_gap`).
    public var reassemblyGaps: UInt64 = 0
    /// Segments that overlapped stored data (`tcp.overlap`).
    public var overlaps: UInt64 = 0
    /// Overlaps whose bytes differed (`tcp.overlap_diff_data`).
    public var overlapsWithDifferentData: UInt64 = 0
    /// Retransmitted segments (`tcp.pkt_retransmission`-style count of ``StreamEvent/pktRetransmission``).
    public var retransmissions: UInt64 = 0
    /// Current and peak reassembly-buffer bytes (`tcp.reassembly_memuse`).
    public var reassemblyMemuse: UInt64 = 0
    /// Highest ``reassemblyMemuse`` seen.
    public var reassemblyMemusePeak: UInt64 = 0
    /// Current session and segment-record bytes (`tcp.memuse`).
    public var memuse: UInt64 = 0
    /// Segments stored for reassembly.
    public var segmentsStored: UInt64 = 0
    /// Stream events raised, indexed by ``StreamEvent`` raw value.
    public var events: [UInt64] = [UInt64](repeating: 0, count: StreamEvent.allCases.count)

    /// All counters at zero.
    public init() {}

    /// The counters as (dotted stats name, value) pairs. Events are named as Suricata's stats name them
    /// (`stream.<name>`, with `stats.stream-events: true`); retransmissions are the `stream.pkt_retransmission`
    /// event's count, so they have no second name.
    public var namedValues: [(String, UInt64)] {
        var out: [(String, UInt64)] = [
            ("tcp.sessions", self.sessions), ("tcp.ssn_memcap_drop", self.sessionMemcapDrops),
            ("tcp.invalid_checksum", self.invalidChecksum), ("tcp.midstream_pickups", self.midstreamPickups),
            ("tcp.segment_memcap_drop", self.segmentMemcapDrops), ("tcp.stream_depth_reached", self.depthReached),
            ("tcp.reassembly_gap", self.reassemblyGaps), ("tcp.overlap", self.overlaps),
            ("tcp.overlap_diff_data", self.overlapsWithDifferentData),
            ("tcp.memuse", self.memuse), ("tcp.reassembly_memuse", self.reassemblyMemuse),
        ]
        for event in StreamEvent.allCases { out.append((event.statsName, self.events[Int(event.rawValue)])) }
        return out
    }
}

extension StreamEvent {
    /// The event's counter in Suricata's stats: `stream.<name>`, where two events have shorter names than
    /// their rule keywords (`…_with_diff_ack`).
    public var statsName: String {
        switch self {
        case .threeWaySynackResendWithDifferentAck: return "stream.3whs_synack_resend_with_diff_ack"
        case .estSynackResendWithDifferentAck: return "stream.est_synack_resend_with_diff_ack"
        default: return "stream." + self.name
        }
    }
}

/// State shared by every session of one stream engine: settings, counters and memcap accounting.
///
/// One instance per packet-processing thread; not thread-safe (like Suricata's per-thread stream context, but
/// the memcaps here are per engine, not global across threads).
public final class StreamContext {
    /// The settings every session of this engine uses.
    public let settings: StreamSettings
    /// Counters.
    @exclusivity(unchecked) public var statistics = StreamStatistics()
    /// Scratch space for overlap resolution: one segment's worth of bytes, reused.
    @exclusivity(unchecked) @usableFromInline var scratch: UnsafeMutableRawBufferPointer

    /// The chunk lists handed out for the last packet of any session of this engine (one thread processes one
    /// packet at a time, so one set of lists serves every session and stays hot in cache).
    @exclusivity(unchecked) @usableFromInline var rawChunks: [RawStreamChunk] = []
    @exclusivity(unchecked) @usableFromInline var appLayerChunks: [AppLayerChunk] = []
    @exclusivity(unchecked) @usableFromInline var blockScratch: [StreamBlock] = []
    @exclusivity(unchecked) @usableFromInline var normalisedPayload: UnsafeRawBufferPointer? = nil
    /// A session that closed during the last call into the engine: its buffers are released at the next call into
    /// any session (its final chunks are valid until then).
    @exclusivity(unchecked) var closedSession: TCPSession? = nil

    /// A context for `settings`, with its 64 KiB overlap scratch buffer.
    public init(settings: StreamSettings = StreamSettings()) {
        self.settings = settings
        self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        self.rawChunks.reserveCapacity(16)
        self.appLayerChunks.reserveCapacity(16)
        self.blockScratch.reserveCapacity(16)
        // The pools' lists get their full size now (16 KiB of pointers), so they never reallocate while packets
        // flow.
        for index in self.bufferPool.indices {
            self.bufferPool[index].reserveCapacity(Self.pooledBufferLimit / (4096 << index))
        }
        self.segmentListPool.reserveCapacity(Self.pooledSegmentListLimit)
    }

    deinit {
        self.scratch.deallocate()
        for buffers in self.bufferPool { for buffer in buffers { buffer.deallocate() } }
    }

    // MARK: Buffer reuse

    /// Reassembly buffers of released streams, kept for new ones: index `k` holds buffers of `4096 << k` bytes
    /// (the only capacities ``TCPReassembler`` asks for). Without it every connection's buffers and their growth
    /// steps went through malloc and free. Pooled memory is not in use, so it is not charged to the memcaps.
    @exclusivity(unchecked) var bufferPool: [[UnsafeMutableRawPointer]] = Array(repeating: [], count: 5)
    /// Bytes held in ``bufferPool``, at most ``pooledBufferLimit``.
    @exclusivity(unchecked) var pooledBufferBytes = 0
    /// Upper bound of the memory kept in ``bufferPool``.
    static let pooledBufferLimit = 4 << 20
    /// Emptied segment lists of released streams, kept with their capacity for new ones.
    @exclusivity(unchecked) var segmentListPool: [[StoredSegment]] = []
    /// Upper bound of the lists kept in ``segmentListPool``.
    static let pooledSegmentListLimit = 256

    /// The pool index for a buffer of `capacity` bytes, or `nil` when such buffers are not pooled.
    private static func poolIndex(_ capacity: Int) -> Int? {
        guard capacity >= 4096, capacity <= 65_536, capacity & (capacity - 1) == 0 else { return nil }
        return (capacity >> 12).trailingZeroBitCount
    }

    /// A reassembly buffer of `capacity` bytes: a pooled one if there is one, else a new one.
    func takeBuffer(capacity: Int) -> UnsafeMutableRawPointer {
        if let index = Self.poolIndex(capacity), let buffer = self.bufferPool[index].popLast() {
            self.pooledBufferBytes -= capacity
            return buffer
        }
        return UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    /// Gives back a buffer from ``takeBuffer(capacity:)``: pooled while the pool has room, else freed.
    func recycleBuffer(_ buffer: UnsafeMutableRawPointer, capacity: Int) {
        if let index = Self.poolIndex(capacity), self.pooledBufferBytes + capacity <= Self.pooledBufferLimit {
            self.bufferPool[index].append(buffer)
            self.pooledBufferBytes += capacity
        } else {
            buffer.deallocate()
        }
    }

    /// Fills an empty segment list with a pooled one's storage (or room for 32 segments), so a new stream's list
    /// does not grow one reallocation at a time.
    func takeSegmentList(into list: inout [StoredSegment]) {
        if let pooled = self.segmentListPool.popLast() {
            list = pooled
        } else {
            list.reserveCapacity(32)
        }
    }

    /// Empties `list` and keeps its storage for ``takeSegmentList(into:)`` (up to ``pooledSegmentListLimit`` lists
    /// of modest size).
    func recycleSegmentList(_ list: inout [StoredSegment]) {
        guard list.capacity > 0 else { return }
        if self.segmentListPool.count < Self.pooledSegmentListLimit && list.capacity <= 1024 {
            list.removeAll(keepingCapacity: true)
            self.segmentListPool.append(list)
        }
        list = []
    }

    /// Reserves `bytes` of reassembly memory; false (and nothing reserved) when the memcap would be passed.
    @inlinable
    func reserveReassembly(_ bytes: Int) -> Bool {
        let cap = self.settings.reassemblyMemcap
        if cap > 0 && Int(self.statistics.reassemblyMemuse) + bytes > cap { return false }
        self.statistics.reassemblyMemuse += UInt64(bytes)
        if self.statistics.reassemblyMemuse > self.statistics.reassemblyMemusePeak {
            self.statistics.reassemblyMemusePeak = self.statistics.reassemblyMemuse
        }
        return true
    }

    @inlinable
    func releaseReassembly(_ bytes: Int) { self.statistics.reassemblyMemuse -= UInt64(bytes) }

    /// Reserves `bytes` of session memory (`stream.memcap`).
    @inlinable
    func reserveSession(_ bytes: Int) -> Bool {
        let cap = self.settings.memcap
        if cap > 0 && Int(self.statistics.memuse) + bytes > cap { return false }
        self.statistics.memuse += UInt64(bytes)
        return true
    }

    @inlinable
    func releaseSession(_ bytes: Int) { self.statistics.memuse -= UInt64(bytes) }

    /// Grows the scratch buffer to at least `bytes` (only for segments larger than 64 KiB, e.g. with TSO/GRO).
    @usableFromInline
    func ensureScratch(_ bytes: Int) {
        if self.scratch.count >= bytes { return }
        self.scratch.deallocate()
        self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 16)
    }
}
