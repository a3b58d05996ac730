// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirBypass
import WeirCore

/// A TCP receiver: accepts one connection on `port`, appends "monotonic-ns total-bytes" per read to `log`.
private let receiverScript = """
    import socket, sys, time
    port, log = int(sys.argv[1]), sys.argv[2]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4)
    out = open(log, "w", buffering=1)
    out.write("listening\\n")
    c, _ = s.accept()
    total = 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        total += len(d)
        out.write("%d %d\\n" % (time.monotonic_ns(), total))
    out.write("done %d\\n" % total)
    """

/// A TCP sender: `total` bytes to host:port at about `rate` bytes/s; exit 0 once all were sent and closed.
private let senderScript = """
    import socket, sys, time
    host, port, total, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    s = socket.create_connection((host, port), timeout=float(sys.argv[5]))
    chunk = b"x" * 65536
    sent, start = 0, time.monotonic()
    while sent < total:
        n = min(len(chunk), total - sent)
        s.sendall(chunk[:n])
        sent += n
        pause = start + sent / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    s.shutdown(socket.SHUT_WR)
    s.settimeout(30)
    s.recv(1)
    print("sent", sent)
    """

/// Real TCP between two namespaces through an inline pair in a third, with the weir binary in the middle.
final class InlineTCPBench {
    let chain: IPSChain
    let pins: TemporaryPinRoot
    let files: LiveRunFiles
    let client = "10.50.0.1"
    let server = "10.50.0.2"

    init(_ tag: String) throws {
        self.chain = try IPSChain()
        self.pins = TemporaryPinRoot(tag)
        self.files = LiveRunFiles(
            tag,
            rules: """
                drop tcp any any -> any 5002 (msg:"blocked port"; flow:to_server; sid:9300001; rev:1;)
                alert tcp any any -> any 5003 (msg:"inspected"; flags:S; sid:9300002; rev:1;)

                """)
        #expect(FileDescriptorWriter.write(receiverScript, to: "\(self.files.directory)/receiver.py"))
        #expect(FileDescriptorWriter.write(senderScript, to: "\(self.files.directory)/sender.py"))
        let c = self.chain
        for (namespace, link, address) in [(c.sender, c.senderLink, self.client), (c.peer, c.peerLink, self.server)] {
            #expect(runCommand(["ip", "-n", namespace, "addr", "add", "\(address)/24", "dev", link]) == 0)
            // Real checksums on the wire (the worker forwards frames as read), and GRO so that a veth can
            // take frames XDP redirects to it.
            runCommand(["ip", "netns", "exec", namespace, "ethtool", "-K", link, "tx", "off", "gro", "on"])
        }
        for link in [c.weirIn, c.weirOut] {
            // Whole wire frames in the rings, never GRO-merged ones.
            runCommand(["ip", "netns", "exec", c.weir, "ethtool", "-K", link, "gro", "off", "tx", "off"])
        }
    }

    func cleanUp() {
        self.files.remove()
        self.pins.remove()
        self.chain.cleanUp()
    }

    /// Starts weir on the pair with `fail-mode`; nil when it did not come up.
    func startWeir(_ run: Int, failMode: String) -> SpawnedProcess? {
        let c = self.chain
        let process = SpawnedProcess(
            [
                "ip", "netns", "exec", c.weir, weirBinary(), "--af-packet=\(c.weirIn)", "-S",
                "\(self.files.directory)/live.rules", "-l", "\(self.files.directory)/out\(run)", "-k", "none",
                "--set", "af-packet.0.interface=\(c.weirIn)", "--set", "af-packet.0.copy-mode=ips",
                "--set", "af-packet.0.copy-iface=\(c.weirOut)", "--set", "af-packet.0.threads=1",
                "--set", "af-packet.0.fail-mode=\(failMode)", "--set", "af-packet.0.heartbeat-period=50",
                "--set", "af-packet.0.heartbeat-timeout=250", "--set", "bypass.pin-path=\(self.pins.path)",
                "--set", "bypass.flow-table-size=1024",
            ], output: "\(self.files.directory)/weir\(run).log")
        guard let process, process.waitFor("capturing on") else { return nil }
        return process
    }

    func receiver(port: Int) -> SpawnedProcess? {
        let log = "\(self.files.directory)/recv\(port).log"
        let process = SpawnedProcess(
            ["ip", "netns", "exec", self.chain.peer, "python3", "\(self.files.directory)/receiver.py", "\(port)", log],
            output: "\(self.files.directory)/recv\(port).out")
        let deadline = monotonicNanoseconds() + 5_000_000_000
        while monotonicNanoseconds() < deadline && !(FileDescriptorWriter.read(log) ?? "").contains("listening") {
            usleep(20_000)
        }
        return process
    }

    func sender(port: Int, bytes: Int, rate: Int, timeout: Int) -> SpawnedProcess? {
        SpawnedProcess(
            [
                "ip", "netns", "exec", self.chain.sender, "python3", "\(self.files.directory)/sender.py", self.server,
                "\(port)", "\(bytes)", "\(rate)", "\(timeout)",
            ], output: "\(self.files.directory)/send\(port).out")
    }

    /// The receiver's reads: (monotonic ns, bytes so far).
    func reads(port: Int) -> [(UInt64, Int)] {
        (FileDescriptorWriter.read("\(self.files.directory)/recv\(port).log") ?? "").split(separator: "\n").compactMap {
            let parts = $0.split(separator: " ")
            guard parts.count == 2, let time = UInt64(parts[0]), let total = Int(parts[1]) else { return nil }
            return (time, total)
        }
    }

    /// Waits until the receiver on `port` has at least `bytes`, up to `seconds`; the bytes it has then.
    func waitForBytes(port: Int, atLeast bytes: Int, seconds: Double) -> Int {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        var got = self.reads(port: port).last?.1 ?? 0
        while got < bytes && monotonicNanoseconds() < deadline {
            usleep(50_000)
            got = self.reads(port: port).last?.1 ?? 0
        }
        return got
    }

    /// Waits for a process to end, up to `seconds`; true when it ended with status 0.
    func finished(_ process: SpawnedProcess, within seconds: Double) -> Bool {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while !process.exited && monotonicNanoseconds() < deadline { usleep(50_000) }
        return process.exited && process.status == 0
    }
}

@Suite("fail-mode on an inline pair: SIGKILL mid-transfer, the XDP programs fail open or closed", .serialized)
struct FailModeTests {
    static let transfer = 30 << 20

    @Test("fail-open: a 30 MB transfer survives SIGKILL of weir; after a restart a new connection is inspected and a drop rule blocks it")
    func failOpen() throws {
        #expect(access(weirBinary(), X_OK) == 0)
        let bench = try InlineTCPBench("failopen")
        defer { bench.cleanUp() }
        let first = try #require(bench.startWeir(1, failMode: "open"), "weir did not start")
        #expect(first.text.contains("fail-mode open"), "\(first.text)")
        let receiver = try #require(bench.receiver(port: 5001))
        defer { receiver.end(SIGKILL) }
        // About 10 MB/s: the kill lands about a third of the way through.
        let sender = try #require(bench.sender(port: 5001, bytes: Self.transfer, rate: 10 << 20, timeout: 30))
        defer { sender.end(SIGKILL) }
        // Kill once the transfer is well under way (connection setup through the worker may be slow on a
        // loaded machine).
        let beforeKill = bench.waitForBytes(port: 5001, atLeast: 2 << 20, seconds: 30)
        #expect(beforeKill > 0 && beforeKill < Self.transfer, "the transfer is under way when weir is killed")
        let killed = monotonicNanoseconds()
        first.end(SIGKILL)
        #expect(bench.finished(sender, within: 40), "the transfer completes: \(sender.text)")
        #expect(bench.finished(receiver, within: 5))
        let reads = bench.reads(port: 5001)
        #expect(reads.last?.1 == Self.transfer, "received \(reads.last?.1 ?? 0) of \(Self.transfer)")
        // The gap: from the kill to the first read after the longest stall that follows it.
        var gapEnd = killed
        var longest: UInt64 = 0
        for (index, read) in reads.enumerated() where index > 0 && read.0 > killed {
            let previous = max(reads[index - 1].0, killed)
            if read.0 - previous > longest {
                longest = read.0 - previous
                gapEnd = read.0
            }
        }
        let gapMilliseconds = Double(gapEnd - killed) / 1e6
        print("fail-open: SIGKILL after \(beforeKill) bytes; traffic flowing again \(String(format: "%.0f", gapMilliseconds)) ms after the kill (heartbeat timeout 250 ms); 30 MB completed")
        #expect(gapMilliseconds < 5000)

        // Restart on the same pins: the pinned links are taken over, and new connections are inspected.
        let second = try #require(bench.startWeir(2, failMode: "open"), "weir did not restart")
        let blockedReceiver = try #require(bench.receiver(port: 5002))
        defer { blockedReceiver.end(SIGKILL) }
        let blocked = try #require(bench.sender(port: 5002, bytes: 1000, rate: 1 << 20, timeout: 3))
        #expect(!bench.finished(blocked, within: 10), "the drop rule blocks the new connection: \(blocked.text)")
        let openReceiver = try #require(bench.receiver(port: 5003))
        defer { openReceiver.end(SIGKILL) }
        let open = try #require(bench.sender(port: 5003, bytes: 100_000, rate: 10 << 20, timeout: 5))
        #expect(bench.finished(open, within: 15), "an allowed new connection crosses the restarted weir: \(open.text)")
        second.end(SIGTERM)
        let eve = FileDescriptorWriter.read("\(bench.files.directory)/out2/eve.json") ?? ""
        #expect(eve.contains("\"signature_id\":9300001") && eve.contains("\"action\":\"blocked\""), "drop rule in run 2")
        #expect(eve.contains("\"signature_id\":9300002"), "the new connection was inspected in run 2")
        // A clean stop detaches: no pinned link is left.
        #expect(access("\(bench.pins.path)/\(bench.chain.weirIn)/weir_xdp_link", F_OK) != 0)
    }

    @Test("fail-closed: the same transfer stalls at SIGKILL")
    func failClosed() throws {
        #expect(access(weirBinary(), X_OK) == 0)
        let bench = try InlineTCPBench("failclosed")
        defer { bench.cleanUp() }
        let first = try #require(bench.startWeir(1, failMode: "closed"), "weir did not start")
        let receiver = try #require(bench.receiver(port: 5001))
        defer { receiver.end(SIGKILL) }
        let sender = try #require(bench.sender(port: 5001, bytes: Self.transfer, rate: 10 << 20, timeout: 30))
        defer { sender.end(SIGKILL) }
        #expect(bench.waitForBytes(port: 5001, atLeast: 2 << 20, seconds: 30) >= 2 << 20, "the transfer got going")
        first.end(SIGKILL)
        usleep(700_000)  // past the heartbeat timeout and what was in flight
        let settled = bench.reads(port: 5001).last?.1 ?? 0
        usleep(3_000_000)
        let later = bench.reads(port: 5001).last?.1 ?? 0
        #expect(settled > 0 && settled < Self.transfer)
        #expect(later == settled, "nothing crosses once weir is gone: \(settled) then \(later)")
        print("fail-closed: transfer stalled at \(settled) of \(Self.transfer) bytes after SIGKILL")
        // The killed run's programs stay (dropping) until the pins are removed.
        #expect(access("\(bench.pins.path)/\(bench.chain.weirIn)/weir_xdp_link", F_OK) == 0)
    }
}
