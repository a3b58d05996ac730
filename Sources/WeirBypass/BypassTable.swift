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
    /// The inserting manager recorded that `second` is the flow's client; nil when it did not say.
    public var clientIsFirst: Bool?

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
        if value.flags & UInt32(WEIR_FLOW_F_CLIENT_IS_A) != 0 {
            self.clientIsFirst = true
        } else if value.flags & UInt32(WEIR_FLOW_F_CLIENT_IS_B) != 0 {
            self.clientIsFirst = false
        } else {
            self.clientIsFirst = nil
        }
    }

    /// When the kernel last saw a packet of the flow, or else when it was inserted (CLOCK_MONOTONIC ns).
    public var lastActivityNanoseconds: UInt64 { max(self.lastSeenNanoseconds, self.insertedNanoseconds) }
}

/// The user-space side of the kernel flow tables: insert and remove flows by ``FlowKey``, read their
/// counters, and expire idle ones.
///
/// Each table is an ARRAY of 2^`slotBits` slots that only user space writes (the kernel adds to counters
/// and stamps last-seen times). A flow lives in one of the `WEIR_FLOW_PROBE` slots after its home slot.
/// Inserting into a full window evicts its least recently seen flow: the table keeps the flows that are
/// active, like an LRU hash, but every eviction is seen and counted here. Writers in several processes
/// (a daemon and `weir bypass add`) take an exclusive `flock` on the pin directory around each change;
/// one ``BypassTable`` must not be used from two threads at once.
public final class BypassTable {
    let flowsV4: BPFMap<UInt32, weir_flow_slot_v4>
    let flowsV6: BPFMap<UInt32, weir_flow_slot_v6>
    /// log2 of each table's slot count.
    public let slotBits: UInt32
    /// The hash secret the programs were loaded with (recorded in weir_info).
    public let hashKey: weir_hash_key
    let lockDirectory: String?
    let batchLookups: Bool
    /// The bookkeeping all writers share (weir_tbl_stats); nil when the maps came without it.
    let shared: BPFMap<UInt32, weir_table_stats>?

    /// Successful inserts by this process.
    public private(set) var inserted: UInt64 = 0
    /// Inserts that found no slot (every slot of the flow's window was being rewritten, or a map update
    /// failed).
    public private(set) var insertFailures: UInt64 = 0
    /// Inserts refused because the kernel parser could never match the key.
    public private(set) var unbypassable: UInt64 = 0
    /// Flows this process removed (explicitly, by a sweep or by a flush).
    public private(set) var removed: UInt64 = 0
    /// Flows this process pushed out to make room for a new one (the least recently seen of a full window).
    public private(set) var evicted: UInt64 = 0

    /// A table over the given maps (from a ``BypassDataPlane`` or opened from pins). `lockDirectory` is
    /// the pin directory to lock around changes, nil for unpinned maps. `batchLookups` false reads the
    /// tables one slot at a time (kernels before 5.6). `shared` is the `weir_tbl_stats` map every writer
    /// adds its bookkeeping to.
    public init(
        flowsV4: BPFMap<UInt32, weir_flow_slot_v4>,
        flowsV6: BPFMap<UInt32, weir_flow_slot_v6>,
        slotBits: UInt32,
        hashKey: weir_hash_key,
        lockDirectory: String? = nil,
        batchLookups: Bool = true,
        shared: BPFMap<UInt32, weir_table_stats>? = nil
    ) {
        self.flowsV4 = flowsV4
        self.flowsV6 = flowsV6
        self.slotBits = slotBits
        self.hashKey = hashKey
        self.lockDirectory = lockDirectory
        self.batchLookups = batchLookups
        self.shared = shared
    }

    /// Opens the flow tables pinned in `directory` (their geometry comes from the pinned weir_info).
    public convenience init(pinDirectory directory: String) throws(BPFError) {
        let info: BPFMap<UInt32, weir_info> = try .pinned(at: "\(directory)/\(WEIR_MAP_INFO)", name: WEIR_MAP_INFO)
        guard let recorded = info.lookup(0), recorded.abi_version == UInt32(WEIR_ABI_VERSION) else {
            throw BPFError(
                .incompatiblePin,
                call: "open \(directory)",
                message: "pins were made by another ABI version than \(WEIR_ABI_VERSION)"
            )
        }
        let v4: BPFMap<UInt32, weir_flow_slot_v4> = try .pinned(
            at: "\(directory)/\(WEIR_MAP_FLOWS_V4)",
            name: WEIR_MAP_FLOWS_V4
        )
        let v6: BPFMap<UInt32, weir_flow_slot_v6> = try .pinned(
            at: "\(directory)/\(WEIR_MAP_FLOWS_V6)",
            name: WEIR_MAP_FLOWS_V6
        )
        let slots = UInt64(1) << UInt64(recorded.slot_bits)
        guard recorded.slot_bits >= UInt32(WEIR_FLOW_SLOT_BITS_MIN), recorded.slot_bits <= UInt32(WEIR_FLOW_SLOT_BITS_MAX),
            UInt64(v4.info.max_entries) == slots, UInt64(v6.info.max_entries) == slots
        else {
            throw BPFError(
                .incompatiblePin,
                call: "open \(directory)",
                message: "flow tables hold \(v4.info.max_entries)/\(v6.info.max_entries) slots, weir_info says 2^\(recorded.slot_bits)"
            )
        }
        let shared: BPFMap<UInt32, weir_table_stats> = try .pinned(
            at: "\(directory)/\(WEIR_MAP_TABLE_STATS)",
            name: WEIR_MAP_TABLE_STATS
        )
        self.init(
            flowsV4: v4,
            flowsV6: v6,
            slotBits: recorded.slot_bits,
            hashKey: recorded.hash_key,
            lockDirectory: directory,
            shared: shared
        )
    }

    /// The bookkeeping of every process that wrote these tables (inserts, evictions, failures, removals),
    /// or nil when the maps came without it.
    public func sharedStatistics() -> weir_table_stats? {
        self.shared?.lookup(0)
    }

    /// Slots per table.
    public var slotCount: Int { 1 << Int(self.slotBits) }

    /// Puts a flow into the kernel with zeroed counters (a flow already present gets its counters reset).
    ///
    /// - Throws: `.unsupported` when the kernel could never match the key (see `FlowKey.abiKey`), or the
    ///   map update's error; both are counted.
    public func insert(
        _ key: FlowKey, action: BypassAction, clientIsFirst: Bool? = nil, now: UInt64 = monotonicNanoseconds()
    ) throws(BPFError) {
        guard let abi = key.abiKey else {
            self.unbypassable += 1
            try? self.locked { () throws(BPFError) in self.note { $0.refused += 1 } }
            throw BPFError(.unsupported, call: "bypass insert", message: "the kernel cannot match this flow")
        }
        var value = weir_flow_value()
        value.action = action.rawValue
        if let clientIsFirst {
            value.flags = clientIsFirst ? UInt32(WEIR_FLOW_F_CLIENT_IS_A) : UInt32(WEIR_FLOW_F_CLIENT_IS_B)
        }
        value.inserted_ns = now
        value.last_seen_ns = now
        do throws(BPFError) {
            try self.locked { () throws(BPFError) in
                let evictedBefore = self.evicted
                do throws(BPFError) {
                    switch abi {
                    case .v4(let k): try self.insert(k, value, into: self.flowsV4)
                    case .v6(let k): try self.insert(k, value, into: self.flowsV6)
                    }
                } catch {
                    self.note { $0.insert_failures += 1 }
                    throw error
                }
                self.note {
                    $0.inserts += 1
                    $0.evictions += self.evicted - evictedBefore
                }
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
        let entry = try self.locked { () throws(BPFError) -> BypassEntry? in
            let removed: BypassEntry?
            switch abi {
            case .v4(let k): removed = try self.remove(k, from: self.flowsV4).map { BypassEntry(key: FlowKey(abi: k), value: $0) }
            case .v6(let k): removed = try self.remove(k, from: self.flowsV6).map { BypassEntry(key: FlowKey(abi: k), value: $0) }
            }
            if removed != nil { self.note { $0.removals += 1 } }
            return removed
        }
        if entry != nil { self.removed += 1 }
        return entry
    }

    /// The flow's entry, or nil when absent (or evicted).
    public func entry(for key: FlowKey) -> BypassEntry? {
        switch key.abiKey {
        case .v4(let k): return self.find(k, in: self.flowsV4).map { BypassEntry(key: key, value: $0.slot.value) }
        case .v6(let k): return self.find(k, in: self.flowsV6).map { BypassEntry(key: key, value: $0.slot.value) }
        case nil: return nil
        }
    }

    /// Every flow in both tables (a snapshot).
    public func entries() -> [BypassEntry] {
        let v4 = self.flowsV4.allElements(batched: self.batchLookups).filter { $0.state == .live }
        let v6 = self.flowsV6.allElements(batched: self.batchLookups).filter { $0.state == .live }
        return v4.map { BypassEntry(key: FlowKey(abi: $0.key), value: $0.value) }
            + v6.map { BypassEntry(key: FlowKey(abi: $0.key), value: $0.value) }
    }

    /// Removes every flow idle for longer than `idle` nanoseconds and returns their final counters.
    public func sweep(idleLongerThan idle: UInt64, now: UInt64 = monotonicNanoseconds()) throws(BPFError)
        -> [BypassEntry]
    {
        var expired: [BypassEntry] = []
        for entry in self.entries() where now > entry.lastSeenNanoseconds && now - entry.lastSeenNanoseconds > idle {
            if let last = try self.remove(entry.key) { expired.append(last) }
        }
        return expired
    }

    /// Removes every flow and empties every slot; returns how many flows were removed.
    @discardableResult
    public func flush() throws(BPFError) -> Int {
        let count = try self.locked { () throws(BPFError) -> Int in
            let count = try self.empty(self.flowsV4) + self.empty(self.flowsV6)
            self.note { $0.removals += UInt64(count) }
            return count
        }
        self.removed += UInt64(count)
        return count
    }

    // MARK: - Slots

    /// Where `key` is (index and slot), probing as the kernel does.
    func find<Slot: FlowSlot & BitwiseCopyable>(_ key: Slot.Key, in map: BPFMap<UInt32, Slot>) -> (index: UInt32, slot: Slot)? {
        let home = weir_flow_home(Slot.hash(key, self.hashKey), self.slotBits)
        for step in 0..<UInt32(WEIR_FLOW_PROBE) {
            let index = self.slotIndex(home, step)
            guard let slot = map.lookup(index) else { return nil }
            switch slot.state {
            case .empty: return nil
            case .live where slot.holds(key): return (index, slot)
            case .live, .deleted: continue
            }
        }
        return nil
    }

    func slotIndex(_ home: UInt32, _ step: UInt32) -> UInt32 {
        (home &+ step) & (UInt32(truncatingIfNeeded: self.slotCount) &- 1)
    }

    /// Inserts or resets `key`: its own slot if present, else the first free slot of its window (DELETED,
    /// or the EMPTY one that ends it), else the window's least recently seen flow, which is evicted.
    func insert<Slot: FlowSlot & BitwiseCopyable>(_ key: Slot.Key, _ value: weir_flow_value, into map: BPFMap<UInt32, Slot>) throws(BPFError) {
        let home = weir_flow_home(Slot.hash(key, self.hashKey), self.slotBits)
        var free: (UInt32, Slot)? = nil
        var oldest: (UInt32, Slot)? = nil
        for step in 0..<UInt32(WEIR_FLOW_PROBE) {
            let index = self.slotIndex(home, step)
            guard let slot = map.lookup(index) else {
                throw BPFError(.systemCall, call: "bpf_map_lookup_elem(\(map.name))", message: "slot \(index) unreadable")
            }
            if slot.state == .live && slot.holds(key) {
                var next = slot
                next.value = value
                try Self.rewrite(map, index, from: slot, to: next)
                return
            }
            switch slot.state {
            case .empty:
                if free == nil { free = (index, slot) }
            case .deleted:
                if free == nil { free = (index, slot) }
                continue
            case .live:
                if oldest.map({ slot.value.last_seen_ns < $0.1.value.last_seen_ns }) ?? true { oldest = (index, slot) }
                continue
            }
            break  // nothing lives past an EMPTY slot
        }
        var next = Slot()
        next.key = key
        next.value = value
        next.tag = SlotState.live.rawValue
        if let (index, slot) = free {
            try Self.rewrite(map, index, from: slot, to: next)
        } else if let (index, slot) = oldest {
            try Self.rewrite(map, index, from: slot, to: next)
            self.evicted += 1
        } else {
            throw BPFError(.systemCall, call: "bypass insert", message: "no slot in the flow's window")
        }
    }

    /// Marks `key`'s slot DELETED (key kept, so a lookup that is comparing it fails only on the tag) and
    /// returns its last value.
    func remove<Slot: FlowSlot & BitwiseCopyable>(_ key: Slot.Key, from map: BPFMap<UInt32, Slot>) throws(BPFError) -> weir_flow_value? {
        guard let (index, slot) = self.find(key, in: map) else { return nil }
        var next = slot
        next.tag = SlotState.deleted.rawValue
        try Self.rewrite(map, index, from: slot, to: next)
        return slot.value
    }

    /// Empties every slot that is not EMPTY; returns how many were LIVE.
    func empty<Slot: FlowSlot & BitwiseCopyable>(_ map: BPFMap<UInt32, Slot>) throws(BPFError) -> Int {
        var live = 0
        for (offset, slot) in map.allElements(batched: self.batchLookups).enumerated() where slot.state != .empty {
            if slot.state == .live { live += 1 }
            try Self.rewrite(map, UInt32(offset), from: slot, to: Slot())
        }
        return live
    }

    /// Replaces slot `index` (now holding `old`) by `new` (whose tag gives only the state) so that the
    /// kernel never matches a half-written key: every write carries a new generation; a LIVE slot whose
    /// key changes is first marked DELETED with its old key, and a new key is written DELETED before it
    /// becomes LIVE with the same bytes (weir_abi.h, weir_flow_slot_v4).
    static func rewrite<Slot: FlowSlot & BitwiseCopyable>(_ map: BPFMap<UInt32, Slot>, _ index: UInt32, from old: Slot, to new: Slot)
        throws(BPFError)
    {
        let shift = UInt32(WEIR_SLOT_GENERATION_SHIFT)
        let generations = UInt32(1) << (32 - shift)
        var generation = old.generation
        func write(_ slot: Slot, _ state: SlotState) throws(BPFError) {
            generation = (generation &+ 1) % generations
            var slot = slot
            slot.tag = state.rawValue | generation << shift
            try map.update(index, slot)
        }
        let keyChanges = !old.holds(new.key)
        if old.state == .live && keyChanges { try write(old, .deleted) }
        let state = SlotState(tag: new.tag)
        if state == .live && keyChanges { try write(new, .deleted) }
        try write(new, state)
    }

    /// Adds to the shared bookkeeping; call with the lock held. A failed update of this one-entry array
    /// (it cannot fail short of the map being gone) loses only the counts, never a flow.
    func note(_ change: (inout weir_table_stats) -> Void) {
        guard let shared = self.shared else { return }
        var stats = shared.lookup(0) ?? weir_table_stats()
        change(&stats)
        try? shared.update(0, stats)
    }

    /// Runs `body` holding the pin directory's exclusive lock (nothing to lock without pins).
    func locked<T>(_ body: () throws(BPFError) -> T) throws(BPFError) -> T {
        guard let directory = self.lockDirectory else { return try body() }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .system("open(\(directory))", errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw .system("flock(\(directory))", errno) }
        }
        return try body()
    }
}
