// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirCapture
import WeirCore

/// Writes a classic little-endian µs pcap with the given frames.
private func pcapBytes(linkType: UInt32 = 1, frames: [[UInt8]], snaplen: UInt32 = 65535) -> [UInt8] {
    func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    var out = le32(0xa1b2_c3d4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(snaplen) + le32(linkType)
    for (i, f) in frames.enumerated() {
        out += le32(1_700_000_000 + UInt32(i)) + le32(250) + le32(UInt32(f.count)) + le32(UInt32(f.count + 4))
        out += f
    }
    return out
}

private func temporaryDirectory() -> String {
    var template = Array("/tmp/weir-capture-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return path.map { String(cString: $0) } ?? "/tmp"
}

private func write(_ bytes: [UInt8], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try #require(fd >= 0)
    defer { close(fd) }
    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    try #require(n == bytes.count)
}

@Suite struct PcapFileTests {
    let frames: [[UInt8]] = [Array(repeating: 0xaa, count: 60), Array(repeating: 0xbb, count: 100)]

    @Test func readsRecordsWithTimestampsAndLengths() throws {
        let dir = temporaryDirectory()
        try write(pcapBytes(frames: frames), to: dir + "/a.pcap")
        let file = try PcapFile(path: dir + "/a.pcap")
        #expect(file.linkType == 1)
        var seen: [(Int, Int, Int64)] = []
        loop: while true {
            switch file.next() {
            case .record(let r): seen.append((r.bytes.count, r.wireLength, r.timestamp.microseconds))
            case .end: break loop
            case .damaged(let m): Issue.record("unexpected damage: \(m)")
                break loop
            }
        }
        #expect(seen.count == 2)
        #expect(seen[0].0 == 60 && seen[0].1 == 64)
        #expect(seen[1].2 == 1_700_000_001_000_250)
        #expect(file.position == Int64(24 + 16 * 2 + 160))
    }

    @Test func truncatedFileReportsDamageAfterIntactRecords() throws {
        let dir = temporaryDirectory()
        let bytes = pcapBytes(frames: frames + [Array(repeating: 0xcc, count: 80)])
        try write(Array(bytes.dropLast(30)), to: dir + "/t.pcap")
        let file = try PcapFile(path: dir + "/t.pcap")
        var records = 0
        var damage: String? = nil
        loop: while true {
            switch file.next() {
            case .record: records += 1
            case .end: break loop
            case .damaged(let m):
                damage = m
                break loop
            }
        }
        #expect(records == 2)
        #expect(damage?.contains("truncated") == true)
    }

    @Test func notACaptureIsAnOpenError() throws {
        let dir = temporaryDirectory()
        try write(Array("hello, this is not a pcap file at all".utf8), to: dir + "/x.pcap")
        #expect(throws: CaptureError.self) { _ = try PcapFile(path: dir + "/x.pcap") }
    }

    @Test func directoriesExpandInNameOrderSkippingHiddenFiles() throws {
        let dir = temporaryDirectory()
        for name in ["b.pcap", "a.pcap", ".hidden", "c.pcapng"] { try write(pcapBytes(frames: []), to: dir + "/" + name) }
        mkdir(dir + "/sub", 0o755)
        let single = dir + "/a.pcap"
        let listed = try CaptureInputs.expand([dir, single])
        #expect(listed == [dir + "/a.pcap", dir + "/b.pcap", dir + "/c.pcapng", single])
        #expect(throws: CaptureError.self) { _ = try CaptureInputs.expand([dir + "/missing"]) }
    }
}
