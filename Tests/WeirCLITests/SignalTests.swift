// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// A network namespace holding one veth pair, for a live capture that touches nothing outside it. Deleted by
/// name at the end, even when the test fails.
final class CaptureNamespace {
    static let counter = Counter()
    final class Counter: @unchecked Sendable {
        private var value = 0
        private var mutex = pthread_mutex_t()
        init() { pthread_mutex_init(&self.mutex, nil) }
        func next() -> Int {
            pthread_mutex_lock(&self.mutex)
            defer { pthread_mutex_unlock(&self.mutex) }
            self.value += 1
            return self.value
        }
    }

    let name: String
    let link = "wcli0"
    let peer = "wcli1"
    let ready: Bool

    init() {
        self.name = "weir-cli-\(getpid())-\(Self.counter.next())"
        let scratch = TemporaryDirectory()
        defer { scratch.remove() }
        func ip(_ arguments: [String]) -> Bool {
            WeirProcess.start(["ip"] + arguments, in: scratch.path)?.wait(seconds: 10).status == 0
        }
        self.ready =
            ip(["netns", "add", self.name])
            && ip(["-n", self.name, "link", "add", self.link, "type", "veth", "peer", "name", self.peer])
            && ip(["-n", self.name, "link", "set", self.link, "up"])
            && ip(["-n", self.name, "link", "set", self.peer, "up"])
    }

    /// Starts `weir ARGUMENTS` inside the namespace (no installed configuration) and waits up to 10 s until it
    /// says it captures; nil when it could not be started.
    func startWeir(_ arguments: [String], in directory: String, environment: [String: String] = [:]) -> WeirProcess.Running? {
        let environment = ["WEIR_DEFAULT_CONFIG": ""].merging(environment) { $1 }
        guard
            let running = WeirProcess.start(
                ["ip", "netns", "exec", self.name, WeirProcess.binary] + arguments, in: directory,
                environment: environment)
        else { return nil }
        var waited = 0
        while !running.stderr.contains("capturing on") && running.isAlive && waited < 500 {
            usleep(20_000)
            waited += 1
        }
        return running
    }

    deinit {
        let scratch = TemporaryDirectory()
        if access("/run/netns/\(self.name)", F_OK) == 0 {
            _ = WeirProcess.start(["ip", "netns", "del", self.name], in: scratch.path)?.wait(seconds: 10)
        }
        scratch.remove()
    }
}

/// SIGHUP (logrotate) and SIGUSR2 (Suricata's rule reload) must not end a live sensor; SIGTERM ends it in order.
/// (SIGHUP reopens the logs: `LiveRecordTests.rotationLosesAndSplitsNoRecord`.)
@Suite struct SignalTests {
    /// The capture flags, with `-i` (Suricata's short form of `--af-packet`) among them.
    @Test(arguments: [["--af-packet=wcli0"], ["--pcap=wcli0"], ["-i", "wcli0"]])
    func hangupAndUser2LeaveALiveCaptureRunning(source: [String]) throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", CommandLineTests.goodRule + "\n")
        let running = try #require(namespace.startWeir(["-S", rules, "-l", dir.path + "/out"] + source, in: dir.path))
        #expect(running.stderr.contains("capturing on"), "\(running.stderr)")
        for signo in [SIGHUP, SIGUSR2, SIGHUP] {
            running.signal(signo)
            usleep(200_000)
            #expect(running.isAlive, "signal \(signo) ended the capture")
        }
        running.signal(SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("SIGHUP received: reopening the log files"))
        #expect(result.stderr.contains("SIGUSR2 received: reloading the rules"))
        // As Suricata: rules given with -S are not reloaded; the capture goes on with them.
        #expect(result.stderr.contains("live rule reload not possible if -s or -S option used at runtime"))
        let eve = readText(dir.path + "/out/eve.json")
        #expect(eve.contains(#""event_type":"stats""#), "the stats record is written at SIGTERM")
    }
}

/// What a live capture writes that a replay cannot: the interface each packet came in on.
@Suite struct LiveRecordTests {
    /// One UDP frame with `payload` sent out of `link` inside `namespace`, through a packet socket (Python's
    /// standard library: no addresses, routes or neighbours needed).
    static func sendUDP(in namespace: String, link: String, payload: String, directory: String) -> Bool {
        let script = """
            import socket, struct
            payload = b"\(payload)"
            udp = struct.pack("!HHHH", 40000, 5353, 8 + len(payload), 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                             bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
            words = struct.unpack("!10H", ip)
            total = sum(words)
            total = (total & 0xFFFF) + (total >> 16)
            total = (total & 0xFFFF) + (total >> 16)
            ip = ip[:10] + struct.pack("!H", ~total & 0xFFFF) + ip[12:]
            frame = b"\\xff" * 6 + b"\\x02\\x00\\x00\\x00\\x00\\x01" + b"\\x08\\x00" + ip + udp
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind(("\(link)", 0))
            for _ in range(3):
                s.send(frame)
            """
        let path = directory + "/send.py"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        let bytes = Array(script.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return WeirProcess.start(["ip", "netns", "exec", namespace, "python3", path], in: directory)?.wait().status == 0
    }

    @Test func alertsNameTheCaptureInterface() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", #"alert udp any any -> any 5353 (msg:"live"; content:"weir-live"; sid:77;)"# + "\n")
        let running = try #require(
            namespace.startWeir(["--af-packet=\(namespace.link)", "-S", rules, "-l", dir.path + "/out", "-k", "none"], in: dir.path))
        #expect(Self.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-live", directory: dir.path))
        usleep(500_000)
        running.signal(SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let alerts = readText(dir.path + "/out/eve.json").split(separator: "\n").filter {
            $0.contains(#""event_type":"alert""#)
        }
        #expect(alerts.count == 3, "\(result.stderr)")
        #expect(alerts.allSatisfy { $0.contains(#""in_iface":"wcli0""#) })
    }
}

extension LiveRecordTests {
    /// logrotate without copytruncate: rename the files, then SIGHUP. The records before the signal are in the
    /// renamed files, the ones after it in new files at the old names, none lost, none split.
    @Test func rotationLosesAndSplitsNoRecord() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", #"alert udp any any -> any 5353 (msg:"live"; content:"weir-live"; sid:77;)"# + "\n")
        let out = dir.path + "/out"
        let running = try #require(
            namespace.startWeir(["--af-packet=\(namespace.link)", "-S", rules, "-l", out, "-k", "none"], in: dir.path))
        #expect(Self.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-live", directory: dir.path))
        usleep(400_000)
        #expect(rename(out + "/eve.json", out + "/eve.json.1") == 0)
        #expect(rename(out + "/fast.log", out + "/fast.log.1") == 0)
        running.signal(SIGHUP)
        usleep(400_000)
        #expect(Self.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-live", directory: dir.path))
        usleep(400_000)
        running.signal(SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        func alerts(_ path: String) -> [Substring] {
            readText(path).split(separator: "\n").filter { $0.contains(#""event_type":"alert""#) }
        }
        #expect(alerts(out + "/eve.json.1").count == 3, "before the rotation")
        #expect(alerts(out + "/eve.json").count == 3, "after it")
        #expect(readText(out + "/eve.json").contains(#""event_type":"stats""#))
        for path in [out + "/eve.json.1", out + "/eve.json"] {
            #expect(readText(path).split(separator: "\n", omittingEmptySubsequences: false).dropLast().allSatisfy {
                $0.hasPrefix("{") && $0.hasSuffix("}")
            }, "whole records only in \(path)")
        }
        let fastLines = readText(out + "/fast.log.1").split(separator: "\n").count + readText(out + "/fast.log").split(separator: "\n").count
        #expect(fastLines == 6)
        #expect(readText(out + "/fast.log").split(separator: "\n").count == 3)
    }
}
