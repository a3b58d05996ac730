// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Testing
import WeirBypass
import WeirCapture
import WeirCore
import WeirDecode
import WeirRuntime
import WeirTestSupport

/// A live capture running inside a network namespace on a thread of its own, stopped through a pipe.
final class LiveSession: @unchecked Sendable {
    private let lock = NSLockLike()
    private var ready = false
    private var status: Int32 = -1
    private var entered = false
    private let stopRead: Int32
    private let stopWrite: Int32
    private var thread = pthread_t()
    private var started = false
    /// The run: gets the stop descriptor and the ready callback, returns the exit status.
    private let body: (Int32, @escaping () -> Void) -> Int32
    private let namespace: String

    /// Starts `body` inside `namespace` and waits (up to 5 s) until it says it is ready.
    init(in namespace: String, _ body: @escaping (_ stopFD: Int32, _ ready: @escaping () -> Void) -> Int32) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw BPFError(.systemCall, call: "pipe") }
        (self.stopRead, self.stopWrite) = (fds[0], fds[1])
        self.body = body
        self.namespace = namespace
        let pointer = Unmanaged.passRetained(self).toOpaque()
        self.started =
            pthread_create(
                &self.thread, nil,
                { argument in
                    guard let argument else { return nil }
                    let session = Unmanaged<LiveSession>.fromOpaque(argument).takeRetainedValue()
                    session.runInNamespace()
                    return nil
                }, pointer) == 0
        if !self.started { Unmanaged<LiveSession>.fromOpaque(pointer).release() }
        var waited = 0
        while self.started && !self.lock.withLock({ self.ready || self.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
    }

    private func runInNamespace() {
        let entered = inNamespace(self.namespace) {
            let status = self.body(self.stopRead) { self.lock.withLock { self.ready = true } }
            self.lock.withLock { self.status = status }
        }
        self.lock.withLock { self.entered = entered }
    }

    /// The capture said it was ready.
    var isReady: Bool { self.lock.withLock { self.ready } }

    /// Stops the capture and returns its exit status (-1 when it never ran).
    func stop() -> Int32 {
        var one: UInt8 = 1
        _ = write(self.stopWrite, &one, 1)
        if self.started {
            pthread_join(self.thread, nil)
            self.started = false
        }
        return self.lock.withLock { self.entered ? self.status : -1 }
    }

    deinit {
        close(self.stopRead)
        close(self.stopWrite)
    }
}

/// A packet socket on `link` made inside `namespace` (usable from any thread), and the link's index.
func packetSocket(in namespace: String, link: String) -> (fd: Int32, index: Int32) {
    var result: (Int32, Int32) = (-1, 0)
    _ = inNamespace(namespace) {
        let index = Int32(bitPattern: if_nametoindex(link))
        result = (captureSocket(index), index)
    }
    return result
}

/// Sends every frame on `socket`, expecting each to go out whole.
func send(_ frames: [[UInt8]], on socket: (fd: Int32, index: Int32)) {
    for frame in frames {
        #expect(frame.withUnsafeBytes { cweir_packet_send(socket.fd, socket.index, $0.baseAddress, UInt($0.count)) } == frame.count)
    }
}

/// A scratch directory with a rules file, and the options of a quiet live run writing EVE into it.
struct LiveRunFiles {
    let directory: String

    init(_ tag: String, rules: String) {
        self.directory = "/tmp/weir-live-\(tag)-\(getpid())"
        _ = runCommand(["rm", "-rf", self.directory])
        #expect(mkdir(self.directory, 0o700) == 0)
        #expect(FileDescriptorWriter.write(rules, to: "\(self.directory)/live.rules"))
    }

    func options(_ overrides: [String]) -> RunOptions {
        var options = RunOptions()
        options.exclusiveRuleFiles = ["\(self.directory)/live.rules"]
        options.logDirectory = "\(self.directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = overrides
        return options
    }

    /// The EVE records written, one per line.
    func eve() -> [Substring] {
        (FileDescriptorWriter.read("\(self.directory)/out/eve.json") ?? "").split(separator: "\n")
    }

    /// The stats record.
    func stats() -> String { self.eve().last { $0.contains("\"event_type\":\"stats\"") }.map(String.init) ?? "" }

    /// The last stats.log totals: every counter, Weir's own included (0 when absent).
    func counters() -> [String: UInt64] { statsLogTotals("\(self.directory)/out/stats.log") }

    func remove() { _ = runCommand(["rm", "-rf", self.directory]) }
}

/// A UDP frame from `source`:`port` to `destination`:`destinationPort` carrying `payload`, optionally
/// 802.1Q-tagged.
func udpFrame(
    _ source: String, _ destination: String, port: UInt16, to destinationPort: UInt16 = 53, vlan: UInt16? = nil,
    payload: String
) -> [UInt8] {
    FrameBuilder.ethernet(
        tags: vlan.map { [.dot1q($0)] } ?? [],
        etherType: 0x0800,
        payload: FrameBuilder.ipv4(
            source, destination, proto: 17, payload: FrameBuilder.udp(port, destinationPort, payload: Array(payload.utf8))))
}

/// Every frame waiting on `fd`.
func drain(_ fd: Int32) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n <= 0 { break }
        frames.append(Array(buffer[0..<n]))
    }
    return frames
}

/// Whether `frame` contains `text`.
func frameContains(_ frame: [UInt8], _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard frame.count >= needle.count else { return false }
    return (0...(frame.count - needle.count)).contains { Array(frame[$0..<($0 + needle.count)]) == needle }
}

@Suite("Live capture (--af-packet, --pcap) on veth", .serialized)
struct LiveCaptureTests {
    @Test(
        "frames sent into a veth reach the rings (one worker, or two in a fanout group) or libpcap (0), the pipelines and one EVE file; VLAN tags the kernel took off are put back",
        arguments: [1, 2, 0]
    )
    func captureThroughTheRing(workers: Int) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let files = LiveRunFiles(
            "ring\(workers)", rules: "alert udp any any -> any any (msg:\"live probe\"; content:\"weir-live-probe\"; sid:9100001; rev:1;)\n")
        defer { files.remove() }
        let sender = packetSocket(in: pair.sender, link: pair.senderLink)
        #expect(sender.fd >= 0)
        defer { close(sender.fd) }
        let options = files.options(["af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.threads=\(max(workers, 1))"])
        let link = pair.receiverLink
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            workers == 0
                ? LiveCapture.runPcap(options, interface: link, stopFD: stop, ready: ready)
                : LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        let plain = (0..<10).map { udpFrame("10.9.0.1", "10.9.0.2", port: 40000 + UInt16($0), payload: "weir-live-probe \($0)") }
        let tagged = (0..<3).map {
            udpFrame("10.9.0.1", "10.9.0.2", port: 41000 + UInt16($0), vlan: 42, payload: "weir-live-probe v\($0)")
        }
        let quiet = (0..<5).map { udpFrame("10.9.0.1", "10.9.0.2", port: 42000 + UInt16($0), payload: "nothing to see") }
        send(plain + tagged + quiet, on: sender)
        usleep(300_000)  // several block timeouts: every frame is in a handed-over block
        #expect(session.stop() == 0)

        let lines = files.eve()
        let alerts = lines.filter { $0.contains("\"event_type\":\"alert\"") && $0.contains("\"signature_id\":9100001") }
        #expect(alerts.count == plain.count + tagged.count)
        // One stats record for the interface, the workers' counters summed.
        #expect(lines.filter { $0.contains("\"event_type\":\"stats\"") }.count == 1)
        let stats = files.stats()
        #expect(stats.contains("\"kernel_packets\":\(plain.count + tagged.count + quiet.count)"))
        #expect(stats.contains("\"pkts\":\(plain.count + tagged.count + quiet.count)"))  // decoder.pkts
        // Every record is a whole line: the workers' appends never split one.
        for line in lines { #expect(line.hasPrefix("{") && line.hasSuffix("}")) }
        #expect(stats.contains("\"kernel_drops\":0"))
        // The tag the receiving kernel moved into the frame's metadata is back in the frame the decoder saw.
        #expect(stats.contains("\"vlan\":\(tagged.count)"))
    }

    @Test(
        "capture bypass: a bypass rule puts the flow in the kernel, which hides the rest (socket filter, generic and native XDP); counters come back",
        arguments: ["none", "soft", "driver"]
    )
    func captureBypass(xdpMode: String) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let pinRoot = TemporaryPinRoot("live-\(xdpMode)")
        let pins = pinRoot.path
        let files = LiveRunFiles(
            "bypass-\(xdpMode)",
            rules: """
                alert udp any any -> any any (msg:"every packet"; content:"flowpkt"; sid:9100003; rev:1;)
                alert udp any any -> any any (msg:"bypass it"; content:"bypass-me"; bypass; sid:9100002; rev:1;)

                """)
        defer {
            files.remove()
            pinRoot.remove()
        }
        let sender = packetSocket(in: pair.sender, link: pair.senderLink)
        #expect(sender.fd >= 0)
        defer { close(sender.fd) }
        let options = files.options([
            "af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.bypass=yes", "bypass.pin-path=\(pins)",
            "bypass.flow-table-size=1024", "af-packet.0.xdp-mode=\(xdpMode)",
        ])
        let link = pair.receiverLink
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        // Flow X: its first packet triggers the bypass; once that is in the kernel, nine more follow.
        send([udpFrame("10.9.0.1", "10.9.0.2", port: 43000, payload: "flowpkt bypass-me")], on: sender)
        usleep(300_000)
        send((0..<9).map { udpFrame("10.9.0.1", "10.9.0.2", port: 43000, payload: "flowpkt x\($0)") }, on: sender)
        // Flow Y is never bypassed: all five are inspected.
        send((0..<5).map { udpFrame("10.9.0.1", "10.9.0.2", port: 43001, payload: "flowpkt y\($0)") }, on: sender)
        usleep(300_000)
        // While the capture runs, the operator's view of the pinned table shows the bypassed flow.
        let live = try BypassTable(pinDirectory: "\(pins)/\(pair.receiverLink)").entries()
        #expect(live.count == 1 && live.first.map { $0.packetsFirstToSecond + $0.packetsSecondToFirst } == 9)
        #expect(session.stop() == 0)

        let lines = files.eve()
        #expect(lines.filter { $0.contains("\"signature_id\":9100003") }.count == 1 + 5)
        let flowX = try #require(lines.first { $0.contains("\"event_type\":\"flow\"") && $0.contains("\"src_port\":43000") })
        #expect(flowX.contains("\"state\":\"bypassed\"") && flowX.contains("\"bypass\":\"capture\""))
        #expect(flowX.contains("\"pkts_toserver\":10"))
        #expect(flowX.contains("\"bypassed\":{\"pkts_toserver\":9"))
        let stats = files.stats()
        // Only flow X's first packet and flow Y reached the ring: the kernel program hid (or dropped) the other nine.
        #expect(stats.contains("\"kernel_packets\":6"))
        // The kernel-table counters are Weir's own: stats.log has them, EVE does not.
        let all = files.counters()
        #expect(all["flow_bypassed.capture_offered"] == 1 && all["flow_bypassed.capture_removed"] == 1)
        #expect(all["flow_bypassed.capture_never_hit", default: 0] == 0)
        #expect(!stats.contains("capture_offered"))
        // Closed loop: the flow's end removed its entry; nothing is left in the pinned table.
        #expect(try BypassTable(pinDirectory: "\(pins)/\(pair.receiverLink)").entries().isEmpty)
    }
    @Test("XDP bypass is refused on an interface with addresses unless it is declared dedicated")
    func xdpNeedsADedicatedInterface() throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        #expect(runCommand(["ip", "-n", pair.receiver, "addr", "add", "10.99.0.2/24", "dev", pair.receiverLink]) == 0)
        final class Collected: @unchecked Sendable {
            let lock = NSLockLike()
            var text = ""
            var status: Int32 = -1
        }
        let collected = Collected()
        let pinRoot = TemporaryPinRoot("dedicated")
        let pins = pinRoot.path
        defer {
            pinRoot.remove()
            _ = runCommand(["rm", "-rf", "/tmp/weir-live-dedicated-\(getpid())"])
        }
        var options = RunOptions()
        options.logDirectory = "/tmp/weir-live-dedicated-\(getpid())"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.bypass=yes", "af-packet.0.xdp-mode=soft",
            "bypass.pin-path=\(pins)",
        ]
        options.messages = { line in collected.lock.withLock { collected.text += line } }
        let link = pair.receiverLink
        #expect(
            inNamespace(pair.receiver) {
                let status = LiveCapture.run(options, interface: link, stopFD: 0)
                collected.lock.withLock { collected.status = status }
            })
        #expect(collected.lock.withLock { collected.status } == 2)
        #expect(collected.lock.withLock { collected.text.contains("10.99.0.2") && collected.text.contains("dedicated: yes") })
    }


    @Test(
        "checksum-checks kernel (the default) trusts frames the kernel vouches for; -k all checks them anyway",
        arguments: [nil, "all"] as [String?]
    )
    func kernelChecksumFlags(force: String?) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let files = LiveRunFiles("csum-\(force ?? "kernel")", rules: "alert tcp any any -> any any (msg:\"syn\"; flags:S; sid:9100010;)\n")
        defer { files.remove() }
        var options = files.options(["af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.threads=1"])
        options.checksumChecks = force
        let link = pair.receiverLink
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        // A real connection attempt from the sender's kernel: its SYN leaves with the checksum offloaded
        // (CHECKSUM_PARTIAL: only the pseudo-header sum is in the field), so the ring marks it
        // TP_STATUS_CSUMNOTREADY, as it does the receiver's own reset.
        #expect(runCommand(["ip", "-n", pair.sender, "addr", "add", "10.60.0.1/24", "dev", pair.senderLink]) == 0)
        #expect(runCommand(["ip", "-n", pair.receiver, "addr", "add", "10.60.0.2/24", "dev", pair.receiverLink]) == 0)
        usleep(100_000)
        #expect(
            inNamespace(pair.sender) {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = UInt16(80).bigEndian
                address.sin_addr.s_addr = UInt32(0x0a3c_0002).bigEndian
                _ = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                usleep(200_000)
                close(fd)
            })
        usleep(200_000)
        #expect(session.stop() == 0)
        let stats = files.stats()
        #expect(files.eve().filter { $0.contains("\"signature_id\":9100010") }.count >= 1)
        // The stream engine skips TCP packets whose checksum it finds wrong: none when the kernel vouches.
        if force == nil {
            #expect(stats.contains("\"invalid_checksum\":0"))
        } else {
            #expect(!stats.contains("\"invalid_checksum\":0") && stats.contains("\"invalid_checksum\":"))
        }
    }

    @Test("a tun interface (no link header) is read as raw IP; unsupported hardware types are named")
    func rawIPInterface() throws {
        #expect(AFPacketRing.linkType(hardwareType: 1) == 1 && AFPacketRing.linkType(hardwareType: 772) == 1)
        #expect(AFPacketRing.linkType(hardwareType: 0xFFFE) == 101 && AFPacketRing.linkType(hardwareType: 519) == 101)
        #expect(AFPacketRing.linkType(hardwareType: 32) == nil)  // ARPHRD_INFINIBAND
        let namespace = "weir-t-\(getpid())-tun"
        let device = "wtun\(getpid() % 100000)"
        defer { _ = runCommand(["ip", "netns", "del", namespace]) }
        #expect(runCommand(["ip", "netns", "add", namespace]) == 0)
        #expect(runCommand(["ip", "-n", namespace, "tuntap", "add", "dev", device, "mode", "tun"]) == 0)
        #expect(runCommand(["ip", "-n", namespace, "link", "set", device, "up"]) == 0)
        let files = LiveRunFiles(
            "tun", rules: "alert udp any any -> any any (msg:\"tun probe\"; content:\"weir-tun\"; sid:9100004;)\n")
        defer { files.remove() }
        var tun: Int32 = -1
        #expect(inNamespace(namespace) { tun = cweir_tun_attach(device) })
        #expect(tun >= 0)
        defer { close(tun) }
        let options = files.options(["af-packet.0.interface=\(device)", "af-packet.0.threads=1"])
        let session = try LiveSession(in: namespace) { stop, ready in
            LiveCapture.run(options, interface: device, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        for index in 0..<4 {
            // Raw IPv4 as the tun device receives it: no Ethernet header.
            let packet = FrameBuilder.ipv4(
                "10.8.0.1", "10.8.0.2", proto: 17,
                payload: FrameBuilder.udp(44000 + UInt16(index), 53, payload: Array("weir-tun \(index)".utf8)))
            #expect(packet.withUnsafeBytes { write(tun, $0.baseAddress, $0.count) } == packet.count)
        }
        usleep(300_000)
        #expect(session.stop() == 0)
        #expect(files.eve().filter { $0.contains("\"signature_id\":9100004") }.count == 4)
    }

    @Test("an interface that does not exist stops start-up with a message naming it")
    func missingInterface() {
        final class Collected: @unchecked Sendable {
            let lock = NSLockLike()
            var text = ""
        }
        let collected = Collected()
        var options = RunOptions()
        options.exclusiveRuleFiles = []
        options.logDirectory = "/tmp/weir-live-missing-\(getpid())"
        defer { _ = runCommand(["rm", "-rf", "/tmp/weir-live-missing-\(getpid())"]) }
        options.messages = { line in collected.lock.withLock { collected.text += line } }
        let status = LiveCapture.run(options, interface: "weir-no-such0", stopFD: 0)
        #expect(status == 2)
        #expect(collected.lock.withLock { collected.text.contains("weir-no-such0: no such interface") })
    }
}

/// Small file helpers (Foundation is not imported by the tests).
enum FileDescriptorWriter {
    static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@Suite("Inline capture (copy-mode ips) between two namespaces", .serialized)
struct InlineCaptureTests {
    /// The overrides of an inline pair weirIn ↔ weirOut of `chain`.
    func inline(_ chain: IPSChain, _ extra: [String]) -> [String] {
        [
            "af-packet.0.interface=\(chain.weirIn)", "af-packet.0.copy-mode=ips",
            "af-packet.0.copy-iface=\(chain.weirOut)",
        ] + extra
    }

    /// Starts the inline capture of `chain` in its weir namespace.
    func start(_ chain: IPSChain, _ options: RunOptions) throws -> LiveSession {
        let link = chain.weirIn
        let session = try LiveSession(in: chain.weir) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)
        return session
    }

    @Test(
        "frames cross the worker in both directions; what a drop rule matches never reaches the other side",
        arguments: [1, 2]
    )
    func forwardsAndDrops(workers: Int) throws {
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let files = LiveRunFiles(
            "ips\(workers)",
            rules: """
                drop udp any any -> any any (msg:"drop bad"; content:"bad-payload"; sid:9100005; rev:1;)
                alert udp any any -> any any (msg:"good"; content:"good-payload"; sid:9100006; rev:1;)

                """)
        defer { files.remove() }
        let sender = packetSocket(in: chain.sender, link: chain.senderLink)
        let peer = packetSocket(in: chain.peer, link: chain.peerLink)
        #expect(sender.fd >= 0 && peer.fd >= 0)
        defer {
            close(sender.fd)
            close(peer.fd)
        }
        let session = try self.start(chain, files.options(self.inline(chain, ["af-packet.0.threads=\(workers)"])))
        _ = drain(sender.fd)
        _ = drain(peer.fd)
        let good = (0..<5).map { udpFrame("10.30.0.1", "10.30.0.2", port: 45000 + UInt16($0), payload: "good-payload \($0)") }
        let bad = (0..<3).map { udpFrame("10.30.0.1", "10.30.0.2", port: 46000 + UInt16($0), payload: "bad-payload \($0)") }
        let replies = (0..<2).map {
            udpFrame("10.30.0.2", "10.30.0.1", port: 45000 + UInt16($0), payload: "reply-payload \($0)")
        }
        send(good + bad, on: sender)
        send(replies, on: peer)
        usleep(400_000)
        #expect(session.stop() == 0)

        // The peer got the five good frames and none of the dropped ones; the sender got both replies.
        let atPeer = drain(peer.fd)
        #expect(atPeer.filter { frameContains($0, "good-payload") }.count == good.count)
        #expect(atPeer.filter { frameContains($0, "bad-payload") }.isEmpty)
        #expect(drain(sender.fd).filter { frameContains($0, "reply-payload") }.count == replies.count)
        let blocked = files.eve().filter { $0.contains("\"signature_id\":9100005") && $0.contains("\"action\":\"blocked\"") }
        #expect(blocked.count == bad.count)
        let stats = files.stats()
        #expect(files.counters()["capture.forwarded"] == UInt64(good.count + replies.count))
        #expect(stats.contains("\"send_errors\":0"))
    }

    @Test(
        "inline fast path: a bypassed flow crosses in XDP both ways, never reaching the worker; counters come back",
        arguments: ["soft", "driver", "none"]  // generic, native, the kernel's choice
    )
    func fastPath(xdpMode: String) throws {
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        // Native XDP_REDIRECT into a veth needs its peer to take frames in NAPI (GRO on, or a program).
        for (namespace, link) in [(chain.sender, chain.senderLink), (chain.peer, chain.peerLink)] {
            runCommand(["ip", "netns", "exec", namespace, "ethtool", "-K", link, "gro", "on"])
        }
        let pinRoot = TemporaryPinRoot("ipsfast-\(xdpMode)")
        let pins = pinRoot.path
        let files = LiveRunFiles(
            "ipsfast-\(xdpMode)",
            rules: """
                alert udp any any -> any any (msg:"bypass it"; content:"bypass-me"; bypass; sid:9100007; rev:1;)
                alert udp any any -> any any (msg:"seen"; content:"flowpkt"; sid:9100008; rev:1;)

                """)
        defer {
            files.remove()
            pinRoot.remove()
        }
        let sender = packetSocket(in: chain.sender, link: chain.senderLink)
        let peer = packetSocket(in: chain.peer, link: chain.peerLink)
        defer {
            close(sender.fd)
            close(peer.fd)
        }
        let session = try self.start(
            chain,
            files.options(
                self.inline(
                    chain,
                    [
                        "af-packet.0.threads=1", "af-packet.0.bypass=yes", "af-packet.0.xdp-mode=\(xdpMode)",
                        "bypass.pin-path=\(pins)", "bypass.flow-table-size=1024",
                    ])))
        _ = drain(sender.fd)
        _ = drain(peer.fd)
        // The first packet is inspected, forwarded by the worker, and bypasses the flow.
        send([udpFrame("10.40.0.1", "10.40.0.2", port: 47000, payload: "flowpkt bypass-me")], on: sender)
        usleep(300_000)
        // Then both directions cross in the kernel.
        send((0..<9).map { udpFrame("10.40.0.1", "10.40.0.2", port: 47000, payload: "flowpkt x\($0)") }, on: sender)
        send((0..<3).map { udpFrame("10.40.0.2", "10.40.0.1", port: 53, to: 47000, payload: "flowpkt back\($0)") }, on: peer)
        usleep(300_000)
        #expect(session.stop() == 0)

        #expect(drain(peer.fd).filter { frameContains($0, "flowpkt") }.count == 10)
        #expect(drain(sender.fd).filter { frameContains($0, "flowpkt back") }.count == 3)
        let lines = files.eve()
        #expect(lines.filter { $0.contains("\"signature_id\":9100008") }.count == 1)
        let flow = try #require(lines.first { $0.contains("\"event_type\":\"flow\"") && $0.contains("10.40.0.1") })
        #expect(flow.contains("\"bypass\":\"capture\"") && flow.contains("\"pkts_toserver\":10"))
        #expect(flow.contains("\"pkts_toclient\":3") && flow.contains("\"bypassed\":{\"pkts_toserver\":9,\"pkts_toclient\":3"))
        let stats = files.stats()
        #expect(files.counters()["capture.forwarded"] == 1 && stats.contains("\"kernel_packets\":1"))
    }

    @Test("reject: the matching segment is dropped and its sender gets a reset, out of the interface it came in by")
    func rejectSendsAReset() throws {
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let files = LiveRunFiles(
            "reject", rules: "reject tcp any any -> any any (msg:\"reject evil\"; content:\"evil-segment\"; sid:9100009; rev:1;)\n")
        defer { files.remove() }
        let sender = packetSocket(in: chain.sender, link: chain.senderLink)
        let peer = packetSocket(in: chain.peer, link: chain.peerLink)
        defer {
            close(sender.fd)
            close(peer.fd)
        }
        let session = try self.start(
            chain, files.options(self.inline(chain, ["af-packet.0.threads=1", "stream.midstream=true"])))
        _ = drain(sender.fd)
        _ = drain(peer.fd)
        let segment = FrameBuilder.ethernet(
            etherType: 0x0800,
            payload: FrameBuilder.ipv4(
                "10.50.0.1", "10.50.0.2", proto: 6,
                payload: FrameBuilder.tcp(48000, 80, flags: 0x18, payload: Array("evil-segment".utf8))))
        send([segment], on: sender)
        usleep(300_000)
        #expect(session.stop() == 0)

        #expect(drain(peer.fd).filter { frameContains($0, "evil-segment") }.isEmpty)
        // The reset: from 10.50.0.2:80 to 10.50.0.1:48000, RST set, checksums right.
        let resets = drain(sender.fd).compactMap { frame -> Packet? in
            var decoder = PacketDecoder(linkType: .ethernet, checksums: .all)
            var packet = Packet()
            frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
            return packet.isTCP && packet.tcpFlags & 0x04 != 0 ? packet : nil
        }
        #expect(resets.count == 1)
        #expect(resets.first.map { $0.sourcePort == 80 && $0.destinationPort == 48000 } == true)
        #expect(resets.first.map { $0.ipChecksum == .valid && $0.l4Checksum == .valid } == true)
        let all = files.counters()
        #expect(all["capture.rejects_sent"] == 1 && all["capture.forwarded", default: 0] == 0)
    }
}
