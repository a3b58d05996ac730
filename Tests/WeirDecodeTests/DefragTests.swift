// SPDX-License-Identifier: MIT
import Foundation
import Testing

@testable import WeirCore
@testable import WeirDecode

/// Feeds frames (Ethernet) through a decoder and a defragmenter; returns every rebuilt datagram and the events
/// each frame got.
private func feed(_ frames: [[UInt8]], _ defrag: inout Defragmenter, startSecond: Int64 = 1_700_000_000)
    -> (datagrams: [[UInt8]], events: [DecodeEventSet])
{
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    var datagrams: [[UInt8]] = []
    var events: [DecodeEventSet] = []
    for (index, frame) in frames.enumerated() {
        var packet = Packet()
        packet.timestamp = Timestamp(microseconds: (startSecond + Int64(index / 1000)) * 1_000_000)
        frame.withUnsafeBytes { bytes in
            decoder.decode(bytes, into: &packet)
            if packet.isFragment {
                let (datagram, _) = defrag.insert(&packet, frame: bytes)
                if let datagram { datagrams.append(datagram) }
            }
        }
        events.append(packet.events)
    }
    return (datagrams, events)
}

/// Minimal frame builders (checksums are not checked by these tests).
enum FragmentFrames {
    static let ether: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]

    static func ipv4(id: UInt16, offset: Int, more: Bool, proto: UInt8 = 17, payload: [UInt8]) -> [UInt8] {
        let total = 20 + payload.count
        let field = UInt16(offset / 8) | (more ? 0x2000 : 0)
        return ether + [0x08, 0x00, 0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), UInt8(id >> 8), UInt8(id & 0xff),
            UInt8(field >> 8), UInt8(field & 0xff), 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2] + payload
    }

    static func ipv6(id: UInt32, offset: Int, more: Bool, next: UInt8 = 17, payload: [UInt8]) -> [UInt8] {
        let length = 8 + payload.count
        var frame = ether + [0x86, 0xdd, 0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xff), 44, 64]
        frame += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        frame += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2]
        let field = UInt16(offset) | (more ? 1 : 0)
        frame += [next, 0, UInt8(field >> 8), UInt8(field & 0xff)]
        frame += [UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)]
        return frame + payload
    }
}

/// A small deterministic generator (SplitMix64), so that a failing case can be replayed from its seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct DefragTests {
    /// Novak's overlap results, one letter per 8 bytes of the rebuilt 192-byte datagram (the published table
    /// Suricata's own defrag tests check).
    static let novak: [(DefragPolicy, String)] = [
        (.bsd, "AAAJJBCCCLLLMMMFFFGGHHIQ"),
        (.linux, "AAAJJBKKKLLLMMMFFFGGPHQQ"),
        (.windows, "AAAJBBCCCLLLMEEFFFGGHHIQ"),
        (.solaris, "AAAJBBCCCLLLMMMFFFGGHHIQ"),
        (.first, "AAAJBBCCCLDLMEEFFFGGHHIQ"),
        (.last, "AJJJJBKKKLLLMMMFNFGOPHQQ"),
    ]

    static func expected(_ letters: String) -> [UInt8] { letters.utf8.flatMap { [UInt8](repeating: $0, count: 8) } }

    @Test(arguments: DefragTests.novak.map(\.0))
    func novakOverlapTableIPv4(_ policy: DefragPolicy) throws {
        let capture = try PcapCorpus.read("defrag/novak-ipv4.pcap")
        #expect(capture.frames.count == 17)
        var settings = DefragSettings()
        settings.defaultPolicy = policy
        var defrag = Defragmenter(settings: settings)
        let (datagrams, events) = feed(capture.frames, &defrag)
        let datagram = try #require(datagrams.first, "\(policy): not reassembled")
        #expect(datagrams.count == 1)
        #expect(datagram.count == 20 + 192)
        #expect(Int(datagram[2]) << 8 | Int(datagram[3]) == 212)
        #expect(datagram[6] == 0 && datagram[7] == 0, "offset and flags cleared")
        let letters = try #require(Self.novak.first { $0.0 == policy }?.1)
        #expect(Array(datagram[20...]) == Self.expected(letters), "\(policy)")
        // The originals do not overlap each other; some of the later ones must.
        #expect(events.prefix(9).allSatisfy { !$0.contains(.ipv4FragOverlap) })
        #expect(events[9..<16].contains { $0.contains(.ipv4FragOverlap) })
        #expect(defrag.activeTrackers == 0)
        #expect(defrag.statistics.ipv4Reassembled == 1)
        #expect(defrag.statistics.memuse == 0)
    }

    @Test(arguments: DefragTests.novak.map(\.0))
    func novakOverlapTableIPv6(_ policy: DefragPolicy) throws {
        let capture = try PcapCorpus.read("defrag/novak-ipv6.pcap")
        var settings = DefragSettings()
        settings.defaultPolicy = policy
        var defrag = Defragmenter(settings: settings)
        let (datagrams, events) = feed(capture.frames, &defrag)
        let datagram = try #require(datagrams.first, "\(policy): not reassembled")
        #expect(datagram.count == 40 + 192)
        #expect(Int(datagram[4]) << 8 | Int(datagram[5]) == 192)
        #expect(datagram[6] == 58, "next header from the fragment header")
        let letters = try #require(Self.novak.first { $0.0 == policy }?.1)
        #expect(Array(datagram[40...]) == Self.expected(letters), "\(policy)")
        #expect(events[9..<16].contains { $0.contains(.ipv6FragOverlap) })
        #expect(defrag.statistics.ipv6Reassembled == 1)
    }

    @Test func hostOSPolicyPicksThePolicyByDestination() {
        var settings = DefragSettings()
        settings.hostPolicies = [
            (IPAddress("10.0.0.0")!, 8, .windows), (IPAddress("10.0.0.2")!, 32, .last), (IPAddress("2001:db8::")!, 32, .linux),
        ]
        #expect(settings.policy(for: IPAddress("10.0.0.2")!) == .last)
        #expect(settings.policy(for: IPAddress("10.0.0.3")!) == .windows)
        #expect(settings.policy(for: IPAddress("192.168.0.1")!) == .bsd)
        #expect(settings.policy(for: IPAddress("2001:db8::2")!) == .linux)
        #expect(DefragPolicy(hostOS: "vista") == .windows)
        #expect(DefragPolicy(hostOS: "macos") == .first)
        #expect(DefragPolicy(hostOS: "hpux10") == .bsd)
    }

    /// Random datagrams cut at random 8-byte boundaries, sent in random order with random duplicates: every
    /// policy gives back the original datagram, byte for byte.
    @Test(arguments: DefragPolicy.allCases)
    func randomFragmentingReorderingAndDuplicationReassembleTheOriginal(_ policy: DefragPolicy) throws {
        var rng = SplitMix(state: 0x5EED_0000 &+ UInt64(policy.rawValue))
        for round in 0..<150 {
            let ipv6 = round % 2 == 1
            let length = Int.random(in: 9...3000, using: &rng)
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Cut points: multiples of 8, at least two pieces.
            var cuts: [Int] = []
            var at = 0
            while true {
                let step = 8 * Int.random(in: 1...max(1, length / 8 / 2 + 1), using: &rng)
                at += step
                if at >= length { break }
                cuts.append(at)
            }
            if cuts.isEmpty { cuts = [8] }
            var bounds = [0] + cuts + [length]
            bounds = Array(Set(bounds)).sorted()
            var frames: [[UInt8]] = []
            let id = UInt32(round + 1)
            for i in 0..<(bounds.count - 1) {
                let piece = Array(payload[bounds[i]..<bounds[i + 1]])
                let more = i < bounds.count - 2
                frames.append(
                    ipv6
                        ? FragmentFrames.ipv6(id: id, offset: bounds[i], more: more, payload: piece)
                        : FragmentFrames.ipv4(id: UInt16(id), offset: bounds[i], more: more, payload: piece))
            }
            var sent = frames
            for frame in frames where Int.random(in: 0..<4, using: &rng) == 0 { sent.append(frame) }
            sent.shuffle(using: &rng)
            var settings = DefragSettings()
            settings.defaultPolicy = policy
            var defrag = Defragmenter(settings: settings)
            let (datagrams, _) = feed(sent, &defrag)
            try #require(!datagrams.isEmpty, "round \(round) (\(policy)): not reassembled")
            let header = ipv6 ? 40 : 20
            for datagram in datagrams {
                #expect(Array(datagram[header...]) == payload, "round \(round) (\(policy), \(bounds.count - 1) pieces)")
            }
        }
    }

    @Test func aDatagramThatNeverCompletesTimesOut() {
        var defrag = Defragmenter(settings: DefragSettings())
        let frames = [FragmentFrames.ipv4(id: 9, offset: 0, more: true, payload: [UInt8](repeating: 1, count: 16))]
        _ = feed(frames, &defrag)
        #expect(defrag.activeTrackers == 1)
        #expect(defrag.statistics.memuse == 16)
        defrag.expire(now: Timestamp(microseconds: (1_700_000_000 + 30) * 1_000_000))
        #expect(defrag.activeTrackers == 1, "not yet: 60 s timeout")
        defrag.expire(now: Timestamp(microseconds: (1_700_000_000 + 61) * 1_000_000))
        #expect(defrag.activeTrackers == 0)
        #expect(defrag.statistics.ipv4Timeouts == 1)
        #expect(defrag.statistics.memuse == 0)
    }

    @Test func maxFragsIgnoresTheFragmentAndDropsItsDatagram() {
        var settings = DefragSettings()
        settings.maxFrags = 2
        var defrag = Defragmenter(settings: settings)
        let frames = (0..<3).map {
            FragmentFrames.ipv4(id: 5, offset: $0 * 8, more: true, payload: [UInt8](repeating: 2, count: 8))
        }
        let (_, events) = feed(frames, &defrag)
        #expect(events[2].contains(.ipv4FragIgnored))
        #expect(defrag.statistics.maxFragsReached == 1)
        #expect(defrag.activeTrackers == 0)
    }

    @Test func trackersLimitCountsAndSkips() {
        var settings = DefragSettings()
        settings.trackers = 1
        var defrag = Defragmenter(settings: settings)
        let frames = [
            FragmentFrames.ipv4(id: 1, offset: 0, more: true, payload: [UInt8](repeating: 3, count: 8)),
            FragmentFrames.ipv4(id: 2, offset: 0, more: true, payload: [UInt8](repeating: 3, count: 8)),
        ]
        _ = feed(frames, &defrag)
        #expect(defrag.statistics.maxTrackersReached == 1)
        #expect(defrag.activeTrackers == 1)
    }

    @Test func tooLargeFragmentRaisesTheEvent() {
        var defrag = Defragmenter(settings: DefragSettings())
        let frames = [FragmentFrames.ipv4(id: 3, offset: 65_528, more: false, payload: [UInt8](repeating: 4, count: 16))]
        let (datagrams, events) = feed(frames, &defrag)
        #expect(datagrams.isEmpty)
        #expect(events[0].contains(.ipv4FragPktTooLarge))
    }

    @Test func ipv6TooLargeAndIgnoredFragments() {
        var settings = DefragSettings()
        settings.maxFrags = 1
        var defrag = Defragmenter(settings: settings)
        let frames = [
            FragmentFrames.ipv6(id: 1, offset: 65_528, more: false, payload: [UInt8](repeating: 5, count: 16)),
            FragmentFrames.ipv6(id: 2, offset: 0, more: true, payload: [UInt8](repeating: 5, count: 8)),
            FragmentFrames.ipv6(id: 2, offset: 8, more: true, payload: [UInt8](repeating: 5, count: 8)),
        ]
        let (_, events) = feed(frames, &defrag)
        #expect(events[0].contains(.ipv6FragPktTooLarge))
        #expect(events[2].contains(.ipv6FragIgnored))
    }

    @Test func reassembledDatagramDecodesAsAnyPacket() throws {
        // UDP 1111 -> 2222 with 24 bytes of data, in two fragments; the decoder sees a whole UDP packet.
        let udp: [UInt8] = [0x04, 0x57, 0x08, 0xae, 0, 32, 0, 0] + [UInt8](repeating: 0x61, count: 24)
        var defrag = Defragmenter(settings: DefragSettings())
        let (datagrams, _) = feed(
            [
                FragmentFrames.ipv4(id: 7, offset: 16, more: false, payload: Array(udp[16...])),
                FragmentFrames.ipv4(id: 7, offset: 0, more: true, payload: Array(udp[0..<16])),
            ], &defrag)
        let datagram = try #require(datagrams.first)
        var decoder = PacketDecoder(linkType: .ethernet, checksums: .all)
        var packet = Packet()
        datagram.withUnsafeBytes { decoder.decodeReassembled($0, into: &packet) }
        #expect(packet.isUDP)
        #expect(packet.sourcePort == 1111 && packet.destinationPort == 2222)
        #expect(packet.payloadLength == 24)
        #expect(packet.ipChecksum == .valid)
        #expect(!packet.isFragment)
    }
}
