// SPDX-License-Identifier: MIT
import CHiredis
import Glibc
import WeirConfig

/// A Unix socket client; `filetype: unix_dgram` and `unix_stream` write each record and a newline to the
/// socket listening at `filename`, as Suricata does.
final class UnixSocketTransport: EVETransport {
    let path: String
    let isStream: Bool
    private var fd: Int32 = -1
    /// Scratch for one stream write of a batch.
    private var buffer: [UInt8] = []

    init(path: String, stream: Bool) {
        self.path = path
        self.isStream = stream
    }

    deinit { self.disconnect() }

    var label: String { (self.isStream ? "unix_stream " : "unix_dgram ") + self.path }
    var batchLimit: Int { self.isStream ? 256 : 64 }

    func connect() throws(TransportFailure) {
        self.disconnect()
        do throws(RuntimeError) {
            self.fd = try UnixSocket.connect(path: self.path, type: Int32((self.isStream ? SOCK_STREAM : SOCK_DGRAM).rawValue))
        } catch {
            throw TransportFailure(delivered: 0, message: error.message)
        }
    }

    func send(_ records: ArraySlice<[UInt8]>) throws(TransportFailure) -> Int {
        guard self.fd >= 0 else { throw TransportFailure(delivered: 0, message: "not connected") }
        if self.isStream {
            // One write for the batch; a record counts as delivered once its newline is sent.
            self.buffer.removeAll(keepingCapacity: true)
            var ends: [Int] = []
            for record in records {
                self.buffer.append(contentsOf: record)
                self.buffer.append(0x0A)
                ends.append(self.buffer.count)
            }
            let sent = UnixSocket.sendAll(self.fd, self.buffer)
            if let reason = sent.error {
                let delivered = ends.firstIndex { $0 > sent.count } ?? ends.count
                throw TransportFailure(delivered: delivered, message: "\(self.path): \(reason)")
            }
            return 0
        }
        var refused = 0
        for (offset, record) in records.enumerated() {
            var datagram = record
            datagram.append(0x0A)
            try sendDatagram(self.fd, datagram, path: self.path, offset: offset, refused: &refused)
        }
        return refused
    }

    func disconnect() {
        if self.fd >= 0 { Glibc.close(self.fd) }
        self.fd = -1
    }
}

/// `filetype: syslog`: each record is one message to the local syslog socket (`/dev/log`), with the
/// configured facility, level and identity, in the traditional format the C library's `syslog()` uses
/// (`<PRI>Mmm dd hh:mm:ss identity[pid]: record`).
final class SyslogTransport: EVETransport {
    let path: String
    let settings: EVESyslogSettings
    private var fd: Int32 = -1
    private var isStream = false

    /// `path` is the syslog socket; `WEIR_SYSLOG_SOCKET` replaces `/dev/log` (tests point it at their own).
    init(settings: EVESyslogSettings, path: String? = nil) {
        self.settings = settings
        self.path = path ?? getenv("WEIR_SYSLOG_SOCKET").map { String(cString: $0) } ?? "/dev/log"
    }

    deinit { self.disconnect() }

    var label: String { "syslog \(self.settings.facility.rawValue).\(self.settings.level.rawValue) \(self.path)" }
    var batchLimit: Int { 64 }

    func connect() throws(TransportFailure) {
        self.disconnect()
        do throws(RuntimeError) {
            do {
                self.fd = try UnixSocket.connect(path: self.path, type: Int32(SOCK_DGRAM.rawValue))
                self.isStream = false
            } catch {
                // Some systems listen with a stream socket; the C library falls back the same way.
                self.fd = try UnixSocket.connect(path: self.path, type: Int32(SOCK_STREAM.rawValue))
                self.isStream = true
            }
        } catch {
            throw TransportFailure(delivered: 0, message: error.message)
        }
    }

    /// The message for `record` at `time` (seconds since the epoch, shown in local time).
    static func message(_ record: some Collection<UInt8>, settings: EVESyslogSettings, time: Int, pid: Int32) -> [UInt8] {
        let priority = settings.facility.code * 8 + settings.level.code
        var t = time_t(time)
        var parts = tm()
        localtime_r(&t, &parts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = parts.tm_mday < 10 ? " \(parts.tm_mday)" : "\(parts.tm_mday)"
        let stamp = "\(months[Int(parts.tm_mon)]) \(day) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        var out = Array("<\(priority)>\(stamp) \(settings.identity)[\(pid)]: ".utf8)
        out.append(contentsOf: record)
        return out
    }

    func send(_ records: ArraySlice<[UInt8]>) throws(TransportFailure) -> Int {
        guard self.fd >= 0 else { throw TransportFailure(delivered: 0, message: "not connected") }
        let now = time(nil)
        let pid = getpid()
        var refused = 0
        for (offset, record) in records.enumerated() {
            var message = Self.message(record, settings: self.settings, time: now, pid: pid)
            if self.isStream {
                message.append(0)
                let sent = UnixSocket.sendAll(self.fd, message)
                if let reason = sent.error {
                    throw TransportFailure(delivered: offset - refused, refused: refused, message: "\(self.path): \(reason)")
                }
                continue
            }
            try sendDatagram(self.fd, message, path: self.path, offset: offset, refused: &refused)
        }
        return refused
    }

    func disconnect() {
        if self.fd >= 0 { Glibc.close(self.fd) }
        self.fd = -1
    }
}

/// `filetype: redis`: each record is pushed to a list (`LPUSH`/`RPUSH`), published to a channel (`PUBLISH`) or
/// added to a stream (`XADD key MAXLEN ~ N * eve record`), through hiredis. With pipelining, `batch-size`
/// commands go out before their replies are read.
final class RedisTransport: EVETransport {
    let settings: EVERedisSettings
    private var context: UnsafeMutablePointer<redisContext>?

    init(settings: EVERedisSettings) {
        self.settings = settings
    }

    deinit { self.disconnect() }

    var label: String {
        let mode = ["lpush": "list", "rpush": "rpush", "publish": "channel", "xadd": "stream"][self.settings.mode.rawValue] ?? ""
        let place = self.settings.server.contains("/") ? self.settings.server : "\(self.settings.server):\(self.settings.port)"
        return "redis \(place) \(mode) \(self.settings.key)"
    }

    var batchLimit: Int { self.settings.batchSize }

    func connect() throws(TransportFailure) {
        self.disconnect()
        let timeout = timeval(tv_sec: 2, tv_usec: 0)
        let made =
            self.settings.server.contains("/")
            ? redisConnectUnixWithTimeout(self.settings.server, timeout)
            : redisConnectWithTimeout(self.settings.server, Int32(self.settings.port), timeout)
        guard let made else { throw TransportFailure(delivered: 0, message: "cannot allocate a Redis connection") }
        if made.pointee.err != 0 {
            let reason = Self.errorText(made)
            redisFree(made)
            throw TransportFailure(delivered: 0, message: "cannot connect: \(reason)")
        }
        // A peer that stops answering is a lost connection after this long.
        _ = redisSetTimeout(made, timeval(tv_sec: 5, tv_usec: 0))
        self.context = made
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// The arguments of the command carrying `record`.
    private var prefix: [[UInt8]] {
        var words = [Array(self.settings.mode.command.utf8), Array(self.settings.key.utf8)]
        if self.settings.mode == .xadd {
            if self.settings.streamMaxLength > 0 {
                words += [Array("MAXLEN".utf8), Array((self.settings.streamTrimExact ? "=" : "~").utf8),
                    Array(String(self.settings.streamMaxLength).utf8)]
            }
            words += [Array("*".utf8), Array("eve".utf8)]
        }
        return words
    }

    func send(_ records: ArraySlice<[UInt8]>) throws(TransportFailure) -> Int {
        guard let context = self.context else { throw TransportFailure(delivered: 0, message: "not connected") }
        let prefix = self.prefix
        for record in records {
            let words = prefix + [record]
            let status = Self.withArguments(words) { count, arguments, lengths in
                redisAppendCommandArgv(context, count, arguments, lengths)
            }
            if status != REDIS_OK {
                throw TransportFailure(delivered: 0, message: "cannot queue a command: \(Self.errorText(context))")
            }
        }
        var delivered = 0
        var refused = 0
        for _ in records {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(context, &reply) == REDIS_OK else {
                throw TransportFailure(delivered: delivered, refused: refused, message: Self.errorText(context))
            }
            let typed = reply?.assumingMemoryBound(to: redisReply.self)
            if typed?.pointee.type == REDIS_REPLY_ERROR {
                // The server refused this record (a key of the wrong type, out of memory): it is dropped.
                refused += 1
            } else {
                delivered += 1
            }
            freeReplyObject(reply)
        }
        return refused
    }

    private static func withArguments(
        _ words: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Int32
    ) -> Int32 {
        var lengths = words.map(\.count)
        var pointers: [UnsafePointer<CChar>?] = []
        func nest(_ index: Int) -> Int32 {
            if index == words.count {
                return pointers.withUnsafeMutableBufferPointer { p in
                    lengths.withUnsafeMutableBufferPointer { l in body(Int32(words.count), p.baseAddress!, l.baseAddress!) }
                }
            }
            return words[index].withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, buffer.count)) { base in
                    pointers.append(base)
                    return nest(index + 1)
                }
            }
        }
        return nest(0)
    }

    func disconnect() {
        if let context = self.context { redisFree(context) }
        self.context = nil
    }
}

/// Unix socket helpers.
enum UnixSocket {
    /// The socket address of `path`; nil when the path is longer than an address holds.
    static func address(_ path: String) -> sockaddr_un? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A connected, close-on-exec socket of `type` to `path`.
    static func connect(path: String, type: Int32) throws(RuntimeError) -> Int32 {
        guard var address = Self.address(path) else { throw RuntimeError("\(path): the socket path is too long") }
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw RuntimeError("socket: \(String(cString: strerror(errno)))") }
        // Sending never waits long: a stuck reader is a failed send, retried after a pause.
        var limit = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw RuntimeError("cannot connect to \(path): \(reason)")
        }
        return fd
    }

    /// Sends `bytes` as one datagram, again when a signal interrupts it; 0, or the errno of the failure.
    static func sendDatagram(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        while true {
            let result = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result >= 0 { return 0 }
            if errno != EINTR { return errno }
        }
    }

    /// Sends all of `bytes`; returns how many went out, and the reason it stopped early.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> (count: Int, error: String?) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return (offset, String(cString: strerror(errno)))
                }
                offset += n
            }
            return (offset, nil)
        }
    }
}

/// Sends record `offset` of a batch as one datagram. A record larger than the socket can ever carry is refused
/// for good (counted in `refused`, not retried); any other error ends the batch after the records before it.
private func sendDatagram(
    _ fd: Int32, _ datagram: [UInt8], path: String, offset: Int, refused: inout Int
) throws(TransportFailure) {
    let code = UnixSocket.sendDatagram(fd, datagram)
    if code == 0 { return }
    if code == EMSGSIZE {
        refused += 1
        return
    }
    throw TransportFailure(
        delivered: offset - refused, refused: refused, message: "\(path): \(String(cString: strerror(code)))")
}
