// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// The control socket (`unix-command`, suricatasc's protocol) through its client `weir ctl`, and rule reload
/// on a live capture inside a namespace of its own.
@Suite struct ControlSocketTests {
    /// A configuration with the rules in `rules` (a rule-files entry: Suricata reloads only those) and the
    /// control socket at `socket`.
    static func configuration(rules: String, socket: String, extra: String = "") -> String {
        """
        %YAML 1.1
        ---
        default-rule-path: \(rules.split(separator: "/").dropLast().joined(separator: "/").prefixingSlash)
        rule-files:
          - \(rules.split(separator: "/").last.map(String.init) ?? rules)
        unix-command:
          enabled: yes
          filename: \(socket)
        \(extra)
        """
    }

    /// `weir ctl --socket SOCKET ARGUMENTS`, its output kept apart from the capture's.
    static func ctl(_ socket: String, _ arguments: [String]) -> WeirProcess.Result {
        let scratch = TemporaryDirectory()
        defer { scratch.remove() }
        return WeirProcess.run(["ctl", "--socket", socket] + arguments, in: scratch.path)
    }

    /// The alert sids of `eve.json`, in file order.
    static func alertSIDs(_ path: String) -> [Int] { Self.alertSIDs(text: readText(path)) }

    /// The alert sids of EVE text, in order.
    static func alertSIDs(text: String) -> [Int] {
        text.split(separator: "\n").filter { $0.contains(#""event_type":"alert""#) }.compactMap { line in
            let parts = line.split(separator: #""signature_id":"#, maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return Int(parts[1].prefix { $0.isNumber })
        }
    }

    /// The number right after `key` in `text`.
    static func number(after key: String, in text: String) -> Int? {
        let parts = text.split(separator: key, maxSplits: 1)
        guard parts.count == 2 || (parts.count == 1 && text.hasPrefix(key)) else { return nil }
        return Int(parts[parts.count - 1].prefix { $0.isNumber })
    }

    static func rule(sid: Int, payload: String = "weir-ctl") -> String {
        #"alert udp any any -> any 5353 (msg:"ctl \#(sid)"; content:"\#(payload)"; sid:\#(sid);)"# + "\n"
    }

    @Test func everyCommandThroughWeirCtl() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", Self.rule(sid: 1001))
        let socket = dir.path + "/run/weir.sock"
        let config = dir.write("weir.yaml", Self.configuration(rules: rules, socket: socket))
        let running = try #require(
            namespace.startWeir(
                ["-c", config, "--af-packet=\(namespace.link)", "-l", dir.path + "/out", "-k", "none"], in: dir.path))
        #expect(running.stderr.contains("capturing on"), "\(running.stderr)")

        // The socket: mode 0600, owned by the user Weir runs as.
        var info = stat()
        try #require(stat(socket, &info) == 0, "no socket at \(socket): \(running.stderr)")
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_uid == getuid())

        let version = Self.ctl(socket, ["version"])
        #expect(version.status == 0 && version.stdout.contains("commit"), "\(version)")
        let uptime = Self.ctl(socket, ["uptime"])
        #expect(
            uptime.status == 0 && uptime.stdout.split(separator: "\n").first.flatMap { Int($0) } != nil, "\(uptime)")
        #expect(Self.ctl(socket, ["running-mode"]).stdout == "workers\n")
        let list = Self.ctl(socket, ["iface-list"])
        #expect(list.stdout.contains(#""count" : 1"#) && list.stdout.contains(namespace.link), "\(list)")

        #expect(
            LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-ctl", directory: dir.path))
        usleep(300_000)
        let stat = Self.ctl(socket, ["iface-stat", namespace.link])
        #expect(stat.status == 0 && (Self.number(after: #""pkts" : "#, in: stat.stdout) ?? 0) >= 3, "\(stat)")
        #expect(stat.stdout.contains(#""drop" : 0"#), "\(stat)")
        let missing = Self.ctl(socket, ["iface-stat", "nope0"])
        #expect(missing.status == 1 && missing.stderr.contains("Iface does not exist"), "\(missing)")
        let counters = Self.ctl(socket, ["dump-counters"])
        #expect(counters.status == 0, "\(counters)")
        #expect((Self.number(after: #""kernel_packets" : "#, in: counters.stdout) ?? 0) >= 3, "\(counters.stdout)")
        #expect(counters.stdout.contains(#""alert" : 3"#), "\(counters.stdout)")
        let before = Self.ctl(socket, ["ruleset-stats"])
        #expect(before.stdout.contains(#""rules_loaded" : 1"#) && before.stdout.contains("last_reload"), "\(before)")

        // A blocking reload: once it answers, every worker runs the new rules.
        _ = dir.write("live.rules", Self.rule(sid: 1002) + Self.rule(sid: 1003, payload: "other"))
        let reload = Self.ctl(socket, ["reload-rules"])
        #expect(reload.status == 0 && reload.stdout == "done\n", "\(reload)")
        #expect(Self.ctl(socket, ["ruleset-stats"]).stdout.contains(#""rules_loaded" : 2"#))
        #expect(
            LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-ctl", directory: dir.path))
        usleep(300_000)
        let nonBlocking = Self.ctl(socket, ["ruleset-reload-nonblocking"])
        #expect(nonBlocking.status == 0 && nonBlocking.stdout == "done\n", "\(nonBlocking)")

        // Weir's own commands: no kernel bypass in this capture, and they say so.
        let bypassList = Self.ctl(socket, ["bypass-list"])
        #expect(bypassList.status == 1 && bypassList.stderr.contains("kernel bypass is not in use"), "\(bypassList)")
        let bypassStats = Self.ctl(socket, ["bypass-stats"])
        #expect(bypassStats.status == 1 && bypassStats.stderr.contains("kernel bypass is not in use"), "\(bypassStats)")
        let unknown = Self.ctl(socket, ["no-such-command"])
        #expect(unknown.status == 1 && unknown.stderr.contains("Unknown command"), "\(unknown)")

        let shutdown = Self.ctl(socket, ["shutdown"])
        #expect(shutdown.status == 0, "\(shutdown)")
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(access(socket, F_OK) != 0, "the socket file is removed at exit")
        // Before the swap sid 1001 alerted, after it 1002; the stats record carries the reload.
        #expect(Self.alertSIDs(dir.path + "/out/eve.json") == [1001, 1001, 1001, 1002, 1002, 1002])
        let eve = readText(dir.path + "/out/eve.json")
        #expect(eve.contains(#""engines":[{"id":0,"last_reload":"#) && eve.contains(#""rules_loaded":2"#), "\(eve)")
        let nothing = Self.ctl(socket, ["version"])
        #expect(nothing.status == 2 && nothing.stderr.contains("cannot connect"), "\(nothing)")
    }

    /// A reload that cannot load the rules keeps the old ones and says why; `detect.rule-reload: false`
    /// refuses reloads; SIGUSR2 reloads as `ruleset-reload-nonblocking` does.
    @Test func failedAndRefusedReloadsKeepTheOldRules() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", Self.rule(sid: 2001))
        let socket = dir.path + "/weir.sock"
        let config = dir.write("weir.yaml", Self.configuration(rules: rules, socket: socket))
        let running = try #require(
            namespace.startWeir(
                ["-c", config, "--af-packet=\(namespace.link)", "-l", dir.path + "/out", "-k", "none"], in: dir.path))

        _ = dir.write("live.rules", #"alert udp any any -> any 5353 (msg:"broken"; content:"x"; sid:2002"# + "\n")
        let broken = Self.ctl(socket, ["reload-rules"])
        #expect(broken.status == 1 && broken.stderr.contains("no rules were loaded"), "\(broken)")
        #expect(running.stderr.contains("live.rules:1:"), "the bad rule is reported with file:line:column")
        #expect(running.stderr.contains("rule reload failed, keeping the old rules"))
        #expect(Self.ctl(socket, ["ruleset-stats"]).stdout.contains(#""rules_loaded" : 1"#))
        #expect(
            LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-ctl", directory: dir.path))
        usleep(300_000)

        // A bad rule beside good ones is skipped, as at start-up.
        _ = dir.write(
            "live.rules", Self.rule(sid: 2003) + #"alert udp any any -> any any (msg:"bad"; sid:2004;"# + "\n")
        running.signal(SIGUSR2)
        var waited = 0
        while !running.stderr.contains("rules reloaded: 1 loaded, 1 failed") && waited < 250 {
            usleep(20_000)
            waited += 1
        }
        #expect(running.stderr.contains("SIGUSR2 received: reloading the rules"))
        #expect(running.stderr.contains("rules reloaded: 1 loaded, 1 failed"), "\(running.stderr)")
        usleep(500_000)
        #expect(
            LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-ctl", directory: dir.path))
        usleep(300_000)

        _ = dir.write(
            "weir.yaml", Self.configuration(rules: rules, socket: socket, extra: "detect:\n  rule-reload: false\n"))
        let refused = Self.ctl(socket, ["reload-rules"])
        #expect(refused.status == 1 && refused.stderr.contains("detect.rule-reload: false"), "\(refused)")

        running.signal(SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.alertSIDs(dir.path + "/out/eve.json") == [2001, 2001, 2001, 2003, 2003, 2003])
    }

    /// A socket file nobody listens on (a killed run's) is replaced; one a running Weir listens on is refused.
    @Test func staleSocketIsReplacedLiveOneRefused() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", Self.rule(sid: 3001))
        let socket = dir.path + "/weir.sock"
        // A stale socket: bound, then its process went away without removing it.
        let python = "import socket; s = socket.socket(socket.AF_UNIX); s.bind('\(socket)')"
        #expect(WeirProcess.start(["python3", "-c", python], in: dir.path)?.wait().status == 0)
        #expect(access(socket, F_OK) == 0)
        let config = dir.write("weir.yaml", Self.configuration(rules: rules, socket: socket))
        let first = try #require(
            namespace.startWeir(["-c", config, "--af-packet=\(namespace.link)", "-l", dir.path + "/one"], in: dir.path))
        #expect(first.stderr.contains("capturing on"), "\(first.stderr)")
        #expect(Self.ctl(socket, ["running-mode"]).status == 0)

        let other = TemporaryDirectory()
        defer { other.remove() }
        let second = try #require(
            WeirProcess.start(
                [
                    "ip", "netns", "exec", namespace.name, WeirProcess.binary, "-c", config,
                    "--af-packet=\(namespace.link)",
                    "-l", other.path + "/two",
                ], in: other.path, environment: ["WEIR_DEFAULT_CONFIG": ""]))
        let refused = second.wait()
        #expect(refused.status == 2 && refused.stderr.contains("is listening on it"), "\(refused.stderr)")
        #expect(Self.ctl(socket, ["running-mode"]).status == 0, "the first one's socket is untouched")
        first.signal(SIGTERM)
        #expect(first.wait().status == 0)
    }

    /// `metrics: {enabled: yes, listen: …}`: the same counters at /metrics, in Prometheus's text format.
    @Test func metricsEndpointServesTheCounters() throws {
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let scratch = TemporaryDirectory()
        defer { scratch.remove() }
        #expect(
            WeirProcess.start(["ip", "-n", namespace.name, "link", "set", "lo", "up"], in: scratch.path)?.wait().status
                == 0)
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", Self.rule(sid: 4001))
        let config = dir.write(
            "weir.yaml",
            Self.configuration(
                rules: rules, socket: dir.path + "/weir.sock",
                extra: "metrics:\n  enabled: yes\n  listen: 127.0.0.1:9637\n"))
        let running = try #require(
            namespace.startWeir(
                ["-c", config, "--af-packet=\(namespace.link)", "-l", dir.path + "/out", "-k", "none"], in: dir.path))
        #expect(running.stderr.contains("metrics: http://127.0.0.1:9637/metrics"), "\(running.stderr)")
        #expect(
            LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-ctl", directory: dir.path))
        usleep(300_000)
        let fetch = """
            import urllib.request, urllib.error, sys
            body = urllib.request.urlopen("http://127.0.0.1:9637/metrics", timeout=10).read().decode()
            sys.stdout.write(body)
            try:
                urllib.request.urlopen("http://127.0.0.1:9637/other", timeout=10)
            except urllib.error.HTTPError as e:
                sys.stdout.write("status %d\\n" % e.code)
            """
        let script = dir.write("scrape.py", fetch)
        let scraper = TemporaryDirectory()
        defer { scraper.remove() }
        let scraped = WeirProcess.start(["ip", "netns", "exec", namespace.name, "python3", script], in: scraper.path)?
            .wait()
        let body = scraped?.stdout ?? ""
        #expect(scraped?.status == 0, "\(scraped?.stderr ?? "")")
        #expect(body.contains("# TYPE weir_capture_kernel_packets counter"), "\(body)")
        // Our three frames, and whatever IPv6 neighbour discovery the veth pair sent when it came up.
        #expect((Self.number(after: "\nweir_capture_kernel_packets ", in: body) ?? 0) >= 3, "\(body)")
        #expect(body.contains("\nweir_detect_alert 3\n"), "\(body)")
        #expect(body.contains("weir_detect_rules_loaded 1"), "\(body)")
        #expect(body.contains("status 404"), "\(body)")
        running.signal(SIGTERM)
        #expect(running.wait().status == 0)
    }
}

extension String {
    fileprivate var prefixingSlash: String { self.hasPrefix("/") ? self : "/" + self }
}
