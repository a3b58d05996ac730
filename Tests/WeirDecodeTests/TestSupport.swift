// SPDX-License-Identifier: MIT
@testable import WeirDecode

/// Decodes `bytes` with a fresh decoder; returns the packet and the decoder (for its statistics).
func decoded(
    _ bytes: [UInt8],
    link: LinkType = .ethernet,
    checksums: ChecksumValidation = .none
) -> (packet: Packet, decoder: PacketDecoder) {
    var decoder = PacketDecoder(linkType: link, checksums: checksums)
    var packet = Packet()
    packet.captureLength = bytes.count
    packet.wireLength = bytes.count
    bytes.withUnsafeBytes { decoder.decode($0, into: &packet) }
    return (packet, decoder)
}

extension Array where Element == UInt8 {
    /// A copy with `values` written from `offset`.
    func setting(_ offset: Int, _ values: UInt8...) -> [UInt8] {
        var copy = self
        for (index, value) in values.enumerated() { copy[offset + index] = value }
        return copy
    }

    /// A copy with a big-endian 16-bit value at `offset`.
    func setting16(_ offset: Int, _ value: UInt16) -> [UInt8] {
        self.setting(offset, UInt8(value >> 8), UInt8(value & 0xff))
    }

    /// The first `count` bytes.
    func prefix(bytes count: Int) -> [UInt8] { Array(self[0..<count]) }

    /// The big-endian 16-bit value at `offset`.
    func be16(_ offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }

    /// A copy whose IPv4 header checksum (header at `l3`) is recomputed.
    func fixingIPv4Checksum(at l3: Int) -> [UInt8] {
        var copy = self.setting(l3 + 10, 0, 0)
        let headerLength = Int(copy[l3] & 0x0f) * 4
        let sum = copy.withUnsafeBytes { InternetChecksum.partialSum($0, offset: l3, length: headerLength) }
        let checksum = InternetChecksum.checksum(ofSum: sum)
        copy[l3 + 10] = UInt8(checksum >> 8)
        copy[l3 + 11] = UInt8(checksum & 0xff)
        return copy
    }
}

/// An Ethernet + IPv6 frame with the fixture addresses, next header `next` and `payload` after the fixed header
/// (extension headers included); the payload length field matches the payload.
func ipv6Frame(next: UInt8, payload: [UInt8], hopLimit: UInt8 = 64) -> [UInt8] {
    var frame = Array(Fixtures.ethIPv6TCP[0..<54])
    frame[20] = next
    frame[21] = hopLimit
    frame = frame.setting16(18, UInt16(payload.count))
    return frame + payload
}

/// A UDP header (ports 1000 → 2000) with `payload` bytes of payload and checksum 0.
func udpHeader(payload: Int = 0) -> [UInt8] {
    let length = UInt16(8 + payload)
    return [0x03, 0xe8, 0x07, 0xd0, UInt8(length >> 8), UInt8(length & 0xff), 0, 0]
        + [UInt8](repeating: 0x61, count: payload)
}

/// The Ethernet IPv4/TCP data fixture with `options` inserted after the fixed IPv4 header (IHL and total
/// length adjusted; `options.count` must be a multiple of 4).
func ipv4FrameWithOptions(_ options: [UInt8]) -> [UInt8] {
    let base = Fixtures.ethIPv4TCPData
    var frame = Array(base[0..<34]) + options + Array(base[34...])
    frame[14] = 0x40 | UInt8(5 + options.count / 4)
    frame = frame.setting16(16, base.be16(16) + UInt16(options.count))
    return frame
}

/// ``Fixtures/vlanIPv4UDP`` re-tagged: one tag per entry of `tags` (TPID, VLAN id), outermost first, then the same
/// IPv4/UDP packet (its checksums stay valid: tags are not part of them).
func taggedIPv4UDP(_ tags: [(tpid: UInt16, id: UInt16)]) -> [UInt8] {
    var frame = Array(Fixtures.vlanIPv4UDP[0..<12])
    for tag in tags {
        frame += [UInt8(tag.tpid >> 8), UInt8(tag.tpid & 0xff), UInt8(tag.id >> 8), UInt8(tag.id & 0xff)]
    }
    return frame + [0x08, 0x00] + Fixtures.vlanIPv4UDP[18...]
}

/// ``taggedIPv4UDP(_:)`` with 802.1Q tags of the given ids.
func taggedIPv4UDP(ids: [UInt16]) -> [UInt8] { taggedIPv4UDP(ids.map { (0x8100, $0) }) }
