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

    deinit {
        let scratch = TemporaryDirectory()
        if access("/run/netns/\(self.name)", F_OK) == 0 {
            _ = WeirProcess.start(["ip", "netns", "del", self.name], in: scratch.path)?.wait(seconds: 10)
        }
        scratch.remove()
    }
}

/// SIGHUP (logrotate) and SIGUSR2 (Suricata's rule reload) must not end a live sensor; SIGTERM ends it in order.
@Suite struct SignalTests {
    /// The capture flags, with `-i` (Suricata's short form of `--af-packet`) among them.
    @Test(arguments: [["--af-packet=wcli0"], ["--pcap=wcli0"], ["-i", "wcli0"]])
    func hangupAndUser2LeaveALiveCaptureRunning(source: [String]) throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("ok.rules", CommandLineTests.goodRule + "\n")
        let running = try #require(
            WeirProcess.start(
                [
                    "ip", "netns", "exec", namespace.name, WeirProcess.binary, "-S", rules, "-l", dir.path + "/out",
                ] + source, in: dir.path, environment: ["WEIR_DEFAULT_CONFIG": ""]))
        var waited = 0
        while !running.stderr.contains("capturing on") && running.isAlive && waited < 500 {
            usleep(20_000)
            waited += 1
        }
        #expect(running.stderr.contains("capturing on"), "\(running.stderr)")
        for signo in [SIGHUP, SIGUSR2, SIGHUP] {
            running.signal(signo)
            usleep(200_000)
            #expect(running.isAlive, "signal \(signo) ended the capture")
        }
        running.signal(SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("SIGHUP received: log reopening is not supported yet; ignored"))
        #expect(result.stderr.contains("SIGUSR2 received: rule reload is not supported yet; ignored"))
        let eve = readText(dir.path + "/out/eve.json")
        #expect(eve.contains(#""event_type":"stats""#), "the stats record is written at SIGTERM")
    }
}
