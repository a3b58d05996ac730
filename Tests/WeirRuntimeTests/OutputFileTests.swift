// SPDX-License-Identifier: MIT
import Foundation
import Glibc
import Testing
import WeirRuntime
import WeirTestSupport

/// Issue 15, points 6 and 8: outputs are only regular files, and a run that read nothing says so.
@Suite struct OutputFileTests {
    @Test func reportFilesReplaceOnlyRegularFiles() throws {
        let dir = try makeTemporaryDirectory("weir-outfile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try OutputFile.write("first\n", to: dir + "/r.json")
        try OutputFile.write("second\n", to: dir + "/r.json")
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "second\n")
        try #require(mkfifo(dir + "/fifo", 0o644) == 0)
        #expect(throws: RuntimeError.self) { try OutputFile.write("x", to: dir + "/fifo") }
        var info = stat()
        #expect(lstat(dir + "/fifo", &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(throws: RuntimeError.self) { try OutputFile.write("x", to: dir) }
        // A failed write is an error, not a silent success.
        #expect(throws: RuntimeError.self) { try OutputFile.write("x", to: dir + "/missing/r.json") }
        // /dev/full: a character device, refused before any write.
        #expect(throws: RuntimeError.self) { try OutputFile.write("x", to: "/dev/full") }
        #expect(lstat("/dev/full", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    @Test func aLogThatIsNotARegularFileStopsTheRunBeforeReading() throws {
        let dir = try makeTemporaryDirectory("weir-fifo-log")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/log", withIntermediateDirectories: true)
        try #require(mkfifo(dir + "/log/eve.json", 0o644) == 0)
        try Data(pcapFile(frames: [udpFrame(sourcePort: 1)])).write(to: URL(fileURLWithPath: dir + "/a.pcap"))
        var options = RunOptions()
        options.readPaths = [dir + "/a.pcap"]
        options.logDirectory = dir + "/log"
        options.showProgress = false
        let log = MessageLog()
        options.messages = { log.append($0) }
        #expect(Replay.run(options) == 2)
        #expect(log.text.contains("eve.json: not a regular file"))
    }

    @Test func noReadableInputExitsTwo() throws {
        let dir = try makeTemporaryDirectory("weir-noinput")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeText("not a capture", dir + "/a.pcap")
        try writeText("nor this", dir + "/b.pcap")
        var options = RunOptions()
        options.readPaths = [dir + "/a.pcap", dir + "/b.pcap"]
        options.logDirectory = dir + "/log"
        options.showProgress = false
        let log = MessageLog()
        options.messages = { log.append($0) }
        #expect(Replay.run(options) == 2)
        #expect(log.text.contains("no input could be read"))
        // The stats record is still written, counting the unreadable files.
        #expect(statsLogTotals(dir + "/log/stats.log")["pcap.files_unreadable"] == 2)
        // One readable file among them is a normal run.
        try Data(pcapFile(frames: [udpFrame(sourcePort: 1)])).write(to: URL(fileURLWithPath: dir + "/c.pcap"))
        options.readPaths.append(dir + "/c.pcap")
        #expect(Replay.run(options) == 0)
    }
}
