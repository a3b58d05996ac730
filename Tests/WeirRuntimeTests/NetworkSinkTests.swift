// SPDX-License-Identifier: MIT
import Foundation
import Glibc
import Testing
import WeirConfig
@testable import WeirRuntime

/// The network EVE transports: a bounded queue drained by a writer thread into Unix sockets and syslog,
/// backing off and reconnecting when the peer goes away (Redis itself: `EVESinkTests` in WeirCLITests).
@Suite struct NetworkSinkTests {
    /// A bound Unix socket of `type` at `path` (listening for a stream socket).
    static func listener(_ path: String, type: Int32) throws -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, type, 0)
        try #require(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        if type == Int32(SOCK_STREAM.rawValue) { try #require(listen(fd, 8) == 0) }
        return fd
    }

    /// Every datagram waiting on `fd`, waiting up to `seconds` for `count` of them.
    static func datagrams(_ fd: Int32, count: Int, seconds: Double = 10) -> [String] {
        var out: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(seconds)
        while out.count < count && Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { out.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        return out
    }

    /// Reads a stream until `count` lines arrived (or `seconds` passed).
    static func lines(_ fd: Int32, count: Int, seconds: Double = 10) -> [String] {
        var text = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(seconds)
        while text.filter({ $0 == 0x0A }).count < count && Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            text += buffer[0..<n]
        }
        return String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func records(_ count: Int, from first: Int = 0) -> [String] {
        (first..<(first + count)).map { #"{"timestamp":"x","event_type":"alert","n":\#($0)}"# }
    }

    static func write(_ records: [String], to sink: NetworkSink) {
        let text = records.map { $0 + "\n" }.joined()
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { sink.write($0) }
    }

    static func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    @Test func unixDatagramDeliversEveryRecordAsOneDatagram() throws {
        let dir = try makeTemporaryDirectory("weir-dgram")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = try Self.listener(dir + "/eve.sock", type: Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        let sink = NetworkSink(
            transport: UnixSocketTransport(path: dir + "/eve.sock", stream: false), capacity: 1 << 20, messages: nil)
        let sent = Self.records(200)
        Self.write(sent, to: sink)
        let received = Self.datagrams(fd, count: sent.count)
        sink.close()
        #expect(received == sent.map { $0 + "\n" })
        #expect(sink.counters.written == 200 && sink.counters.dropped == 0)
    }

    @Test func unixStreamReconnectsAfterThePeerGoesAwayAndComesBack() throws {
        let dir = try makeTemporaryDirectory("weir-stream")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/eve.sock"
        // No listener yet: records wait in the queue while the writer backs off.
        let sink = NetworkSink(transport: UnixSocketTransport(path: path, stream: true), capacity: 1 << 20, messages: nil)
        Self.write(Self.records(50), to: sink)
        usleep(300_000)
        #expect(sink.counters.written == 0)
        var server = try Self.listener(path, type: Int32(SOCK_STREAM.rawValue))
        var connection = accept(server, nil, nil)
        try #require(connection >= 0)
        #expect(Self.lines(connection, count: 50) == Self.records(50))
        #expect(Self.waitUntil { sink.counters.written == 50 })
        // The peer goes away; what is written meanwhile is sent once a new listener is there.
        close(connection)
        close(server)
        unlink(path)
        Self.write(Self.records(30, from: 50), to: sink)
        usleep(300_000)
        Self.write(Self.records(20, from: 80), to: sink)
        server = try Self.listener(path, type: Int32(SOCK_STREAM.rawValue))
        defer { close(server) }
        connection = accept(server, nil, nil)
        try #require(connection >= 0)
        defer { close(connection) }
        let again = Self.lines(connection, count: 50)
        sink.close()
        // Records refused by the dead connection are sent again: nothing after the loss is missing.
        #expect(Array(again.suffix(50)) == Self.records(50, from: 50))
        let counters = sink.counters
        #expect(counters.reconnects >= 1)
        #expect(counters.written == 100 && counters.dropped == 0)
    }

    @Test func sighupReconnectsAndKeepsDelivering() throws {
        let dir = try makeTemporaryDirectory("weir-hup")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/eve.sock"
        let server = try Self.listener(path, type: Int32(SOCK_STREAM.rawValue))
        defer { close(server) }
        let sink = NetworkSink(transport: UnixSocketTransport(path: path, stream: true), capacity: 1 << 20, messages: nil)
        Self.write(Self.records(5), to: sink)
        let first = accept(server, nil, nil)
        try #require(first >= 0)
        defer { close(first) }
        #expect(Self.lines(first, count: 5) == Self.records(5))
        // As ReplayOutputs.reopen() does on SIGHUP: the old connection ends, a new one carries what follows.
        sink.reconnect()
        Self.write(Self.records(5, from: 5), to: sink)
        let second = accept(server, nil, nil)
        try #require(second >= 0)
        defer { close(second) }
        #expect(Self.lines(second, count: 5) == Self.records(5, from: 5))
        #expect(Self.lines(first, count: 1, seconds: 1).isEmpty, "the first connection was closed")
        sink.close()
        #expect(sink.counters.reconnects == 1 && sink.counters.written == 10)
        let named = sink.namedCounters(prefix: "eve_log.1.unix_stream")
        #expect(named.map(\.0) == ["eve_log.1.unix_stream.records_written", "eve_log.1.unix_stream.records_dropped", "eve_log.1.unix_stream.reconnects"])
        #expect(named.map(\.1) == [10, 0, 1])
    }

    @Test func aFullQueueDropsAndCountsWithoutBlocking() throws {
        let dir = try makeTemporaryDirectory("weir-full")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = NetworkSink(
            transport: UnixSocketTransport(path: dir + "/nobody.sock", stream: true), capacity: 4096, messages: nil)
        Self.write(Self.records(1000), to: sink)
        let queued = sink.counters
        #expect(queued.dropped > 900 && queued.dropped < 1000)
        #expect(queued.queuedBytes <= 4096)
        sink.close(timeout: 0.2)
        let final = sink.counters
        #expect(final.written == 0 && final.dropped == 1000 && final.queuedBytes == 0)
        // Writes after the end are counted too.
        Self.write(Self.records(3), to: sink)
        #expect(sink.counters.dropped == 1003)
    }

    @Test func aPeerThatStopsReadingNeverBlocksTheWriterSide() throws {
        let dir = try makeTemporaryDirectory("weir-stuck")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/eve.sock"
        let server = try Self.listener(path, type: Int32(SOCK_STREAM.rawValue))
        defer { close(server) }
        let sink = NetworkSink(transport: UnixSocketTransport(path: path, stream: true), capacity: 1 << 20, messages: nil)
        let connection = accept(server, nil, nil)
        try #require(connection >= 0)
        defer { close(connection) }
        // About 40 MB of records against a peer that reads nothing: the socket buffer and the 1 MiB queue fill,
        // the writer thread waits in send(), and every further record is dropped at once.
        // (A writer side that waited for the peer would hang here, not return with drops counted.)
        let batch = Self.records(1000)
        for _ in 0..<800 {
            Self.write(batch, to: sink)
        }
        let counters = sink.counters
        #expect(counters.dropped > 700_000, "\(counters)")
        #expect(counters.queuedBytes <= 1 << 20)
        sink.close(timeout: 0.1)
        #expect(sink.counters.written + sink.counters.dropped == 800_000)
    }

    @Test func syslogMessagesCarryPriorityIdentityAndPid() throws {
        var settings = EVESyslogSettings()
        settings.identity = "sensor"
        settings.facility = .local5
        settings.level = .info
        let message = String(
            decoding: SyslogTransport.message(Array("{}".utf8), settings: settings, time: 0, pid: 42), as: UTF8.self)
        // local5 (21) * 8 + info (6) = 174.
        #expect(message.hasPrefix("<174>"))
        #expect(message.hasSuffix(" sensor[42]: {}"))
        #expect(message.count == "<174>Jan  1 00:00:00 sensor[42]: {}".count)
        settings.facility = .daemon
        settings.level = .alert
        #expect(String(decoding: SyslogTransport.message([], settings: settings, time: 0, pid: 1), as: UTF8.self).hasPrefix("<25>"))

        let dir = try makeTemporaryDirectory("weir-syslog")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = try Self.listener(dir + "/log", type: Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        settings = EVESyslogSettings()
        let sink = NetworkSink(transport: SyslogTransport(settings: settings, path: dir + "/log"), capacity: 1 << 20, messages: nil)
        Self.write(Self.records(10), to: sink)
        let received = Self.datagrams(fd, count: 10)
        sink.close()
        #expect(received.count == 10)
        for (line, record) in zip(received, Self.records(10)) {
            #expect(line.hasPrefix("<174>") && line.hasSuffix(" weir[\(getpid())]: " + record), "\(line)")
        }
    }

    @Test func severalEVEOutputsEachGetTheTypesTheyList() throws {
        let dir = try makeTemporaryDirectory("weir-routes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var alerts = EVELogOutput()
        alerts.filename = "alerts.json"
        alerts.alert = EVEAlertOptions()
        var flows = EVELogOutput()
        flows.filename = dir + "/flows.json"
        flows.flow = true
        flows.communityID = true
        let outputs = try EVEOutputs(directory: dir, outputs: [alerts, flows], append: false, network: nil, messages: nil)
        #expect(outputs.settings.alert != nil && outputs.settings.flow)
        #expect(outputs.conflicts == ["community-id"])
        let lines = [
            #"{"timestamp":"1","event_type":"alert"}"#, #"{"timestamp":"2","event_type":"flow"}"#,
            #"{"timestamp":"3","event_type":"stats"}"#, #"{"timestamp":"4","event_type":"future"}"#,
        ]
        let bytes = Array(lines.map { $0 + "\n" }.joined().utf8)
        bytes.withUnsafeBytes { outputs.write($0) }
        #expect(try String(contentsOfFile: dir + "/alerts.json", encoding: .utf8) == lines[0] + "\n" + lines[3] + "\n")
        #expect(try String(contentsOfFile: dir + "/flows.json", encoding: .utf8) == lines[1] + "\n" + lines[3] + "\n")
        #expect(EVEOutputs.eventType(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)

        // `prefix` goes before each record of its output only, also when it is the one output.
        var cee = EVELogOutput()
        cee.filename = "cee.json"
        cee.prefix = "@cee: "
        let single = try EVEOutputs(directory: dir, outputs: [cee], append: false, network: nil, messages: nil)
        bytes.withUnsafeBytes { single.write($0) }
        #expect(try String(contentsOfFile: dir + "/cee.json", encoding: .utf8) == lines.map { "@cee: " + $0 + "\n" }.joined())
    }
}
