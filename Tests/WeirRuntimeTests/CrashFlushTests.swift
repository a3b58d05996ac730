// SPDX-License-Identifier: MIT
import CWeirLinux
import Foundation
import Glibc
import Testing
import WeirCore
import WeirOutput

@testable import WeirRuntime

/// Issue 15, point 3: a crash leaves every complete EVE record in the file.
@Suite struct CrashFlushTests {
    /// A child process publishes two complete records, then dies of SIGILL (what a Swift trap raises): the
    /// records reach the file and the child still dies of SIGILL.
    @Test func fatalSignalWritesThePublishedRecords() throws {
        let dir = try makeTemporaryDirectory("weir-crash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/eve.json"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        try #require(fd >= 0)
        let records = Array("{\"event_type\":\"alert\"}\n{\"event_type\":\"flow\"}\n".utf8)
        let pid = records.withUnsafeBytes { bytes -> pid_t in
            let child = fork()
            if child == 0 {
                // Only C calls from here on: this is a fork of a threaded process.
                _ = cweir_crash_flush_install()
                let slot = cweir_crash_flush_register(fd)
                cweir_crash_flush_publish(slot, bytes.baseAddress, bytes.count)
                raise(SIGILL)
                _exit(0)
            }
            return child
        }
        close(fd)
        try #require(pid > 0)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(status & 0x7f == SIGILL, "status \(status)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == String(decoding: records, as: UTF8.self))
    }

    /// A forked child that crashes writes none of its parent's pending records: they belong to the parent's
    /// writer, which writes them itself (the child starts with no slots).
    @Test func aForkedChildDoesNotWriteItsParentsRecords() throws {
        let dir = try makeTemporaryDirectory("weir-crash-fork")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/eve.json"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        _ = cweir_crash_flush_install()
        let slot = cweir_crash_flush_register(fd)
        try #require(slot >= 0)
        defer { cweir_crash_flush_unregister(slot) }
        let records = Array("{\"event_type\":\"alert\"}\n".utf8)
        let pid = records.withUnsafeBytes { bytes -> pid_t in
            cweir_crash_flush_publish(slot, bytes.baseAddress, bytes.count)
            let child = fork()
            if child == 0 {
                raise(SIGILL)
                _exit(0)
            }
            cweir_crash_flush_publish(slot, nil, 0)
            return child
        }
        try #require(pid > 0)
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(status & 0x7f == SIGILL, "status \(status)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "")
    }

    /// The replay's outputs publish their batch after each record, clear it once it is handed to the file,
    /// and free their slot when they close.
    @Test func replayOutputsPublishTheirBatch() throws {
        let dir = try makeTemporaryDirectory("weir-crash-publish")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var slot: Int32 = -1
        do {
            let outputs = try ReplayOutputs(directory: dir, settings: .defaultOutputs)
            slot = outputs.crashSlot
            try #require(slot >= 0)
            var length = 0
            #expect(cweir_crash_flush_peek(slot, &length) == outputs.eve?.fd)
            #expect(length == 0)
            outputs.writeStats(EVEStatsRecord(timestamp: Timestamp(microseconds: 0), uptime: 0, counters: [EVEStatsCounter("a.b", 1)]))
            _ = cweir_crash_flush_peek(slot, &length)
            let rendered = outputs.eveWriter?.withPendingBytes { $0.count } ?? -1
            #expect(length > 0 && length == rendered)
            outputs.flush()
            _ = cweir_crash_flush_peek(slot, &length)
            #expect(length == 0)
        }
        var length = 0
        #expect(cweir_crash_flush_peek(slot, &length) == -1)
    }
}
