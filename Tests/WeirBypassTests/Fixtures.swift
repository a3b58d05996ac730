// SPDX-License-Identifier: MIT
import WeirBypass
import WeirCore
import WeirFlow

/// One row of the BPF_PROG_TEST_RUN tables: a frame, the counter its miss must land in, and (when the kernel
/// can bypass it) the normalised flow key and direction the kernel must hit.
struct Fixture: CustomStringConvertible, Sendable {
    let name: String
    let frame: [UInt8]
    /// Where the packet is counted when no flow is in the table.
    let outcome: BypassStatistic
    /// The key the kernel must hit, when bypassable.
    let flow: FlowKey?
    /// 0: the packet's source is the key's first endpoint; 1: the reverse.
    let direction: Int
    /// For rows the kernel must NOT bypass: a key resembling the packet's tuple; inserting it must change
    /// nothing (a fragment's addresses with ports 0, for instance).
    let decoy: FlowKey?

    var description: String { self.name }

    /// BPF_PROG_TEST_RUN refuses (EINVAL) skb frames whose untagged IPv4/IPv6 header is shorter than its
    /// fixed size, so the socket filter cannot be run on them there; a live socket can still get them.
    var skbHarnessRefuses: Bool {
        guard self.frame.count >= 14 else { return true }
        let type = UInt16(self.frame[12]) << 8 | UInt16(self.frame[13])
        return (type == 0x0800 && self.frame.count - 14 < 20) || (type == 0x86dd && self.frame.count - 14 < 40)
    }

    init(
        _ name: String,
        _ frame: [UInt8],
        _ outcome: BypassStatistic,
        flow: (FlowKey, Int)? = nil,
        decoy: FlowKey? = nil
    ) {
        self.name = name
        self.frame = frame
        self.outcome = outcome
        self.flow = flow?.0
        self.direction = flow?.1 ?? 0
        self.decoy = decoy
    }
}

/// The normalised key written independently of the kernel and of FlowKey.make: the endpoint with the lower
/// (address, port) comes first.
func tuple(
    _ src: String,
    _ sport: UInt16,
    _ dst: String,
    _ dport: UInt16,
    _ proto: UInt8,
    vlan: (UInt16, UInt16) = (0, 0)
) -> (FlowKey, Int) {
    let s = IPAddress(src) ?? .zeroV4
    let d = IPAddress(dst) ?? .zeroV4
    let sourceFirst = (s.high, s.low, sport) <= (d.high, d.low, dport)
    let key = FlowKey(
        firstAddress: sourceFirst ? s : d,
        secondAddress: sourceFirst ? d : s,
        firstPort: sourceFirst ? sport : dport,
        secondPort: sourceFirst ? dport : sport,
        proto: proto,
        vlan0: vlan.0,
        vlan1: vlan.1
    )
    return (key, sourceFirst ? 0 : 1)
}

typealias F = FrameBuilder

let tcpProto = IPProtocol.tcp
let udpProto = IPProtocol.udp

/// The fixture table: untagged, 802.1Q, QinQ, IPv4 options and fragments, IPv6 extension headers and
/// fragments, TCP, UDP, ICMP, truncated and non-IP frames.
let fixtures: [Fixture] = [
    // --- untagged IPv4
    Fixture(
        "v4 tcp syn, source first",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.0.0.1", "10.0.0.2", proto: 6, payload: F.tcp(40000, 80))),
        .hitV4,
        flow: tuple("10.0.0.1", 40000, "10.0.0.2", 80, tcpProto)
    ),
    Fixture(
        "v4 tcp reply, destination first",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.0.0.2", "10.0.0.1", proto: 6, payload: F.tcp(80, 40000, flags: 0x12))
        ),
        .hitV4,
        flow: tuple("10.0.0.2", 80, "10.0.0.1", 40000, tcpProto)
    ),
    Fixture(
        "v4 udp dns to a lower address",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("192.168.1.10", "192.168.1.1", proto: 17, payload: F.udp(5353, 53))
        ),
        .hitV4,
        flow: tuple("192.168.1.10", 5353, "192.168.1.1", 53, udpProto)
    ),
    Fixture(
        "v4 tcp same address, ports decide",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.0.0.5", "10.0.0.5", proto: 6, payload: F.tcp(9000, 8000))),
        .hitV4,
        flow: tuple("10.0.0.5", 9000, "10.0.0.5", 8000, tcpProto)
    ),
    Fixture(
        "v4 high addresses compare unsigned",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("200.1.1.1", "100.1.1.1", proto: 17, payload: F.udp(1, 2))),
        .hitV4,
        flow: tuple("200.1.1.1", 1, "100.1.1.1", 2, udpProto)
    ),
    Fixture(
        "v4 icmp echo",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.0.0.1", "10.0.0.9", proto: 1, payload: F.icmpEcho())),
        .hitV4,
        flow: tuple("10.0.0.1", 0, "10.0.0.9", 0, IPProtocol.icmp)
    ),
    Fixture(
        "v4 icmp echo reply",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.0.0.9", "10.0.0.1", proto: 1, payload: F.icmpEcho(type: 0))),
        .hitV4,
        flow: tuple("10.0.0.9", 0, "10.0.0.1", 0, IPProtocol.icmp)
    ),
    Fixture(
        "v4 options ihl 6, tcp",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.1.0.1", "10.1.0.2", proto: 6, payload: F.tcp(1234, 443), options: [1, 1, 1, 0])
        ),
        .hitV4,
        flow: tuple("10.1.0.1", 1234, "10.1.0.2", 443, tcpProto)
    ),
    Fixture(
        "v4 options ihl 15, udp",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4(
                "10.1.0.3",
                "10.1.0.4",
                proto: 17,
                payload: F.udp(7000, 7001),
                options: [UInt8](repeating: 1, count: 39) + [0]
            )
        ),
        .hitV4,
        flow: tuple("10.1.0.3", 7000, "10.1.0.4", 7001, udpProto)
    ),
    Fixture(
        "v4 tcp with DF only is not a fragment",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.2.0.1", "10.2.0.2", proto: 6, payload: F.tcp(5000, 22), flagsAndOffset: 0x4000)
        ),
        .hitV4,
        flow: tuple("10.2.0.1", 5000, "10.2.0.2", 22, tcpProto)
    ),
    Fixture(
        "v4 tcp port zero",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.2.0.3", "10.2.0.4", proto: 6, payload: F.tcp(0, 0))),
        .hitV4,
        flow: tuple("10.2.0.3", 0, "10.2.0.4", 0, tcpProto)
    ),
    Fixture(
        "v4 first fragment (MF)",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.3.0.1", "10.3.0.2", proto: 6, payload: F.tcp(1111, 80), flagsAndOffset: 0x2000)
        ),
        .fragment,
        decoy: tuple("10.3.0.1", 1111, "10.3.0.2", 80, tcpProto).0
    ),
    Fixture(
        "v4 later fragment (offset 1480)",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.3.0.1", "10.3.0.2", proto: 6, payload: F.tcp(1111, 80), flagsAndOffset: 185)
        ),
        .fragment,
        decoy: tuple("10.3.0.1", 1111, "10.3.0.2", 80, tcpProto).0
    ),
    Fixture(
        "v4 last fragment with DF garbage",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.3.0.3", "10.3.0.4", proto: 17, payload: F.udp(53, 53), flagsAndOffset: 0x4000 | 10)
        ),
        .fragment,
        decoy: tuple("10.3.0.3", 53, "10.3.0.4", 53, udpProto).0
    ),
    Fixture(
        "v4 ihl 4 is malformed",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.4.0.1", "10.4.0.2", proto: 6, payload: F.tcp(1, 2), ihlOverride: 4)
        ),
        .parseError,
        decoy: tuple("10.4.0.1", 1, "10.4.0.2", 2, tcpProto).0
    ),
    Fixture(
        "v4 ethertype with version 5",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.4.0.3", "10.4.0.4", proto: 6, payload: F.tcp(1, 2), version: 5)
        ),
        .parseError
    ),
    Fixture(
        "v4 tcp header truncated",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.4.0.5", "10.4.0.6", proto: 6, payload: Array(F.tcp(3, 4).prefix(10)))
        ),
        .parseError,
        decoy: tuple("10.4.0.5", 0, "10.4.0.6", 0, tcpProto).0
    ),
    Fixture(
        "v4 tcp data offset 4",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4("10.4.0.7", "10.4.0.8", proto: 6, payload: F.tcp(5, 6, dataOffset: 4))
        ),
        .parseError,
        decoy: tuple("10.4.0.7", 5, "10.4.0.8", 6, tcpProto).0
    ),
    Fixture(
        "v4 udp header truncated",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.4.0.9", "10.4.0.10", proto: 17, payload: [0, 53, 0, 53])),
        .parseError,
        decoy: tuple("10.4.0.9", 53, "10.4.0.10", 53, udpProto).0
    ),
    Fixture(
        "v4 header truncated",
        Array(
            F.ethernet(etherType: 0x0800, payload: F.ipv4("10.4.0.11", "10.4.0.12", proto: 6, payload: F.tcp(1, 2)))
                .prefix(14 + 12)
        ),
        .parseError
    ),
    Fixture(
        "v4 gre is left to user space",
        F.ethernet(
            etherType: 0x0800,
            payload: F.ipv4(
                "10.5.0.1",
                "10.5.0.2",
                proto: 47,
                payload: [0, 0, 0x08, 0x00] + [UInt8](repeating: 0, count: 20)
            )
        ),
        .otherTransport,
        decoy: tuple("10.5.0.1", 0, "10.5.0.2", 0, 47).0
    ),
    Fixture(
        "v4 sctp is left to user space",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.5.0.3", "10.5.0.4", proto: 132, payload: F.udp(1, 2))),
        .otherTransport
    ),
    // --- IPv6
    Fixture(
        "v6 tcp",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8::1", "2001:db8::2", proto: 6, payload: F.tcp(50000, 443))
        ),
        .hitV6,
        flow: tuple("2001:db8::1", 50000, "2001:db8::2", 443, tcpProto)
    ),
    Fixture(
        "v6 udp from the higher address",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8:ffff::9", "2001:db8::1", proto: 17, payload: F.udp(4000, 53))
        ),
        .hitV6,
        flow: tuple("2001:db8:ffff::9", 4000, "2001:db8::1", 53, udpProto)
    ),
    Fixture(
        "v6 addresses differing in the last word",
        F.ethernet(etherType: 0x86dd, payload: F.ipv6("fe80::1:2", "fe80::1:1", proto: 6, payload: F.tcp(22, 60000))),
        .hitV6,
        flow: tuple("fe80::1:2", 22, "fe80::1:1", 60000, tcpProto)
    ),
    Fixture(
        "v6 hop-by-hop, udp",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::a",
                "2001:db8::b",
                proto: 17,
                payload: F.udp(546, 547),
                extensions: [.hopByHop()]
            )
        ),
        .hitV6,
        flow: tuple("2001:db8::a", 546, "2001:db8::b", 547, udpProto)
    ),
    Fixture(
        "v6 routing header, tcp",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::c",
                "2001:db8::d",
                proto: 6,
                payload: F.tcp(1000, 2000),
                extensions: [.routing()]
            )
        ),
        .hitV6,
        flow: tuple("2001:db8::c", 1000, "2001:db8::d", 2000, tcpProto)
    ),
    Fixture(
        "v6 destination options (24 octets), tcp",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::e",
                "2001:db8::f",
                proto: 6,
                payload: F.tcp(3000, 4000),
                extensions: [.destinationOptions(2)]
            )
        ),
        .hitV6,
        flow: tuple("2001:db8::e", 3000, "2001:db8::f", 4000, tcpProto)
    ),
    Fixture(
        "v6 hop-by-hop + dest-opts + routing, udp",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::10",
                "2001:db8::11",
                proto: 17,
                payload: F.udp(10, 20),
                extensions: [.hopByHop(1), .destinationOptions(), .routing()]
            )
        ),
        .hitV6,
        flow: tuple("2001:db8::10", 10, "2001:db8::11", 20, udpProto)
    ),
    Fixture(
        "v6 authentication header, tcp",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::12",
                "2001:db8::13",
                proto: 6,
                payload: F.tcp(179, 40000),
                extensions: [.authentication()]
            )
        ),
        .hitV6,
        flow: tuple("2001:db8::12", 179, "2001:db8::13", 40000, tcpProto)
    ),
    Fixture(
        "v6 icmpv6 echo",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8::20", "2001:db8::21", proto: 58, payload: F.icmpEcho(type: 128))
        ),
        .hitV6,
        flow: tuple("2001:db8::20", 0, "2001:db8::21", 0, IPProtocol.icmpv6)
    ),
    Fixture(
        "v6 first fragment",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::30",
                "2001:db8::31",
                proto: 6,
                payload: F.tcp(1, 2),
                extensions: [.fragment(offset: 0, more: true)]
            )
        ),
        .fragment,
        decoy: tuple("2001:db8::30", 1, "2001:db8::31", 2, tcpProto).0
    ),
    Fixture(
        "v6 later fragment after hop-by-hop",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::30",
                "2001:db8::31",
                proto: 6,
                payload: [UInt8](repeating: 0, count: 16),
                extensions: [.hopByHop(), .fragment(offset: 100, more: false)]
            )
        ),
        .fragment,
        decoy: tuple("2001:db8::30", 0, "2001:db8::31", 0, tcpProto).0
    ),
    Fixture(
        "v6 seven destination-option headers exceed the walk",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::40",
                "2001:db8::41",
                proto: 17,
                payload: F.udp(1, 2),
                extensions: Array(repeating: .destinationOptions(), count: 7)
            )
        ),
        .ipv6ExtensionChain,
        decoy: tuple("2001:db8::40", 1, "2001:db8::41", 2, udpProto).0
    ),
    Fixture(
        "v6 six extension headers are walked",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::42",
                "2001:db8::43",
                proto: 17,
                payload: F.udp(3, 4),
                extensions: Array(repeating: .destinationOptions(), count: 6)
            )
        ),
        .hitV6,
        flow: tuple("2001:db8::42", 3, "2001:db8::43", 4, udpProto)
    ),
    Fixture(
        "v6 header truncated",
        Array(
            F.ethernet(
                etherType: 0x86dd,
                payload: F.ipv6("2001:db8::50", "2001:db8::51", proto: 6, payload: F.tcp(1, 2))
            ).prefix(14 + 20)
        ),
        .parseError
    ),
    Fixture(
        "v6 extension header truncated",
        Array(
            F.ethernet(
                etherType: 0x86dd,
                payload: F.ipv6(
                    "2001:db8::52",
                    "2001:db8::53",
                    proto: 6,
                    payload: F.tcp(1, 2),
                    extensions: [.hopByHop(2)]
                )
            ).prefix(14 + 40 + 12)
        ),
        .parseError
    ),
    Fixture(
        "v6 esp is left to user space",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8::54", "2001:db8::55", proto: 50, payload: [UInt8](repeating: 7, count: 24))
        ),
        .otherTransport
    ),
    Fixture(
        "v6 no next header",
        F.ethernet(etherType: 0x86dd, payload: F.ipv6("2001:db8::56", "2001:db8::57", proto: 59, payload: [])),
        .otherTransport
    ),
    // --- VLAN
    Fixture(
        "802.1Q id 100, v4 tcp",
        F.ethernet(
            tags: [.dot1q(100)],
            etherType: 0x0800,
            payload: F.ipv4("10.6.0.1", "10.6.0.2", proto: 6, payload: F.tcp(33000, 80))
        ),
        .hitV4,
        flow: tuple("10.6.0.1", 33000, "10.6.0.2", 80, tcpProto, vlan: (100, 0))
    ),
    Fixture(
        "802.1Q id 0x123 (byte-order trap), v6 tcp",
        F.ethernet(
            tags: [.dot1q(0x123)],
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8::60", "2001:db8::61", proto: 6, payload: F.tcp(1, 2))
        ),
        .hitV6,
        flow: tuple("2001:db8::60", 1, "2001:db8::61", 2, tcpProto, vlan: (0x123, 0))
    ),
    Fixture(
        "802.1Q id 4095 with PCP 7, v4 udp",
        F.ethernet(
            tags: [.dot1q(4095, pcp: 7)],
            etherType: 0x0800,
            payload: F.ipv4("10.6.0.3", "10.6.0.4", proto: 17, payload: F.udp(1, 2))
        ),
        .hitV4,
        flow: tuple("10.6.0.3", 1, "10.6.0.4", 2, udpProto, vlan: (4095, 0))
    ),
    Fixture(
        "QinQ 802.1ad 200 / 802.1Q 300, v4 tcp",
        F.ethernet(
            tags: [.dot1ad(200), .dot1q(300)],
            etherType: 0x0800,
            payload: F.ipv4("10.6.0.5", "10.6.0.6", proto: 6, payload: F.tcp(1024, 25))
        ),
        .hitV4,
        flow: tuple("10.6.0.5", 1024, "10.6.0.6", 25, tcpProto, vlan: (200, 300))
    ),
    Fixture(
        "QinQ 802.1Q 10 / 802.1Q 20, v6 udp",
        F.ethernet(
            tags: [.dot1q(10), .dot1q(20)],
            etherType: 0x86dd,
            payload: F.ipv6("2001:db8::70", "2001:db8::71", proto: 17, payload: F.udp(5, 6))
        ),
        .hitV6,
        flow: tuple("2001:db8::70", 5, "2001:db8::71", 6, udpProto, vlan: (10, 20))
    ),
    Fixture(
        "QinQ 802.1ad 1 / 802.1Q 2, v4 icmp",
        F.ethernet(
            tags: [.dot1ad(1), .dot1q(2)],
            etherType: 0x0800,
            payload: F.ipv4("10.6.0.7", "10.6.0.8", proto: 1, payload: F.icmpEcho())
        ),
        .hitV4,
        flow: tuple("10.6.0.7", 0, "10.6.0.8", 0, IPProtocol.icmp, vlan: (1, 2))
    ),
    Fixture(
        "QinQ first v4 fragment",
        F.ethernet(
            tags: [.dot1ad(5), .dot1q(6)],
            etherType: 0x0800,
            payload: F.ipv4("10.6.0.9", "10.6.0.10", proto: 17, payload: F.udp(1, 2), flagsAndOffset: 0x2000)
        ),
        .fragment,
        decoy: tuple("10.6.0.9", 1, "10.6.0.10", 2, udpProto, vlan: (5, 6)).0
    ),
    Fixture(
        "three tags exceed the depth",
        F.ethernet(
            tags: [.dot1ad(1), .dot1q(2), .dot1q(3)],
            etherType: 0x0800,
            payload: F.ipv4("10.6.0.11", "10.6.0.12", proto: 6, payload: F.tcp(1, 2))
        ),
        .vlanDepth,
        decoy: tuple("10.6.0.11", 1, "10.6.0.12", 2, tcpProto, vlan: (1, 2)).0
    ),
    Fixture(
        "VLAN tag truncated",
        Array(F.ethernet(tags: [.dot1q(7)], etherType: 0x0800, payload: []).prefix(16)),
        .parseError
    ),
    Fixture(
        "untagged frame does not hit the tagged flow",
        F.ethernet(etherType: 0x0800, payload: F.ipv4("10.6.0.1", "10.6.0.2", proto: 6, payload: F.tcp(33000, 80))),
        .hitV4,
        flow: tuple("10.6.0.1", 33000, "10.6.0.2", 80, tcpProto),
        decoy: tuple("10.6.0.1", 33000, "10.6.0.2", 80, tcpProto, vlan: (100, 0)).0
    ),
    Fixture(
        "v6 atomic fragment (offset 0, M clear)",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::80",
                "2001:db8::81",
                proto: 6,
                payload: F.tcp(1, 2),
                extensions: [.fragment(offset: 0, more: false)]
            )
        ),
        .fragment,
        decoy: tuple("2001:db8::80", 1, "2001:db8::81", 2, tcpProto).0
    ),
    Fixture(
        "v6 mobility header is not walked",
        F.ethernet(
            etherType: 0x86dd,
            payload: F.ipv6(
                "2001:db8::82",
                "2001:db8::83",
                proto: 6,
                payload: F.tcp(1, 2),
                extensions: [FrameBuilder.Extension(type: 135, body: [UInt8](repeating: 0, count: 6))]
            )
        ),
        .otherTransport,
        decoy: tuple("2001:db8::82", 1, "2001:db8::83", 2, tcpProto).0
    ),
    // --- not IP, short
    Fixture(
        "ARP request",
        F.ethernet(
            etherType: 0x0806,
            payload: [0, 1, 8, 0, 6, 4, 0, 1] + F.srcMAC + [10, 0, 0, 1] + [0, 0, 0, 0, 0, 0] + [10, 0, 0, 2]
        ),
        .notIP
    ),
    Fixture("LLDP", F.ethernet(etherType: 0x88cc, payload: [UInt8](repeating: 0, count: 46)), .notIP),
    Fixture(
        "802.1Q ARP",
        F.ethernet(tags: [.dot1q(9)], etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28)),
        .notIP
    ),
    Fixture("Ethernet header only, IPv4 type", F.ethernet(etherType: 0x0800, payload: []), .parseError),
    Fixture("Ethernet header only, IPv6 type", F.ethernet(etherType: 0x86dd, payload: []), .parseError),
]
