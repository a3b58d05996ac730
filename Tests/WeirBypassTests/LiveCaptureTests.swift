// SPDX-License-Identifier: MIT
import CWeirLinux
import Glibc
import Testing
import WeirBypass
import WeirCapture
import WeirCore
import WeirDecode
import WeirRuntime

/// State shared between the test and the capture thread.
private final class LiveRun: @unchecked Sendable {
    let lock = NSLockLike()
    var ready = false
    var status: Int32 = -1
    var entered = false
    var messages: [String] = []
    let body: (LiveRun) -> Void

    init(body: @escaping (LiveRun) -> Void) { self.body = body }
}

/// Starts `run.body` on a thread of its own; returns the thread to join.
private func startThread(_ run: LiveRun) -> pthread_t? {
    let pointer = Unmanaged.passRetained(run).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(
        &thread,
        nil,
        { argument in
            guard let argument else { return nil }
            let run = Unmanaged<LiveRun>.fromOpaque(argument).takeRetainedValue()
            run.body(run)
            return nil
        },
        pointer
    )
    if created != 0 {
        Unmanaged<LiveRun>.fromOpaque(pointer).release()
        return nil
    }
    return thread
}

@Suite("Live capture (--af-packet) on veth", .serialized)
struct LiveCaptureTests {
    /// A UDP frame from 10.9.0.1:`port` to 10.9.0.2:5353 carrying `payload`, optionally 802.1Q-tagged.
    func frame(port: UInt16, vlan: UInt16?, payload: String) -> [UInt8] {
        let udp = FrameBuilder.udp(port, 5353, payload: Array(payload.utf8))
        return FrameBuilder.ethernet(
            tags: vlan.map { [.dot1q($0)] } ?? [],
            etherType: 0x0800,
            payload: FrameBuilder.ipv4("10.9.0.1", "10.9.0.2", proto: 17, payload: udp)
        )
    }

    @Test(
        "frames sent into a veth reach the rings (one worker, or two in a fanout group) or libpcap (0), the pipelines and one EVE file; VLAN tags the kernel took off are put back",
        arguments: [1, 2, 0]
    )
    func captureThroughTheRing(workers: Int) throws {
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let directory = "/tmp/weir-live-test-\(getpid())-\(workers)"
        defer { _ = runCommand(["rm", "-rf", directory]) }
        #expect(mkdir(directory, 0o700) == 0)
        let rules = "\(directory)/live.rules"
        let text = "alert udp any any -> any any (msg:\"live probe\"; content:\"weir-live-probe\"; sid:9100001; rev:1;)\n"
        #expect(FileDescriptorWriter.write(text, to: rules))

        // The sender's socket is made inside its namespace and used from here.
        var senderIndex: Int32 = 0
        var senderFD: Int32 = -1
        #expect(
            inNamespace(pair.sender) {
                senderIndex = Int32(bitPattern: if_nametoindex(pair.senderLink))
                senderFD = cweir_packet_socket(senderIndex)
            })
        #expect(senderFD >= 0)
        defer { close(senderFD) }

        var stop: [Int32] = [-1, -1]
        #expect(pipe(&stop) == 0)
        defer {
            close(stop[0])
            close(stop[1])
        }
        var options = RunOptions()
        options.exclusiveRuleFiles = [rules]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = ["af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.threads=\(max(workers, 1))"]
        let receiver = pair.receiver
        let link = pair.receiverLink
        let stopRead = stop[0]
        let run = LiveRun { run in
            let entered = inNamespace(receiver) {
                let ready = { run.lock.withLock { run.ready = true } }
                let status =
                    workers == 0
                    ? LiveCapture.runPcap(options, interface: link, stopFD: stopRead, ready: ready)
                    : LiveCapture.run(options, interface: link, stopFD: stopRead, ready: ready)
                run.lock.withLock { run.status = status }
            }
            run.lock.withLock { run.entered = entered }
        }
        let thread = try #require(startThread(run))
        var waited = 0
        while !run.lock.withLock({ run.ready || run.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.lock.withLock { run.ready })

        let plain = (0..<10).map { frame(port: 40000 + UInt16($0), vlan: nil, payload: "weir-live-probe \($0)") }
        let tagged = (0..<3).map { frame(port: 41000 + UInt16($0), vlan: 42, payload: "weir-live-probe v\($0)") }
        let quiet = (0..<5).map { frame(port: 42000 + UInt16($0), vlan: nil, payload: "nothing to see") }
        for bytes in plain + tagged + quiet {
            let sent = bytes.withUnsafeBytes { cweir_packet_send(senderFD, senderIndex, $0.baseAddress, UInt(bytes.count)) }
            #expect(sent == bytes.count)
        }
        usleep(300_000)  // several block timeouts: every frame is in a handed-over block
        var one: UInt8 = 1
        #expect(write(stop[1], &one, 1) == 1)
        pthread_join(thread, nil)
        #expect(run.lock.withLock { run.entered && run.status == 0 })

        let eve = try #require(FileDescriptorWriter.read("\(directory)/out/eve.json"))
        let lines = eve.split(separator: "\n")
        let alerts = lines.filter { $0.contains("\"event_type\":\"alert\"") && $0.contains("\"signature_id\":9100001") }
        #expect(alerts.count == plain.count + tagged.count)
        // One stats record for the interface, the workers' counters summed.
        #expect(lines.filter { $0.contains("\"event_type\":\"stats\"") }.count == 1)
        let stats = try #require(lines.last { $0.contains("\"event_type\":\"stats\"") })
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
        let directory = "/tmp/weir-live-bypass-\(getpid())-\(xdpMode)"
        let pins = "/sys/fs/bpf/weir-test-\(getpid())-live-\(xdpMode)"
        defer {
            _ = runCommand(["rm", "-rf", directory])
            try? BypassDataPlane.unpin(directory: "\(pins)/\(pair.receiverLink)")
            rmdir(pins)
        }
        #expect(mkdir(directory, 0o700) == 0)
        let rules = "\(directory)/live.rules"
        let text = """
            alert udp any any -> any any (msg:"every packet"; content:"flowpkt"; sid:9100003; rev:1;)
            alert udp any any -> any any (msg:"bypass it"; content:"bypass-me"; bypass; sid:9100002; rev:1;)

            """
        #expect(FileDescriptorWriter.write(text, to: rules))
        var senderIndex: Int32 = 0
        var senderFD: Int32 = -1
        #expect(
            inNamespace(pair.sender) {
                senderIndex = Int32(bitPattern: if_nametoindex(pair.senderLink))
                senderFD = cweir_packet_socket(senderIndex)
            })
        #expect(senderFD >= 0)
        defer { close(senderFD) }
        var stop: [Int32] = [-1, -1]
        #expect(pipe(&stop) == 0)
        defer {
            close(stop[0])
            close(stop[1])
        }
        var options = RunOptions()
        options.exclusiveRuleFiles = [rules]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.bypass=yes", "bypass.pin-path=\(pins)",
            "bypass.flow-table-size=1024", "af-packet.0.xdp-mode=\(xdpMode)",
        ]
        let receiver = pair.receiver
        let link = pair.receiverLink
        let stopRead = stop[0]
        let run = LiveRun { run in
            let entered = inNamespace(receiver) {
                let status = LiveCapture.run(options, interface: link, stopFD: stopRead) {
                    run.lock.withLock { run.ready = true }
                }
                run.lock.withLock { run.status = status }
            }
            run.lock.withLock { run.entered = entered }
        }
        let thread = try #require(startThread(run))
        var waited = 0
        while !run.lock.withLock({ run.ready || run.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.lock.withLock { run.ready })
        func send(_ frames: [[UInt8]]) {
            for bytes in frames {
                let sent = bytes.withUnsafeBytes { cweir_packet_send(senderFD, senderIndex, $0.baseAddress, UInt(bytes.count)) }
                #expect(sent == bytes.count)
            }
        }
        // Flow X: its first packet triggers the bypass; once that is in the kernel, nine more follow.
        send([frame(port: 43000, vlan: nil, payload: "flowpkt bypass-me")])
        usleep(300_000)
        send((0..<9).map { frame(port: 43000, vlan: nil, payload: "flowpkt x\($0)") })
        // Flow Y is never bypassed: all five are inspected.
        send((0..<5).map { frame(port: 43001, vlan: nil, payload: "flowpkt y\($0)") })
        usleep(300_000)
        // While the capture runs, the operator's view of the pinned table shows the bypassed flow.
        let live = try BypassTable(pinDirectory: "\(pins)/\(pair.receiverLink)").entries()
        #expect(live.count == 1 && live.first.map { $0.packetsFirstToSecond + $0.packetsSecondToFirst } == 9)
        var one: UInt8 = 1
        #expect(write(stop[1], &one, 1) == 1)
        pthread_join(thread, nil)
        #expect(run.lock.withLock { run.entered && run.status == 0 })

        let eve = try #require(FileDescriptorWriter.read("\(directory)/out/eve.json"))
        let lines = eve.split(separator: "\n")
        let everyPacket = lines.filter { $0.contains("\"signature_id\":9100003") }
        #expect(everyPacket.count == 1 + 5)
        let flowX = try #require(lines.first { $0.contains("\"event_type\":\"flow\"") && $0.contains("\"src_port\":43000") })
        #expect(flowX.contains("\"state\":\"bypassed\"") && flowX.contains("\"bypass\":\"capture\""))
        #expect(flowX.contains("\"pkts_toserver\":10"))
        #expect(flowX.contains("\"bypassed\":{\"pkts_toserver\":9"))
        let stats = try #require(lines.last { $0.contains("\"event_type\":\"stats\"") })
        // Only flow X's first packet and flow Y reached the ring: the kernel program hid (or dropped) the other nine.
        #expect(stats.contains("\"kernel_packets\":6"))
        #expect(stats.contains("\"capture_offered\":1") && stats.contains("\"capture_removed\":1"))
        #expect(stats.contains("\"capture_never_hit\":0"))
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
        let pins = "/sys/fs/bpf/weir-test-\(getpid())-dedicated"
        defer {
            try? BypassDataPlane.unpin(directory: "\(pins)/\(pair.receiverLink)")
            rmdir(pins)
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
        let directory = "/tmp/weir-live-tun-\(getpid())"
        defer { _ = runCommand(["rm", "-rf", directory]) }
        #expect(mkdir(directory, 0o700) == 0)
        let rules = "\(directory)/live.rules"
        #expect(FileDescriptorWriter.write("alert udp any any -> any any (msg:\"tun probe\"; content:\"weir-tun\"; sid:9100004;)\n", to: rules))
        var tun: Int32 = -1
        #expect(inNamespace(namespace) { tun = cweir_tun_attach(device) })
        #expect(tun >= 0)
        defer { close(tun) }
        var stop: [Int32] = [-1, -1]
        #expect(pipe(&stop) == 0)
        defer {
            close(stop[0])
            close(stop[1])
        }
        var options = RunOptions()
        options.exclusiveRuleFiles = [rules]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = ["af-packet.0.interface=\(device)", "af-packet.0.threads=1"]
        let stopRead = stop[0]
        let run = LiveRun { run in
            let entered = inNamespace(namespace) {
                let status = LiveCapture.run(options, interface: device, stopFD: stopRead) {
                    run.lock.withLock { run.ready = true }
                }
                run.lock.withLock { run.status = status }
            }
            run.lock.withLock { run.entered = entered }
        }
        let thread = try #require(startThread(run))
        var waited = 0
        while !run.lock.withLock({ run.ready || run.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.lock.withLock { run.ready })
        for index in 0..<4 {
            // Raw IPv4 as the tun device receives it: no Ethernet header.
            let packet = FrameBuilder.ipv4(
                "10.8.0.1", "10.8.0.2", proto: 17,
                payload: FrameBuilder.udp(44000 + UInt16(index), 53, payload: Array("weir-tun \(index)".utf8)))
            #expect(packet.withUnsafeBytes { write(tun, $0.baseAddress, $0.count) } == packet.count)
        }
        usleep(300_000)
        var one: UInt8 = 1
        #expect(write(stop[1], &one, 1) == 1)
        pthread_join(thread, nil)
        #expect(run.lock.withLock { run.entered && run.status == 0 })
        let eve = try #require(FileDescriptorWriter.read("\(directory)/out/eve.json"))
        #expect(eve.split(separator: "\n").filter { $0.contains("\"signature_id\":9100004") }.count == 4)
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

    func contains(_ frame: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard frame.count >= needle.count else { return false }
        return (0...(frame.count - needle.count)).contains { Array(frame[$0..<($0 + needle.count)]) == needle }
    }

    func udp(_ source: String, _ destination: String, port: UInt16, to destinationPort: UInt16 = 53, payload: String)
        -> [UInt8]
    {
        FrameBuilder.ethernet(
            etherType: 0x0800,
            payload: FrameBuilder.ipv4(
                source, destination, proto: 17,
                payload: FrameBuilder.udp(port, destinationPort, payload: Array(payload.utf8))))
    }

    @Test(
        "frames cross the worker in both directions; what a drop rule matches never reaches the other side",
        arguments: [1, 2]
    )
    func forwardsAndDrops(workers: Int) throws {
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let directory = "/tmp/weir-live-ips-\(getpid())-\(workers)"
        defer { _ = runCommand(["rm", "-rf", directory]) }
        #expect(mkdir(directory, 0o700) == 0)
        let rules = "\(directory)/ips.rules"
        let text = """
            drop udp any any -> any any (msg:"drop bad"; content:"bad-payload"; sid:9100005; rev:1;)
            alert udp any any -> any any (msg:"good"; content:"good-payload"; sid:9100006; rev:1;)

            """
        #expect(FileDescriptorWriter.write(text, to: rules))

        var senderIndex: Int32 = 0
        var senderFD: Int32 = -1
        var peerIndex: Int32 = 0
        var peerFD: Int32 = -1
        #expect(
            inNamespace(chain.sender) {
                senderIndex = Int32(bitPattern: if_nametoindex(chain.senderLink))
                senderFD = captureSocket(senderIndex)
            })
        #expect(
            inNamespace(chain.peer) {
                peerIndex = Int32(bitPattern: if_nametoindex(chain.peerLink))
                peerFD = captureSocket(peerIndex)
            })
        #expect(senderFD >= 0 && peerFD >= 0)
        defer {
            close(senderFD)
            close(peerFD)
        }
        var stop: [Int32] = [-1, -1]
        #expect(pipe(&stop) == 0)
        defer {
            close(stop[0])
            close(stop[1])
        }
        var options = RunOptions()
        options.exclusiveRuleFiles = [rules]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(chain.weirIn)", "af-packet.0.copy-mode=ips", "af-packet.0.copy-iface=\(chain.weirOut)",
            "af-packet.0.threads=\(workers)",
        ]
        let weir = chain.weir
        let link = chain.weirIn
        let stopRead = stop[0]
        let run = LiveRun { run in
            let entered = inNamespace(weir) {
                let status = LiveCapture.run(options, interface: link, stopFD: stopRead) {
                    run.lock.withLock { run.ready = true }
                }
                run.lock.withLock { run.status = status }
            }
            run.lock.withLock { run.entered = entered }
        }
        let thread = try #require(startThread(run))
        var waited = 0
        while !run.lock.withLock({ run.ready || run.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.lock.withLock { run.ready })
        _ = self.drain(senderFD)
        _ = self.drain(peerFD)

        let good = (0..<5).map { udp("10.30.0.1", "10.30.0.2", port: 45000 + UInt16($0), payload: "good-payload \($0)") }
        let bad = (0..<3).map { udp("10.30.0.1", "10.30.0.2", port: 46000 + UInt16($0), payload: "bad-payload \($0)") }
        let replies = (0..<2).map { udp("10.30.0.2", "10.30.0.1", port: 45000 + UInt16($0), payload: "reply-payload \($0)") }
        for frame in good + bad {
            #expect(frame.withUnsafeBytes { cweir_packet_send(senderFD, senderIndex, $0.baseAddress, UInt($0.count)) } == frame.count)
        }
        for frame in replies {
            #expect(frame.withUnsafeBytes { cweir_packet_send(peerFD, peerIndex, $0.baseAddress, UInt($0.count)) } == frame.count)
        }
        usleep(400_000)
        var one: UInt8 = 1
        #expect(write(stop[1], &one, 1) == 1)
        pthread_join(thread, nil)
        #expect(run.lock.withLock { run.entered && run.status == 0 })

        // The peer got the five good frames and none of the dropped ones; the sender got both replies.
        let atPeer = self.drain(peerFD)
        #expect(atPeer.filter { self.contains($0, "good-payload") }.count == good.count)
        #expect(atPeer.filter { self.contains($0, "bad-payload") }.isEmpty)
        let atSender = self.drain(senderFD)
        #expect(atSender.filter { self.contains($0, "reply-payload") }.count == replies.count)

        let eve = try #require(FileDescriptorWriter.read("\(directory)/out/eve.json"))
        let lines = eve.split(separator: "\n")
        let blocked = lines.filter { $0.contains("\"signature_id\":9100005") && $0.contains("\"action\":\"blocked\"") }
        #expect(blocked.count == bad.count)
        let stats = try #require(lines.last { $0.contains("\"event_type\":\"stats\"") })
        #expect(stats.contains("\"forwarded\":\(good.count + replies.count)") && stats.contains("\"forward_errors\":0"))
    }

    @Test("inline fast path: a bypassed flow crosses in XDP both ways, never reaching the worker; counters come back")
    func fastPath() throws {
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let directory = "/tmp/weir-live-ipsfast-\(getpid())"
        let pins = "/sys/fs/bpf/weir-test-\(getpid())-ipsfast"
        defer {
            _ = runCommand(["rm", "-rf", directory])
            for link in [chain.weirIn, chain.weirOut] { try? BypassDataPlane.unpin(directory: "\(pins)/\(link)") }
            rmdir(pins)
        }
        #expect(mkdir(directory, 0o700) == 0)
        let rules = "\(directory)/ips.rules"
        let text = """
            alert udp any any -> any any (msg:"bypass it"; content:"bypass-me"; bypass; sid:9100007; rev:1;)
            alert udp any any -> any any (msg:"seen"; content:"flowpkt"; sid:9100008; rev:1;)

            """
        #expect(FileDescriptorWriter.write(text, to: rules))
        var senderIndex: Int32 = 0
        var senderFD: Int32 = -1
        var peerIndex: Int32 = 0
        var peerFD: Int32 = -1
        #expect(
            inNamespace(chain.sender) {
                senderIndex = Int32(bitPattern: if_nametoindex(chain.senderLink))
                senderFD = captureSocket(senderIndex)
            })
        #expect(
            inNamespace(chain.peer) {
                peerIndex = Int32(bitPattern: if_nametoindex(chain.peerLink))
                peerFD = captureSocket(peerIndex)
            })
        defer {
            close(senderFD)
            close(peerFD)
        }
        var stop: [Int32] = [-1, -1]
        #expect(pipe(&stop) == 0)
        defer {
            close(stop[0])
            close(stop[1])
        }
        var options = RunOptions()
        options.exclusiveRuleFiles = [rules]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(chain.weirIn)", "af-packet.0.copy-mode=ips", "af-packet.0.copy-iface=\(chain.weirOut)",
            "af-packet.0.threads=1", "af-packet.0.bypass=yes", "af-packet.0.xdp-mode=soft", "bypass.pin-path=\(pins)",
            "bypass.flow-table-size=1024",
        ]
        let weir = chain.weir
        let link = chain.weirIn
        let stopRead = stop[0]
        let run = LiveRun { run in
            let entered = inNamespace(weir) {
                let status = LiveCapture.run(options, interface: link, stopFD: stopRead) {
                    run.lock.withLock { run.ready = true }
                }
                run.lock.withLock { run.status = status }
            }
            run.lock.withLock { run.entered = entered }
        }
        let thread = try #require(startThread(run))
        var waited = 0
        while !run.lock.withLock({ run.ready || run.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.lock.withLock { run.ready })
        _ = self.drain(senderFD)
        _ = self.drain(peerFD)
        func send(_ fd: Int32, _ index: Int32, _ frames: [[UInt8]]) {
            for frame in frames {
                #expect(frame.withUnsafeBytes { cweir_packet_send(fd, index, $0.baseAddress, UInt($0.count)) } == frame.count)
            }
        }
        // The first packet is inspected, forwarded by the worker, and bypasses the flow.
        send(senderFD, senderIndex, [udp("10.40.0.1", "10.40.0.2", port: 47000, payload: "flowpkt bypass-me")])
        usleep(300_000)
        // Then both directions cross in the kernel.
        send(senderFD, senderIndex, (0..<9).map { udp("10.40.0.1", "10.40.0.2", port: 47000, payload: "flowpkt x\($0)") })
        send(peerFD, peerIndex, (0..<3).map { udp("10.40.0.2", "10.40.0.1", port: 53, to: 47000, payload: "flowpkt back\($0)") })
        usleep(300_000)
        var one: UInt8 = 1
        #expect(write(stop[1], &one, 1) == 1)
        pthread_join(thread, nil)
        #expect(run.lock.withLock { run.entered && run.status == 0 })

        #expect(self.drain(peerFD).filter { self.contains($0, "flowpkt") }.count == 10)
        #expect(self.drain(senderFD).filter { self.contains($0, "flowpkt back") }.count == 3)
        let eve = try #require(FileDescriptorWriter.read("\(directory)/out/eve.json"))
        let lines = eve.split(separator: "\n")
        #expect(lines.filter { $0.contains("\"signature_id\":9100008") }.count == 1)
        let flow = try #require(lines.first { $0.contains("\"event_type\":\"flow\"") && $0.contains("10.40.0.1") })
        #expect(flow.contains("\"bypass\":\"capture\"") && flow.contains("\"pkts_toserver\":10"))
        #expect(flow.contains("\"pkts_toclient\":3") && flow.contains("\"bypassed\":{\"pkts_toserver\":9,\"pkts_toclient\":3"))
        let stats = try #require(lines.last { $0.contains("\"event_type\":\"stats\"") })
        #expect(stats.contains("\"forwarded\":1") && stats.contains("\"kernel_packets\":1"))
    }

    @Test("reject: the matching segment is dropped and its sender gets a reset, out of the interface it came in by")
    func rejectSendsAReset() throws {
        let chain = try IPSChain()
        defer { chain.cleanUp() }
        let directory = "/tmp/weir-live-reject-\(getpid())"
        defer { _ = runCommand(["rm", "-rf", directory]) }
        #expect(mkdir(directory, 0o700) == 0)
        let rules = "\(directory)/ips.rules"
        #expect(
            FileDescriptorWriter.write(
                "reject tcp any any -> any any (msg:\"reject evil\"; content:\"evil-segment\"; sid:9100009; rev:1;)\n", to: rules))
        var senderIndex: Int32 = 0
        var senderFD: Int32 = -1
        var peerFD: Int32 = -1
        #expect(
            inNamespace(chain.sender) {
                senderIndex = Int32(bitPattern: if_nametoindex(chain.senderLink))
                senderFD = captureSocket(senderIndex)
            })
        #expect(inNamespace(chain.peer) { peerFD = captureSocket(Int32(bitPattern: if_nametoindex(chain.peerLink))) })
        defer {
            close(senderFD)
            close(peerFD)
        }
        var stop: [Int32] = [-1, -1]
        #expect(pipe(&stop) == 0)
        defer {
            close(stop[0])
            close(stop[1])
        }
        var options = RunOptions()
        options.exclusiveRuleFiles = [rules]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(chain.weirIn)", "af-packet.0.copy-mode=ips", "af-packet.0.copy-iface=\(chain.weirOut)",
            "af-packet.0.threads=1", "stream.midstream=true",
        ]
        let weir = chain.weir
        let link = chain.weirIn
        let stopRead = stop[0]
        let run = LiveRun { run in
            let entered = inNamespace(weir) {
                let status = LiveCapture.run(options, interface: link, stopFD: stopRead) {
                    run.lock.withLock { run.ready = true }
                }
                run.lock.withLock { run.status = status }
            }
            run.lock.withLock { run.entered = entered }
        }
        let thread = try #require(startThread(run))
        var waited = 0
        while !run.lock.withLock({ run.ready || run.status >= 0 }) && waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(run.lock.withLock { run.ready })
        _ = self.drain(senderFD)
        _ = self.drain(peerFD)
        let segment = FrameBuilder.ethernet(
            etherType: 0x0800,
            payload: FrameBuilder.ipv4(
                "10.50.0.1", "10.50.0.2", proto: 6, payload: FrameBuilder.tcp(48000, 80, flags: 0x18, payload: Array("evil-segment".utf8))))
        #expect(segment.withUnsafeBytes { cweir_packet_send(senderFD, senderIndex, $0.baseAddress, UInt($0.count)) } == segment.count)
        usleep(300_000)
        var one: UInt8 = 1
        #expect(write(stop[1], &one, 1) == 1)
        pthread_join(thread, nil)
        #expect(run.lock.withLock { run.entered && run.status == 0 })

        #expect(self.drain(peerFD).filter { self.contains($0, "evil-segment") }.isEmpty)
        // The reset: from 10.50.0.2:80 to 10.50.0.1:48000, RST set, checksums right.
        let resets = self.drain(senderFD).compactMap { frame -> Packet? in
            var decoder = PacketDecoder(linkType: .ethernet, checksums: .all)
            var packet = Packet()
            frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
            return packet.isTCP && packet.tcpFlags & 0x04 != 0 ? packet : nil
        }
        #expect(resets.count == 1)
        #expect(resets.first.map { $0.sourcePort == 80 && $0.destinationPort == 48000 } == true)
        #expect(resets.first.map { $0.ipChecksum == .valid && $0.l4Checksum == .valid } == true)
        let eve = try #require(FileDescriptorWriter.read("\(directory)/out/eve.json"))
        let stats = try #require(eve.split(separator: "\n").last { $0.contains("\"event_type\":\"stats\"") })
        #expect(stats.contains("\"rejects_sent\":1") && stats.contains("\"forwarded\":0"))
    }
}
