// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Testing
import WeirBPFObjects
import WeirBypass
import WeirCore
import WeirFlow

// MARK: - Helpers: commands, namespaces, packet sockets

/// Runs a command (no shell) and returns its exit status, or -1 when it could not be started.
@discardableResult
func runCommand(_ arguments: [String]) -> Int32 {
    var pid = pid_t()
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawnp(&pid, arguments[0], nil, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
}

/// Work handed to a thread that enters a network namespace first.
private final class NamespaceJob: @unchecked Sendable {
    let path: String
    let body: () -> Void
    var entered = false
    init(path: String, body: @escaping () -> Void) {
        self.path = path
        self.body = body
    }
}

/// Runs `body` on a new thread inside network namespace `name` (created with `ip netns add`). Only that
/// thread changes namespace; sockets, links and descriptors it creates keep working from any thread.
func inNamespace(_ name: String, _ body: @escaping () -> Void) -> Bool {
    let job = NamespaceJob(path: "/run/netns/\(name)", body: body)
    let pointer = Unmanaged.passRetained(job).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(
        &thread,
        nil,
        { argument in
            guard let argument else { return nil }
            let job = Unmanaged<NamespaceJob>.fromOpaque(argument).takeUnretainedValue()
            let fd = open(job.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            guard cweir_setns_net(fd) == 0 else { return nil }
            job.entered = true
            job.body()
            return nil
        },
        pointer
    )
    if created == 0 { pthread_join(thread, nil) }
    Unmanaged<NamespaceJob>.fromOpaque(pointer).release()
    return job.entered
}

/// A veth pair between two fresh namespaces, deleted by name when the value goes away.
final class VethPair {
    static let counter = Counter()
    /// `ip netns add` races with itself while /run/netns is first made a shared mount: set up and tear
    /// down one pair at a time.
    static let setupLock = NSLockLike()
    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLockLike()
        func next() -> Int {
            self.lock.withLock {
                self.value += 1; return self.value
            }
        }
    }

    let sender: String
    let receiver: String
    let senderLink: String
    let receiverLink: String

    init() throws {
        let n = Self.counter.next()
        let tag = "\(getpid())-\(n)"
        self.sender = "weir-t-\(tag)-a"
        self.receiver = "weir-t-\(tag)-b"
        self.senderLink = "wta\(getpid() % 100000)\(n)"
        self.receiverLink = "wtb\(getpid() % 100000)\(n)"
        let created = Self.setupLock.withLock { self.create() }
        guard created else {
            self.cleanUp()
            throw BPFError(.invalidArgument, call: "set up namespaces \(self.sender)/\(self.receiver)")
        }
    }

    private func create() -> Bool {
        guard runCommand(["ip", "netns", "add", self.sender]) == 0,
            runCommand(["ip", "netns", "add", self.receiver]) == 0,
            // Created directly inside the namespaces: nothing appears in the root namespace.
            runCommand([
                "ip", "link", "add", self.senderLink, "netns", self.sender, "type", "veth", "peer", "name",
                self.receiverLink, "netns", self.receiver,
            ]) == 0
        else {
            return false
        }
        for (namespace, link) in [(self.sender, self.senderLink), (self.receiver, self.receiverLink)] {
            // No IPv6 (no ND/MLD noise), no addresses and no routes: only the test's own frames cross.
            runCommand(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            runCommand(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
            runCommand(["ip", "-n", namespace, "link", "set", link, "up"])
        }
        return true
    }

    /// Deletes both namespaces by name (idempotent; the veth pair goes with them).
    func cleanUp() {
        Self.setupLock.withLock {
            for namespace in [self.sender, self.receiver] where access("/run/netns/\(namespace)", F_OK) == 0 {
                runCommand(["ip", "netns", "del", namespace])
            }
        }
    }

    deinit {
        self.cleanUp()
    }
}

/// A minimal mutex for the counter (Foundation is not imported by the tests).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&self.mutex, nil) }
    deinit { pthread_mutex_destroy(&self.mutex) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&self.mutex)
        defer { pthread_mutex_unlock(&self.mutex) }
        return body()
    }
}

/// A packet socket bound to `index` with a receive buffer large enough that no test frame is dropped.
func captureSocket(_ index: Int32) -> Int32 {
    let fd = cweir_packet_socket(index)
    if fd >= 0 {
        var size: Int32 = 8 << 20
        // SO_RCVBUFFORCE (root) ignores rmem_max.
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    return fd
}

// MARK: - The replay

/// One flow of the replay: its frames, whether it is put into the flow table, and how many packets each
/// direction sends.
struct ReplayFlow {
    let name: String
    let forward: [UInt8]
    let reverse: [UInt8]?
    let forwardCount: Int
    let reverseCount: Int
    let mapped: Bool
    let key: FlowKey
    /// The key's "first" endpoint is the forward frame's source.
    let forwardIsFirst: Bool
    /// Bytes that identify the flow's frames in what the capture socket receives (source, destination
    /// addresses as they appear after the Ethernet/VLAN header).
    let marker: [UInt8]
}

func replayFlows() -> [ReplayFlow] {
    func flow(
        _ name: String,
        _ src: String,
        _ sport: UInt16,
        _ dst: String,
        _ dport: UInt16,
        _ proto: UInt8,
        tags: [FrameBuilder.Tag] = [],
        vlan: (UInt16, UInt16) = (0, 0),
        forward: Int,
        reverse: Int,
        mapped: Bool
    ) -> ReplayFlow {
        let isV6 = src.contains(":")
        func frame(_ s: String, _ sp: UInt16, _ d: String, _ dp: UInt16, ack: Bool) -> [UInt8] {
            let l4: [UInt8]
            switch proto {
            case 6:
                l4 = FrameBuilder.tcp(sp, dp, flags: ack ? 0x10 : 0x18, payload: [UInt8](repeating: 0x42, count: 32))
            case 17: l4 = FrameBuilder.udp(sp, dp, payload: [UInt8](repeating: 0x43, count: 40))
            default: l4 = FrameBuilder.icmpEcho(type: ack ? 0 : 8)
            }
            let ip =
                isV6
                ? FrameBuilder.ipv6(s, d, proto: proto, payload: l4)
                : FrameBuilder.ipv4(s, d, proto: proto, payload: l4)
            return FrameBuilder.ethernet(tags: tags, etherType: isV6 ? 0x86dd : 0x0800, payload: ip)
        }
        let (key, direction) = tuple(src, sport, dst, dport, proto, vlan: vlan)
        let marker = (IPAddress(src)?.bytes ?? []) + (IPAddress(dst)?.bytes ?? [])
        return ReplayFlow(
            name: name,
            forward: frame(src, sport, dst, dport, ack: false),
            reverse: reverse > 0 ? frame(dst, dport, src, sport, ack: true) : nil,
            forwardCount: forward,
            reverseCount: reverse,
            mapped: mapped,
            key: key,
            forwardIsFirst: direction == 0,
            marker: marker
        )
    }
    return [
        flow("tcp v4 mapped", "10.10.0.1", 40000, "10.10.0.2", 80, 6, forward: 40, reverse: 25, mapped: true),
        flow("udp v4 unmapped", "10.10.1.1", 5000, "10.10.1.2", 53, 17, forward: 30, reverse: 10, mapped: false),
        flow(
            "tcp v6 mapped",
            "2001:db8:10::9",
            443,
            "2001:db8:10::1",
            50000,
            6,
            forward: 20,
            reverse: 15,
            mapped: true
        ),
        flow(
            "udp v4 802.1Q 100 mapped",
            "10.10.2.1",
            7000,
            "10.10.2.2",
            7001,
            17,
            tags: [.dot1q(100)],
            vlan: (100, 0),
            forward: 18,
            reverse: 0,
            mapped: true
        ),
        flow("icmp v4 unmapped", "10.10.3.1", 0, "10.10.3.2", 0, 1, forward: 12, reverse: 12, mapped: false),
        flow(
            "tcp v4 QinQ 30/40 mapped",
            "10.10.4.2",
            8080,
            "10.10.4.1",
            33333,
            6,
            tags: [.dot1ad(30), .dot1q(40)],
            vlan: (30, 40),
            forward: 16,
            reverse: 9,
            mapped: true
        ),
        flow(
            "tcp v4 same tuple as mapped, other VLAN",
            "10.10.0.1",
            40000,
            "10.10.0.2",
            80,
            6,
            tags: [.dot1q(7)],
            vlan: (7, 0),
            forward: 11,
            reverse: 0,
            mapped: false
        ),
    ]
}

/// How the data plane is attached for one run.
enum AttachMode: String, CaseIterable, Sendable {
    case xdpNative
    case xdpGeneric
    case socketFilter
    /// The socket filter as on a 4.9 kernel: absolute loads, plain hash tables, no block lists.
    case socketFilterLegacy
}

/// Counts received frames per replay flow (by address marker, VLAN tags stripped or not).
func classify(_ frame: [UInt8], _ flows: [ReplayFlow]) -> Int? {
    for (index, flow) in flows.enumerated() {
        let m = flow.marker
        let reversed = Array(m[(m.count / 2)...] + m[..<(m.count / 2)])
        guard frame.count > m.count else { continue }
        let window = m.count == 8 ? 12 : 8  // offset of the source address in the IPv4 / IPv6 header
        for l3 in [14, 18, 22] where frame.count >= l3 + window + m.count {
            let slice = Array(frame[(l3 + window)..<(l3 + window + m.count)])
            if slice == m || slice == reversed {
                // Tell the two flows sharing a tuple apart by their VLAN tag (in the frame, or stripped).
                return index
            }
        }
    }
    return nil
}

@Suite("veth/netns integration", .serialized)
struct NetnsIntegrationTests {
    @Test(
        "mapped flows never reach the capture socket; all others do; kernel counters equal the replay",
        arguments: AttachMode.allCases
    )
    func replay(mode: AttachMode) throws {
        BPFLogging.silence()
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let flows = replayFlows()
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = 1024
        settings.passFlowEnd = false

        final class Box: @unchecked Sendable {
            var plane: BypassDataPlane?
            var attachment: XDPAttachment?
            var socket: Int32 = -1
            var error: Error?
            var receiverIndex: Int32 = 0
            var senderSocket: Int32 = -1
            var senderIndex: Int32 = 0
        }
        let box = Box()
        let entered = inNamespace(pair.receiver) {
            do {
                box.receiverIndex = Int32(if_nametoindex(pair.receiverLink))
                let isFilter = mode == .socketFilter || mode == .socketFilterLegacy
                let features =
                    mode == .socketFilterLegacy ? OlderKernelTests.acting(as: KernelVersion(4, 9)) : probedFeatures
                let plane = try BypassDataPlane(
                    kind: isFilter ? .socketFilter : .xdp,
                    settings: settings,
                    features: features
                )
                box.plane = plane
                box.socket = captureSocket(box.receiverIndex)
                if isFilter {
                    var fd = plane.program.fd
                    if setsockopt(box.socket, SOL_SOCKET, SO_ATTACH_BPF, &fd, socklen_t(MemoryLayout<Int32>.size)) != 0
                    {
                        throw BPFError(.systemCall, call: "setsockopt(SO_ATTACH_BPF)", errno: errno)
                    }
                } else {
                    box.attachment = try XDPAttachment(
                        program: plane.program,
                        interfaceIndex: box.receiverIndex,
                        mode: mode == .xdpNative ? .native : .generic,
                        features: probedFeatures
                    )
                }
            } catch {
                box.error = error
            }
        }
        #expect(entered)
        if let error = box.error { throw error }
        let plane = try #require(box.plane)
        #expect(box.socket >= 0)
        defer { close(box.socket) }
        if let attachment = box.attachment {
            #expect(attachment.method == .link)
            #expect(attachment.attachedMode == (mode == .xdpNative ? .native : .generic))
        }

        let table = plane.table()
        try plane.heartbeat()
        for flow in flows where flow.mapped { try table.insert(flow.key, action: .bypass) }
        // Drain anything that arrived before the replay (there should be nothing).
        var scratch = [UInt8](repeating: 0, count: 4096)
        while scratch.withUnsafeMutableBytes({ recv(box.socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}

        // Replay from the other namespace, interleaving flows and directions.
        _ = inNamespace(pair.sender) {
            box.senderIndex = Int32(if_nametoindex(pair.senderLink))
            box.senderSocket = cweir_packet_socket(box.senderIndex)
            guard box.senderSocket >= 0 else { return }
            let rounds = flows.map { max($0.forwardCount, $0.reverseCount) }.max() ?? 0
            for round in 0..<rounds {
                for flow in flows {
                    if round < flow.forwardCount {
                        _ = flow.forward.withUnsafeBytes {
                            cweir_packet_send(box.senderSocket, box.senderIndex, $0.baseAddress, UInt($0.count))
                        }
                    }
                    if let reverse = flow.reverse, round < flow.reverseCount {
                        _ = reverse.withUnsafeBytes {
                            cweir_packet_send(box.senderSocket, box.senderIndex, $0.baseAddress, UInt($0.count))
                        }
                    }
                }
            }
            close(box.senderSocket)
        }

        // Collect until the socket has been quiet for 300 ms.
        var received = [Int](repeating: 0, count: flows.count)
        var unknown = 0
        var pollDescriptor = pollfd(fd: box.socket, events: Int16(POLLIN), revents: 0)
        while poll(&pollDescriptor, 1, 300) > 0 {
            let count = scratch.withUnsafeMutableBytes {
                recv(box.socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            if count <= 0 { continue }
            let frame = Array(scratch[0..<count])
            if let index = classify(frame, flows) {
                // Flow 6 shares flow 0's tuple and differs by its VLAN tag, which the receiving socket may
                // see stripped. Flow 0 is mapped, so none of its frames may arrive: every arrival with this
                // tuple is counted for flow 6, and a leak of flow 0 shows up as too many there.
                received[index == 0 ? 6 : index] += 1
            } else {
                unknown += 1
            }
        }
        #expect(unknown == 0, "\(mode): frames from nowhere")
        for (index, flow) in flows.enumerated() {
            let sent = flow.forwardCount + flow.reverseCount
            if flow.mapped {
                #expect(received[index] == 0, "\(mode) \(flow.name): bypassed packets reached the socket")
                let entry = try #require(table.entry(for: flow.key), "\(mode) \(flow.name)")
                let forward = flow.forwardIsFirst ? entry.packetsFirstToSecond : entry.packetsSecondToFirst
                let reverse = flow.forwardIsFirst ? entry.packetsSecondToFirst : entry.packetsFirstToSecond
                #expect(forward == UInt64(flow.forwardCount), "\(mode) \(flow.name): forward counter")
                #expect(reverse == UInt64(flow.reverseCount), "\(mode) \(flow.name): reverse counter")
                let bytes = UInt64(
                    flow.forwardCount * flow.forward.count + flow.reverseCount * (flow.reverse?.count ?? 0)
                )
                #expect(entry.bytesFirstToSecond + entry.bytesSecondToFirst == bytes, "\(mode) \(flow.name): bytes")
            } else {
                #expect(received[index] == sent, "\(mode) \(flow.name): passed packets")
            }
        }
        let stats = try plane.statistics()
        let mappedPackets = flows.filter(\.mapped).map { $0.forwardCount + $0.reverseCount }.reduce(0, +)
        #expect(stats[.bypass] == UInt64(mappedPackets), "\(mode): bypass counter")
        if mode == .xdpNative || mode == .xdpGeneric {
            final class Result: @unchecked Sendable { var attachedBefore: UInt32 = 0; var attachedAfter: UInt32 = 99 }
            let result = Result()
            _ = inNamespace(pair.receiver) {
                result.attachedBefore = (try? XDPAttachment.query(box.receiverIndex))?.prog_id ?? 0
                box.attachment = nil  // closing the bpf_link detaches
                result.attachedAfter = (try? XDPAttachment.query(box.receiverIndex))?.prog_id ?? 99
            }
            #expect(result.attachedBefore != 0, "\(mode): program was attached")
            #expect(result.attachedAfter == 0, "\(mode): program detached with its link")
        }
    }
}

@Suite("XDP attach policy", .serialized)
struct XDPAttachPolicyTests {
    /// This kernel's probe answers, gated as if it were `version`.
    func acting(as version: KernelVersion) -> KernelFeatures {
        var probes: [KernelFeatures.Feature: (method: String, passed: Bool?)] = [:]
        for result in probedFeatures.results { probes[result.feature] = (result.method, result.probed) }
        return KernelFeatures(running: probedFeatures.runningVersion, override: version, probes: probes)
    }

    @Test("netlink fallback below 5.9; a foreign program is never replaced without the flag")
    func foreign() throws {
        BPFLogging.silence()
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let old = self.acting(as: KernelVersion(5, 4))
        #expect(!old.uses(.bpfLinkXDP) && old.usesXDP)
        var settings = BypassSettings()
        settings.pinRoot = nil
        settings.flowTableSize = 256

        final class Outcome: @unchecked Sendable {
            var method: XDPAttachment.Method?
            var mode: XDPAttachment.AttachedMode?
            var secondError: BPFError.Code?
            var linkError: BPFError.Code?
            var replacedID: UInt32 = 0
            var firstID: UInt32 = 0
            var afterDetach: UInt32 = 99
            var error: Error?
        }
        let outcome = Outcome()
        let entered = inNamespace(pair.receiver) {
            do {
                let index = Int32(if_nametoindex(pair.receiverLink))
                let first = try BypassDataPlane(kind: .xdp, settings: settings, features: old)
                let second = try BypassDataPlane(kind: .xdp, settings: settings, features: probedFeatures)
                let attachment = try XDPAttachment(
                    program: first.program,
                    interfaceIndex: index,
                    mode: .generic,
                    features: old
                )
                outcome.method = attachment.method
                outcome.mode = attachment.attachedMode
                outcome.firstID = attachment.programID
                do {
                    _ = try XDPAttachment(program: second.program, interfaceIndex: index, mode: .generic, features: old)
                } catch {
                    outcome.secondError = (error as? BPFError)?.code
                }
                do {
                    _ = try XDPAttachment(
                        program: second.program,
                        interfaceIndex: index,
                        mode: .generic,
                        features: probedFeatures
                    )
                } catch {
                    outcome.linkError = (error as? BPFError)?.code
                }
                let replacement = try XDPAttachment(
                    program: second.program,
                    interfaceIndex: index,
                    mode: .generic,
                    features: probedFeatures,
                    replaceForeign: true
                )
                outcome.replacedID = replacement.programID
                replacement.detach()
                attachment.detach()  // no longer ours: must not remove anything
                outcome.afterDetach = try XDPAttachment.query(index).prog_id
            } catch {
                outcome.error = error
            }
        }
        #expect(entered)
        if let error = outcome.error { throw error }
        #expect(outcome.method == .netlink)
        #expect(outcome.mode == .generic)
        #expect(outcome.firstID != 0)
        #expect(outcome.secondError == .foreignProgram)
        #expect(outcome.linkError == .foreignProgram)
        #expect(outcome.replacedID != 0 && outcome.replacedID != outcome.firstID)
        #expect(outcome.afterDetach == 0)
    }
}

/// Three namespaces in a row, sender ⇄ weir ⇄ peer, for the IPS fast path; deleted by name at the end.
final class IPSChain {
    let sender: String
    let weir: String
    let peer: String
    let senderLink: String
    let weirIn: String
    let weirOut: String
    let peerLink: String

    init() throws {
        let n = VethPair.counter.next()
        let tag = "\(getpid())-\(n)"
        let short = "\(getpid() % 100000)\(n)"
        (self.sender, self.weir, self.peer) = ("weir-t-\(tag)-s", "weir-t-\(tag)-w", "weir-t-\(tag)-p")
        (self.senderLink, self.weirIn, self.weirOut, self.peerLink) = (
            "wts\(short)", "wti\(short)", "wto\(short)", "wtp\(short)"
        )
        let ok = VethPair.setupLock.withLock { () -> Bool in
            for namespace in [self.sender, self.weir, self.peer]
            where runCommand(["ip", "netns", "add", namespace]) != 0 {
                return false
            }
            guard
                runCommand([
                    "ip", "link", "add", self.senderLink, "netns", self.sender, "type", "veth", "peer", "name",
                    self.weirIn,
                    "netns", self.weir,
                ]) == 0,
                runCommand([
                    "ip", "link", "add", self.weirOut, "netns", self.weir, "type", "veth", "peer", "name",
                    self.peerLink,
                    "netns", self.peer,
                ]) == 0
            else { return false }
            for (namespace, links) in [
                (self.sender, [self.senderLink]), (self.weir, [self.weirIn, self.weirOut]),
                (self.peer, [self.peerLink]),
            ] {
                runCommand(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                runCommand(["ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
                for link in links { runCommand(["ip", "-n", namespace, "link", "set", link, "up"]) }
            }
            return true
        }
        guard ok else {
            self.cleanUp()
            throw BPFError(.invalidArgument, call: "set up namespaces \(self.sender)/\(self.weir)/\(self.peer)")
        }
    }

    func cleanUp() {
        VethPair.setupLock.withLock {
            for namespace in [self.sender, self.weir, self.peer] where access("/run/netns/\(namespace)", F_OK) == 0 {
                runCommand(["ip", "netns", "del", namespace])
            }
        }
    }

    deinit { self.cleanUp() }
}

@Suite("IPS fast path on veth", .serialized)
struct IPSFastPathTests {
    @Test(
        "fast-forwarded flows leave through the peer interface, untouched; others reach the capture socket",
        arguments: ["generic", "native"]
    )
    func fastForward(mode: String) throws {
        BPFLogging.silence()
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let forwarded = FrameBuilder.ethernet(
            etherType: 0x0800,
            payload: FrameBuilder.ipv4(
                "10.20.0.1",
                "10.20.0.2",
                proto: 6,
                payload: FrameBuilder.tcp(41000, 443, flags: 0x18)
            )
        )
        let inspected = FrameBuilder.ethernet(
            etherType: 0x0800,
            payload: FrameBuilder.ipv4("10.20.1.1", "10.20.1.2", proto: 17, payload: FrameBuilder.udp(9, 9))
        )
        let (key, _) = tuple("10.20.0.1", 41000, "10.20.0.2", 443, tcpProto)

        final class Box: @unchecked Sendable {
            var plane: BypassDataPlane?
            var attachment: XDPAttachment?
            var peerPass: BypassDataPlaneBaseline?
            var capture: Int32 = -1
            var peerCapture: Int32 = -1
            var error: Error?
        }
        let box = Box()
        _ = inNamespace(chain.peer) {
            do {
                let index = Int32(if_nametoindex(chain.peerLink))
                box.peerCapture = captureSocket(index)
                // veth delivers natively redirected frames only to a peer that runs XDP itself.
                if mode == "native" { box.peerPass = try BypassDataPlaneBaseline(interfaceIndex: index) }
            } catch {
                box.error = error
            }
        }
        _ = inNamespace(chain.weir) {
            do {
                let inIndex = Int32(if_nametoindex(chain.weirIn))
                var settings = BypassSettings()
                settings.pinRoot = nil
                settings.flowTableSize = 256
                settings.peerInterfaceIndex = UInt32(if_nametoindex(chain.weirOut))
                let plane = try BypassDataPlane(kind: .xdp, settings: settings, features: probedFeatures)
                box.plane = plane
                box.capture = captureSocket(inIndex)
                box.attachment = try XDPAttachment(
                    program: plane.program,
                    interfaceIndex: inIndex,
                    mode: mode == "native" ? .native : .generic,
                    features: probedFeatures
                )
            } catch {
                box.error = error
            }
        }
        if let error = box.error { throw error }
        defer {
            close(box.capture)
            close(box.peerCapture)
        }
        let plane = try #require(box.plane)
        try plane.table().insert(key, action: .fastForward)
        _ = inNamespace(chain.sender) {
            let index = Int32(if_nametoindex(chain.senderLink))
            let fd = cweir_packet_socket(index)
            for _ in 0..<20 {
                for frame in [forwarded, inspected] {
                    _ = frame.withUnsafeBytes { cweir_packet_send(fd, index, $0.baseAddress, UInt($0.count)) }
                }
            }
            close(fd)
        }
        func drain(_ fd: Int32) -> [[UInt8]] {
            var frames: [[UInt8]] = []
            var buffer = [UInt8](repeating: 0, count: 2048)
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&descriptor, 1, 300) > 0 {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0 { frames.append(Array(buffer[0..<n])) }
            }
            return frames
        }
        let atPeer = drain(box.peerCapture)
        let atWeir = drain(box.capture)
        #expect(atPeer.count == 20, "\(mode): forwarded frames at the peer")
        #expect(atPeer.allSatisfy { $0 == forwarded }, "\(mode): forwarded frames unchanged")
        #expect(atWeir.count == 20, "\(mode): inspected frames at the capture socket")
        #expect(atWeir.allSatisfy { $0 == inspected }, "\(mode): only the inspected flow is captured")
        let stats = try plane.statistics()
        #expect(stats[.redirect] == 20 && stats[.redirectError] == 0 && stats[.miss] == 20, "\(mode): \(stats)")
        #expect(plane.table().entry(for: key)?.packetsFirstToSecond == 20)
        _ = inNamespace(chain.weir) { box.attachment = nil }
        _ = inNamespace(chain.peer) { box.peerPass = nil }
    }
}

/// The bare XDP_PASS program attached to an interface (a veth peer must run XDP to take native redirects).
final class BypassDataPlaneBaseline {
    let object: BPFObject
    let attachment: XDPAttachment

    init(interfaceIndex: Int32) throws {
        self.object = try BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline")
        try self.object.load()
        self.attachment = try XDPAttachment(
            program: try self.object.program(WEIR_PROG_XDP_PASS),
            interfaceIndex: interfaceIndex,
            mode: .native,
            features: probedFeatures
        )
    }
}
