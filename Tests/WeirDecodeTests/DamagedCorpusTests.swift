// SPDX-License-Identifier: MIT
import Foundation
import Testing

@testable import WeirDecode

/// Reads a possibly damaged classic pcap or pcapng file the way libpcap does for these damage kinds: stop at a
/// truncated record or a captured length above 262,144, and cut records longer than the snapshot length.
func readDamaged(_ url: URL) throws -> (linkType: Int32, frames: [[UInt8]]) {
    let bytes = [UInt8](try Data(contentsOf: url))
    func u32(_ offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    }
    var frames: [[UInt8]] = []
    if u32(0) == 0xa1b2_c3d4 {
        let snaplen = u32(16)
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = u32(offset + 8)
            if captured > 262_144 || offset + 16 + captured > bytes.count { break }
            frames.append(Array(bytes[(offset + 16)..<(offset + 16 + min(captured, snaplen))]))
            offset += 16 + captured
        }
        return (Int32(u32(20)), frames)
    }
    var offset = 0
    var linkType: Int32 = -1
    while offset + 12 <= bytes.count {
        let type = u32(offset)
        let length = u32(offset + 4)
        if length < 12 || offset + length > bytes.count { break }
        if type == 1 { linkType = Int32(bytes[offset + 8]) | Int32(bytes[offset + 9]) << 8 }
        if type == 6 {
            let captured = u32(offset + 20)
            if 28 + captured > length { break }
            frames.append(Array(bytes[(offset + 28)..<(offset + 28 + captured)]))
        }
        offset += length
    }
    return (linkType, frames)
}

struct ManifestEntry: Decodable {
    let file: String
    let source: String
    let damage: String
    let records_readable: Int
    let records_intact: Int
    let records_damaged: Int
    let damaged_records: [Int]
}

struct Manifest: Decodable {
    let files: [ManifestEntry]
}

@Test(.timeLimit(.minutes(5)))
func damagedCorpusDecodesAndStatsMatchTheManifest() throws {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("weir-damage-\(getpid())")
    defer { try? FileManager.default.removeItem(at: output) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = [
        repository.appendingPathComponent("scripts/damage_pcaps.py").path, output.path, "--seed", "5",
        "--variants", "20",
    ]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    let manifest = try JSONDecoder().decode(
        Manifest.self,
        from: Data(contentsOf: output.appendingPathComponent("manifest.json"))
    )
    // Events the clean sources raise on purpose (see pcaps/README.md).
    let expectedInSources: Set<DecodeEvent> = [.ipv4OptPadRequired, .ipv6ExthdrUselessFH]
    var totalPackets: UInt64 = 0
    for entry in manifest.files {
        let (linkValue, frames) = try readDamaged(output.appendingPathComponent(entry.file))
        #expect(frames.count == entry.records_readable, "\(entry.file)")
        let link = try #require(LinkType(rawValue: linkValue))
        var decoder = PacketDecoder(linkType: link, checksums: .none)
        let damaged = Set(entry.damaged_records)
        var invalidIntact = 0
        for (index, frame) in frames.enumerated() {
            var packet = Packet()
            frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
            if entry.source != "malformed.pcap" && !damaged.contains(index + 1) {
                if packet.isInvalid || !packet.events.elements.allSatisfy(expectedInSources.contains) {
                    invalidIntact += 1
                }
            }
        }
        totalPackets += decoder.statistics.packets
        #expect(decoder.statistics.packets == UInt64(entry.records_readable))
        // Intact records of clean sources decode exactly as the originals do.
        #expect(invalidIntact == 0, "\(entry.file)")
        if entry.damage == "snaplen" && entry.source != "malformed.pcap" {
            // Every record cut by the snapshot length loses the end of its IP packet: one invalid packet each.
            #expect(decoder.statistics.invalid == UInt64(entry.records_damaged), "\(entry.file)")
        }
        if entry.source != "malformed.pcap" {
            #expect(decoder.statistics.invalid <= UInt64(entry.records_damaged), "\(entry.file)")
        }
    }
    #expect(totalPackets > 4000)
}
