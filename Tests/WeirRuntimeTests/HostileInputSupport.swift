// SPDX-License-Identifier: MIT
import Foundation
import Testing

/// An Ethernet/IPv4/UDP frame from 10.0.0.1:`sourcePort` to 10.0.0.2:53 with `payload` (checksums zero:
/// UDP's is optional, and the tests run with `-k none`).
func udpFrame(sourcePort: UInt16, payload: [UInt8] = Array("hostile".utf8)) -> [UInt8] {
    var ip: [UInt8] = [0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
    let total = 20 + 8 + payload.count
    ip[2] = UInt8(total >> 8)
    ip[3] = UInt8(total & 0xff)
    let udpLength = 8 + payload.count
    let udp: [UInt8] = [
        UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff), 0, 53, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0,
    ]
    return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00] + ip + udp + payload
}

/// The same little-endian pcapng shape as the capture tests build: SHB, one Ethernet IDB, EPBs.
func pcapngFile(packets: [(UInt64, [UInt8])]) -> [UInt8] {
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
    out += block(1, le16(1) + le16(0) + le32(65535))
    for (time, frame) in packets {
        out += block(
            6,
            le32(0) + le32(UInt32(time >> 32)) + le32(UInt32(truncatingIfNeeded: time)) + le32(UInt32(frame.count))
                + le32(UInt32(frame.count)) + frame)
    }
    return out
}

/// A classic µs pcap of Ethernet frames, one second apart from 1,700,000,000.
func pcapFile(frames: [[UInt8]]) -> [UInt8] {
    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
    var out = le32(0xa1b2_c3d4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(65535) + le32(1)
    for (i, f) in frames.enumerated() {
        out += le32(1_700_000_000 + UInt32(i)) + le32(0) + le32(UInt32(f.count)) + le32(UInt32(f.count)) + f
    }
    return out
}

/// Every line of an EVE file parsed as a JSON object (a line that does not parse fails the test).
func eveRecords(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }
}

/// Writes `text` to `path`.
func writeText(_ text: String, _ path: String) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}
