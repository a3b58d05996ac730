// SPDX-License-Identifier: MIT
import WeirCore

/// One piece of reassembled stream data handed to detection or the app layer: bytes, or a gap of missing bytes.
///
/// `bytes` is a view into the session's reassembly buffer: valid until the next call into the same session.
public struct StreamBlock: Sendable {
    /// Offset in the direction's stream of the first byte (0 is the byte after the ISN).
    public var offset: UInt64
    /// Number of bytes, or of missing bytes for a gap.
    public var length: Int
    /// True for a gap: `length` bytes were never seen and are skipped.
    public var isGap: Bool
    /// The data (empty for a gap). Not owned: copy it to keep it.
    public nonisolated(unsafe) var bytes: UnsafeRawBufferPointer

    /// A block of `length` bytes at stream `offset`.
    public init(offset: UInt64, length: Int, isGap: Bool, bytes: UnsafeRawBufferPointer) {
        self.offset = offset
        self.length = length
        self.isGap = isGap
        self.bytes = bytes
    }

    /// The stream offset just past the block.
    @inlinable public var end: UInt64 { self.offset + UInt64(self.length) }
}

/// A stored segment's place in the stream: `[start, start + length)`.
@usableFromInline
struct StoredSegment: Sendable {
    @usableFromInline var start: UInt64
    @usableFromInline var length: UInt32
    @usableFromInline var end: UInt64 { self.start + UInt64(self.length) }
    @usableFromInline init(start: UInt64, length: UInt32) {
        self.start = start
        self.length = length
    }
}

/// What happened to a segment handed to ``TCPReassembler/insert(offset:data:policy:inline:events:)``.
public enum ReassemblyInsertOutcome: Sendable, Equatable {
    /// Stored; no stored data overlapped.
    case inserted
    /// Stored after resolving overlaps with stored data; `different` when overlapping bytes differed.
    case overlapped(different: Bool)
    /// Entirely before the data still kept (a retransmission of data already consumed): not stored.
    case beforeBase
    /// Beyond `stream.reassembly.depth`: not stored (or stored only up to the depth, see `depthReached`).
    case beyondDepth
    /// Not stored: `stream.reassembly.memcap` reached.
    case memcap
    /// No payload.
    case empty
}

/// Reassembly of one direction of a TCP session (Suricata's `stream-tcp-reassemble.c` + `stream-tcp-list.c`):
/// a sorted list of stored segments over one contiguous byte buffer indexed by stream offset.
///
/// Segments are kept until all consumers (raw-stream inspection, the app layer, and in inline mode the ACK
/// point) have moved past them; ``prune(upTo:)`` then drops them and slides the buffer. In-order data is
/// appended with one copy; out-of-order data is placed at its offset and holes stay holes until filled or
/// skipped as gaps. Overlaps are resolved per ``OverlapPolicy`` exactly where Suricata does: per stored segment
/// overlapped, by the overlap's shape, on the bytes that differ.
public final class TCPReassembler {
    // Every stored property below is set back to its initial value by `reset()`: a property added here must be
    // added there too (SessionPoolTests compares a reset reassembler with a fresh one property by property).
    @usableFromInline let context: StreamContext
    /// Reassembly buffer: `storage[i]` holds stream offset `bufferBase + i`.
    @exclusivity(unchecked) @usableFromInline var storage: UnsafeMutableRawPointer? = nil
    @exclusivity(unchecked) @usableFromInline var capacity: Int = 0
    @exclusivity(unchecked) @usableFromInline var bufferBase: UInt64 = 0
    /// Data before this offset has been dropped.
    @exclusivity(unchecked) public private(set) var baseOffset: UInt64 = 0
    /// Sorted by start, then length; entries before `head` are dead.
    @exclusivity(unchecked) @usableFromInline var segments: [StoredSegment] = []
    @exclusivity(unchecked) @usableFromInline var head: Int = 0
    /// The highest segment end stored.
    @exclusivity(unchecked) public private(set) var rightEdge: UInt64 = 0
    /// Data is present without holes in `[baseOffset, contiguousEnd)`.
    @exclusivity(unchecked) public private(set) var contiguousEnd: UInt64 = 0
    /// Length of the longest segment stored so far (bounds the backward overlap walk).
    @exclusivity(unchecked) @usableFromInline var longestSegment: UInt32 = 0
    /// True once `stream.reassembly.depth` was reached in this direction.
    @exclusivity(unchecked) public private(set) var depthReached = false
    /// Separate regions of data held now, and the most held at once (EVE `ts_max_regions` / `tc_max_regions`):
    /// Suricata's streaming buffer opens a region for data that lands more than `regionGap` past the data it
    /// holds, and the regions become one again once the holes between them fill.
    @exclusivity(unchecked) var regions: UInt16 = 1
    @exclusivity(unchecked) public private(set) var maxRegions: UInt16 = 1
    /// Suricata's `STREAMING_BUFFER_REGION_GAP_DEFAULT`.
    static let regionGap: UInt64 = 262_144

    /// An empty reassembler charging its memory to `context`.
    public init(context: StreamContext) { self.context = context }

    /// Makes the reassembler indistinguishable from a new one (``init(context:)``), for a session the engine
    /// keeps for another flow: its buffer and segment list go back to the context's pools and their memory to
    /// the memcaps (``releaseAll()``), so a pooled reassembler holds and is charged nothing; the next stream
    /// takes them from the pools again as a new reassembler would, with the same charges.
    ///
    /// Mirrors the initial values of the stored properties above, one line each.
    func reset() {
        self.releaseAll()  // storage = nil, capacity = 0, segments = [] (capacity to the pool), head = 0
        self.bufferBase = 0
        self.baseOffset = 0
        self.rightEdge = 0
        self.contiguousEnd = 0
        self.longestSegment = 0
        self.depthReached = false
        self.regions = 1
        self.maxRegions = 1
        self.lastNormalised = nil
    }

    deinit { self.releaseAll() }

    /// Number of segments currently stored.
    public var storedSegmentCount: Int { self.segments.count - self.head }

    /// Frees the buffer and segment records and returns their memory to the memcaps.
    public func releaseAll() {
        if let storage = self.storage {
            self.context.recycleBuffer(storage, capacity: self.capacity)
            self.context.releaseReassembly(self.capacity)
        }
        self.context.releaseReassembly((self.segments.count - self.head) * StreamSettings.bytesPerSegment)
        self.storage = nil
        self.capacity = 0
        self.context.recycleSegmentList(&self.segments)
        self.head = 0
    }

    /// Moves the start of the stream to `offset` before any data is stored (for a midstream pickup the first
    /// offset seen is not 0). Only valid while nothing is stored.
    public func resetBase(to offset: UInt64) {
        guard self.storedSegmentCount == 0 else { return }
        self.baseOffset = offset
        self.bufferBase = offset
        self.rightEdge = offset
        self.contiguousEnd = offset
    }

    // MARK: Insertion

    /// Stores `data` at stream `offset`, resolving overlaps with stored data.
    ///
    /// - Parameters:
    ///   - policy: applied to differing overlapped bytes in IDS mode.
    ///   - inline: IPS mode: data already stored always wins, and the caller must treat the packet's payload as
    ///     rewritten to ``normalisedPayload`` when the outcome is `.overlapped(different: true)`.
    ///   - events: receives `reassembly_overlap_different_data`, `reassembly_segment_before_base_seq`,
    ///     `reassembly_depth_reached`, `reassembly_insert_memcap`.
    /// - Complexity: O(1) and one copy for in-order data; O(log n + overlapped segments) otherwise.
    public func insert(
        offset: UInt64, data: UnsafeRawBufferPointer, policy: OverlapPolicy, inline: Bool,
        events: inout StreamEventSet
    ) -> ReassemblyInsertOutcome {
        self.lastNormalised = nil
        guard data.count > 0, let base = data.baseAddress else { return .empty }
        let originalStart = offset
        let originalEnd = offset + UInt64(data.count)
        var start = offset
        var end = originalEnd
        let depth = self.context.settings.reassemblyDepth
        if depth > 0 && end > depth {
            if !self.depthReached {
                self.depthReached = true
                events.insert(.reassemblyDepthReached)
                self.context.statistics.depthReached += 1
            }
            if start >= depth { return .beyondDepth }
            end = depth
        }
        if end <= self.baseOffset {
            events.insert(.reassemblySegmentBeforeBaseSeq)
            return .beforeBase
        }
        if start < self.baseOffset { start = self.baseOffset }
        let skip = Int(start - offset)
        let length = Int(end - start)
        let source = base + skip
        guard self.ensureCapacity(end: end),
            self.context.reserveReassembly(StreamSettings.bytesPerSegment)
        else {
            events.insert(.reassemblyInsertMemcap)
            self.context.statistics.segmentMemcapDrops += 1
            return .memcap
        }
        guard let storage = self.storage else {
            self.context.releaseReassembly(StreamSettings.bytesPerSegment)
            return .memcap
        }
        let record = StoredSegment(start: start, length: UInt32(length))

        // Fast path: in-order (or beyond everything stored) with no overlap.
        // (`rightEdge`, not the last segment's end: a long segment sorted earlier can reach further.)
        if self.head == self.segments.count || self.rightEdge <= start {
            if start > self.rightEdge &+ Self.regionGap && self.head < self.segments.count {
                // Far past everything held: a region of its own.
                self.regions &+= 1
                if self.regions > self.maxRegions { self.maxRegions = self.regions }
            }
            (storage + Int(start - self.bufferBase)).copyMemory(from: source, byteCount: length)
            self.segments.append(record)
            self.didStore(record, at: self.segments.count - 1)
            return .inserted
        }

        // Insertion point: after every segment that sorts before or equal to (start, length).
        var low = self.head
        var high = self.segments.count
        while low < high {
            let mid = (low + high) >> 1
            let s = self.segments[mid]
            if s.start < start || (s.start == start && s.length <= record.length) { low = mid + 1 } else { high = mid }
        }
        let index = low
        let isDuplicate = index > self.head && self.segments[index - 1].start == start
            && self.segments[index - 1].length == record.length

        // Build the bytes to write in scratch: the new data, with stored bytes put back where policy keeps them.
        self.context.ensureScratch(length)
        guard let scratch = self.context.scratch.baseAddress else {
            self.context.releaseReassembly(StreamSettings.bytesPerSegment)
            return .memcap
        }
        scratch.copyMemory(from: source, byteCount: length)
        var overlapped = false
        var different = false
        // Backwards over every stored segment that can still reach our start. Suricata stops at the first one
        // that ends before it; a long segment sorted before a short retransmitted piece would then escape the
        // overlap check, so the walk goes on until no longer segment could reach (bounded by the longest one).
        var i = index - 1
        while i >= self.head {
            let s = self.segments[i]
            if s.start + UInt64(self.longestSegment) <= start { break }
            if s.end <= self.baseOffset || s.end <= start {
                i -= 1
                continue
            }
            overlapped = true
            if self.resolve(s, start: start, end: end, originalStart: originalStart, originalEnd: originalEnd,
                source: source, scratch: scratch, policy: policy, inline: inline)
            {
                different = true
            }
            i -= 1
        }
        // Forward: every stored segment starting before our end.
        i = index
        while i < self.segments.count {
            let s = self.segments[i]
            if s.start >= end { break }
            overlapped = true
            if self.resolve(s, start: start, end: end, originalStart: originalStart, originalEnd: originalEnd,
                source: source, scratch: scratch, policy: policy, inline: inline)
            {
                different = true
            }
            i += 1
        }
        (storage + Int(start - self.bufferBase)).copyMemory(from: UnsafeRawPointer(scratch), byteCount: length)
        if isDuplicate {
            self.context.releaseReassembly(StreamSettings.bytesPerSegment)
        } else {
            self.segments.insert(record, at: index)
            self.didStore(record, at: index)
        }
        if overlapped {
            self.context.statistics.overlaps += 1
            if different {
                self.context.statistics.overlapsWithDifferentData += 1
                events.insert(.reassemblyOverlapDifferentData)
                if inline { self.lastNormalised = (skip, UnsafeRawBufferPointer(start: scratch, count: length)) }
            }
            return .overlapped(different: different)
        }
        return .inserted
    }

    /// After an inline `.overlapped(different: true)`: the packet payload as it must be forwarded (the bytes
    /// already accepted), from payload byte `payloadOffset` on. Valid until the next insert on this engine.
    @exclusivity(unchecked) public private(set) var lastNormalised: (payloadOffset: Int, bytes: UnsafeRawBufferPointer)? = nil

    /// Compares the overlap of the new data with stored segment `s`, and keeps the stored bytes in `scratch`
    /// unless the policy prefers the new ones. Returns true when the bytes differ.
    @inline(__always)
    private func resolve(
        _ s: StoredSegment, start: UInt64, end: UInt64, originalStart: UInt64, originalEnd: UInt64,
        source: UnsafeRawPointer, scratch: UnsafeMutableRawPointer, policy: OverlapPolicy, inline: Bool
    ) -> Bool {
        guard let storage = self.storage else { return false }
        let lo = max(start, s.start, self.baseOffset)
        let hi = min(end, s.end)
        if hi <= lo { return false }
        let n = Int(hi - lo)
        let stored = UnsafeRawPointer(storage + Int(lo - self.bufferBase))
        let incoming = source + Int(lo - start)
        if memcmp(stored, incoming, n) == 0 { return false }
        let keepStored =
            inline
            || !policy.prefersNewData(newStart: originalStart, newEnd: originalEnd, oldStart: s.start, oldEnd: s.end)
        if keepStored { (scratch + Int(lo - start)).copyMemory(from: stored, byteCount: n) }
        return true
    }

    @inline(__always)
    private func memcmp(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
        var i = 0
        // Word-wise compare; segments are at most a few KiB so this stays cheap.
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            {
                return 1
            }
            i += 8
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return 1 }
            i += 1
        }
        return 0
    }

    private func didStore(_ record: StoredSegment, at index: Int) {
        self.context.statistics.segmentsStored += 1
        if record.length > self.longestSegment { self.longestSegment = record.length }
        if record.end > self.rightEdge { self.rightEdge = record.end }
        if record.start <= self.contiguousEnd && record.end > self.contiguousEnd {
            var end = record.end
            var i = index + 1
            while i < self.segments.count {
                let s = self.segments[i]
                if s.start > end { break }
                if s.end > end { end = s.end }
                i += 1
            }
            self.contiguousEnd = end
            // Every hole filled: the regions joined.
            if self.regions > 1 && end >= self.rightEdge { self.regions = 1 }
        }
    }

    /// Makes room in the buffer for stream offsets up to `end`, sliding or growing it.
    private func ensureCapacity(end: UInt64) -> Bool {
        if self.storage != nil && end - self.bufferBase <= UInt64(self.capacity) { return true }
        if self.storage != nil && self.baseOffset > self.bufferBase {
            self.slide()
            if end - self.bufferBase <= UInt64(self.capacity) { return true }
        }
        if self.storage == nil { self.bufferBase = self.baseOffset }
        let needed = Int(end - self.bufferBase)
        var newCapacity = max(self.capacity * 2, 4096)
        while newCapacity < needed { newCapacity *= 2 }
        guard self.context.reserveReassembly(newCapacity - self.capacity) else { return false }
        let fresh = self.context.takeBuffer(capacity: newCapacity)
        if let old = self.storage {
            let used = Int(self.rightEdge > self.bufferBase ? self.rightEdge - self.bufferBase : 0)
            fresh.copyMemory(from: old, byteCount: min(used, self.capacity))
            self.context.recycleBuffer(old, capacity: self.capacity)
        } else if self.segments.capacity == 0 {
            // A stream starting (or restarting after a release) to store: reuse a pooled segment list too.
            self.context.takeSegmentList(into: &self.segments)
        }
        self.storage = fresh
        self.capacity = newCapacity
        return true
    }

    /// Moves the kept data `[baseOffset, rightEdge)` to the front of the buffer.
    private func slide() {
        guard let storage = self.storage, self.baseOffset > self.bufferBase else { return }
        let shift = Int(self.baseOffset - self.bufferBase)
        let keep = self.rightEdge > self.baseOffset ? Int(self.rightEdge - self.baseOffset) : 0
        if keep > 0 { storage.copyMemory(from: UnsafeRawPointer(storage + shift), byteCount: keep) }
        self.bufferBase = self.baseOffset
    }

    // MARK: Reading

    /// Appends to `out` the data and gaps covering `[from, to)` (clamped to what is kept), merging adjacent
    /// stored segments into one block.
    public func blocks(from: UInt64, to: UInt64, into out: inout [StreamBlock]) {
        var cursor = max(from, self.baseOffset)
        guard to > cursor, let storage = self.storage else {
            if to > cursor { out.append(StreamBlock(offset: cursor, length: Int(to - cursor), isGap: true, bytes: .init(start: nil, count: 0))) }
            return
        }
        if to <= self.contiguousEnd {
            out.append(self.dataBlock(storage, cursor, to))
            return
        }
        var i = self.head
        while i < self.segments.count && cursor < to {
            let s = self.segments[i]
            i += 1
            if s.end <= cursor { continue }
            if s.start > cursor {
                let gapEnd = min(s.start, to)
                out.append(StreamBlock(offset: cursor, length: Int(gapEnd - cursor), isGap: true, bytes: .init(start: nil, count: 0)))
                cursor = gapEnd
                if cursor >= to { break }
            }
            let dataEnd = min(s.end, to)
            if let last = out.last, !last.isGap, last.end == cursor {
                out[out.count - 1] = self.dataBlock(storage, last.offset, dataEnd)
            } else {
                out.append(self.dataBlock(storage, cursor, dataEnd))
            }
            cursor = dataEnd
        }
        if cursor < to {
            out.append(StreamBlock(offset: cursor, length: Int(to - cursor), isGap: true, bytes: .init(start: nil, count: 0)))
        }
    }

    @inline(__always)
    private func dataBlock(_ storage: UnsafeMutableRawPointer, _ from: UInt64, _ to: UInt64) -> StreamBlock {
        let bytes = UnsafeRawBufferPointer(start: storage + Int(from - self.bufferBase), count: Int(to - from))
        return StreamBlock(offset: from, length: Int(to - from), isGap: false, bytes: bytes)
    }

    /// The maximal hole-free run of stored data that contains `[from, to)`, or `nil` when part of that range is
    /// missing.
    public func contiguousRun(containing from: UInt64, to: UInt64) -> (start: UInt64, end: UInt64)? {
        if from >= self.baseOffset && to <= self.contiguousEnd { return (self.baseOffset, self.contiguousEnd) }
        var runStart: UInt64 = 0
        var runEnd: UInt64 = 0
        var open = false
        var i = self.head
        while i < self.segments.count {
            let s = self.segments[i]
            i += 1
            let start = max(s.start, self.baseOffset)
            if s.end <= start { continue }
            if open && start <= runEnd {
                runEnd = max(runEnd, s.end)
                continue
            }
            if open && runStart <= from && to <= runEnd { return (runStart, runEnd) }
            if start > to { return nil }
            runStart = start
            runEnd = s.end
            open = true
        }
        if open && runStart <= from && to <= runEnd { return (runStart, runEnd) }
        return nil
    }

    /// A view of the buffer for `[from, to)`, which the caller knows to be stored (for example a range inside a
    /// ``contiguousRun(containing:to:)``); `nil` outside the kept range.
    public func storedBytes(from: UInt64, to: UInt64) -> UnsafeRawBufferPointer? {
        guard let storage = self.storage, from >= self.baseOffset, from >= self.bufferBase, to <= self.rightEdge,
            from <= to
        else { return nil }
        return UnsafeRawBufferPointer(start: storage + Int(from - self.bufferBase), count: Int(to - from))
    }

    /// The stored bytes for `[from, to)` when they are all present, else `nil`.
    public func contiguousBytes(from: UInt64, to: UInt64) -> UnsafeRawBufferPointer? {
        guard let storage = self.storage, from >= self.baseOffset, to <= self.contiguousEnd, from <= to else {
            return nil
        }
        return UnsafeRawBufferPointer(start: storage + Int(from - self.bufferBase), count: Int(to - from))
    }

    // MARK: Pruning

    /// Drops data before `offset` (every consumer is past it): removes whole segments before it and slides the
    /// buffer when more than half of it is dead. Skipping a hole here is how gaps are passed.
    public func prune(upTo offset: UInt64) {
        guard offset > self.baseOffset else { return }
        let newBase = min(offset, max(self.rightEdge, offset))
        self.baseOffset = newBase
        var released = 0
        while self.head < self.segments.count && self.segments[self.head].end <= newBase {
            self.head += 1
            released += 1
        }
        if released > 0 { self.context.releaseReassembly(released * StreamSettings.bytesPerSegment) }
        if self.head > 32 && self.head * 2 > self.segments.count {
            self.segments.removeFirst(self.head)
            self.head = 0
        }
        if self.contiguousEnd < newBase {
            // Passed a hole: recompute the contiguous run from the new base.
            var end = newBase
            var i = self.head
            while i < self.segments.count {
                let s = self.segments[i]
                if s.start > end { break }
                if s.end > end { end = s.end }
                i += 1
            }
            self.contiguousEnd = end
        }
        if self.rightEdge < newBase { self.rightEdge = newBase }
        if self.head == self.segments.count {
            // Nothing kept: restart the buffer at the new base for free.
            self.bufferBase = newBase
            if self.capacity > 262_144, let storage = self.storage {
                self.context.recycleBuffer(storage, capacity: self.capacity)
                self.context.releaseReassembly(self.capacity)
                self.storage = nil
                self.capacity = 0
            }
        } else if Int(newBase - self.bufferBase) * 2 > self.capacity {
            self.slide()
        }
    }
}
