// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import WeirFlow

/// One flow of a kernel flow table, with what the kernel counted for it.
public struct BypassEntry: Sendable {
    /// The flow (normalised: `first` is the kernel's endpoint "a").
    public var key: FlowKey
    /// What the kernel does with the flow's packets.
    public var action: BypassAction
    /// Packets and bytes the kernel handled from `first` to `second`.
    public var packetsFirstToSecond: UInt64
    public var bytesFirstToSecond: UInt64
    /// Packets and bytes the kernel handled from `second` to `first`.
    public var packetsSecondToFirst: UInt64
    public var bytesSecondToFirst: UInt64
    /// When the kernel last saw the flow (or when it was inserted), CLOCK_MONOTONIC nanoseconds.
    public var lastSeenNanoseconds: UInt64
    /// When user space inserted the flow, CLOCK_MONOTONIC nanoseconds.
    public var insertedNanoseconds: UInt64
    /// A TCP FIN / RST of the flow was seen by the kernel.
    public var finSeen: Bool
    public var rstSeen: Bool

    init(key: FlowKey, value: weir_flow_value) {
        self.key = key
        self.action = BypassAction(rawValue: value.action) ?? .none
        self.packetsFirstToSecond = value.packets.0
        self.packetsSecondToFirst = value.packets.1
        self.bytesFirstToSecond = value.bytes.0
        self.bytesSecondToFirst = value.bytes.1
        self.lastSeenNanoseconds = value.last_seen_ns
        self.insertedNanoseconds = value.inserted_ns
        self.finSeen = value.flags & UInt32(WEIR_FLOW_F_FIN_SEEN) != 0
        self.rstSeen = value.flags & UInt32(WEIR_FLOW_F_RST_SEEN) != 0
    }
}

/// The user-space side of the kernel flow tables: insert and remove flows by ``FlowKey``, read their
/// counters, and expire idle ones.
///
/// LRU evictions happen inside the kernel and are not reported to user space; what can be measured is
/// counted here (inserts, failed inserts, removals, expiries) and ``estimatedEvictions(present:)`` derives
/// the evictions from them and the current occupancy, valid for one process's own inserts.
public final class BypassTable {
    let flowsV4: BPFMap<weir_flow_key_v4, weir_flow_value>
    let flowsV6: BPFMap<weir_flow_key_v6, weir_flow_value>
    let filter: BPFMap<UInt32, weir_filter_slot>?
    let filterBits: UInt32

    /// Successful inserts by this process.
    public private(set) var inserted: UInt64 = 0
    /// Inserts the kernel refused (E2BIG on a full non-LRU table, ENOMEM, …).
    public private(set) var insertFailures: UInt64 = 0
    /// Inserts refused because the kernel parser could never match the key.
    public private(set) var unbypassable: UInt64 = 0
    /// Flows this process removed (explicitly or by a sweep).
    public private(set) var removed: UInt64 = 0

    /// A table over the given maps (from a ``BypassDataPlane`` or opened from pins). `filterBits` 0 means
    /// the kernel does not consult the prefilter.
    public init(
        flowsV4: BPFMap<weir_flow_key_v4, weir_flow_value>,
        flowsV6: BPFMap<weir_flow_key_v6, weir_flow_value>,
        filter: BPFMap<UInt32, weir_filter_slot>?,
        filterBits: UInt32
    ) {
        self.flowsV4 = flowsV4
        self.flowsV6 = flowsV6
        self.filter = filterBits == 0 ? nil : filter
        self.filterBits = filterBits
    }

    /// Opens the flow tables pinned in `directory` (the prefilter's size comes from the pinned weir_info).
    public convenience init(pinDirectory directory: String) throws(BPFError) {
        let info: BPFMap<UInt32, weir_info> = try .pinned(at: "\(directory)/\(WEIR_MAP_INFO)", name: WEIR_MAP_INFO)
        guard let recorded = info.lookup(0), recorded.abi_version == UInt32(WEIR_ABI_VERSION) else {
            throw BPFError(
                .incompatiblePin,
                call: "open \(directory)",
                message: "pins were made by another ABI version than \(WEIR_ABI_VERSION)"
            )
        }
        self.init(
            flowsV4: try BPFMap.pinned(at: "\(directory)/\(WEIR_MAP_FLOWS_V4)", name: WEIR_MAP_FLOWS_V4),
            flowsV6: try BPFMap.pinned(at: "\(directory)/\(WEIR_MAP_FLOWS_V6)", name: WEIR_MAP_FLOWS_V6),
            filter: try BPFMap.pinned(at: "\(directory)/\(WEIR_MAP_FILTER)", name: WEIR_MAP_FILTER),
            filterBits: recorded.filter_bits
        )
    }

    /// The prefilter bucket of a key: the same C function the kernel runs (weir_abi.h).
    func filterBucket(_ abi: ABIFlowKey) -> UInt32? {
        guard self.filterBits > 0 else { return nil }
        let hash: UInt32
        switch abi {
        case .v4(var k): hash = weir_filter_hash_v4(&k)
        case .v6(var k): hash = weir_filter_hash_v6(&k)
        }
        return hash >> (32 - self.filterBits)
    }

    /// Adds `delta` (+1 or -1) to a key's prefilter bucket; 255 is sticky, 0 never goes below.
    func adjustFilter(_ abi: ABIFlowKey, by delta: Int) throws(BPFError) {
        guard let filter = self.filter, let bucket = self.filterBucket(abi) else { return }
        let element = bucket / UInt32(WEIR_FILTER_SLOT_BUCKETS)
        let index = Int(bucket % UInt32(WEIR_FILTER_SLOT_BUCKETS))
        guard var slot = filter.lookup(element) else { return }
        withUnsafeMutableBytes(of: &slot.counts) { counts in
            let current = counts[index]
            if current == 255 { return }
            if delta > 0 { counts[index] = current + 1 } else if current > 0 { counts[index] = current - 1 }
        }
        try filter.update(element, slot)
    }

    /// Recomputes the prefilter from the tables' contents, dropping counts left by kernel evictions.
    public func rebuildFilter() throws(BPFError) {
        guard let filter = self.filter else { return }
        let slots = Int(filter.info.max_entries)
        var counts = [UInt8](repeating: 0, count: slots * Int(WEIR_FILTER_SLOT_BUCKETS))
        let keys = self.flowsV4.keys().map { ABIFlowKey.v4($0) } + self.flowsV6.keys().map { ABIFlowKey.v6($0) }
        for key in keys {
            if let bucket = self.filterBucket(key), Int(bucket) < counts.count, counts[Int(bucket)] < 255 {
                counts[Int(bucket)] += 1
            }
        }
        for element in 0..<slots {
            var slot = weir_filter_slot()
            withUnsafeMutableBytes(of: &slot.counts) { buffer in
                for i in 0..<Int(WEIR_FILTER_SLOT_BUCKETS) {
                    buffer[i] = counts[element * Int(WEIR_FILTER_SLOT_BUCKETS) + i]
                }
            }
            try filter.update(UInt32(element), slot)
        }
    }

    /// Puts a flow into the kernel with zeroed counters.
    ///
    /// - Throws: `.unsupported` when the kernel could never match the key (see `FlowKey.abiKey`), or the
    ///   map update's error; both are counted.
    public func insert(_ key: FlowKey, action: BypassAction, now: UInt64 = monotonicNanoseconds()) throws(BPFError) {
        guard let abi = key.abiKey else {
            self.unbypassable += 1
            throw BPFError(.unsupported, call: "bypass insert", message: "the kernel cannot match this flow")
        }
        var value = weir_flow_value()
        value.action = action.rawValue
        value.inserted_ns = now
        value.last_seen_ns = now
        do {
            // The bucket goes up before the entry exists, so the kernel never skips a present flow.
            if self.entry(for: abi) == nil { try self.adjustFilter(abi, by: 1) }
            switch abi {
            case .v4(let k): try self.flowsV4.update(k, value)
            case .v6(let k): try self.flowsV6.update(k, value)
            }
        } catch {
            self.insertFailures += 1
            throw error
        }
        self.inserted += 1
    }

    /// Removes a flow; returns its last counters, or nil when it was not in the table.
    @discardableResult
    public func remove(_ key: FlowKey) throws(BPFError) -> BypassEntry? {
        guard let abi = key.abiKey else { return nil }
        let entry = self.entry(for: abi)
        let deleted: Bool
        switch abi {
        case .v4(let k): deleted = try self.flowsV4.delete(k)
        case .v6(let k): deleted = try self.flowsV6.delete(k)
        }
        if deleted {
            self.removed += 1
            try self.adjustFilter(abi, by: -1)
        }
        return deleted ? entry : nil
    }

    /// The flow's entry, or nil when absent (or evicted).
    public func entry(for key: FlowKey) -> BypassEntry? {
        key.abiKey.flatMap { self.entry(for: $0) }
    }

    func entry(for abi: ABIFlowKey) -> BypassEntry? {
        switch abi {
        case .v4(let k): return self.flowsV4.lookup(k).map { BypassEntry(key: FlowKey(abi: k), value: $0) }
        case .v6(let k): return self.flowsV6.lookup(k).map { BypassEntry(key: FlowKey(abi: k), value: $0) }
        }
    }

    /// Every flow in both tables (a snapshot).
    public func entries() -> [BypassEntry] {
        self.flowsV4.entries().map { BypassEntry(key: FlowKey(abi: $0.key), value: $0.value) }
            + self.flowsV6.entries().map { BypassEntry(key: FlowKey(abi: $0.key), value: $0.value) }
    }

    /// Removes every flow idle for longer than `idle` nanoseconds and returns their final counters.
    ///
    /// The prefilter is rebuilt afterwards when `rebuildFilter` is set, which also clears the counts that
    /// kernel-side evictions left behind. With several writers (a daemon and `weir bypass add`) a rebuild
    /// racing an insert can under-count one bucket; the kernel then skips that flow and user space keeps
    /// inspecting it (never the reverse: no flow becomes blind by mistake).
    public func sweep(
        idleLongerThan idle: UInt64,
        now: UInt64 = monotonicNanoseconds(),
        rebuildFilter: Bool = true
    ) throws(BPFError) -> [BypassEntry] {
        var expired: [BypassEntry] = []
        for entry in self.entries() where now > entry.lastSeenNanoseconds && now - entry.lastSeenNanoseconds > idle {
            if let last = try self.remove(entry.key) { expired.append(last) }
        }
        if rebuildFilter { try self.rebuildFilter() }
        return expired
    }

    /// Removes every flow; returns how many were removed.
    @discardableResult
    public func flush() throws(BPFError) -> Int {
        var count = 0
        for key in self.flowsV4.keys() where try self.flowsV4.delete(key) { count += 1 }
        for key in self.flowsV6.keys() where try self.flowsV6.delete(key) { count += 1 }
        self.removed += UInt64(count)
        try self.rebuildFilter()
        return count
    }

    /// Inserts this process made that are neither present nor removed: evicted by the kernel's LRU (or
    /// expired in the kernel by `flow_idle_timeout_ns`). Only meaningful when this process is the only writer.
    public func estimatedEvictions(present: Int) -> UInt64 {
        let accounted = self.removed + UInt64(present)
        return self.inserted > accounted ? self.inserted - accounted : 0
    }
}
