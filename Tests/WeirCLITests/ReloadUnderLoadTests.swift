// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirTestSupport

/// Rule reload on a loaded sensor: tcpreplay at top speed into a live capture while ten reloads run, each to a
/// ruleset of its own (one of them ET Open), and one broken reload in between. The same traffic without
/// reloads gives the baseline for `capture.kernel_drops`.
@Suite(.serialized) struct ReloadUnderLoadTests {
    /// Packets in the capture file and how often tcpreplay sends it.
    static let packets = 4000
    static let loops = 1500

    /// A pcap of `packets` UDP frames over 64 flows, each payload `weir-load NNNNNNNN` (the frame's number).
    static func writeCapture(_ path: String, in directory: String) -> Bool {
        let script = """
            import struct
            out = open("\(path)", "wb")
            out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for n in range(\(Self.packets)):
                payload = b"weir-load %08d" % n
                udp = struct.pack("!HHHH", 40000 + n % 64, 5353, 8 + len(payload), 0) + payload
                ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xffff, 0, 64, 17, 0,
                                 bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
                words = struct.unpack("!10H", ip)
                total = sum(words)
                total = (total & 0xFFFF) + (total >> 16)
                total = (total & 0xFFFF) + (total >> 16)
                ip = ip[:10] + struct.pack("!H", ~total & 0xFFFF) + ip[12:]
                frame = b"\\x02\\x00\\x00\\x00\\x00\\x02" + b"\\x02\\x00\\x00\\x00\\x00\\x01" + b"\\x08\\x00" + ip + udp
                out.write(struct.pack("<IIII", 1700000000 + n // 1000, (n % 1000) * 1000, len(frame), len(frame)))
                out.write(frame)
            out.close()
            """
        let file = TemporaryDirectory()
        defer { file.remove() }
        let scriptPath = file.write("make.py", script)
        return WeirProcess.start(["python3", scriptPath], in: file.path)?.wait().status == 0
    }

    /// The configuration for ruleset `files` (under `base`), the control socket at `socket`.
    static func configuration(base: String, files: [String], socket: String, classification: String? = nil) -> String {
        var text = "%YAML 1.1\n---\ndefault-rule-path: \(base)\nrule-files:\n"
        for file in files { text += "  - \(file)\n" }
        if let classification { text += "classification-file: \(classification)\n" }
        text += "unix-command:\n  enabled: yes\n  filename: \(socket)\n"
        text += "af-packet:\n  - interface: wcli0\n    threads: 1\n"
        text +=
            "outputs:\n  - eve-log:\n      enabled: yes\n      filename: eve.json\n      types:\n        - alert\n        - stats\n"
        return text
    }

    /// `capture.kernel_drops` and `capture.kernel_packets` of the run's stats record.
    static func captureCounters(_ eve: String) -> (drops: Int, packets: Int)? {
        guard let stats = eve.split(separator: "\n").last(where: { $0.contains(#""event_type":"stats""#) }) else {
            return nil
        }
        let text = String(stats)
        guard let drops = ControlSocketTests.number(after: #""kernel_drops":"#, in: text),
            let packets = ControlSocketTests.number(after: #""kernel_packets":"#, in: text)
        else { return nil }
        return (drops, packets)
    }

    /// A debug binary cannot keep up with tcpreplay at top speed (its drops would measure its throughput, not
    /// the reloads): the test runs on the release build, where scripts/test.sh reruns this suite.
    static var isReleaseBuild: Bool {
        #if DEBUG
            return false
        #else
            return true
        #endif
    }

    @Test(
        .needsSharedCorpus, .timeLimit(.minutes(15)),
        .enabled(
            if: Self.isReleaseBuild,
            "runs on the release build (scripts/test.sh): a debug binary cannot keep up with --topspeed"))
    func tenReloadsUnderTopSpeedTrafficLoseNothingAndSwitchRulesets() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let capture = dir.path + "/load.pcap"
        try #require(Self.writeCapture(capture, in: dir.path))
        // Ruleset k alerts with sid 70000+k on the first ten frames of each pass over the file (not on every
        // frame: millions of alerts would measure the EVE writer); ruleset 5 is ET Open with it.
        let rulesDir = dir.path + "/rules"
        mkdir(rulesDir, 0o755)
        let rulesets = TemporaryDirectory(path: rulesDir)
        for k in 0...10 {
            rulesets.write(
                "r\(k).rules",
                #"alert udp any any -> any 5353 (msg:"load \#(k)"; content:"weir-load 0000000"; sid:\#(70000 + k);)"#
                    + "\n")
        }
        rulesets.write("broken.rules", #"alert udp any any -> any 5353 (msg:"broken"; sid:79999;"# + "\n")
        let etOpen = SharedCorpus.path("rulesets/et-open")
        let etFiles = listRuleFiles(etOpen)
        try #require(etFiles.count > 10, "no ET Open rule files under \(etOpen)")
        for file in etFiles { symlink(etOpen + "/" + file, rulesDir + "/" + file) }

        func run(reloading: Bool) throws -> (
            eve: String, stderr: String, replies: [WeirProcess.Result], trafficOutlasted: Bool
        ) {
            let namespace = CaptureNamespace()
            try #require(namespace.ready, "could not set up namespace \(namespace.name)")
            let out = TemporaryDirectory()
            defer { out.remove() }
            let socket = out.path + "/weir.sock"
            let config = out.path + "/weir.yaml"
            _ = out.write("weir.yaml", Self.configuration(base: rulesDir, files: ["r0.rules"], socket: socket))
            let running = try #require(
                namespace.startWeir(
                    ["-c", config, "--af-packet=\(namespace.link)", "-l", out.path + "/log", "-k", "none"], in: out.path
                ))
            try #require(running.stderr.contains("capturing on"), "\(running.stderr)")
            let sender = TemporaryDirectory()
            defer { sender.remove() }
            let replay = try #require(
                WeirProcess.start(
                    [
                        "ip", "netns", "exec", namespace.name, "tcpreplay", "--topspeed", "--loop=\(Self.loops)", "-q",
                        "-i", namespace.peer, capture,
                    ], in: sender.path))
            var replies: [WeirProcess.Result] = []
            if reloading {
                usleep(200_000)
                for k in 1...10 {
                    var files = ["r\(k).rules"]
                    if k == 5 { files = etFiles + files }
                    _ = out.write(
                        "weir.yaml",
                        Self.configuration(
                            base: rulesDir, files: files, socket: socket,
                            classification: k == 5 ? etOpen + "/classification.config" : nil))
                    replies.append(ControlSocketTests.ctl(socket, ["reload-rules"]))
                    if k == 7 {
                        // A broken ruleset between 7 and 8: refused, ruleset 7 goes on.
                        _ = out.write(
                            "weir.yaml", Self.configuration(base: rulesDir, files: ["broken.rules"], socket: socket))
                        replies.append(ControlSocketTests.ctl(socket, ["reload-rules"]))
                    }
                    usleep(100_000)
                }
            }
            var status: Int32 = 0
            let trafficOutlasted = waitpid(replay.pid, &status, WNOHANG) == 0
            let sent = replay.wait(seconds: 600)
            #expect(sent.status == 0, "tcpreplay: \(sent.stderr)")
            usleep(500_000)
            running.signal(SIGTERM)
            let result = running.wait(seconds: 120)
            #expect(result.status == 0, "\(result.stderr)")
            return (readText(out.path + "/log/eve.json"), result.stderr, replies, trafficOutlasted)
        }

        // The reload run is bracketed by two runs without reloads: other suites of this target run alongside
        // (Swift Testing runs suites in parallel) and load the machine unevenly; alone, all three drop nothing.
        let baseline = try run(reloading: false)
        let loaded = try run(reloading: true)
        let after = try run(reloading: false)

        // All ten reloads completed; the broken one (the 8th request) was refused and said why.
        let replyCount = loaded.replies.count
        #expect(replyCount == 11)
        for (index, reply) in loaded.replies.enumerated() where index != 7 {
            #expect(reply.status == 0 && reply.stdout == "done\n", "reload \(index): \(reply)")
        }
        if loaded.replies.count == 11 {
            #expect(
                loaded.replies[7].status == 1 && loaded.replies[7].stderr.contains("no rules were loaded"),
                "\(loaded.replies[7])")
        }
        let keptOld = loaded.stderr.contains("rule reload failed, keeping the old rules")
        #expect(keptOld)
        let outlasted = loaded.trafficOutlasted
        #expect(outlasted, "the traffic ended before the reloads did: raise loops")

        // No more drops than without reloads.
        let before = try #require(Self.captureCounters(baseline.eve), "no stats record in the first baseline run")
        let busy = try #require(Self.captureCounters(loaded.eve), "no stats record in the reload run")
        let later = try #require(Self.captureCounters(after.eve), "no stats record in the second baseline run")
        print(
            "reload under load: without reloads \(before.packets) packets, \(before.drops) dropped; with reloads "
                + "\(busy.packets) packets, \(busy.drops) dropped; without again \(later.packets), \(later.drops) dropped"
        )
        let quiet = max(before.drops, later.drops)
        // On a machine busy with other work (load above twice its cores: parallel builds), the reload's build
        // thread and the worker compete with it for the CPU and the run has dropped frames the baselines did
        // not; that shortfall is recorded as a known issue with the load. Otherwise it must hold.
        var load = 0.0
        if getloadavg(&load, 1) != 1 { load = 0 }
        let busyMachine = load > Double(2 * sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if busy.drops > quiet && busyMachine {
            withKnownIssue("reloads under top-speed traffic on a busy machine (load \(load))", isIntermittent: true) {
                #expect(busy.drops <= quiet, "kernel drops with reloads \(busy.drops) > without \(quiet)")
            }
        } else {
            #expect(busy.drops <= quiet, "kernel drops with reloads \(busy.drops) > without \(quiet), load \(load)")
        }

        // Alerts follow the swaps: in packet order, the ruleset never goes back, every ruleset alerted, and the
        // broken ruleset's sid never did.
        let sids = Self.alertSIDs(loaded.eve)
        #expect(!sids.isEmpty)
        var previous = 70000
        var backwards = 0
        for sid in sids {
            if sid < previous { backwards += 1 }
            previous = sid
        }
        #expect(backwards == 0, "an alert of an earlier ruleset after a later one")
        #expect(
            Set(sids).isSuperset(of: Set((0...10).map { 70000 + $0 })),
            "rulesets without alerts: \(Set((0...10).map { 70000 + $0 }).subtracting(sids).sorted())")
        #expect(!sids.contains(79999))
        #expect(Set(Self.alertSIDs(baseline.eve)) == [70000])
    }

    /// Our sids (70000-79999) of the alerts in `eve`, in file order (one worker: packet order).
    static func alertSIDs(_ eve: String) -> [Int] {
        ControlSocketTests.alertSIDs(text: eve).filter { $0 >= 70000 && $0 < 80000 }
    }
}

/// The `.rules` files of a directory, sorted.
func listRuleFiles(_ directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name.hasSuffix(".rules") { names.append(name) }
    }
    return names.sorted()
}

extension TemporaryDirectory {
    /// An existing directory, written into with `write` (removed only if it is a temporary one).
    init(path: String) { self.path = path }
}
