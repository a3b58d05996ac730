// SPDX-License-Identifier: MIT
import CWeirLinux
import Foundation
import Glibc
import Synchronization
import WeirBypass
import WeirConfig
import WeirCore
import WeirFlow
import WeirOutput

/// Starts `body` on a new thread; `detached` threads clean up after themselves, others must be joined.
/// Nil when the thread could not be created (`body` then does not run). Workers (live and autofp), the control
/// thread and rule-reload builds start this way; the caller owns what `body` shares with it.
@discardableResult
func spawnThread(detached: Bool, _ body: @escaping () -> Void) -> pthread_t? {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let pointer = Unmanaged.passRetained(Box(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
    var thread = pthread_t()
    let created = pthread_create(
        &thread,
        &attributes,
        { argument in
            guard let argument else { return nil }
            Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        },
        pointer
    )
    if created != 0 {
        Unmanaged<Box>.fromOpaque(pointer).release()
        return nil
    }
    return thread
}

/// Where the control socket and the metrics endpoint listen, from the command line and the configuration.
struct ControlEndpoints: Equatable {
    /// The control socket's path; nil: no socket.
    var socketPath: String?
    /// The metrics endpoint's address; nil: no endpoint.
    var metrics: ListenAddress?

    /// Suricata keeps its socket under its run directory; so does Weir.
    static let runDirectory = "/var/run/weir"
    static let defaultSocketName = "weir-command.socket"

    /// `--unix-socket[=PATH]` wins; else `unix-command.enabled: yes` with its `filename` (relative names are
    /// under the run directory, as in Suricata). `auto` is Suricata's "only in the unix-socket runmode":
    /// off for a capture. `metrics.enabled` opens the endpoint at `metrics.listen`.
    static func resolve(options: RunOptions, configuration: WeirConfiguration) throws(ControlStartError)
        -> ControlEndpoints
    {
        var endpoints = ControlEndpoints()
        let configured = configuration.unixCommand.filename.flatMap { $0.isEmpty ? nil : $0 }
        func place(_ name: String) -> String { name.hasPrefix("/") ? name : "\(Self.runDirectory)/\(name)" }
        if let flag = options.unixSocket {
            endpoints.socketPath = place(!flag.isEmpty ? flag : configured ?? Self.defaultSocketName)
        } else if configuration.unixCommand.enabled == .yes {
            endpoints.socketPath = place(configured ?? Self.defaultSocketName)
        }
        if configuration.metrics.enabled {
            guard let address = ListenAddress(parsing: configuration.metrics.listen) else {
                throw ControlStartError(
                    "configuration error: metrics.listen: '\(configuration.metrics.listen)' is not HOST:PORT (127.0.0.1:9637, [::1]:9637)"
                )
            }
            endpoints.metrics = address
        }
        return endpoints
    }
}

/// `HOST:PORT` of an IPv4 or IPv6 address (`[::1]:9637`); `localhost` is 127.0.0.1.
struct ListenAddress: Equatable {
    var host: String
    var port: UInt16
    var isIPv6: Bool

    init?(parsing text: String) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let number = UInt16(port), number > 0 else { return nil }
        self.port = number
        self.host = host == "localhost" ? "127.0.0.1" : String(host)
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, self.host, &v4) == 1 {
            self.isIPv6 = false
        } else if inet_pton(AF_INET6, self.host, &v6) == 1 {
            self.isIPv6 = true
        } else {
            return nil
        }
    }
}

/// Why the control socket or metrics endpoint could not be opened.
public struct ControlStartError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The control thread of a live capture: watches SIGUSR2, accepts control-socket and metrics connections,
/// and serves each connection on a thread of its own (commands that need the workers wait for their
/// answers there, never on the packet path).
final class ControlServer: @unchecked Sendable {
    let control: ControlPlane
    let endpoints: ControlEndpoints
    private let err: MessageOutput
    private var socketFD: Int32 = -1
    private var metricsFD: Int32 = -1
    /// A pipe that wakes the control thread to stop: read end, write end.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private var thread: pthread_t?
    private let running = Atomic<Bool>(true)
    /// Open client connections, shut down when the server stops.
    private let clients = Mutex<Set<Int32>>([])
    private let exporter: MetricsExporter?

    private init(control: ControlPlane, endpoints: ControlEndpoints, err: MessageOutput) {
        self.control = control
        self.endpoints = endpoints
        self.err = err
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        }
        self.wakeFD = ends[0]
        self.wakeWriteFD = ends[1]
        self.exporter = endpoints.metrics == nil ? nil : MetricsExporter()
    }

    /// Opens the listeners and starts the control thread. Fails when a socket cannot be opened, or another
    /// Weir answers on the control socket's path.
    static func start(
        control: ControlPlane,
        endpoints: ControlEndpoints,
        err: MessageOutput,
        placement: ThreadPlacement? = nil
    ) throws(ControlStartError) -> ControlServer {
        let server = ControlServer(control: control, endpoints: endpoints, err: err)
        do {
            if let path = endpoints.socketPath { server.socketFD = try Self.listenUnix(path) }
            if let address = endpoints.metrics { server.metricsFD = try Self.listenTCP(address) }
        } catch {
            server.closeListeners()
            throw error
        }
        guard
            let thread = spawnThread(
                detached: false,
                {
                    placement?.place(.management, index: 0, name: "the control thread")
                    server.loop()
                })
        else {
            server.closeListeners()
            throw ControlStartError("cannot start the control thread")
        }
        server.thread = thread
        return server
    }

    /// Stops the control thread, closes every connection and removes the socket file.
    func stop() {
        self.running.store(false, ordering: .releasing)
        var one: UInt8 = 1
        _ = write(self.wakeWriteFD, &one, 1)
        if let thread = self.thread { pthread_join(thread, nil) }
        self.thread = nil
        self.clients.withLock { for fd in $0 { shutdown(fd, Int32(SHUT_RDWR)) } }
        self.closeListeners()
        close(self.wakeFD)
        close(self.wakeWriteFD)
    }

    private func closeListeners() {
        if self.socketFD >= 0 {
            close(self.socketFD)
            if let path = self.endpoints.socketPath { unlink(path) }
            self.socketFD = -1
        }
        if self.metricsFD >= 0 {
            close(self.metricsFD)
            self.metricsFD = -1
        }
    }

    private func loop() {
        var reloads = cweir_reload_generation()
        while self.running.load(ordering: .acquiring) {
            var fds = [pollfd(fd: self.wakeFD, events: Int16(POLLIN), revents: 0)]
            if self.socketFD >= 0 { fds.append(pollfd(fd: self.socketFD, events: Int16(POLLIN), revents: 0)) }
            if self.metricsFD >= 0 { fds.append(pollfd(fd: self.metricsFD, events: Int16(POLLIN), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), 200)
            self.control.reloader.releaseRetired()
            // SIGUSR2: Suricata's signal for a (non-blocking) rule reload.
            let requested = cweir_reload_generation()
            if requested != reloads {
                reloads = requested
                _ = self.control.reloader.reload(blocking: false)
            }
            for entry in fds.dropFirst() where entry.revents & Int16(POLLIN) != 0 {
                let client = accept(entry.fd, nil, nil)
                guard client >= 0 else { continue }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                let isMetrics = entry.fd == self.metricsFD
                self.clients.withLock { _ = $0.insert(client) }
                let started = spawnThread(detached: true) {
                    if isMetrics { self.serveMetrics(client) } else { self.serveCommands(client) }
                    self.clients.withLock { _ = $0.remove(client) }
                    close(client)
                }
                if started == nil {
                    self.clients.withLock { _ = $0.remove(client) }
                    close(client)
                }
            }
        }
    }

    // MARK: Listeners

    /// A stream socket at `path`, mode 0600. A socket file nobody answers on (left by a run that was
    /// killed) is replaced; one another process answers on is refused.
    static func listenUnix(_ path: String) throws(ControlStartError) -> Int32 {
        guard var address = UnixSocket.address(path) else {
            throw ControlStartError("control socket \(path): the path is longer than a socket address allows")
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            do {
                try makeDirectories(directory)
            } catch {
                throw ControlStartError("control socket \(path): cannot create \(directory): \(error)")
            }
        }
        func withAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw ControlStartError("control socket \(path): the path exists and is not a socket")
            }
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            let answered = probe >= 0 && withAddress { connect(probe, $0, $1) } == 0
            if probe >= 0 { close(probe) }
            if answered {
                throw ControlStartError(
                    "control socket \(path): another process (another Weir?) is listening on it; stop it or choose another path"
                )
            }
            unlink(path)  // stale: its process is gone
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlStartError("control socket: \(String(cString: strerror(errno)))") }
        // Created 0600 (no window in which others could connect), owned by the user Weir runs as.
        let previous = umask(0o177)
        let bound = withAddress { bind(fd, $0, $1) }
        umask(previous)
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ControlStartError("control socket \(path): \(message)")
        }
        return fd
    }

    /// A TCP listener for the metrics endpoint.
    static func listenTCP(_ address: ListenAddress) throws(ControlStartError) -> Int32 {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlStartError("metrics: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if address.isIPv6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &a.sin6_addr)
            bound = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.host, &a.sin_addr)
            bound = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            let shown = address.isIPv6 ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
            throw ControlStartError("metrics: cannot listen on \(shown): \(message)")
        }
        return fd
    }

    // MARK: The command protocol

    /// One suricatasc client: the version handshake (`{"version": "0.2"}`, answered `{"return": "OK"}`),
    /// then commands (`{"command": …, "arguments": {…}}`) each answered `{"return": "OK"|"NOK", "message": …}`.
    /// Protocol 0.2 ends every message with a newline; 0.1 sends one message per read.
    private func serveCommands(_ fd: Int32) {
        var reader = LineReader(fd: fd)
        guard let hello = reader.message(newlineFramed: false),
            let object = Self.parse(hello), let version = object["version"] as? String,
            version == "0.1" || version == "0.2"
        else { return }
        let framed = version == "0.2"
        guard Self.send(fd, ["return": "OK"], framed: framed) else { return }
        while let text = reader.message(newlineFramed: framed) {
            guard let request = Self.parse(text), let command = request["command"] as? String else { return }
            let arguments = request["arguments"] as? [String: Any] ?? [:]
            let (ok, message) = self.execute(command, arguments)
            var reply: [String: Any] = ["return": ok ? "OK" : "NOK"]
            if let message { reply["message"] = message }
            guard Self.send(fd, reply, framed: framed) else { return }
        }
    }

    /// Runs one command: whether it succeeded, and its message.
    func execute(_ command: String, _ arguments: [String: Any]) -> (Bool, Any?) {
        let control = self.control
        switch command {
        case "version":
            return (true, control.version)
        case "uptime":
            return (true, max(0, time(nil) - control.started))
        case "running-mode":
            return (true, control.runningMode)
        case "reload-rules", "ruleset-reload-rules", "ruleset-reload-nonblocking":
            switch control.reloader.reload(blocking: command != "ruleset-reload-nonblocking") {
            case .done: return (true, "done")
            case .refused(let why): return (false, why)
            }
        case "ruleset-stats":
            let engine = control.reloader.engine
            let entry: [String: Any] = [
                "id": 0, "last_reload": Self.timeString(engine.loadedAt), "rules_loaded": engine.rulesLoaded,
                "rules_failed": engine.rulesFailed, "rules_skipped": engine.rulesSkipped,
            ]
            return (true, [entry])
        case "iface-list":
            return (true, ["count": control.interfaces.count, "ifaces": control.interfaces] as [String: Any])
        case "iface-stat":
            guard let name = arguments["iface"] as? String else { return (false, "Iface is not a string") }
            guard control.interfaces.contains(name) else { return (false, "Iface does not exist") }
            guard let snapshots = control.snapshots() else { return (false, "the workers did not answer") }
            var packets: UInt64 = 0
            var drops: UInt64 = 0
            for snapshot in snapshots {
                for entry in snapshot.perInterface where entry.name == name {
                    packets += entry.statistics.packets
                    drops += entry.statistics.drops
                }
            }
            let bypassed = snapshots.reduce(UInt64(0)) { sum, snapshot in
                sum + (snapshot.counters.first { $0.name == "flow_bypassed.local_pkts" }?.value ?? 0)
            }
            return (true, ["pkts": packets, "drop": drops, "bypassed": bypassed] as [String: Any])
        case "dump-counters":
            guard let record = control.statsRecord() else { return (false, "the workers did not answer") }
            let writer = JSONWriter(capacity: 8192)
            writer.writeStatsRecord(record)
            guard let object = Self.parse(String(decoding: writer.bytes, as: UTF8.self)), let stats = object["stats"]
            else { return (false, "cannot render the counters") }
            return (true, stats)
        case "shutdown":
            control.stopRequested.store(true, ordering: .releasing)
            return (true, "Closing Weir")
        case "bypass-list":
            return self.bypassList()
        case "bypass-stats":
            return self.bypassStats()
        default:
            return (false, "Unknown command")
        }
    }

    private func bypassList() -> (Bool, Any?) {
        guard let kernel = self.control.kernel else {
            return (false, "kernel bypass is not in use (af-packet bypass: yes)")
        }
        let now = monotonicNanoseconds()
        let flows: [[String: Any]] = kernel.withTables { tables in
            var out: [[String: Any]] = []
            for (index, table) in tables.enumerated() {
                for entry in table.entries() {
                    let k = entry.key
                    var flow: [String: Any] = [
                        "proto": IPProtocol.eveName(k.proto),
                        "src_ip": "\(k.firstAddress)", "dest_ip": "\(k.secondAddress)",
                        "action": "\(entry.action)",
                        "pkts_toserver": entry.packetsFirstToSecond, "bytes_toserver": entry.bytesFirstToSecond,
                        "pkts_toclient": entry.packetsSecondToFirst, "bytes_toclient": entry.bytesSecondToFirst,
                        "age_ms": now > entry.insertedNanoseconds ? (now - entry.insertedNanoseconds) / 1_000_000 : 0,
                        "idle_ms": now > entry.lastSeenNanoseconds ? (now - entry.lastSeenNanoseconds) / 1_000_000 : 0,
                        "table": index,
                    ]
                    if k.proto == IPProtocol.tcp || k.proto == IPProtocol.udp {
                        flow["src_port"] = k.firstPort
                        flow["dest_port"] = k.secondPort
                    }
                    if k.vlan0 != 0 || k.vlan1 != 0 { flow["vlan"] = [k.vlan0, k.vlan1].filter { $0 != 0 } }
                    out.append(flow)
                }
            }
            return out
        }
        return (true, ["count": flows.count, "flows": flows] as [String: Any])
    }

    private func bypassStats() -> (Bool, Any?) {
        guard let kernel = self.control.kernel else {
            return (false, "kernel bypass is not in use (af-packet bypass: yes)")
        }
        var planes: [[String: Any]] = []
        for plane in kernel.planes {
            var entry: [String: Any] = [:]
            if let values = try? plane.statistics() {
                for statistic in BypassStatistic.allCases { entry["\(statistic)"] = values[statistic, default: 0] }
            }
            planes.append(entry)
        }
        let occupancy: [[String: Any]] = kernel.withTables { tables in
            tables.map { table in
                let flows = table.entries()
                let v4 = flows.filter { $0.key.firstAddress.isIPv4 }.count
                return ["flows_v4": v4, "flows_v6": flows.count - v4, "slots": table.slotCount] as [String: Any]
            }
        }
        return (true, ["planes": planes, "tables": occupancy] as [String: Any])
    }

    // MARK: Metrics

    /// One HTTP request: `GET /metrics` gets the counters in Prometheus's text format; the connection closes.
    private func serveMetrics(_ fd: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        while request.count < 16384 {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return }
            request += chunk[..<n]
            if request.count >= 4, request.suffix(4).elementsEqual([13, 10, 13, 10]) { break }
            if let end = request.firstRange(of: [13, 10, 13, 10]), end.upperBound <= request.count { break }
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let status: String
        var body: [UInt8]
        var type = "text/plain; charset=utf-8"
        if parts.count >= 2, parts[0] != "GET" && parts[0] != "HEAD" {
            status = "405 Method Not Allowed"
            body = Array("only GET\n".utf8)
        } else if parts.count >= 2, parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            if let record = self.control.statsRecord(), let exporter = self.exporter {
                status = "200 OK"
                body = exporter.render(record, rulesLoaded: self.control.reloader.engine.rulesLoaded)
                type = "text/plain; version=0.0.4; charset=utf-8"
            } else {
                status = "503 Service Unavailable"
                body = Array("the workers did not answer\n".utf8)
            }
        } else {
            status = "404 Not Found"
            body = Array("the counters are at /metrics\n".utf8)
        }
        if parts.first == "HEAD" { body = [] }
        let head =
            "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        _ = Self.sendAll(fd, Array(head.utf8) + body)
    }

    // MARK: Wire helpers

    /// EVE's timestamp text for `t`.
    static func timeString(_ t: Timestamp) -> String {
        let writer = JSONWriter(capacity: 64)
        writer.timestamp(t)
        return String(decoding: writer.bytes.filter { $0 != UInt8(ascii: "\"") }, as: UTF8.self)
    }

    static func parse(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func send(_ fd: Int32, _ object: [String: Any], framed: Bool) -> Bool {
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return false
        }
        if framed { data.append(10) }
        return Self.sendAll(fd, Array(data))
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        UnixSocket.sendAll(fd, bytes).error == nil
    }
}

/// Reads the client's messages: up to a newline (protocol 0.2), or what one read brings (0.1 and the
/// version handshake, which has no newline with some clients).
struct LineReader {
    let fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    mutating func message(newlineFramed: Bool) -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = self.pending.firstIndex(of: 10) {
                let line = Array(self.pending[..<newline])
                self.pending.removeSubrange(...newline)
                if line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
                return String(decoding: line, as: UTF8.self)
            }
            if !self.pending.isEmpty && (!newlineFramed || self.pending.last == UInt8(ascii: "}")) {
                // Unframed (protocol 0.1, the handshake of some clients), or a 0.2 client that left out the
                // newline: a complete JSON document is a message.
                let text = String(decoding: self.pending, as: UTF8.self)
                if ControlServer.parse(text) != nil {
                    self.pending.removeAll()
                    return text
                }
            }
            guard self.pending.count < 1 << 20 else { return nil }
            let n = recv(self.fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            self.pending += chunk[..<n]
        }
    }
}

/// The client side of the control socket (`weir ctl`): the handshake, one command, its answer.
public enum ControlClient {
    /// The default socket path (Suricata's default, adapted).
    public static let defaultSocketPath = "\(ControlEndpoints.runDirectory)/\(ControlEndpoints.defaultSocketName)"

    /// An answer: whether the command succeeded (`return` is `OK`), and its `message` as text (a string as
    /// is, anything else as indented JSON).
    public struct Reply: Sendable {
        public let ok: Bool
        public let message: String
    }

    /// Sends `command` with `arguments` and returns the answer; throws a description of what failed.
    public static func send(
        socket path: String,
        command: String,
        arguments: [String: String] = [:],
        timeoutSeconds: Int = 120
    ) throws(ControlStartError) -> Reply {
        guard var address = UnixSocket.address(path) else {
            throw ControlStartError("\(path): the path is too long for a socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlStartError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw ControlStartError(
                "cannot connect to \(path): \(String(cString: strerror(errno))) (is Weir running with its control socket?)"
            )
        }
        var reader = LineReader(fd: fd)
        guard ControlServer.send(fd, ["version": "0.2"], framed: true),
            let hello = reader.message(newlineFramed: true), let answer = ControlServer.parse(hello),
            answer["return"] as? String == "OK"
        else { throw ControlStartError("\(path): the server refused the protocol handshake") }
        var request: [String: Any] = ["command": command]
        if !arguments.isEmpty { request["arguments"] = arguments }
        guard ControlServer.send(fd, request, framed: true), let text = reader.message(newlineFramed: true),
            let reply = ControlServer.parse(text)
        else { throw ControlStartError("\(path): no answer to \(command)") }
        let message: String
        switch reply["message"] {
        case let text as String: message = text
        case nil: message = ""
        case let other?:
            if JSONSerialization.isValidJSONObject(other),
                let data = try? JSONSerialization.data(withJSONObject: other, options: [.prettyPrinted, .sortedKeys])
            {
                message = String(decoding: data, as: UTF8.self)
            } else {
                message = "\(other)"
            }
        }
        return Reply(ok: reply["return"] as? String == "OK", message: message)
    }
}
