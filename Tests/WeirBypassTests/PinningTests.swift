// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Testing
import WeirBypass
import WeirCore
import WeirFlow

/// A pin root private to this test process, removed afterwards.
final class TemporaryPinRoot {
    let path: String

    init(_ tag: String) {
        self.path = "/sys/fs/bpf/weir-test-\(getpid())-\(tag)"
    }

    deinit {
        if let interfaces = try? listNames(self.path) {
            for interface in interfaces { try? BypassDataPlane.unpin(directory: "\(self.path)/\(interface)") }
        }
        rmdir(self.path)
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
        do {
            let first = try BypassDataPlane(
                kind: .xdp,
                settings: settings(root),
                features: probedFeatures,
                interface: "veth-x"
            )
            #expect(!first.reusedPins)
            try first.table().insert(flow, action: .bypass)
        }
        let names = try listNames("\(root.path)/veth-x")
        for map in [WEIR_MAP_FLOWS_V4, WEIR_MAP_FLOWS_V6, WEIR_MAP_STATS, WEIR_MAP_INFO, WEIR_MAP_FILTER] {
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
        #expect(error?.message.contains("512") == true)
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

@Suite("Prefilter")
struct PrefilterTests {
    @Test("a flow is found only while its bucket is counted; deletes and rebuilds keep the kernel right")
    func bookkeeping() throws {
        let plane = try freshPlane(.xdp)
        #expect(plane.filterBits >= 12)
        let table = plane.table()
        let hits = fixtures.filter { $0.flow != nil }.prefix(10)
        for fixture in hits { try table.insert(try #require(fixture.flow), action: .bypass) }
        for fixture in hits { #expect(try run(plane, fixture.frame) == .dropped, "\(fixture.name)") }
        // Zeroing the filter hides every flow from the kernel: proof that the kernel consults it.
        for element in 0..<plane.filter.info.max_entries { try plane.filter.update(element, weir_filter_slot()) }
        for fixture in hits { #expect(try run(plane, fixture.frame) == .passed, "\(fixture.name)") }
        try table.rebuildFilter()
        for fixture in hits { #expect(try run(plane, fixture.frame) == .dropped, "\(fixture.name)") }
        for fixture in hits { try table.remove(try #require(fixture.flow)) }
        var nonZero = 0
        for element in 0..<plane.filter.info.max_entries {
            var slot = try #require(plane.filter.lookup(element))
            nonZero += withUnsafeBytes(of: &slot.counts) { $0.filter { $0 != 0 }.count }
        }
        #expect(nonZero == 0)
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

    @Test("with the prefilter off the kernel still finds flows")
    func off() throws {
        let plane = try freshPlane(.xdp) { $0.usePrefilter = false }
        #expect(plane.filterBits == 0)
        let fixture = fixtures[0]
        try plane.table().insert(try #require(fixture.flow), action: .bypass)
        #expect(try run(plane, fixture.frame) == .dropped)
    }

    @Test("evictions are estimated from what user space can count")
    func evictions() throws {
        let plane = try freshPlane(.xdp) { $0.flowTableSize = 64 }
        let table = plane.table()
        for index in 0..<1000 {
            let key = FlowKey(
                firstAddress: IPAddress(v4: 0x0a00_0000 | UInt32(index)),
                secondAddress: IPAddress(v4: 0x0b00_0000),
                firstPort: 1,
                secondPort: 2,
                proto: IPProtocol.udp
            )
            try table.insert(key, action: .bypass)
        }
        let present = table.entries().count
        #expect(present <= 64 + 2 * 8)  // LRU keeps per-CPU free lists; never far above max_entries
        #expect(table.inserted == 1000)
        #expect(table.estimatedEvictions(present: present) == UInt64(1000 - present))
    }
}
