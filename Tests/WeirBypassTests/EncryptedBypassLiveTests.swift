// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirBypass
import WeirRuntime
import WeirTestSupport

/// A background process started with posix_spawn, stopped by its pid.
private struct Spawned {
    let pid: pid_t

    init?(_ arguments: [String]) {
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawnp(&pid, arguments[0], nil, nil, argv, environ) == 0 else { return nil }
        self.pid = pid
    }

    /// The exit status once the process has ended by itself, nil while it runs (-1 after a signal).
    func ended() -> Int32? {
        var status: Int32 = 0
        guard waitpid(self.pid, &status, WNOHANG) == self.pid else { return nil }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// Waits up to `seconds` for the process to end by itself, then kills it.
    func finish(within seconds: Int) {
        var status: Int32 = 0
        for _ in 0..<(seconds * 10) {
            if waitpid(self.pid, &status, WNOHANG) == self.pid { return }
            usleep(100_000)
        }
        kill(self.pid, SIGKILL)
        while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// Where the capture meets the kernel table.
enum BypassVariant: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `xdp-mode: none`: the socket filter on the capture ring, capturing on the server's own interface (the
    /// server's traffic flows on; the filter only hides the flow from the capture).
    case socketFilter = "none"
    /// `xdp-mode: soft`: generic XDP on a capture-only port (a SPAN copy of the server's interface, made with
    /// tc mirred): XDP drops the bypassed frames there, as it would on a switch's mirror port.
    case softXDP = "soft"

    var testDescription: String { self == .socketFilter ? "socket filter" : "soft XDP" }
}

/// The namespaces, links, bpffs and directory of one live encrypted-bypass run, torn down by name at the end:
/// client namespace (10.77.0.1) and server namespace (10.77.0.2) joined by a veth pair; for soft XDP a third
/// namespace with the mirror port Weir captures on.
private final class EncryptedBench {
    let pair: VethPair
    let variant: BypassVariant
    let directory: String
    let bpffs: String
    /// Where the capture runs, and its interface.
    let captureNamespace: String
    let captureLink: String
    /// The SPAN namespace and the mirror link's two ends (soft XDP only).
    private let spanNamespace: String?
    private let mirrorLink: String
    private var mounted = false

    var pins: String { "\(self.bpffs)/weir" }
    var tableDirectory: String { "\(self.pins)/\(self.captureLink)" }

    init(_ variant: BypassVariant, tag: String) throws {
        self.variant = variant
        self.pair = try VethPair()
        let unique = "\(tag)-\(variant.rawValue)-\(getpid())"
        self.directory = "/tmp/weir-live-\(unique)"
        self.bpffs = "/tmp/weir-bpffs-\(unique)"
        let suffix = self.pair.receiverLink.dropFirst(3)
        self.mirrorLink = "wtm\(suffix)"
        if variant == .softXDP {
            self.spanNamespace = "\(self.pair.receiver)-span"
            self.captureNamespace = "\(self.pair.receiver)-span"
            self.captureLink = "wtc\(suffix)"
        } else {
            self.spanNamespace = nil
            self.captureNamespace = self.pair.receiver
            self.captureLink = self.pair.receiverLink
        }
        runCommand(["rm", "-rf", self.directory])
        guard mkdir(self.directory, 0o700) == 0, mkdir(self.bpffs, 0o700) == 0 else {
            self.cleanUp()
            throw BPFError(.systemCall, call: "mkdir \(self.directory)")
        }
        // A bpffs of the test's own (the machine may have none at /sys/fs/bpf), unmounted at the end.
        self.mounted = runCommand(["mount", "-t", "bpf", "bpf", self.bpffs]) == 0
        guard self.mounted, self.setUpLinks() else {
            self.cleanUp()
            throw BPFError(.systemCall, call: "set up the links of \(self.pair.receiver)")
        }
    }

    private func setUpLinks() -> Bool {
        let (a, b) = (self.pair.sender, self.pair.receiver)
        // Addresses only inside the namespaces, no routes beyond the link.
        guard runCommand(["ip", "-n", a, "addr", "add", "10.77.0.1/24", "dev", self.pair.senderLink]) == 0,
            runCommand(["ip", "-n", b, "addr", "add", "10.77.0.2/24", "dev", self.pair.receiverLink]) == 0
        else { return false }
        // Segmentation offloads off: the capture sees wire-sized frames, as on a real link.
        for (namespace, link) in [(a, self.pair.senderLink), (b, self.pair.receiverLink)] {
            runCommand(["ip", "netns", "exec", namespace, "ethtool", "-K", link, "tso", "off", "gso", "off", "gro", "off"])
        }
        guard let span = self.spanNamespace else { return true }
        // The SPAN port: both directions of the server's link copied (tc mirred) to a veth whose other end,
        // in a namespace of its own with no address, is the capture interface.
        guard runCommand(["ip", "netns", "add", span]) == 0,
            runCommand([
                "ip", "link", "add", self.mirrorLink, "netns", b, "type", "veth", "peer", "name", self.captureLink,
                "netns", span,
            ]) == 0
        else { return false }
        runCommand(["ip", "netns", "exec", span, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        runCommand(["ip", "netns", "exec", span, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
        let mirror = ["action", "mirred", "egress", "mirror", "dev", self.mirrorLink]
        let link = self.pair.receiverLink
        return runCommand(["ip", "-n", b, "link", "set", self.mirrorLink, "up"]) == 0
            && runCommand(["ip", "-n", span, "link", "set", self.captureLink, "up"]) == 0
            && runCommand(["ip", "netns", "exec", span, "ethtool", "-K", self.captureLink, "gro", "off"]) == 0
            // TCP hands the link whole GSO packets, which tc sees before they are cut up: a mirror port that
            // cannot segment makes the kernel cut the copies into wire-sized frames.
            && runCommand(["ip", "netns", "exec", b, "ethtool", "-K", self.mirrorLink, "tso", "off", "gso", "off"]) == 0
            && runCommand(["ip", "netns", "exec", b, "tc", "qdisc", "add", "dev", link, "clsact"]) == 0
            && runCommand(
                ["ip", "netns", "exec", b, "tc", "filter", "add", "dev", link, "ingress", "protocol", "all", "u32",
                 "match", "u32", "0", "0"] + mirror) == 0
            && runCommand(
                ["ip", "netns", "exec", b, "tc", "filter", "add", "dev", link, "egress", "protocol", "all", "u32",
                 "match", "u32", "0", "0"] + mirror) == 0
    }

    /// The run options: `bypass: yes` on the capture interface with the variant's `xdp-mode`, TLS and SSH
    /// with `encryption-handling: bypass`.
    func options() -> RunOptions {
        var options = RunOptions()
        options.exclusiveRuleFiles = ["\(self.directory)/live.rules"]
        options.logDirectory = "\(self.directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(self.captureLink)", "af-packet.0.bypass=yes", "bypass.pin-path=\(self.pins)",
            "af-packet.0.xdp-mode=\(self.variant.rawValue)", "app-layer.protocols.tls.encryption-handling=bypass",
            "app-layer.protocols.ssh.encryption-handling=bypass",
        ]
        // The sensor has a core of its own, as a deployed sensor does (Suricata's cpu-affinity): its worker
        // runs on CPU 0 at high priority, and the peers (`peer`) on the other CPUs. Otherwise the TLS and
        // SSH peers, which on a real network run on other machines, take the worker's CPU in the moment it
        // must write the table entry.
        if Self.cpus >= 2 {
            options.overrides += [
                "threading.set-cpu-affinity=yes", "threading.cpu-affinity.worker-cpu-set.cpu=0",
                "threading.cpu-affinity.worker-cpu-set.prio.default=high",
                "threading.cpu-affinity.management-cpu-set.cpu=0",
            ]
        }
        return options
    }

    static let cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// The command prefix that runs a peer (server or client) off the sensor's CPU.
    static let peer: String = EncryptedBench.cpus >= 2 ? "taskset -c 1-\(EncryptedBench.cpus - 1) " : ""

    /// Starts Weir on the capture interface (inside its namespace).
    func startCapture() throws -> LiveSession {
        #expect(FileDescriptorWriter.write("", to: "\(self.directory)/live.rules"))
        let options = self.options()
        let link = self.captureLink
        let session = try LiveSession(in: self.captureNamespace) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        // The plane is the one asked for: generic XDP on the mirror port, or no XDP at all.
        let attached = runCommand(["sh", "-c", "ip -n \(self.captureNamespace) link show dev \(link) | grep -q xdpgeneric"])
        #expect((attached == 0) == (self.variant == .softXDP), "\(self.variant.testDescription): xdpgeneric on \(link)")
        return session
    }

    /// Kills whatever still runs in the test's namespaces (a server that did not end), by pid; never the test
    /// process itself (only a thread of it enters a namespace).
    func killNamespaceProcesses() {
        for namespace in [self.pair.sender, self.pair.receiver] + (self.spanNamespace.map { [$0] } ?? []) {
            let listing = "\(self.directory)-pids"
            runCommand(["sh", "-c", "ip netns pids \(namespace) > \(listing) 2>/dev/null"])
            let pids = (FileDescriptorWriter.read(listing) ?? "").split(separator: "\n").compactMap { pid_t($0) }
            unlink(listing)
            for pid in pids where pid != getpid() && pid > 1 { kill(pid, SIGKILL) }
        }
    }

    func cleanUp() {
        self.killNamespaceProcesses()
        runCommand(["rm", "-rf", self.directory])
        try? BypassDataPlane.unpin(directory: self.tableDirectory)
        rmdir(self.pins)
        if self.mounted { runCommand(["umount", self.bpffs]) }
        rmdir(self.bpffs)
        if let span = self.spanNamespace, access("/run/netns/\(span)", F_OK) == 0 {
            VethPair.setupLock.withLock { _ = runCommand(["ip", "netns", "del", span]) }
        }
        self.pair.cleanUp()
    }

    /// Runs the client until it ends (at most `seconds`), sampling the kernel table every 2 ms meanwhile:
    /// returns the client's exit status and whether the flow to `port` was seen in the table.
    func transfer(_ client: [String], port: UInt16, seconds: Int) -> (status: Int32?, inTable: Bool) {
        guard let process = Spawned(client) else { return (nil, false) }
        let table = try? BypassTable(pinDirectory: self.tableDirectory)
        var inTable = false
        let deadline = secondsNow() + Double(seconds)
        while secondsNow() < deadline {
            if let status = process.ended() { return (status, inTable) }
            if !inTable, let table {
                inTable = table.entries().contains { $0.key.firstPort == port || $0.key.secondPort == port }
            }
            usleep(2_000)
        }
        process.finish(within: 0)
        return (nil, inTable)
    }
}

private func secondsNow() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// What a run's EVE log says about the bypassed flow, and the checks the issue asks for.
private struct BypassOutcome {
    let label: String
    let flow: Substring
    let stats: Substring
    let lines: [Substring]
    /// stats.log's totals: every counter, Suricata's and Weir's own (docs/counters.md).
    let counters: [String: UInt64]

    init(directory: String, port: UInt16, label: String) throws {
        self.label = label
        self.lines = (FileDescriptorWriter.read("\(directory)/out/eve.json") ?? "").split(separator: "\n")
        self.flow = try #require(
            self.lines.first { $0.contains("\"event_type\":\"flow\"") && $0.contains("\"dest_port\":\(port)") },
            "\(label): no flow record for the session")
        self.stats = try #require(self.lines.last { $0.contains("\"event_type\":\"stats\"") }, "\(label): no stats record")
        // Weir's own counters (the capture table's, the encrypted-flow ones) are in stats.log, not EVE.
        self.counters = statsLogTotals("\(directory)/out/stats.log")
    }

    /// The unsigned number right after `marker` in `text` (0 when absent).
    static func number(_ text: some StringProtocol, after marker: String) -> UInt64 {
        guard let range = text.range(of: marker) else { return 0 }
        return UInt64(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// A `flow_bypassed.*` counter from stats.log (0 when absent: stats.log leaves zero counters out).
    func stat(_ name: String) -> UInt64 {
        self.counters["flow_bypassed.\(name)", default: 0]
    }

    /// Checks the flow record, the kernel's share, the late frames and the counters; `transferred` is what
    /// the server sent (the flow's bytes to the client must include it: the kernel's counters were merged).
    func verify(transferred: Int, inTable: Bool, tablePath: String) throws {
        // The flow entered the kernel table while the transfer ran, after the handshake user space parsed
        // (its app-layer record was written and the flow counted as bypassed at its encrypted point).
        #expect(inTable, "\(self.label): the flow was never seen in the kernel table")
        #expect(self.stat("capture_offered") == 1, "\(self.label): \(self.stats)")
        #expect(self.flow.contains("\"state\":\"bypassed\"") && self.flow.contains("\"bypass\":\"capture\""))
        let total = Self.number(self.flow, after: "\"flow\":{\"pkts_toserver\":") + Self.number(self.flow, after: "\"pkts_toclient\":")
        let toClientBytes = Self.number(self.flow, after: "\"bytes_toclient\":")
        let bypassed = try #require(
            self.flow.range(of: "\"bypassed\":{").map { self.flow[$0.upperBound...] }, "\(self.label): no bypassed{}")
        let kernel = Self.number(bypassed, after: "\"pkts_toserver\":") + Self.number(bypassed, after: "\"pkts_toclient\":")
        let kernelBytes = Self.number(bypassed, after: "\"bytes_toserver\":") + Self.number(bypassed, after: "\"bytes_toclient\":")
        #expect(total > 30000, "\(self.label): \(total) packets")
        // The handshake went through user space: the TCP handshake and the protocol's own exchange before
        // the encrypted point are not in the kernel's counters.
        #expect(total - kernel >= 8, "\(self.label): user space saw \(total - kernel) packets")
        // Merged: the record's totals hold the kernel's share (user space alone saw too little for this).
        #expect(toClientBytes >= UInt64(transferred), "\(self.label): \(toClientBytes) bytes to the client")
        #expect(kernelBytes * 100 >= UInt64(transferred) * 99, "\(self.label): kernel bytes \(kernelBytes)")
        #expect(self.stat("pkts") == kernel && self.stat("bytes") == kernelBytes, "\(self.label): \(self.stats)")
        let late = self.stat("capture_late_pkts")
        let backlog = self.stat("capture_ring_backlog")
        let flowEnd = self.stat("capture_flow_end_pkts")
        let delay = self.stat("capture_write_delay_us")
        print(
            "encrypted bypass, \(self.label): written \(delay) µs after the deciding frame; kernel carried \(kernel) of \(total) packets (\(Double(kernel * 10000 / max(total, 1)) / 100)%); \(late) frames read after the table write, ring backlog at the write \(backlog); \(flowEnd) FIN/RST frames passed up"
        )
        // What the kernel cannot carry is what was in the ring at the write: the frames that arrived between
        // the deciding frame and the write, about 100 a millisecond here.
        let load = FileDescriptorWriter.read("/proc/loadavg") ?? "?"
        let share = "\(self.label): kernel \(kernel) of \(total) packets, written \(delay) µs after the deciding frame (load: \(load))"
        #if DEBUG
        // Unoptimised, the worker is slower through the handshake (measured in CI: the entry written up to
        // 5.2 ms after the deciding frame, against up to 3.8 ms for the release build, and 98.66% once), so the
        // share is the shipped build's to keep: here it is reported, and 95% must hold.
        if kernel * 100 < total * 99 { print("encrypted bypass, \(share): under 99% in a debug build") }
        #expect(kernel * 100 >= total * 95, "\(share)")
        #else
        // When the worker wrote within 2 ms (Weir's own work), 99% must hold. A longer delay is the machine's:
        // on cores busy with other work (parallel builds) the worker's wake-up was measured at 5-25 ms; then a
        // share under 99% is recorded as a known issue, with the delay and the load, and 95% must still hold.
        if delay <= 2_000 {
            #expect(kernel * 100 >= total * 99, "\(share)")
        } else {
            withKnownIssue("the worker wrote the entry late on a busy machine", isIntermittent: true) {
                #expect(kernel * 100 >= total * 99, "\(share)")
            }
            #expect(kernel * 100 >= total * 95, "\(share)")
        }
        #endif
        // After the write user space reads at most what was already in the ring, or past the kernel's check
        // and on its way there (CaptureBypass.framesInFlight: one NAPI poll's 64 frames; measured here, late
        // exceeded the sampled backlog by 1 once in CI); every frame of the flow it read after the write is a
        // late frame or the FIN/RST the kernel passes up on purpose.
        #expect(late <= backlog + 64, "\(self.label): \(late) late frames, backlog \(backlog)")
        #expect(self.stat("capture_late_beyond_backlog") == 0)
        #expect(self.stat("capture_late_flows") == (late > 0 ? 1 : 0))
        #expect(self.stat("local_pkts") == late + flowEnd, "\(self.label): \(self.stats)")
        #expect(kernel + late + flowEnd <= total)
        // The flow's end removed its entry: the table is empty.
        #expect(try BypassTable(pinDirectory: tablePath).entries().isEmpty)
    }
}

/// The encrypted bypass, live: real `openssl s_server` / `s_client` and a real `sshd` / `ssh` in two
/// namespaces joined by a veth pair, 50 MiB each, Weir capturing with `bypass: yes` and
/// `encryption-handling: bypass`, through the socket filter and through soft XDP.
@Suite("Encrypted bypass live (openssl, sshd) on veth", .serialized)
struct EncryptedBypassLiveTests {
    static let size = 50 * 1024 * 1024

    @Test(
        "a TLS flow enters the kernel table after its handshake and the kernel carries the transfer",
        arguments: ["-tls1_2", "-tls1_3"], BypassVariant.allCases
    )
    func tlsTransferIsBypassedInTheKernel(version: String, variant: BypassVariant) throws {
        try #require(
            runCommand(["sh", "-c", "command -v openssl >/dev/null"]) == 0,
            "openssl is missing (scripts/install-deps.sh installs it)")
        let bench = try EncryptedBench(variant, tag: "tls\(version)")
        defer { bench.cleanUp() }
        let directory = bench.directory
        #expect(
            runCommand([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem", "-days", "1", "-subj",
                "/CN=weir.test",
            ]) == 0
        )
        #expect(
            runCommand([
                "dd", "if=/dev/urandom", "of=\(directory)/big", "bs=1048576", "count=\(Self.size / 1_048_576)",
                "status=none",
            ]) == 0
        )
        let session = try bench.startCapture()
        #expect(session.isReady)

        // s_server -WWW serves files from its working directory.
        let server = Spawned([
            "ip", "netns", "exec", bench.pair.receiver, "sh", "-c",
            "cd \(directory) && exec \(EncryptedBench.peer)timeout -s KILL 120 openssl s_server -accept 4433 -cert cert.pem -key key.pem -WWW -quiet -naccept 1 \(version)",
        ])
        #expect(server != nil)
        defer { server?.finish(within: 0) }
        usleep(500_000)
        let (fetched, inTable) = bench.transfer(
            [
                "ip", "netns", "exec", bench.pair.sender, "sh", "-c",
                "printf 'GET /big HTTP/1.0\\r\\n\\r\\n' | \(EncryptedBench.peer)timeout 60 openssl s_client -connect 10.77.0.2:4433 -quiet -ign_eof \(version) > \(directory)/got 2>/dev/null",
            ], port: 4433, seconds: 70)
        usleep(500_000)
        var info = stat()
        #expect(stat("\(directory)/got", &info) == 0)
        #expect(Int(info.st_size) >= Self.size, "client received \(info.st_size) bytes (exit \(fetched.map(String.init) ?? "none"))")
        // The server ends after its one session; the flow's FINs end the flow and its table entry.
        server?.finish(within: 10)
        usleep(1_500_000)
        #expect(session.stop() == 0)

        let outcome = try BypassOutcome(directory: directory, port: 4433, label: "TLS \(version), \(variant.testDescription)")
        // The handshake was parsed in user space before the flow went to the kernel.
        let expected = version == "-tls1_2" ? "TLS 1.2" : "TLS 1.3"
        #expect(
            outcome.lines.contains { $0.contains("\"event_type\":\"tls\"") && $0.contains("\"version\":\"\(expected)\"") },
            "no tls record with \(expected)")
        #expect(outcome.counters["tls.encrypted.bypass_flows"] == 1, "\(outcome.counters)")
        try outcome.verify(transferred: Self.size, inTable: inTable, tablePath: bench.tableDirectory)
    }

    @Test(
        "an SSH session to a real sshd enters the kernel table after NEWKEYS and the kernel carries the transfer",
        arguments: BypassVariant.allCases
    )
    func sshTransferIsBypassedInTheKernel(variant: BypassVariant) throws {
        for tool in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"] {
            try #require(access(tool, X_OK) == 0, "\(tool) is missing (scripts/install-deps.sh installs openssh-server)")
        }
        let bench = try EncryptedBench(variant, tag: "ssh")
        defer { bench.cleanUp() }
        let directory = bench.directory
        for key in ["host_key", "client_key"] {
            #expect(runCommand(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "weir-test", "-f", "\(directory)/\(key)"]) == 0)
        }
        #expect(runCommand(["cp", "\(directory)/client_key.pub", "\(directory)/authorized_keys"]) == 0)
        let config = """
            Port 2222
            ListenAddress 10.77.0.2
            HostKey \(directory)/host_key
            PidFile \(directory)/sshd.pid
            AuthorizedKeysFile \(directory)/authorized_keys
            PermitRootLogin yes
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PrintMotd no
            PrintLastLog no
            Compression no

            """
        #expect(FileDescriptorWriter.write(config, to: "\(directory)/sshd_config"))
        let session = try bench.startCapture()
        #expect(session.isReady)

        // sshd in the server namespace, with a mount namespace of its own whose /run is a fresh tmpfs: its
        // privilege-separation directory is made there, nothing on the host. -D -e: in the foreground, logging
        // to standard error.
        let server = Spawned([
            "ip", "netns", "exec", bench.pair.receiver, "unshare", "--mount", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs weir-sshd /run && mkdir -m 0755 /run/sshd && exec \(EncryptedBench.peer)/usr/sbin/sshd -D -e -f \(directory)/sshd_config 2>\(directory)/sshd.log",
        ])
        #expect(server != nil)
        defer { server?.finish(within: 0) }
        usleep(700_000)
        let (fetched, inTable) = bench.transfer(
            [
                "ip", "netns", "exec", bench.pair.sender, "sh", "-c",
                "\(EncryptedBench.peer)timeout 60 ssh -F /dev/null -p 2222 -i \(directory)/client_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o Compression=no -o LogLevel=ERROR root@10.77.0.2 'head -c \(Self.size) /dev/zero' > \(directory)/got 2>\(directory)/ssh.log",
            ], port: 2222, seconds: 70)
        usleep(500_000)
        var info = stat()
        #expect(stat("\(directory)/got", &info) == 0)
        #expect(
            Int(info.st_size) == Self.size,
            "client received \(info.st_size) bytes (exit \(fetched.map(String.init) ?? "none")): \(FileDescriptorWriter.read("\(directory)/ssh.log") ?? "") \(FileDescriptorWriter.read("\(directory)/sshd.log") ?? "")"
        )
        // The session's end closes the connection: its FINs end the flow and its table entry.
        usleep(1_500_000)
        #expect(session.stop() == 0)
        server?.finish(within: 0)

        let outcome = try BypassOutcome(directory: directory, port: 2222, label: "SSH, \(variant.testDescription)")
        // Both banners were parsed in user space before the flow went to the kernel.
        #expect(
            outcome.lines.contains {
                $0.contains("\"event_type\":\"ssh\"") && $0.contains("\"software_version\":\"OpenSSH")
                    && $0.contains("\"server\":{")
            }, "no ssh record with both sides")
        #expect(outcome.counters["ssh.encrypted.bypass_flows"] == 1, "\(outcome.counters)")
        try outcome.verify(transferred: Self.size, inTable: inTable, tablePath: bench.tableDirectory)
    }
}
