// SPDX-License-Identifier: MIT
import Testing

@testable import WeirDecode

/// A plain byte-at-a-time RFC 1071 sum, to check the fast one against.
func referenceChecksumSum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < bytes.count {
        sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
        index += 2
    }
    if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    return UInt16(sum)
}

@Test func fastSumMatchesReferenceForEveryLengthAndOffset() {
    var generator = SplitMix64(seed: 7)
    for length in 0..<200 {
        for start in 0..<3 {
            let bytes = (0..<(length + start)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let fast = bytes.withUnsafeBytes { InternetChecksum.partialSum($0, offset: start, length: length) }
            // The fast sum is in memory order; byte-swap to compare with the big-endian reference on little-endian.
            let folded = InternetChecksum.fold(fast)
            let reference = referenceChecksumSum(Array(bytes[start...]))
            #expect(UInt16(bigEndian: folded) == reference || (folded == 0xffff && reference == 0xffff))
        }
    }
}

@Test(arguments: [
    // (frame, link, offset of the checksum field to damage, which checksum)
    (Fixtures.ethIPv4TCPData, LinkType.ethernet, 24, "ip"),
    (Fixtures.ethIPv4TCPData, .ethernet, 50, "l4"),
    (Fixtures.vlanIPv4UDP, .ethernet, 44, "l4"),
    (Fixtures.qinqIPv4ICMPEcho, .ethernet, 44, "l4"),
    (Fixtures.ethIPv6TCP, .ethernet, 70, "l4"),
    (Fixtures.ethIPv6ICMPv6Echo, .ethernet, 56, "l4"),
    (Fixtures.rawIPv4UDP, .raw, 26, "l4"),
])
func damagedChecksumIsInvalid(frame: [UInt8], link: LinkType, offset: Int, which: String) {
    let (good, _) = decoded(frame, link: link, checksums: .all)
    #expect(good.ipChecksum != .invalid && good.l4Checksum == .valid)
    let broken = frame.setting(offset, frame[offset] ^ 0x5a)
    let (bad, _) = decoded(broken, link: link, checksums: .all)
    if which == "ip" {
        #expect(bad.ipChecksum == .invalid)
    } else {
        #expect(bad.l4Checksum == .invalid)
    }
    // A bad checksum is not a decoder event and does not make the packet invalid, as in Suricata.
    #expect(!bad.isInvalid)
    let (unchecked, _) = decoded(broken, link: link, checksums: .none)
    #expect(unchecked.ipChecksum == .unchecked && unchecked.l4Checksum == .unchecked)
}

@Test func udpZeroChecksumOverIPv4MeansNone() {
    let frame = Fixtures.vlanIPv4UDP.setting(44, 0, 0)
    let (p, _) = decoded(frame, checksums: .all)
    #expect(p.l4Checksum == .unchecked)
    // Over IPv6 a zero UDP checksum is wrong (RFC 8200 8.1).
    let v6 = Fixtures.nullBEIPv6UDP.setting(50, 0, 0)
    let (q, _) = decoded(v6, link: .null, checksums: .all)
    #expect(q.l4Checksum == .invalid)
}

/// Decodes `count` copies of `good` then `bad` frames, interleaved so that `badEvery`-th packet is bad.
func runAuto(total: Int, badEvery: Int) -> (PacketDecoder, [ChecksumState]) {
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .auto)
    let good = Fixtures.ethIPv4TCPData
    let bad = good.setting(50, good[50] ^ 0xff)
    var states: [ChecksumState] = []
    for index in 1...total {
        var packet = Packet()
        let frame = badEvery > 0 && index % badEvery == 0 ? bad : good
        frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
        states.append(packet.l4Checksum)
    }
    return (decoder, states)
}

@Test func autoModeTurnsOffWhenMoreThanOneInTenAreBad() {
    // Every 9th packet bad: 111 of the first 1,000, more than a tenth.
    let (decoder, states) = runAuto(total: 1200, badEvery: 9)
    #expect(decoder.checksumAutoDisabled)
    #expect(states[8] == .invalid)
    #expect(states[998] == .valid || states[998] == .invalid)
    #expect(states[1000...].allSatisfy { $0 == .unchecked })
}

@Test func autoModeStaysOnAtExactlyOneInTen() {
    // Every 10th packet bad: exactly 100 of 1,000 is not "more than 1 in 10".
    let (decoder, states) = runAuto(total: 1200, badEvery: 10)
    #expect(!decoder.checksumAutoDisabled)
    #expect(states[1199] == .invalid)
    #expect(states[1198] == .valid)
}

@Test func allModeNeverTurnsOff() {
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .all)
    let bad = Fixtures.ethIPv4TCPData.setting(50, 0)
    for _ in 0..<1500 {
        var packet = Packet()
        bad.withUnsafeBytes { decoder.decode($0, into: &packet) }
    }
    #expect(!decoder.checksumAutoDisabled)
    var packet = Packet()
    bad.withUnsafeBytes { decoder.decode($0, into: &packet) }
    #expect(packet.l4Checksum == .invalid)
}

@Test func checksumConfigValues() {
    #expect(ChecksumValidation(configValue: "yes") == .all)
    #expect(ChecksumValidation(configValue: "no") == ChecksumValidation.none)
    #expect(ChecksumValidation(configValue: "AUTO") == .auto)
    #expect(ChecksumValidation(configValue: "maybe") == nil)
}

@Test func statisticsCountPacketsBytesAndEvents() {
    var decoder = PacketDecoder(linkType: .ethernet, checksums: .none)
    let frames = [
        Fixtures.ethIPv4TCPSyn, Fixtures.vlanIPv4UDP, Fixtures.ethIPv6TCP,
        Fixtures.ethIPv4TCPData.prefix(bytes: 13), Fixtures.ethIPv4TCPData.setting(23, 253),
    ]
    for frame in frames {
        var packet = Packet()
        frame.withUnsafeBytes { decoder.decode($0, into: &packet) }
    }
    let s = decoder.statistics
    #expect(s.packets == 5)
    #expect(s.bytes == UInt64(frames.map(\.count).reduce(0, +)))
    #expect(s.maxPacketSize == UInt64(frames.map(\.count).max() ?? 0))
    #expect(s.averagePacketSize == s.bytes / 5)
    #expect(s.invalid == 1)
    #expect(s.ethernet == 5)
    #expect(s.ipv4 == 3)
    #expect(s.ipv6 == 1)
    #expect(s.tcp == 2)
    #expect(s.udp == 1)
    #expect(s.vlan == 1)
    #expect(s.count(of: .ethernetPktTooSmall) == 1)
    #expect(s.count(of: .ipv4UnknownProtocol) == 1)
    #expect(s.value(named: "decoder.pkts") == 5)
    #expect(s.value(named: "decoder.event.ethernet.pkt_too_small") == 1)
    #expect(s.value(named: "decoder.event.ipv4.trunc_pkt") == 0)
    #expect(s.value(named: "decoder.no_such_counter") == nil)
    let names = s.counters.map(\.name)
    #expect(Set(names).count == names.count)
    #expect(names.count == 40 + DecodeEvent.allCases.count)
    for expected in [
        "decoder.bytes", "decoder.invalid", "decoder.sll", "decoder.null", "decoder.raw", "decoder.icmpv4",
        "decoder.icmpv6", "decoder.vlan_qinq", "decoder.vlan_qinqinq", "decoder.avg_pkt_size", "decoder.max_pkt_size",
    ] {
        #expect(names.contains(expected))
    }

    var merged = DecodeStatistics()
    merged.merge(s)
    merged.merge(s)
    #expect(merged.packets == 10)
    #expect(merged.count(of: .ethernetPktTooSmall) == 2)
    #expect(merged.maxPacketSize == s.maxPacketSize)
}

@Test func packetWithManyEventsCountsEachOnce() {
    // Two routing headers of type 0: rh_type_0 once, dupl_rh once.
    let frame = ipv6Frame(next: 43, payload: [43, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0] + udpHeader())
    let (p, d) = decoded(frame)
    #expect(p.events.contains(.ipv6RHType0))
    #expect(p.events.contains(.ipv6ExthdrDuplRH))
    #expect(d.statistics.count(of: .ipv6RHType0) == 1)
    #expect(d.statistics.count(of: .ipv6ExthdrDuplRH) == 1)
    #expect(d.statistics.invalid == 0)
}

/// A small deterministic generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Test func framesTheKernelVouchesForAreLeftUncheckedAndOutOfTheAutoSample() {
    let good = Fixtures.ethIPv4TCPData
    let bad = good.setting(50, good[50] ^ 0xff)
    var strict = PacketDecoder(linkType: .ethernet, checksums: .all)
    var packet = Packet()
    bad.withUnsafeBytes { strict.decode($0, into: &packet, checksumsVouched: true) }
    #expect(packet.l4Checksum == .unchecked && packet.ipChecksum == .unchecked)
    packet = Packet()
    bad.withUnsafeBytes { strict.decode($0, into: &packet, checksumsVouched: false) }
    #expect(packet.l4Checksum == .invalid)  // the next frame is checked again
    // 2,000 vouched bad frames do not make `.auto` give up: they are not sampled.
    var auto = PacketDecoder(linkType: .ethernet, checksums: .auto)
    for _ in 0..<2000 {
        var vouched = Packet()
        bad.withUnsafeBytes { auto.decode($0, into: &vouched, checksumsVouched: true) }
    }
    #expect(!auto.checksumAutoDisabled)
    var checked = Packet()
    bad.withUnsafeBytes { auto.decode($0, into: &checked) }
    #expect(checked.l4Checksum == .invalid)
}
