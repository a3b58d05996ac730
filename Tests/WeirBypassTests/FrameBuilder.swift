// SPDX-License-Identifier: MIT
import WeirCore

/// Builds test frames byte by byte: Ethernet, VLAN tags, IPv4 (with options and fragment fields), IPv6
/// (with extension headers), TCP, UDP, ICMP. Lengths are consistent unless a test truncates on purpose.
enum FrameBuilder {
    static let srcMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01]
    static let dstMAC: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02]

    /// A VLAN tag: TPID (0x8100 or 0x88a8) and the full 16-bit TCI (PCP, DEI and id).
    struct Tag {
        var tpid: UInt16
        var tci: UInt16
        static func dot1q(_ id: UInt16, pcp: UInt16 = 0) -> Tag { Tag(tpid: 0x8100, tci: pcp << 13 | id) }
        static func dot1ad(_ id: UInt16) -> Tag { Tag(tpid: 0x88a8, tci: id) }
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }

    static func ethernet(tags: [Tag] = [], etherType: UInt16, payload: [UInt8]) -> [UInt8] {
        var out = dstMAC + srcMAC
        for tag in tags { out += be16(tag.tpid) + be16(tag.tci) }
        return out + be16(etherType) + payload
    }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// An IPv4 packet. `flagsAndOffset` is the raw 16-bit field (0x2000 = MF, low 13 bits = offset / 8).
    static func ipv4(
        _ src: String,
        _ dst: String,
        proto: UInt8,
        payload: [UInt8],
        options: [UInt8] = [],
        flagsAndOffset: UInt16 = 0x4000,
        ihlOverride: UInt8? = nil,
        version: UInt8 = 4
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let ihl = ihlOverride ?? UInt8(5 + options.count / 4)
        let total = UInt16(20 + options.count + payload.count)
        var header: [UInt8] = [version << 4 | ihl, 0] + be16(total) + be16(0x1234) + be16(flagsAndOffset)
        header += [64, proto, 0, 0]
        header += IPAddress(src).map { $0.bytes } ?? []
        header += IPAddress(dst).map { $0.bytes } ?? []
        header += options
        let sum = checksum(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xff)
        return header + payload
    }

    /// An IPv6 extension header (hop-by-hop, routing, destination options: 8-octet units; AH: 4-octet).
    struct Extension {
        var type: UInt8
        var body: [UInt8]  // everything after next-header and length

        static func hopByHop(_ length8: Int = 0) -> Extension {
            Extension(type: 0, body: [1, 4, 0, 0, 0, 0] + [UInt8](repeating: 0, count: length8 * 8))  // PadN
        }
        static func routing() -> Extension {
            // Type 0 segments-left 0 plus one reserved word and one address (length 2 = 24 octets).
            Extension(type: 43, body: [0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 16))
        }
        static func destinationOptions(_ length8: Int = 0) -> Extension {
            Extension(type: 60, body: [1, 4, 0, 0, 0, 0] + [UInt8](repeating: 0, count: length8 * 8))
        }
        static func authentication() -> Extension {
            // SPI, sequence, 12 bytes of ICV: 24 octets, payload length (24/4)-2 = 4.
            Extension(type: 51, body: [0, 0] + be32(0x1000) + be32(1) + [UInt8](repeating: 0xaa, count: 12))
        }
        static func fragment(offset: UInt16, more: Bool) -> Extension {
            Extension(type: 44, body: be16(offset << 3 | (more ? 1 : 0)) + be32(0xabcd))
        }
    }

    static func ipv6(_ src: String, _ dst: String, proto: UInt8, payload: [UInt8], extensions: [Extension] = [])
        -> [UInt8]
    {
        var chain: [UInt8] = []
        for (index, ext) in extensions.enumerated() {
            let next = index + 1 < extensions.count ? extensions[index + 1].type : proto
            let total = 2 + ext.body.count
            let lengthField = ext.type == 51 ? UInt8(total / 4 - 2) : (ext.type == 44 ? 0 : UInt8(total / 8 - 1))
            chain += [next, lengthField] + ext.body
        }
        let first = extensions.first?.type ?? proto
        var header: [UInt8] = be32(0x6000_0000) + be16(UInt16(chain.count + payload.count)) + [first, 64]
        header += IPAddress(src).map { $0.bytes } ?? []
        header += IPAddress(dst).map { $0.bytes } ?? []
        return header + chain + payload
    }

    static func tcp(_ sport: UInt16, _ dport: UInt16, flags: UInt8 = 0x02, payload: [UInt8] = [], dataOffset: UInt8 = 5)
        -> [UInt8]
    {
        var out = be16(sport) + be16(dport) + be32(1000) + be32(0)
        out += [dataOffset << 4, flags] + be16(65535) + be16(0) + be16(0)
        return out + payload
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, payload: [UInt8] = [0xde, 0xad, 0xbe, 0xef]) -> [UInt8] {
        be16(sport) + be16(dport) + be16(UInt16(8 + payload.count)) + be16(0) + payload
    }

    static func icmpEcho(type: UInt8 = 8) -> [UInt8] {
        [type, 0, 0, 0] + be16(0x4242) + be16(1) + [UInt8](repeating: 0x61, count: 8)
    }
}
