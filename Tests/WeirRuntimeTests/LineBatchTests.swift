// SPDX-License-Identifier: MIT
import CWeirLinux
import Foundation
import Testing

@testable import WeirRuntime

/// fast.log's batching: lines reach the file in batches, whole, at the threshold or a flush; the pending
/// lines are always published to the crash flush.
@Suite struct LineBatchTests {
    private func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func linesWaitForTheThresholdOrAFlush() throws {
        let dir = try makeTemporaryDirectory("weir-linebatch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/fast.log"
        let batch = LineBatch(sink: try FileSink(path: path, append: false), threshold: 64)
        let line = Array("0123456789abcdefghi\n".utf8)  // 20 bytes
        line.withUnsafeBytes { batch.append($0) }
        line.withUnsafeBytes { batch.append($0) }
        line.withUnsafeBytes { batch.append($0) }
        #expect(try self.contents(path).isEmpty)
        #expect(batch.pendingCount == 60)
        // The fourth line does not fit: the three before it are written first, whole.
        line.withUnsafeBytes { batch.append($0) }
        #expect(try self.contents(path) == String(repeating: "0123456789abcdefghi\n", count: 3))
        #expect(batch.pendingCount == 20)
        batch.flush()
        #expect(try self.contents(path) == String(repeating: "0123456789abcdefghi\n", count: 4))
        #expect(batch.pendingCount == 0)
    }

    @Test func aLineLongerThanTheBufferIsWrittenAfterThePendingOnes() throws {
        let dir = try makeTemporaryDirectory("weir-linebatch-long")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/fast.log"
        let batch = LineBatch(sink: try FileSink(path: path, append: false), threshold: 16)
        Array("short\n".utf8).withUnsafeBytes { batch.append($0) }
        let long = String(repeating: "x", count: 40) + "\n"
        Array(long.utf8).withUnsafeBytes { batch.append($0) }
        #expect(try self.contents(path) == "short\n" + long)
        #expect(batch.pendingCount == 0)
    }

    /// Lines written in place: the room asked for decides when the batch goes, the length written decides
    /// what is kept, and room larger than the buffer still gets the whole line to the file, in order.
    @Test func linesWrittenInPlaceKeepOnlyTheirLength() throws {
        let dir = try makeTemporaryDirectory("weir-linebatch-inplace")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/fast.log"
        let batch = LineBatch(sink: try FileSink(path: path, append: false), threshold: 32)
        func put(_ text: String, bound: Int) {
            let bytes = Array(text.utf8)
            guard let out = batch.reserve(bound) else {
                bytes.withUnsafeBytes { batch.append($0) }
                return
            }
            for (i, byte) in bytes.enumerated() { out[i] = byte }
            batch.commit(bytes.count)
        }
        put("alpha\n", bound: 20)
        #expect(batch.pendingCount == 6)
        #expect(try self.contents(path).isEmpty)
        // 6 pending and 30 bytes of room asked: more than the 32-byte buffer holds, so "alpha" goes first.
        put("beta\n", bound: 30)
        #expect(try self.contents(path) == "alpha\n")
        #expect(batch.pendingCount == 5)
        // Room beyond the whole buffer is refused: the line is made aside and joins the batch like any other.
        #expect(batch.reserve(100) == nil)
        put("gamma\n", bound: 100)
        #expect(try self.contents(path) == "alpha\n")
        #expect(batch.pendingCount == 11)
        put("delta\n", bound: 8)
        batch.flush()
        #expect(try self.contents(path) == "alpha\nbeta\ngamma\ndelta\n")
    }

    @Test func pendingLinesArePublishedAndWrittenWhenTheBatchGoes() throws {
        let dir = try makeTemporaryDirectory("weir-linebatch-crash")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/fast.log"
        var slot: Int32 = -1
        do {
            let sink = try FileSink(path: path, append: false)
            let batch = LineBatch(sink: sink, threshold: 1024)
            // The slot is the one registered last for this descriptor.
            for candidate in 0..<64 {
                var length = 0
                if cweir_crash_flush_peek(Int32(candidate), &length) == sink.fd { slot = Int32(candidate) }
            }
            try #require(slot >= 0)
            Array("one\ntwo\n".utf8).withUnsafeBytes { batch.append($0) }
            var length = 0
            _ = cweir_crash_flush_peek(slot, &length)
            #expect(length == 8)
            batch.flush()
            _ = cweir_crash_flush_peek(slot, &length)
            #expect(length == 0)
            Array("three\n".utf8).withUnsafeBytes { batch.append($0) }
        }
        // Released: the slot is free and the last line reached the file.
        var length = 0
        #expect(cweir_crash_flush_peek(slot, &length) == -1)
        #expect(try self.contents(path) == "one\ntwo\nthree\n")
    }
}
