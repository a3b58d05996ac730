// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Testing
import WeirBPFObjects
import WeirBypass
import WeirFlow

/// The features of this kernel, probed once.
let probedFeatures = KernelFeatures.probe()

/// A fresh, unpinned data plane with small tables, so every test row starts from empty maps and counters.
func freshPlane(_ kind: BypassDataPlane.Kind, _ configure: (inout BypassSettings) -> Void = { _ in }) throws
    -> BypassDataPlane
{
    BPFLogging.silence()
    var settings = BypassSettings()
    settings.pinRoot = nil
    settings.flowTableSize = 256
    settings.blockListSize = 64
    settings.passFlowEnd = false
    configure(&settings)
    return try BypassDataPlane(kind: kind, settings: settings, features: probedFeatures)
}

let xdpPass: UInt32 = 2
let xdpDrop: UInt32 = 1
let xdpRedirect: UInt32 = 4

/// What a program's return value means for the packet.
enum Verdict: Equatable {
    case passed
    case dropped
    case redirected
}

func run(_ plane: BypassDataPlane, _ frame: [UInt8]) throws -> Verdict {
    let result = try plane.program.testRun(frame)
    switch plane.kind {
    case .xdp:
        switch result.returnValue {
        case xdpPass: return .passed
        case xdpDrop: return .dropped
        case xdpRedirect: return .redirected
        default:
            Issue.record("unexpected XDP action \(result.returnValue)")
            return .passed
        }
    case .socketFilter:
        // Accepted packets keep their whole length: under test-run the skb starts at layer 3.
        if result.returnValue == 0 { return .dropped }
        #expect(result.returnValue == UInt32(frame.count - 14))
        return .passed
    }
}

/// Asserts that exactly the given counters are non-zero, with these values.
func expectStatistics(_ plane: BypassDataPlane, _ expected: [BypassStatistic: UInt64], _ context: String) throws {
    let stats = try plane.statistics()
    for stat in BypassStatistic.allCases {
        #expect(stats[stat, default: 0] == expected[stat, default: 0], "\(context): counter \(stat)")
    }
}

@Suite("BPF_PROG_TEST_RUN fixture tables")
struct ProgramFixtureTests {
    static let kinds: [BypassDataPlane.Kind] = [.xdp, .socketFilter]

    @Test("the table covers the required cases")
    func tableSize() {
        #expect(fixtures.count >= 40)
        #expect(fixtures.filter { $0.flow != nil }.count >= 20)
    }

    @Test("miss: verdict and counters", arguments: kinds, fixtures)
    func miss(kind: BypassDataPlane.Kind, fixture: Fixture) throws {
        let plane = try freshPlane(kind)
        // A decoy the kernel could never match is refused by user space already (tunnels, for example).
        if let decoy = fixture.decoy, decoy.abiKey != nil { try plane.table().insert(decoy, action: .bypass) }
        if kind == .socketFilter && fixture.skbHarnessRefuses {
            #expect(throws: BPFError.self) { try plane.program.testRun(fixture.frame) }
            return
        }
        #expect(try run(plane, fixture.frame) == .passed, "\(fixture.name)")
        let outcome: BypassStatistic = fixture.flow == nil ? fixture.outcome : .miss
        try expectStatistics(plane, [outcome: 1], fixture.name)
        if let decoy = fixture.decoy, let entry = plane.table().entry(for: decoy) {
            #expect(entry.packetsFirstToSecond == 0 && entry.packetsSecondToFirst == 0, "\(fixture.name): decoy hit")
        }
    }

    @Test(
        "hit: bypass drops or hides, counts the direction and bytes",
        arguments: kinds,
        fixtures.filter { $0.flow != nil }
    )
    func hit(kind: BypassDataPlane.Kind, fixture: Fixture) throws {
        let plane = try freshPlane(kind)
        let flow = try #require(fixture.flow)
        let table = plane.table()
        // With no kernel-side timing configured the kernel stamps the manager's last tick.
        let tick = monotonicNanoseconds()
        try plane.heartbeat(now: tick)
        try table.insert(flow, action: .bypass, now: 1)
        #expect(try run(plane, fixture.frame) == .dropped, "\(fixture.name)")
        #expect(try run(plane, fixture.frame) == .dropped, "\(fixture.name)")
        try expectStatistics(plane, [fixture.outcome: 2, .bypass: 2], fixture.name)
        let entry = try #require(table.entry(for: flow))
        let bytes = UInt64(fixture.frame.count) * 2
        if fixture.direction == 0 {
            #expect(entry.packetsFirstToSecond == 2 && entry.packetsSecondToFirst == 0, "\(fixture.name)")
            #expect(entry.bytesFirstToSecond == bytes && entry.bytesSecondToFirst == 0, "\(fixture.name)")
        } else {
            #expect(entry.packetsSecondToFirst == 2 && entry.packetsFirstToSecond == 0, "\(fixture.name)")
            #expect(entry.bytesSecondToFirst == bytes && entry.bytesFirstToSecond == 0, "\(fixture.name)")
        }
        #expect(entry.lastSeenNanoseconds == tick, "\(fixture.name): last-seen not updated")
        #expect(entry.insertedNanoseconds == 1)
        // Removing the flow restores the miss path.
        #expect(try table.remove(flow) != nil)
        #expect(try run(plane, fixture.frame) == .passed)
    }

    @Test("block action drops; fast-forward redirects (XDP) or is handed to user space", arguments: kinds)
    func actions(kind: BypassDataPlane.Kind) throws {
        let fixture = fixtures[0]
        let flow = try #require(fixture.flow)
        let plane = try freshPlane(kind)
        try plane.table().insert(flow, action: .block)
        #expect(try run(plane, fixture.frame) == .dropped)
        try expectStatistics(plane, [.hitV4: 1, .block: 1], "block")

        // Fast-forward without a peer configured: redirect is off, the packet goes to user space.
        let noPeer = try freshPlane(kind)
        try noPeer.table().insert(flow, action: .fastForward)
        #expect(try run(noPeer, fixture.frame) == .passed)
        try expectStatistics(noPeer, [.hitV4: 1, .redirectError: 1], "fast-forward without peer")

        let inert = try freshPlane(kind)
        try inert.table().insert(flow, action: .none)
        #expect(try run(inert, fixture.frame) == .passed)
        try expectStatistics(inert, [.hitV4: 1, .inert: 1], "inert")
    }

    @Test("fast-forward with a peer redirects through the devmap")
    func redirect() throws {
        let fixture = fixtures[0]
        let flow = try #require(fixture.flow)
        // Loopback exists in every namespace; the test run only needs a valid devmap entry.
        let plane = try freshPlane(.xdp) { $0.peerInterfaceIndex = 1 }
        try plane.table().insert(flow, action: .fastForward)
        #expect(try run(plane, fixture.frame) == .redirected)
        try expectStatistics(plane, [.hitV4: 1, .redirect: 1], "redirect")
        #expect(plane.table().entry(for: flow)?.packetsFirstToSecond == 1)
        // The peer went away: the packet falls back to user space and is not counted as forwarded.
        try #require(plane.txPeer).delete(0)
        #expect(try run(plane, fixture.frame) == .passed)
        try expectStatistics(plane, [.hitV4: 2, .redirect: 1, .redirectError: 1], "redirect without peer")
        #expect(plane.table().entry(for: flow)?.packetsFirstToSecond == 1)
    }

    @Test("TCP FIN and RST of a bypassed flow reach user space when asked", arguments: kinds)
    func flowEnd(kind: BypassDataPlane.Kind) throws {
        let (flow, _) = tuple("10.9.0.1", 1000, "10.9.0.2", 80, tcpProto)
        let fin = F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.9.0.2", "10.9.0.1", proto: 6, payload: F.tcp(80, 1000, flags: 0x11))
        )
        let rst = F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.9.0.1", "10.9.0.2", proto: 6, payload: F.tcp(1000, 80, flags: 0x04))
        )
        let passing = try freshPlane(kind) { $0.passFlowEnd = true }
        try passing.table().insert(flow, action: .bypass)
        #expect(try run(passing, fin) == .passed)
        #expect(try run(passing, rst) == .passed)
        try expectStatistics(passing, [.hitV4: 2, .flowEnd: 2], "flow end passed")
        let entry = try #require(passing.table().entry(for: flow))
        #expect(entry.finSeen && entry.rstSeen)
        #expect(entry.packetsFirstToSecond == 0 && entry.packetsSecondToFirst == 0)

        let dropping = try freshPlane(kind)
        try dropping.table().insert(flow, action: .bypass)
        #expect(try run(dropping, fin) == .dropped)
        try expectStatistics(dropping, [.hitV4: 1, .bypass: 1], "flow end dropped")
        #expect(dropping.table().entry(for: flow)?.finSeen == true)
    }

    @Test("block lists drop by source or destination prefix", arguments: kinds)
    func blockList(kind: BypassDataPlane.Kind) throws {
        let plane = try freshPlane(kind)
        var v4 = weir_lpm_key_v4()
        v4.prefixlen = 16
        v4.addr = (10, 1, 0, 0)
        try #require(plane.blockV4).update(v4, weir_block_value())
        var v6 = weir_lpm_key_v6()
        v6.prefixlen = 32
        withUnsafeMutableBytes(of: &v6.addr) {
            $0.copyBytes(from: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 12))
        }
        try #require(plane.blockV6).update(v6, weir_block_value())
        var control = try #require(plane.control.lookup(0))
        control.block_v4_entries = 1
        control.block_v6_entries = 1
        try plane.control.update(0, control)

        let inside = F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("192.0.2.1", "10.1.200.3", proto: 17, payload: F.udp(1, 2))
        )
        let outside = F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("192.0.2.1", "10.2.0.3", proto: 17, payload: F.udp(1, 2))
        )
        let inside6 = F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8::1", "2001:db9::1", proto: 6, payload: F.tcp(1, 2))
        )
        #expect(try run(plane, inside) == .dropped)
        #expect(try run(plane, outside) == .passed)
        #expect(try run(plane, inside6) == .dropped)
        try expectStatistics(plane, [.blockList: 2, .miss: 1], "block list")
        #expect(plane.blockV4?.lookup(v4)?.packets == 1)
    }

    @Test("stale heartbeat: fail-closed drops everything, fail-open passes")
    func heartbeat() throws {
        let frame = fixtures[0].frame
        let arp = fixtures.first { $0.outcome == .notIP }?.frame ?? frame
        let closed = try freshPlane(.xdp) {
            $0.heartbeatTimeoutNanoseconds = 1_000_000_000
            $0.failMode = .closed
        }
        #expect(try run(closed, frame) == .passed)  // the loader's heartbeat is fresh
        try closed.heartbeat(now: 1)  // long ago
        #expect(try run(closed, frame) == .dropped)
        #expect(try run(closed, arp) == .dropped)
        try expectStatistics(closed, [.miss: 1, .failClosed: 2], "fail-closed")
        try closed.heartbeat()
        #expect(try run(closed, frame) == .passed)

        let open = try freshPlane(.xdp) {
            $0.heartbeatTimeoutNanoseconds = 1_000_000_000
            $0.failMode = .open
        }
        try open.table().insert(try #require(fixtures[0].flow), action: .bypass)
        try open.heartbeat(now: 1)
        #expect(try run(open, frame) == .passed)  // not dropped although bypassed: inspection gets it
        try expectStatistics(open, [.failOpen: 1], "fail-open")
    }

    @Test("kernel-side expiry: an idle entry is a miss until user space sweeps it", arguments: kinds)
    func expiry(kind: BypassDataPlane.Kind) throws {
        let fixture = fixtures[0]
        let flow = try #require(fixture.flow)
        let plane = try freshPlane(kind) { $0.flowIdleTimeoutNanoseconds = 1_000_000_000 }
        let table = plane.table()
        try table.insert(flow, action: .bypass, now: 1)
        #expect(try run(plane, fixture.frame) == .passed)
        try expectStatistics(plane, [.miss: 1, .expired: 1], "expired")
        // Only user space writes slots: the entry stays, ignored by the kernel, until the sweep.
        #expect(table.entry(for: flow)?.packetsFirstToSecond == 0)
        #expect(try table.sweep(idleLongerThan: 1_000_000_000).map(\.key) == [flow])
        #expect(table.entry(for: flow) == nil)
        try table.insert(flow, action: .bypass)
        #expect(try run(plane, fixture.frame) == .dropped)
    }
}

@Suite("Acting as older kernels (WEIR_KERNEL_VERSION)")
struct OlderKernelTests {
    static func acting(as version: KernelVersion) -> KernelFeatures {
        var probes: [KernelFeatures.Feature: (method: String, passed: Bool?)] = [:]
        for result in probedFeatures.results { probes[result.feature] = (result.method, result.probed) }
        return KernelFeatures(running: probedFeatures.runningVersion, override: version, probes: probes)
    }

    @Test("4.13: XDP without redirect; fast-forward is handed to user space, no devmap is created")
    func noRedirect() throws {
        BPFLogging.silence()
        let features = Self.acting(as: KernelVersion(4, 13))
        #expect(features.usesXDP && !features.uses(.xdpRedirect) && !features.uses(.bpfLinkXDP))
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = 256
        settings.peerInterfaceIndex = 1
        let plane = try BypassDataPlane(kind: .xdp, settings: settings, features: features)
        #expect(plane.txPeer == nil)
        #expect(plane.flowsV4.info.type == BPF_MAP_TYPE_ARRAY.rawValue)
        let fixture = fixtures[0]
        try plane.table().insert(try #require(fixture.flow), action: .fastForward)
        #expect(try run(plane, fixture.frame) == .passed)
        try expectStatistics(plane, [.hitV4: 1, .redirectError: 1], "4.13 fast-forward")
    }

    @Test("4.9: no XDP; the socket filter loads with its slot tables and without block lists")
    func socketFilterOnly() throws {
        BPFLogging.silence()
        let features = Self.acting(as: KernelVersion(4, 9))
        #expect(!features.usesXDP && features.uses(.socketFilter) && !features.uses(.batchOps))
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = 256
        let error = #expect(throws: BPFError.self) {
            _ = try BypassDataPlane(kind: .xdp, settings: settings, features: features)
        }
        #expect(error?.code == .unsupported)
        let plane = try BypassDataPlane(kind: .socketFilter, settings: settings, features: features)
        #expect(plane.flowsV4.info.type == BPF_MAP_TYPE_ARRAY.rawValue)
        let fixture = fixtures[0]
        try plane.table().insert(try #require(fixture.flow), action: .bypass)
        #expect(plane.table().entries().count == 1)  // read one slot at a time: no batch ops before 5.6
        #expect(plane.blockV4 == nil && plane.blockV6 == nil)
        #expect(settings.knobs(features: features).legacy_loads == 1)
    }
}
