// SPDX-License-Identifier: MIT
import Glibc
import Testing

/// A `redis-server` of the test's own on 127.0.0.1 and a free port, without persistence, in a temporary
/// directory; killed when the test ends (also on failure).
final class RedisServer {
    let port: Int
    let directory: TemporaryDirectory
    private var running: WeirProcess.Running?

    init?() {
        guard access("/usr/bin/redis-server", X_OK) == 0, let port = Self.freePort() else { return nil }
        self.port = port
        self.directory = TemporaryDirectory()
        guard self.start() else {
            self.directory.remove()
            return nil
        }
    }

    /// A port nothing listens on now (the kernel's choice for a socket bound to port 0).
    static func freePort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Its Unix socket too, for clients in another network namespace (the file system is shared).
    var socketPath: String { self.directory.path + "/redis.sock" }

    /// Starts the server (again) and waits until it answers PING.
    @discardableResult
    func start() -> Bool {
        self.running = WeirProcess.start(
            [
                "redis-server", "--port", String(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.directory.path, "--daemonize", "no", "--unixsocket", self.socketPath,
                "--unixsocketperm", "700",
            ], in: self.directory.path)
        for _ in 0..<250 {
            if self.command(["PING"]).first == "PONG" { return true }
            usleep(20_000)
        }
        return false
    }

    /// Kills the server (SIGKILL: no goodbye to its clients).
    func kill() {
        guard let running = self.running else { return }
        running.signal(SIGKILL)
        _ = running.wait(seconds: 10)
        self.running = nil
    }

    /// `redis-cli` output lines (raw: one value per line).
    func command(_ words: [String]) -> [String] {
        let scratch = TemporaryDirectory()
        defer { scratch.remove() }
        let result = WeirProcess.start(["redis-cli", "-p", String(self.port), "--raw"] + words, in: scratch.path)?
            .wait(seconds: 20)
        guard let result, result.status == 0 else { return [] }
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    deinit {
        self.kill()
        self.directory.remove()
    }
}

/// EVE to a SIEM: `filetype: redis` against a real redis-server, `unix_dgram`, `unix_stream` and `syslog`
/// through listening sockets of the test's own; several eve-log outputs at once.
@Suite(.serialized) struct EVESinkTests {
    static let rules = #"alert ip any any -> any any (msg:"any ip"; sid:1;)"# + "\n"
    static let types = "      types: [alert, flow, stats, http, dns, tls, files]\n"

    static func fileLines(_ path: String) -> [String] {
        readText(path).split(separator: "\n").map(String.init)
    }

    /// An eve.json output and a second eve-log described by `second` (indented under `- eve-log:`).
    static func config(second: String) -> String {
        "outputs:\n  - eve-log:\n      filetype: regular\n      filename: eve.json\n" + Self.types
            + "  - eve-log:\n" + second + Self.types
    }

    @Test func everyRecordReachesTheRedisListAsInEveJSON() throws {
        let redis = try #require(RedisServer(), "redis-server could not be started")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("r.rules", Self.rules)
        for (mode, batch) in [("list", "7"), ("rpush", "1"), ("stream", "10")] {
            let config = dir.write(
                "weir.yaml",
                Self.config(
                    second: "      filetype: redis\n      redis:\n        server: 127.0.0.1\n        port: \(redis.port)\n"
                        + "        mode: \(mode)\n        key: weir-\(mode)\n"
                        + "        pipelining:\n          enabled: yes\n          batch-size: \(batch)\n"))
            let result = WeirProcess.run(
                ["-c", config, "-S", rules, "-r", repositoryRoot + "/pcaps/sample.pcap", "-l", dir.path + "/\(mode)"],
                in: dir.path)
            #expect(result.status == 0, "\(result.stderr)")
            let eve = Self.fileLines(dir.path + "/\(mode)/eve.json")
            #expect(eve.count > 100)
            #expect(eve.contains { $0.contains(#""event_type":"alert""#) } && eve.last?.contains(#""event_type":"stats""#) == true)
            var stored: [String]
            if mode == "stream" {
                // XRANGE lists each entry's id, the field name `eve` and the record.
                let entries = redis.command(["XRANGE", "weir-\(mode)", "-", "+"])
                stored = stride(from: 2, to: entries.count, by: 3).map { entries[$0] }
                #expect(entries.count > 1 && entries[1] == "eve")
            } else {
                stored = redis.command(["LRANGE", "weir-\(mode)", "0", "-1"])
            }
            // `list` is Suricata's LPUSH: the newest record is first.
            if mode == "list" { stored.reverse() }
            #expect(stored.count == eve.count)
            for (index, (file, list)) in zip(eve, stored).enumerated() where file != list {
                Issue.record("record \(index) differs:\n\(file)\n\(list)")
                break
            }
            #expect(result.stderr.contains("records written, 0 dropped, 0 reconnects"), "\(result.stderr)")
            #expect(result.stderr.contains("\(eve.count) records written"), "\(result.stderr)")
        }
    }

    @Test func channelModePublishesToASubscriber() throws {
        let redis = try #require(RedisServer(), "redis-server could not be started")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let subscriberDir = TemporaryDirectory()
        defer { subscriberDir.remove() }
        let subscriber = try #require(
            WeirProcess.start(["redis-cli", "-p", String(redis.port), "--raw", "SUBSCRIBE", "weir"], in: subscriberDir.path))
        defer {
            subscriber.signal(SIGKILL)
            _ = subscriber.wait(seconds: 5)
        }
        // Subscribed once the server counts one subscriber on the channel.
        var subscribed = false
        for _ in 0..<250 where !subscribed {
            subscribed = redis.command(["PUBSUB", "NUMSUB", "weir"]).last == "1"
            if !subscribed { usleep(20_000) }
        }
        try #require(subscribed)
        let rules = dir.write("r.rules", Self.rules)
        let config = dir.write(
            "weir.yaml",
            Self.config(second: "      filetype: redis\n      redis:\n        port: \(redis.port)\n        mode: channel\n        key: weir\n"))
        let result = WeirProcess.run(
            ["-c", config, "-S", rules, "-r", repositoryRoot + "/pcaps/sample.pcap", "-l", dir.path + "/out"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let eve = Self.fileLines(dir.path + "/out/eve.json")
        // The subscriber prints `message`, the channel and the record for each message.
        var messages: [String] = []
        for _ in 0..<500 {
            let lines = readText(subscriberDir.path + "/stdout.txt").split(separator: "\n").map(String.init)
            messages = stride(from: 0, to: lines.count - 2, by: 1).compactMap { lines[$0] == "message" && lines[$0 + 1] == "weir" ? lines[$0 + 2] : nil }
            if messages.count >= eve.count { break }
            usleep(20_000)
        }
        #expect(eve.count > 100)
        let same = messages == eve
        #expect(same, "\(messages.count) messages for \(eve.count) records")
    }

    /// Writes a pcap (Ethernet) file header to `fd`.
    static func pcapHeader() -> [UInt8] {
        var bytes: [UInt8] = []
        func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        le32(0xa1b2_c3d4)
        le16(2)
        le16(4)
        le32(0)
        le32(0)
        le32(65_535)
        le32(1)
        return bytes
    }

    /// `count` UDP packets 10.0.0.1:1000+n → 10.0.0.2:53 at one per millisecond from `second`.
    static func udpPackets(_ count: Int, second: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        for n in 0..<count {
            let payload = Array("weir sink test \(n)".utf8)
            let sport = UInt16(1000 + n % 5000)
            var udp: [UInt8] = [UInt8(sport >> 8), UInt8(sport & 0xff), 0, 53]
            let udpLength = UInt16(8 + payload.count)
            udp += [UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0] + payload
            let total = UInt16(20 + udp.count)
            var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
            var sum: UInt32 = 0
            for i in stride(from: 0, to: 20, by: 2) { sum += UInt32(ip[i]) << 8 | UInt32(ip[i + 1]) }
            while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
            let checksum = ~UInt16(sum)
            ip[10] = UInt8(checksum >> 8)
            ip[11] = UInt8(checksum & 0xff)
            let frame: [UInt8] = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00] + ip + udp
            func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
            le32(second)
            le32(UInt32(n % 1000) * 1000)
            le32(UInt32(frame.count))
            le32(UInt32(frame.count))
            out += frame
        }
        return out
    }

    @Test func redisGoingAwayMidRunDropsAndCountsThenDeliversAgain() throws {
        let redis = try #require(RedisServer(), "redis-server could not be started")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("r.rules", #"alert udp any any -> any 53 (msg:"udp to 53"; sid:7;)"# + "\n")
        let config = dir.write(
            "weir.yaml",
            "outputs:\n  - eve-log:\n      filename: eve.json\n      types: [alert]\n"
                + "  - eve-log:\n      filetype: redis\n      queue-size: 1mb\n      redis:\n        port: \(redis.port)\n"
                + "        mode: rpush\n        key: weir\n        pipelining: {enabled: yes, batch-size: 50}\n"
                + "      types: [alert, stats]\n")
        // The capture comes through a FIFO, so the test decides when packets arrive.
        // A sensor that died would make the writes below raise SIGPIPE: they fail with EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        let fifo = dir.path + "/live.pcap"
        try #require(mkfifo(fifo, 0o600) == 0)
        let weir = try #require(
            WeirProcess.start(
                [WeirProcess.binary, "-c", config, "-S", rules, "-r", fifo, "-l", dir.path + "/out", "-k", "none"],
                in: dir.path, environment: ["WEIR_DEFAULT_CONFIG": ""]))
        // Close-on-exec: the restarted redis-server must not hold the FIFO open (the sensor waits for its end).
        let fd = open(fifo, O_WRONLY | O_CLOEXEC)
        try #require(fd >= 0)
        var closed = false
        defer {
            if !closed { close(fd) }
            if weir.isAlive { weir.signal(SIGKILL) }
        }
        func send(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
        // Phases 1 and 3 make about 900 KiB of records each, which the 1 MiB queue always holds; phase 2 makes
        // 3.5 MiB while Redis is away. Packets go in chunks of 100, a little apart.
        func trickle(second: UInt32) {
            for _ in 0..<15 {
                send(Self.udpPackets(100, second: second))
                usleep(50_000)
            }
        }
        // Phase 1: Redis is up; the records arrive (each batch of the EVE writer is 64 KiB).
        send(Self.pcapHeader())
        trickle(second: 1_700_000_000)
        var first = 0
        for _ in 0..<500 where first < 500 {
            first = Int(redis.command(["LLEN", "weir"]).first ?? "0") ?? 0
            usleep(20_000)
        }
        #expect(first >= 500, "records reach Redis during the run")
        // Phase 2: Redis dies; the sensor goes on reading and drops what does not fit its queue.
        redis.kill()
        send(Self.udpPackets(6000, second: 1_700_000_001))
        usleep(1_000_000)
        #expect(weir.isAlive)
        // Phase 3: Redis returns (empty: no persistence); the sensor reconnects and delivers again.
        try #require(redis.start())
        var back = false
        for _ in 0..<500 where !back {
            back = weir.stderr.contains("connected again")
            if !back { usleep(20_000) }
        }
        #expect(back, "the sensor reconnects by itself: \(weir.stderr)")
        // The queue left from phase 2 drains into the new server before phase 3 starts.
        var held = -1
        for _ in 0..<100 {
            let now = Int(redis.command(["LLEN", "weir"]).first ?? "0") ?? 0
            if now > 0 && now == held { break }
            held = now
            usleep(200_000)
        }
        trickle(second: 1_700_000_002)
        close(fd)
        closed = true
        let result = weir.wait(seconds: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let eve = Self.fileLines(dir.path + "/out/eve.json")
        #expect(eve.count == 9000, "the file output loses nothing")
        #expect(result.stderr.contains("eve.json (9,000 records)"), "the summary counts the file's own records")
        // Redis also takes the stats record, which the file (alerts only) does not.
        let list = redis.command(["LRANGE", "weir", "0", "-1"])
        #expect(list.last?.contains(#""event_type":"stats""#) == true)
        let stored = list.filter { $0.contains(#""event_type":"alert""#) }
        #expect(stored.count > 500)
        // The new server holds records of the file output in order, ending with every record of phase 3.
        var position = 0
        for record in stored {
            while position < eve.count && eve[position] != record { position += 1 }
            position += 1
        }
        #expect(position <= eve.count, "Redis holds records in the file's order")
        let phase3Delivered = Array(stored.suffix(1500)) == Array(eve.suffix(1500))
        #expect(phase3Delivered, "every record of phase 3 reached the new server")
        // The summary: everything was either written or dropped, with at least one reconnect.
        let summary = result.stderr.split(separator: "\n").first { $0.contains("redis 127.0.0.1:\(redis.port)") && $0.contains("records written") } ?? ""
        let numbers = summary.split(separator: ":").last?.split(separator: " ").compactMap { Int(String($0.filter { $0 != "," })) } ?? []
        try #require(numbers.count == 3, "\(result.stderr)")
        #expect(numbers[0] + numbers[1] == 9001, "\(summary)")
        #expect(numbers[1] > 0, "records were dropped while Redis was away: \(summary)")
        #expect(numbers[2] >= 1, "\(summary)")
        #expect(result.stderr.contains("connected again"), "\(result.stderr)")
    }

    @Test func unixSocketsAndSyslogReceiveEveryRecord() throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("r.rules", Self.rules)
        for fileType in ["unix_dgram", "unix_stream", "syslog"] {
            let socketPath = dir.path + "/\(fileType).sock"
            let isStream = fileType == "unix_stream"
            let server = socket(AF_UNIX, Int32((isStream ? SOCK_STREAM : SOCK_DGRAM).rawValue), 0)
            try #require(server >= 0)
            defer { close(server) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in socketPath.utf8.enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0)
            if isStream { try #require(listen(server, 4) == 0) }
            // A big receive buffer holds the whole run's datagrams until the test reads them.
            var size: Int32 = 8 << 20
            setsockopt(server, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(4))
            let second =
                fileType == "syslog"
                ? "      filetype: syslog\n      identity: sensor7\n      facility: local3\n      level: notice\n"
                : "      filetype: \(fileType)\n      filename: \(socketPath)\n"
            let config = dir.write("weir.yaml", Self.config(second: second))
            let weir = try #require(
                WeirProcess.start(
                    [WeirProcess.binary, "-c", config, "-S", rules, "-r", repositoryRoot + "/pcaps/sample.pcap", "-l", dir.path + "/\(fileType)"],
                    in: dir.path, environment: ["WEIR_DEFAULT_CONFIG": "", "WEIR_SYSLOG_SOCKET": socketPath]))
            var received: [UInt8] = []
            var messages: [String] = []
            let reader = isStream ? accept(server, nil, nil) : server
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var idle = 0
            while idle < 100 {
                var poller = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 20) > 0 else {
                    if !weir.isAlive { idle += 1 }
                    continue
                }
                let n = buffer.withUnsafeMutableBytes { recv(reader, $0.baseAddress, $0.count, 0) }
                if n <= 0 {
                    if isStream { break }
                    continue
                }
                if isStream { received += buffer[0..<n] } else { messages.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
            if isStream { close(reader) }
            let result = weir.wait()
            #expect(result.status == 0, "\(result.stderr)")
            let eve = Self.fileLines(dir.path + "/\(fileType)/eve.json")
            #expect(eve.count > 100)
            switch fileType {
            case "unix_stream":
                let same = String(decoding: received, as: UTF8.self) == eve.map { $0 + "\n" }.joined()
                #expect(same, "the stream carries eve.json's lines")
            case "unix_dgram":
                let same = messages == eve.map { $0 + "\n" }
                #expect(same, "\(messages.count) datagrams for \(eve.count) records")
            default:
                // local3 (19) * 8 + notice (5) = 157.
                #expect(messages.count == eve.count)
                for (message, record) in zip(messages, eve) where !(message.hasPrefix("<157>") && message.hasSuffix("]: " + record)) {
                    Issue.record("syslog message \(message) does not carry \(record)")
                    break
                }
                #expect(messages.first?.contains(" sensor7[") == true)
            }
        }
    }

    /// Live capture with two workers sharing one Redis output (through its Unix socket), and SIGHUP making
    /// it connect again: every record of eve.json reaches the list.
    @Test func liveWorkersShareTheRedisOutputAndReconnectOnHangup() throws {
        let redis = try #require(RedisServer(), "redis-server could not be started")
        let namespace = CaptureNamespace()
        try #require(namespace.ready, "could not set up namespace \(namespace.name)")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let rules = dir.write("live.rules", #"alert udp any any -> any 5353 (msg:"live"; content:"weir-live"; sid:77;)"# + "\n")
        let config = dir.write(
            "weir.yaml",
            "af-packet:\n  - interface: \(namespace.link)\n    threads: 2\n    cluster-id: 97\n    cluster-type: cluster_flow\n"
                + Self.config(
                    second: "      filetype: redis\n      redis:\n        server: \(redis.socketPath)\n        mode: rpush\n"
                        + "        key: live\n"))
        let running = try #require(
            namespace.startWeir(["--af-packet=\(namespace.link)", "-c", config, "-S", rules, "-l", dir.path + "/out", "-k", "none"], in: dir.path))
        #expect(LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-live", directory: dir.path))
        usleep(500_000)
        running.signal(SIGHUP)
        usleep(300_000)
        #expect(LiveRecordTests.sendUDP(in: namespace.name, link: namespace.peer, payload: "weir-live", directory: dir.path))
        usleep(500_000)
        running.signal(SIGTERM)
        let result = running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let eve = Self.fileLines(dir.path + "/out/eve.json")
        #expect(eve.filter { $0.contains(#""event_type":"alert""#) }.count == 6)
        #expect(eve.last?.contains(#""event_type":"stats""#) == true)
        // Two workers append to the file and the list in their own order: the same records either way.
        let stored = redis.command(["LRANGE", "live", "0", "-1"])
        let same = stored.sorted() == eve.sorted()
        #expect(same, "\(stored.count) records in Redis for \(eve.count) in eve.json")
        let summary = result.stderr.split(separator: "\n").first { $0.contains("redis \(redis.socketPath)") } ?? ""
        #expect(summary.contains("\(eve.count) records written, 0 dropped"), "\(result.stderr)")
        #expect(!summary.contains(" 0 reconnects"), "SIGHUP connects again: \(summary)")
    }
}
