// SPDX-License-Identifier: MIT
import Glibc
import Testing
import WeirCapture
import WeirCore

/// A little-endian pcapng file: one section, one Ethernet interface (with optional `if_tsresol` and
/// `if_tsoffset`), and one Enhanced Packet Block per (timestamp, frame).
func pcapngBytes(tsresol: UInt8? = nil, tsoffset: Int64? = nil, packets: [(UInt64, [UInt8])]) -> [UInt8] {
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
    func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
    func block(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        var padded = body
        while padded.count % 4 != 0 { padded.append(0) }
        let total = UInt32(12 + padded.count)
        return le32(type) + le32(total) + padded + le32(total)
    }
    var out = block(0x0A0D_0D0A, le32(0x1A2B_3C4D) + le16(1) + le16(0) + le64(UInt64.max))
    var options: [UInt8] = []
    if let tsresol { options += le16(9) + le16(1) + [tsresol, 0, 0, 0] }
    if let tsoffset { options += le16(14) + le16(8) + le64(UInt64(bitPattern: tsoffset)) }
    if !options.isEmpty { options += le16(0) + le16(0) }
    out += block(1, le16(1) + le16(0) + le32(65535) + options)
    for (time, frame) in packets {
        let body = le32(0) + le32(UInt32(time >> 32)) + le32(UInt32(truncatingIfNeeded: time))
            + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        out += block(6, body)
    }
    return out
}

func writeTemporaryFile(_ bytes: [UInt8], name: String) throws -> String {
    var template = Array("/tmp/weir-pcapng-XXXXXX".utf8CString)
    let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) })
    let path = String(cString: directory) + "/" + name
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try #require(fd >= 0)
    defer { close(fd) }
    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    try #require(n == bytes.count)
    return path
}

/// Reads every record of `path`: the timestamps delivered, the skipped count, and whether damage ended it.
func readAll(_ path: String) throws -> (times: [Int64], skipped: UInt64, damaged: Bool) {
    let file = try PcapFile(path: path)
    var times: [Int64] = []
    var damaged = false
    loop: while true {
        switch file.next() {
        case .record(let r): times.append(r.timestamp.microseconds)
        case .end: break loop
        case .damaged:
            damaged = true
            break loop
        }
    }
    return (times, file.skippedRecords, damaged)
}

@Suite struct PcapngTimestampTests {
    let frame = [UInt8](repeating: 0x42, count: 60)
    let good: UInt64 = 1_700_000_000_000_000

    @Test func timestampsStillReadExactly() {
        #expect(Timestamp.exactly(seconds: 1_700_000_000, microseconds: 5)?.microseconds == 1_700_000_000_000_005)
        #expect(Timestamp.exactly(seconds: Int64.max / 1_000_000 + 1, microseconds: 0) == nil)
        #expect(Timestamp.exactly(seconds: -1, microseconds: 0) == nil)
        #expect(Timestamp.exactly(seconds: 253_402_300_800, microseconds: 0) == nil)
        // The plain initialiser saturates instead of trapping.
        #expect(Timestamp(seconds: Int64.max, microseconds: 999_999).microseconds == Int64.max)
        #expect(Timestamp(seconds: Int64.min, microseconds: 0).microseconds == Int64.min)
        #expect(Timestamp(seconds: Int64.max / 1_000_000, microseconds: Int64.max).microseconds == Int64.max)
        #expect(Timestamp(microseconds: Int64.min).seconds == Int64.min / 1_000_000 - 1)
        #expect(Timestamp(microseconds: -1).microsecondPart == 999_999)
        #expect(Int64.microseconds(fromSeconds: Int64.max) == Int64.max)
        #expect(Int64.max.saturatingAdd(1) == Int64.max)
        #expect(Int64.min.saturatingSubtract(1) == Int64.min)
    }

    /// An EPB timestamp of 2^63 µs (the crashing input of issue 15): that record is skipped as damage, the
    /// records around it are read.
    @Test func epbTimestampAtTwoToTheSixtyThreeIsSkipped() throws {
        let path = try writeTemporaryFile(
            pcapngBytes(packets: [(good, frame), (1 << 63, frame), (UInt64.max, frame), (good + 1, frame)]),
            name: "epb.pcapng")
        let result = try readAll(path)
        #expect(result.times == [1_700_000_000_000_000, 1_700_000_000_000_001])
        #expect(result.skipped == 2)
        #expect(!result.damaged)
    }

    /// An `if_tsoffset` that pushes every time past Int64 seconds: each record is skipped, nothing traps.
    @Test func tsoffsetOverflowIsSkipped() throws {
        for offset in [Int64.max, Int64.max / 1_000_000, -Int64.max, 300_000_000_000] {
            let path = try writeTemporaryFile(
                pcapngBytes(tsoffset: offset, packets: [(good, frame), (UInt64.max, frame)]), name: "off.pcapng")
            let result = try readAll(path)
            #expect(result.times.isEmpty, "offset \(offset)")
            #expect(result.skipped == 2, "offset \(offset)")
        }
    }

    /// `if_tsresol` of whole seconds (10^0) and of 2^-0: a large count of seconds is skipped, a small one read.
    @Test func coarseResolutionIsSkippedWhenOutOfRange() throws {
        for resolution: UInt8 in [0, 0x80] {
            let path = try writeTemporaryFile(
                pcapngBytes(tsresol: resolution, packets: [(1_700_000_000, frame), (1 << 62, frame), (UInt64.max, frame)]),
                name: "res.pcapng")
            let result = try readAll(path)
            #expect(result.times == [1_700_000_000_000_000], "tsresol \(resolution)")
            #expect(result.skipped == 2, "tsresol \(resolution)")
        }
    }
}
