// SPDX-License-Identifier: MIT
import CLibBPF
import CWeirLinux
import Glibc
import Testing
import WeirBPFObjects
import WeirBypass
import WeirCapture
import WeirCore
import WeirFlow
import WeirRuntime
import WeirTestSupport

// MARK: - The weir binary as a separate process (what an operator runs, and what SIGKILL can hit)

/// The `weir` executable built beside this test bundle (`.build/<configuration>/weir`): the release binary
/// when the tests run with `-c release`.
func weirBinary() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return "\(directory)/weir"
}

/// A process started with posix_spawn, its stdout and stderr in files.
final class SpawnedProcess {
    let pid: pid_t
    let output: String
    private var reaped = false
    private(set) var status: Int32 = -1

    init?(_ arguments: [String], output: String) {
        self.output = output
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { return nil }
        self.pid = pid
    }

    /// What it wrote so far.
    var text: String { FileDescriptorWriter.read(self.output) ?? "" }

    /// Waits up to `seconds` for `needle` in its output.
    func waitFor(_ needle: String, seconds: Double = 10) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while monotonicNanoseconds() < deadline {
            if self.text.contains(needle) { return true }
            if self.exited { return self.text.contains(needle) }
            usleep(20_000)
        }
        return false
    }

    var exited: Bool {
        if self.reaped { return true }
        var status: Int32 = 0
        if waitpid(self.pid, &status, WNOHANG) == self.pid {
            self.reaped = true
            self.status = status
        }
        return self.reaped
    }

    /// Sends `signal` and waits for the process to end; returns its raw wait status.
    @discardableResult
    func end(_ signal: Int32) -> Int32 {
        if !self.exited { kill(self.pid, signal) }
        while !self.reaped {
            var status: Int32 = 0
            let rc = waitpid(self.pid, &status, 0)
            if rc == self.pid {
                self.reaped = true
                self.status = status
            } else if rc < 0 && errno != EINTR {
                break
            }
        }
        return self.status
    }

    deinit {
        if !self.exited { self.end(SIGKILL) }
    }
}

/// An IPv4/TCP frame with explicit sequence numbers (checksums left zero: the runs use `-k none`).
func tcpFrame(
    _ source: String, _ destination: String, _ sport: UInt16, _ dport: UInt16, seq: UInt32, ack: UInt32,
    flags: UInt8, payload: String = ""
) -> [UInt8] {
    let tcp =
        FrameBuilder.be16(sport) + FrameBuilder.be16(dport) + FrameBuilder.be32(seq) + FrameBuilder.be32(ack)
        + [5 << 4, flags] + FrameBuilder.be16(65535) + FrameBuilder.be16(0) + FrameBuilder.be16(0) + Array(payload.utf8)
    return FrameBuilder.ethernet(etherType: 0x0800, payload: FrameBuilder.ipv4(source, destination, proto: 6, payload: tcp))
}

@Suite("Crash-safe kernel tables: SIGKILL, restart on the same pins, nothing left behind", .serialized)
struct CrashRecoveryTests {
    static let rules = """
        alert udp any any -> any any (msg:"bypass udp"; content:"bypass-me"; bypass; sid:9200001; rev:1;)
        alert tcp any any -> any 80 (msg:"bypass tcp at its SYN"; flags:S; bypass; sid:9200002; rev:1;)

        """

    @Test(
        "SIGKILL amid 3 bypassed flows: the restart adopts or expires their entries, tables end empty, directions right",
        arguments: ["auto", "none"]  // native XDP; the socket filter
    )
    func killAndRestart(xdpMode: String) throws {
        let binary = weirBinary()
        #expect(access(binary, X_OK) == 0, "\(binary) must be built (swift build --build-tests)")
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let pins = TemporaryPinRoot("crash-\(xdpMode)")
        defer { pins.remove() }
        let files = LiveRunFiles("crash-\(xdpMode)", rules: Self.rules)
        defer { files.remove() }
        let sender = packetSocket(in: pair.sender, link: pair.senderLink)
        #expect(sender.fd >= 0)
        defer { close(sender.fd) }
        let (client, server) = ("10.9.0.1", "10.9.0.2")
        func start(_ run: Int) -> SpawnedProcess? {
            SpawnedProcess(
                [
                    "ip", "netns", "exec", pair.receiver, binary, "--af-packet=\(pair.receiverLink)", "-S",
                    "\(files.directory)/live.rules", "-l", "\(files.directory)/out\(run)", "-k", "none",
                    "--set", "af-packet.0.interface=\(pair.receiverLink)", "--set", "af-packet.0.bypass=yes",
                    "--set", "af-packet.0.threads=1", "--set", "af-packet.0.xdp-mode=\(xdpMode)",
                    "--set", "bypass.pin-path=\(pins.path)", "--set", "bypass.flow-table-size=1024",
                    "--set", "flow-timeouts.udp.bypassed=2", "--set", "flow-timeouts.tcp.bypassed=2",
                ], output: "\(files.directory)/weir\(run).log")
        }
        let table = { () throws -> [BypassEntry] in try BypassTable(pinDirectory: "\(pins.path)/\(pair.receiverLink)").entries() }

        // Run 1: three flows bypassed (two UDP, one TCP after its handshake), then SIGKILL.
        let first = try #require(start(1))
        #expect(first.waitFor("capturing on"), "\(first.text)")
        send(
            [
                udpFrame(client, server, port: 43000, payload: "bypass-me a"),
                udpFrame(client, server, port: 43001, payload: "bypass-me b"),
                tcpFrame(client, server, 44000, 80, seq: 100, ack: 0, flags: 0x02),
                tcpFrame(server, client, 80, 44000, seq: 500, ack: 101, flags: 0x12),
                tcpFrame(client, server, 44000, 80, seq: 101, ack: 501, flags: 0x10),
                tcpFrame(client, server, 44000, 80, seq: 101, ack: 501, flags: 0x18, payload: "bypass-me c"),
            ], on: sender)
        usleep(500_000)
        #expect(try table().count == 3, "\(first.text) \(FileDescriptorWriter.read("\(files.directory)/out1/eve.json") ?? "")")
        first.end(SIGKILL)
        #expect(try table().count == 3, "the killed run's entries stay in the pinned tables")

        // Run 2 on the same pins. Server-to-client traffic first: without adoption it would start flows
        // mid-stream with the server as client.
        let second = try #require(start(2))
        #expect(second.waitFor("capturing on"), "\(second.text)")
        #expect(second.text.contains("3 flows left in the kernel tables by an earlier run"), "\(second.text)")
        send(
            [
                udpFrame(server, client, port: 53, to: 43000, payload: "reply a"),
                udpFrame(server, client, port: 53, to: 43001, payload: "reply b"),
                tcpFrame(server, client, 80, 44000, seq: 501, ack: 112, flags: 0x18, payload: "server data"),
                tcpFrame(server, client, 80, 44000, seq: 512, ack: 112, flags: 0x11),  // FIN: passed up
                tcpFrame(client, server, 44000, 80, seq: 112, ack: 513, flags: 0x11),  // FIN: passed up
                tcpFrame(server, client, 80, 44000, seq: 513, ack: 113, flags: 0x10),
            ], on: sender)
        // The flows end: nothing more is sent. Within their 2 s bypassed timeout (and a tick), every entry is
        // gone: the adopted one at its flow's end, the others expired by the kernel's last-seen time.
        var remaining = try table().count
        let deadline = monotonicNanoseconds() + 8_000_000_000
        while remaining > 0 && monotonicNanoseconds() < deadline {
            usleep(200_000)
            remaining = try table().count
        }
        let left = (try? table().map { "\($0.key)" }) ?? []
        #expect(remaining == 0, "entries left: \(left)")
        let status = second.end(SIGTERM)
        #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "\(second.text)")

        let eve = (FileDescriptorWriter.read("\(files.directory)/out2/eve.json") ?? "").split(separator: "\n")
        let flows = eve.filter { $0.contains("\"event_type\":\"flow\"") }
        // Only the TCP flow's FINs reached the restarted Weir: one flow, the client's direction, capture bypass.
        #expect(flows.count == 1, "\(flows)")
        let tcp = try #require(flows.first)
        #expect(tcp.contains("\"src_ip\":\"\(client)\"") && tcp.contains("\"src_port\":44000"), "\(tcp)")
        #expect(tcp.contains("\"dest_port\":80") && tcp.contains("\"bypass\":\"capture\""), "\(tcp)")
        #expect(!eve.contains { $0.contains("\"src_ip\":\"\(server)\"") && $0.contains("\"event_type\":\"flow\"") })
        // The bypassed flows' packets never reached the rings: no alert at all in run 2.
        #expect(!eve.contains { $0.contains("\"event_type\":\"alert\"") })
        let stats = try #require(eve.last { $0.contains("\"event_type\":\"stats\"") })
        // The kernel-table counters are Weir's own: in stats.log, not EVE.
        let counters = statsLogTotals("\(files.directory)/out2/stats.log")
        #expect(
            counters["flow_bypassed.capture_adopted"] == 1 && counters["flow_bypassed.capture_orphans_expired"] == 2,
            "\(counters)")
        #expect(stats.contains("\"kernel_packets\":2"), "only the two FINs: \(stats)")
    }

    @Test("a start that fails after loading removes the pin directory it created and attaches nothing")
    func failedStartCleansUp() throws {
        BPFLogging.silence()
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let pins = TemporaryPinRoot("failed")
        defer { pins.remove() }
        // A foreign XDP program on the interface: driver mode is refused after weir_xdp was loaded and pinned.
        let object = try BPFObject(bytes: BPFObjectBytes.weirBaseline, name: "weir_baseline")
        try object.load()
        let program = try object.program(WEIR_PROG_XDP_PASS)
        final class Holder: @unchecked Sendable { var attachment: XDPAttachment? }
        let foreign = Holder()
        let link = pair.receiverLink
        _ = inNamespace(pair.receiver) {
            foreign.attachment = try? XDPAttachment(
                program: program, interfaceIndex: Int32(if_nametoindex(link)), mode: .generic, features: probedFeatures)
        }
        #expect(foreign.attachment != nil)
        defer { _ = inNamespace(pair.receiver) { foreign.attachment = nil } }
        let files = LiveRunFiles("failed", rules: Self.rules)
        defer { files.remove() }
        var options = files.options([
            "af-packet.0.interface=\(link)", "af-packet.0.bypass=yes", "af-packet.0.xdp-mode=driver",
            "bypass.pin-path=\(pins.path)",
        ])
        let messages = CollectedMessages()
        options.messages = { messages.append($0) }
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.stop() == 2)
        #expect(messages.all.contains("already attached"), "\(messages.all)")
        let left = (try? listNames(pins.path)) ?? []
        #expect(left.isEmpty, "pin directories left: \(left)")
    }
}
