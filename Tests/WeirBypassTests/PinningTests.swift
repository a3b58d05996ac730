// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Testing
@testable import WeirBypass
import WeirCore
import WeirFlow

/// A pin root private to this test process, on a bpffs the test mounts itself in a temporary folder (never
/// the host's /sys/fs/bpf); `remove()` (or deinit) unpins, unmounts and deletes it.
final class TemporaryPinRoot {
    /// The bpffs mount point.
    let mountPoint: String
    /// The pin root, a directory inside the mount that Weir creates.
    let path: String
    private var removed = false

    init(_ tag: String) {
        self.mountPoint = "/tmp/weir-bpffs-\(getpid())-\(tag)"
        self.path = "\(self.mountPoint)/weir"
        mkdir(self.mountPoint, 0o700)
        if !BPFFileSystem.isBPFFS(self.mountPoint) { mount("bpf", self.mountPoint, "bpf", 0, "mode=0700") }
    }

    func remove() {
        guard !self.removed else { return }
        self.removed = true
        if let interfaces = try? listNames(self.path) {
            for interface in interfaces { try? BypassDataPlane.unpin(directory: "\(self.path)/\(interface)") }
        }
        rmdir(self.path)
        if BPFFileSystem.isBPFFS(self.mountPoint) { umount2(self.mountPoint, Int32(MNT_DETACH)) }
        rmdir(self.mountPoint)
    }

    deinit {
        self.remove()
    }
}

func listNames(_ path: String) throws -> [String] {
    guard let handle = opendir(path) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

@Suite("Pinned maps and the ABI check")
struct PinningTests {
    func settings(_ root: TemporaryPinRoot, flows: UInt32 = 512) -> BypassSettings {
        var settings = BypassSettings()
        settings.pinRoot = root.path
        settings.flowTableSize = flows
        settings.blockListSize = 64
        return settings
    }

    @Test("maps are pinned per interface and reused, with their contents, by the next load")
    func reuse() throws {
        BPFLogging.silence()
        let root = TemporaryPinRoot("reuse")
        let flow = try #require(fixtures[0].flow)
        var firstSecret: [UInt64] = []
        do {
            let first = try BypassDataPlane(
                kind: .xdp,
                settings: settings(root),
                features: probedFeatures,
                interface: "veth-x"
            )
            #expect(!first.reusedPins)
            try first.table().insert(flow, action: .bypass)
            firstSecret = first.hashKey.words
        }
        let names = try listNames("\(root.path)/veth-x")
        for map in [WEIR_MAP_FLOWS_V4, WEIR_MAP_FLOWS_V6, WEIR_MAP_STATS, WEIR_MAP_INFO, WEIR_MAP_TABLE_STATS] {
            #expect(names.contains(map), "\(map) pinned")
        }
        // The socket filter shares the same pins: it sees the flow the XDP side inserted.
        let second = try BypassDataPlane(
            kind: .socketFilter,
            settings: settings(root),
            features: probedFeatures,
            interface: "veth-x"
        )
        #expect(second.reusedPins)
        // The reused tables keep their hash secret, or the flow would be looked for in the wrong slots.
        #expect(second.hashKey.words == firstSecret && firstSecret.count == Int(WEIR_HASH_KEY_WORDS))
        #expect(try BypassTable(pinDirectory: "\(root.path)/veth-x").hashKey.words == firstSecret)
        #expect(second.table().entry(for: flow) != nil)
        #expect(try run(second, fixtures[0].frame) == .dropped)
        // A second XDP load (a restart) reuses every pin, the devmap included.
        let third = try BypassDataPlane(
            kind: .xdp,
            settings: settings(root),
            features: probedFeatures,
            interface: "veth-x"
        )
        #expect(third.reusedPins)
        #expect(third.table().entry(for: flow) != nil)
        // The operator's view through the pins alone.
        let pinned = try BypassTable(pinDirectory: "\(root.path)/veth-x")
        #expect(pinned.entries().count == 1)
        #expect(try pinned.flush() == 1)
        #expect(try run(second, fixtures[0].frame) == .passed)
    }

    @Test("pins made with other sizes are refused, never silently reused")
    func refuseSizes() throws {
        BPFLogging.silence()
        let root = TemporaryPinRoot("sizes")
        _ = try BypassDataPlane(
            kind: .xdp,
            settings: settings(root, flows: 512),
            features: probedFeatures,
            interface: "if0"
        )
        let error = #expect(throws: BPFError.self) {
            _ = try BypassDataPlane(
                kind: .xdp,
                settings: settings(root, flows: 1024),
                features: probedFeatures,
                interface: "if0"
            )
        }
        #expect(error?.code == .incompatiblePin)
        // 512 flows need 1,024 slots; 1,024 flows need 2,048.
        #expect(error?.message.contains("1024") == true && error?.message.contains("2048") == true)
    }

    @Test("every writer of a pinned table adds to one shared bookkeeping: inserts, evictions, removals, refusals")
    func sharedBookkeeping() throws {
        BPFLogging.silence()
        let root = TemporaryPinRoot("book")
        let plane = try BypassDataPlane(kind: .xdp, settings: settings(root), features: probedFeatures, interface: "if9")
        let daemon = plane.table()
        let operatorCLI = try BypassTable(pinDirectory: "\(root.path)/if9")  // as `weir bypass add` opens it
        let flows = collidingFlows(Int(WEIR_FLOW_PROBE) + 1, in: daemon)
        for flow in flows.prefix(5) { try daemon.insert(flow.key, action: .bypass) }
        for flow in flows.dropFirst(5) { try operatorCLI.insert(flow.key, action: .bypass) }  // the last one evicts
        try operatorCLI.remove(flows[6].key)
        let unmatchable = FlowKey(
            firstAddress: IPAddress(v4: 1),
            secondAddress: IPAddress(v4: 2),
            firstPort: 0,
            secondPort: 0,
            proto: 47  // GRE: the kernel parser never keys it
        )
        #expect(throws: BPFError.self) { try operatorCLI.insert(unmatchable, action: .bypass) }
        #expect(daemon.evicted == 0 && operatorCLI.evicted == 1)
        let book = try #require(daemon.sharedStatistics())
        #expect(book.inserts == UInt64(flows.count) && book.evictions == 1 && book.removals == 1)
        #expect(book.insert_failures == 0 && book.refused == 1)
        #expect(try daemon.flush() == flows.count - 2)
        #expect(operatorCLI.sharedStatistics()?.removals == UInt64(flows.count - 1))
    }

    @Test("pins recording another ABI version are refused with a message")
    func refuseABI() throws {
        BPFLogging.silence()
        let root = TemporaryPinRoot("abi")
        _ = try BypassDataPlane(kind: .xdp, settings: settings(root), features: probedFeatures, interface: "if1")
        let info: BPFMap<UInt32, weir_info> = try .pinned(at: "\(root.path)/if1/\(WEIR_MAP_INFO)", name: WEIR_MAP_INFO)
        var recorded = try #require(info.lookup(0))
        recorded.abi_version = UInt32(WEIR_ABI_VERSION) + 1
        try info.update(0, recorded)
        let error = #expect(throws: BPFError.self) {
            _ = try BypassDataPlane(kind: .xdp, settings: settings(root), features: probedFeatures, interface: "if1")
        }
        #expect(error?.code == .incompatiblePin)
        #expect(error?.message.contains("ABI version \(WEIR_ABI_VERSION + 1)") == true)
        #expect(throws: BPFError.self) { _ = try BypassTable(pinDirectory: "\(root.path)/if1") }
    }

    @Test("a pin directory without weir_info is refused")
    func refuseForeign() throws {
        BPFLogging.silence()
        let root = TemporaryPinRoot("foreign")
        _ = try BypassDataPlane(kind: .xdp, settings: settings(root), features: probedFeatures, interface: "if2")
        #expect(unlink("\(root.path)/if2/\(WEIR_MAP_INFO)") == 0)
        let error = #expect(throws: BPFError.self) {
            _ = try BypassDataPlane(kind: .xdp, settings: settings(root), features: probedFeatures, interface: "if2")
        }
        #expect(error?.code == .incompatiblePin)
    }

    @Test("interface names cannot escape the pin root")
    func badNames() throws {
        let root = TemporaryPinRoot("names")
        for name in ["../x", "a/b", "", String(repeating: "x", count: 16)] {
            #expect(throws: BPFError.self) {
                _ = try BypassDataPlane(kind: .xdp, settings: settings(root), features: probedFeatures, interface: name)
            }
        }
    }
}

@Suite("bpffs: pins never depend on the host's /sys/fs/bpf")
struct BPFFileSystemTests {
    @Test("a pin root on no bpffs gets one mounted by Weir, and the pins work there")
    func mountsWhereMissing() throws {
        BPFLogging.silence()
        let base = "/tmp/weir-plain-\(getpid())"
        let root = "\(base)/pins"
        defer {
            try? BypassDataPlane.unpin(directory: "\(root)/if0")
            if BPFFileSystem.isBPFFS(root) { umount2(root, Int32(MNT_DETACH)) }
            rmdir(root)
            rmdir(base)
        }
        #expect(!BPFFileSystem.isBPFFS("/tmp"))
        var settings = BypassSettings()
        settings.pinRoot = root
        settings.flowTableSize = 256
        settings.blockListSize = 16
        let plane = try BypassDataPlane(kind: .socketFilter, settings: settings, features: probedFeatures, interface: "if0")
        #expect(BPFFileSystem.isBPFFS(root))
        #expect(try listNames("\(root)/if0").contains(WEIR_MAP_INFO))
        // A second start finds the mount and reuses the pins instead of mounting again.
        #expect(try BPFFileSystem.prepare(root: root) == .alreadyMounted)
        let again = try BypassDataPlane(kind: .socketFilter, settings: settings, features: probedFeatures, interface: "if0")
        #expect(again.reusedPins && !plane.reusedPins)
    }

    @Test("a pin root below an existing bpffs is created there, nothing mounted")
    func createsBelowMount() throws {
        let root = TemporaryPinRoot("below")
        defer { root.remove() }
        #expect(BPFFileSystem.isBPFFS(root.mountPoint))
        #expect(try BPFFileSystem.prepare(root: "\(root.path)/deeper") == .alreadyMounted)
        #expect(BPFFileSystem.isBPFFS("\(root.path)/deeper"))
        rmdir("\(root.path)/deeper")
    }

    @Test("where no bpffs can be mounted, start-up stops with the command to run")
    func explainsWhenItCannot() throws {
        // procfs accepts no new directory: neither creating the pin root nor mounting on it can work.
        let root = "/proc/weir-no-bpffs-\(getpid())/pins"
        let error = #expect(throws: BPFError.self) { try BPFFileSystem.prepare(root: root) }
        #expect(error?.description.contains("mount -t bpf bpf \(root)") == true)
        #expect(error?.description.contains("bypass.pin-path") == true)
        let relative = #expect(throws: BPFError.self) { try BPFFileSystem.prepare(root: "weir/pins") }
        #expect(relative?.code == .invalidArgument)
    }
}

/// A UDP flow 10.0.0.0+index:1000 → 11.0.0.1:53 and one frame of it, from the flow's first endpoint.
func numberedFlow(_ index: Int) -> (key: FlowKey, frame: [UInt8]) {
    let source = 0x0a00_0000 | UInt32(index)
    let key = FlowKey(
        firstAddress: IPAddress(v4: source),
        secondAddress: IPAddress(v4: 0x0b00_0001),
        firstPort: 1000,
        secondPort: 53,
        proto: IPProtocol.udp
    )
    let text = "10.\(source >> 16 & 0xff).\(source >> 8 & 0xff).\(source & 0xff)"
    let frame = FrameBuilder.ethernet(
        etherType: 0x0800,
        payload: FrameBuilder.ipv4(text, "11.0.0.1", proto: IPProtocol.udp, payload: FrameBuilder.udp(1000, 53))
    )
    return (key, frame)
}

/// The home slot the kernel computes for an IPv4 flow in `table` (its size and hash secret).
func homeSlot(_ key: FlowKey, in table: BypassTable) -> UInt32? {
    guard case .v4(var abi) = key.abiKey else { return nil }
    var secret = table.hashKey
    return weir_flow_home(weir_flow_hash_v4(&abi, &secret), table.slotBits)
}

/// `count` numbered flows that share one home slot in `table`.
func collidingFlows(_ count: Int, in table: BypassTable) -> [(key: FlowKey, frame: [UInt8])] {
    var byHome: [UInt32: [Int]] = [:]
    var index = 1
    while true {
        let home = homeSlot(numberedFlow(index).key, in: table) ?? 0
        byHome[home, default: []].append(index)
        if let group = byHome[home], group.count == count { return group.map(numberedFlow) }
        index += 1
    }
}

@Suite("Flow tables (slot arrays written by user space)")
struct FlowTableTests {
    @Test("the kernel finds flows in their slots, and only there")
    func kernelReadsSlots() throws {
        let plane = try freshPlane(.xdp)
        let table = plane.table()
        let hits = fixtures.filter { $0.flow != nil }.prefix(12)
        for fixture in hits { try table.insert(try #require(fixture.flow), action: .bypass) }
        for fixture in hits { #expect(try run(plane, fixture.frame) == .dropped, "\(fixture.name)") }
        #expect(table.entries().count == Set(hits.compactMap(\.flow)).count)
        // Emptying every slot behind the table's back hides every flow: the kernel reads nothing else.
        for index in 0..<plane.flowsV4.info.max_entries { try plane.flowsV4.update(index, weir_flow_slot_v4()) }
        for index in 0..<plane.flowsV6.info.max_entries { try plane.flowsV6.update(index, weir_flow_slot_v6()) }
        for fixture in hits { #expect(try run(plane, fixture.frame) == .passed, "\(fixture.name)") }
    }

    @Test("colliding flows take consecutive slots; a removed one leaves the others reachable and its slot reused")
    func collisions() throws {
        let plane = try freshPlane(.xdp)
        let table = plane.table()
        let flows = collidingFlows(3, in: table)
        let home = try #require(homeSlot(flows[0].key, in: table))
        for flow in flows { try table.insert(flow.key, action: .bypass) }
        for (step, flow) in flows.enumerated() {
            let abi = try #require(abiV4(flow.key))
            let found = try #require(table.find(abi, in: plane.flowsV4))
            #expect(found.index == table.slotIndex(home, UInt32(step)))
            #expect(try run(plane, flow.frame) == .dropped)
        }
        try table.remove(flows[0].key)
        #expect(try run(plane, flows[0].frame) == .passed)
        // The kernel goes on past the DELETED slot to the flows behind it.
        #expect(try run(plane, flows[1].frame) == .dropped)
        #expect(try run(plane, flows[2].frame) == .dropped)
        let fourth = collidingFlows(4, in: table).last
        if let fourth, homeSlot(fourth.key, in: table) == home {
            try table.insert(fourth.key, action: .bypass)
            let abi = try #require(abiV4(fourth.key))
            #expect(table.find(abi, in: plane.flowsV4)?.index == home)
            #expect(try run(plane, fourth.frame) == .dropped)
        }
    }

    @Test("a full window evicts its least recently seen flow, and says so")
    func evictsLeastRecentlySeen() throws {
        let plane = try freshPlane(.xdp)
        let table = plane.table()
        let flows = collidingFlows(Int(WEIR_FLOW_PROBE) + 1, in: table)
        for (index, flow) in flows.dropLast().enumerated() {
            // Flow 3 was seen longest ago.
            try table.insert(flow.key, action: .bypass, now: index == 3 ? 10 : 1_000 + UInt64(index))
        }
        #expect(table.evicted == 0)
        let newcomer = try #require(flows.last)
        try table.insert(newcomer.key, action: .bypass, now: 5_000)
        #expect(table.evicted == 1 && table.insertFailures == 0)
        #expect(table.entry(for: flows[3].key) == nil)
        #expect(try run(plane, flows[3].frame) == .passed)
        #expect(try run(plane, newcomer.frame) == .dropped)
        for (index, flow) in flows.dropLast().enumerated() where index != 3 {
            #expect(try run(plane, flow.frame) == .dropped, "flow \(index)")
        }
    }

    @Test(
        "structured flows (one server, consecutive clients) spread like random ones: at the configured capacity (half load) under 1.5 % evicted, at 80 % under 7 %",
        arguments: [(5, 15), (8, 70)]
    )
    func spread(tenths: Int, permilleEvicted: Int) throws {
        let plane = try freshPlane(.xdp) { $0.flowTableSize = 4000 }
        let table = plane.table()
        let capacity = Int(plane.flowsV4.info.max_entries)
        #expect(capacity == 8192)
        let count = capacity * tenths / 10
        for index in 0..<count { try table.insert(numberedFlow(index).key, action: .bypass) }
        // A random hash evicts 0.5 % at half load and 5 % at 80 % (measured over 100 secrets: at most 0.8 %
        // and 5.8 %); a hash that bunches structured keys evicts far more (without the finaliser, up to 15 %
        // with an unlucky secret).
        #expect(table.evicted * 1000 <= UInt64(count * permilleEvicted), "evicted \(table.evicted) of \(count)")
        #expect(table.entries().count == count - Int(table.evicted))
        for index in stride(from: 0, to: count, by: 97) where table.entry(for: numberedFlow(index).key) != nil {
            #expect(try run(plane, numberedFlow(index).frame) == .dropped)
        }
    }

    @Test("every rewrite changes the generation; a new key is written DELETED before it goes LIVE")
    func generations() throws {
        let plane = try freshPlane(.xdp)
        let table = plane.table()
        let flows = collidingFlows(Int(WEIR_FLOW_PROBE) + 1, in: table)
        let first = try #require(abiV4(flows[0].key))
        try table.insert(flows[0].key, action: .bypass)
        var slot = try #require(table.find(first, in: plane.flowsV4)).slot
        #expect(slot.tag == SlotState.live.rawValue | 2 << 8)  // EMPTY → DELETED (new key) → LIVE
        let index = try #require(table.find(first, in: plane.flowsV4)).index
        try table.remove(flows[0].key)
        slot = try #require(plane.flowsV4.lookup(index))
        #expect(slot.tag == SlotState.deleted.rawValue | 3 << 8 && slot.holds(first))
        try table.insert(flows[0].key, action: .block)  // same key back: one write
        slot = try #require(plane.flowsV4.lookup(index))
        #expect(slot.tag == SlotState.live.rawValue | 4 << 8)
        // A LIVE slot taken by another key: DELETED with the old key, DELETED with the new, then LIVE.
        let last = try #require(flows.last)
        let lastKey = try #require(abiV4(last.key))
        for flow in flows.dropFirst().dropLast() { try table.insert(flow.key, action: .bypass, now: UInt64.max) }
        try table.insert(last.key, action: .bypass, now: UInt64.max)
        slot = try #require(plane.flowsV4.lookup(index))
        #expect(table.evicted == 1 && slot.holds(lastKey))
        #expect(slot.tag == SlotState.live.rawValue | 7 << 8)
        #expect(try run(plane, last.frame) == .dropped)
        // A matching key in a DELETED slot is never taken by the kernel.
        var hidden = slot
        hidden.tag = SlotState.deleted.rawValue | 8 << 8
        try plane.flowsV4.update(index, hidden)
        #expect(try run(plane, last.frame) == .passed)
    }

    @Test("the sweep removes idle flows with their final counters and keeps active ones")
    func sweep() throws {
        let plane = try freshPlane(.xdp)
        let table = plane.table()
        let active = fixtures[0]
        let idle = fixtures[2]
        try table.insert(try #require(active.flow), action: .bypass, now: 1_000)
        try table.insert(try #require(idle.flow), action: .bypass, now: 1_000)
        try plane.heartbeat(now: 5_000)  // the manager's tick, stamped by the kernel on hits
        #expect(try run(plane, idle.frame) == .dropped)
        #expect(try run(plane, active.frame) == .dropped)
        try plane.heartbeat(now: 9_000)
        #expect(try run(plane, active.frame) == .dropped)
        let expired = try table.sweep(idleLongerThan: 3_000, now: 10_000)
        #expect(expired.count == 1)
        #expect(expired.first?.key == idle.flow)
        #expect((expired.first?.packetsFirstToSecond ?? 0) + (expired.first?.packetsSecondToFirst ?? 0) == 1)
        #expect(table.entry(for: try #require(active.flow))?.lastSeenNanoseconds == 9_000)
        #expect(try run(plane, idle.frame) == .passed)
        #expect(try run(plane, active.frame) == .dropped)
    }

    @Test("a flush empties every slot and the table takes new flows at once")
    func flush() throws {
        let plane = try freshPlane(.xdp)
        let table = plane.table()
        let flows = (1...20).map(numberedFlow)
        for flow in flows { try table.insert(flow.key, action: .bypass) }
        try table.remove(flows[0].key)
        #expect(try table.flush() == 19)
        #expect(table.entries().isEmpty && table.removed == 20)
        for flow in flows { #expect(try run(plane, flow.frame) == .passed) }
        try table.insert(flows[5].key, action: .bypass)
        #expect(try run(plane, flows[5].frame) == .dropped)
    }

    @Test("every new pair of tables gets its own hash secret, so the slot of a flow cannot be known outside")
    func secrets() throws {
        let one = try freshPlane(.xdp)
        let two = try freshPlane(.xdp)
        #expect(one.hashKey.words != two.hashKey.words)
        #expect(Set(one.hashKey.words).count == Int(WEIR_HASH_KEY_WORDS))
        // Same flows, different homes: in 512-slot tables nearly all of 50 flows land elsewhere.
        let moved = (0..<50).filter {
            homeSlot(numberedFlow($0).key, in: one.table()) != homeSlot(numberedFlow($0).key, in: two.table())
        }
        #expect(moved.count > 40)
        for plane in [one, two] {
            try plane.table().insert(numberedFlow(7).key, action: .bypass)
            #expect(try run(plane, numberedFlow(7).frame) == .dropped)
        }
    }

    @Test("many more flows than slots: every insert lands, the overflow is counted as evictions")
    func evictions() throws {
        let plane = try freshPlane(.xdp) { $0.flowTableSize = 64 }
        let table = plane.table()
        for index in 0..<1000 { try table.insert(numberedFlow(index).key, action: .bypass) }
        let present = table.entries().count
        #expect(present <= Int(plane.flowsV4.info.max_entries))
        #expect(table.inserted == 1000 && table.insertFailures == 0)
        #expect(table.evicted == UInt64(1000 - present))
        #expect(try run(plane, numberedFlow(999).frame) == .dropped)
    }
}

func abiV4(_ key: FlowKey) -> weir_flow_key_v4? {
    if case .v4(let abi) = key.abiKey { return abi }
    return nil
}

/// A seeded generator, so a failing sequence can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Flow tables against a model")
struct FlowTableModelTests {
    /// Random inserts, re-inserts, removes and the odd flush on 100 flows in a 32-slot table (so windows
    /// overflow and evict). After every step the kernel, the table and a model agree: a flow is dropped by
    /// the kernel exactly when the table lists it, the table never lists a flow twice, and what the model
    /// holds is what the table lists once evictions (which the table reports) are taken out.
    @Test("random operations: kernel verdicts, listed flows and counted evictions always agree", arguments: [1, 2, 3])
    func randomOperations(seed: UInt64) throws {
        let plane = try freshPlane(.xdp) { $0.flowTableSize = 16 }
        let table = plane.table()
        #expect(plane.flowsV4.info.max_entries == 32)
        let flows = (0..<100).map(numberedFlow)
        var model = Set<Int>()
        var generator = SeededGenerator(state: seed)
        for step in 0..<600 {
            let pick = Int(generator.next() % UInt64(flows.count))
            let roll = generator.next() % 100
            let evictedBefore = table.evicted
            if roll < 60 {
                try table.insert(flows[pick].key, action: .bypass)
                model.insert(pick)
            } else if roll < 99 {
                let removed = try table.remove(flows[pick].key)
                #expect((removed != nil) == model.contains(pick), "seed \(seed) step \(step): remove \(pick)")
                model.remove(pick)
            } else {
                try table.flush()
                model.removeAll()
            }
            let listed = table.entries().map(\.key)
            let listedSet = Set(listed)
            #expect(listed.count == listedSet.count, "seed \(seed) step \(step): a flow listed twice")
            // Evicted flows leave the model: the listed set is the model minus what was pushed out.
            let present = Set(model.filter { listedSet.contains(flows[$0].key) })
            let pushedOut = model.subtracting(present)
            #expect(UInt64(pushedOut.count) <= table.evicted - evictedBefore, "seed \(seed) step \(step)")
            model = present
            #expect(listedSet == Set(model.map { flows[$0].key }), "seed \(seed) step \(step)")
            if step % 25 == 24 {
                for (index, flow) in flows.enumerated() {
                    let expected: Verdict = model.contains(index) ? .dropped : .passed
                    #expect(try run(plane, flow.frame) == expected, "seed \(seed) step \(step) flow \(index)")
                }
            }
        }
        #expect(table.evicted > 0)  // the table really was overfull
    }
}
