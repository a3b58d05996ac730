#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes Tests/WeirDecodeTests/Fixtures.swift: well-formed frames (built with scapy, checksums correct) as Swift
byte arrays with hexdump-style comments. Decoder tests take these and damage single bytes to raise each event.

Run from the repository root with Debian's Python (python3-scapy): /usr/bin/python3 scripts/gen_decode_fixtures.py
"""
import os
import struct

from scapy.all import (ICMP, IP, IPv6, TCP, UDP, Ether, Dot1Q, Dot1AD, Raw, DNS, DNSQR, ICMPv6EchoRequest,
                       ICMPv6DestUnreach, ICMPv6MLReport, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPOption_RR, IPOption_NOP, IPOption_EOL,
                       RouterAlert, Pad1, CookedLinux)

C = "02:00:00:00:00:01"
S = "02:00:00:00:00:02"
V4A, V4B = "192.168.1.10", "10.0.0.80"
V6A, V6B = "2001:db8::10", "2001:db8::80"


def sll2(proto: int, body: bytes) -> bytes:
    # protocol, reserved, ifindex, hatype, pkttype, halen, addr[8]
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, bytes.fromhex("020000000001") + b"\0\0") + body


FIXTURES = {
    # Ethernet, IPv4, TCP SYN with MSS, SACK-permitted, timestamps, NOP, window scale.
    "ethIPv4TCPSyn": Ether(dst=S, src=C) / IP(src=V4A, dst=V4B, id=0x1234, flags="DF", ttl=64)
    / TCP(sport=40000, dport=80, seq=1000, flags="S", window=64240,
          options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456, 0)), ("NOP", None), ("WScale", 7)]),
    # Ethernet, IPv4, TCP with 5 payload bytes and no options.
    "ethIPv4TCPData": Ether(dst=S, src=C) / IP(src=V4A, dst=V4B, id=2, ttl=64)
    / TCP(sport=40000, dport=80, seq=1001, ack=5001, flags="PA", window=502) / Raw(b"GET /"),
    # 802.1Q tag 100, IPv4, UDP DNS query.
    "vlanIPv4UDP": Ether(dst=S, src=C) / Dot1Q(vlan=100) / IP(src=V4A, dst="10.0.0.53", id=3)
    / UDP(sport=53000, dport=53) / DNS(id=0x1111, rd=1, qd=DNSQR(qname="example.com")),
    # 802.1ad outer 200 + 802.1Q inner 300, IPv4, ICMP echo request.
    "qinqIPv4ICMPEcho": Ether(dst=S, src=C) / Dot1AD(vlan=200) / Dot1Q(vlan=300)
    / IP(src=V4A, dst=V4B, id=4) / ICMP(type=8, id=0x4242, seq=7) / Raw(b"pingdata"),
    # IPv4 with options: record route (3 slots), NOP, EOL padding; UDP.
    "ethIPv4OptionsUDP": Ether(dst=S, src=C)
    / IP(src=V4A, dst=V4B, id=5, options=[IPOption_RR(routers=["0.0.0.0", "0.0.0.0"]), IPOption_NOP(), IPOption_EOL()])
    / UDP(sport=1234, dport=5678) / Raw(b"opt"),
    # First IPv4 fragment (MF set) of a UDP datagram.
    "ethIPv4FragmentFirst": Ether(dst=S, src=C) / IP(src=V4A, dst=V4B, id=6, flags="MF", proto=17)
    / Raw(bytes(UDP(sport=1111, dport=2222, len=48, chksum=0)) + b"A" * 16),
    # Ethernet, IPv6, TCP ACK with 4 payload bytes.
    "ethIPv6TCP": Ether(dst=S, src=C) / IPv6(src=V6A, dst=V6B, hlim=64, tc=0x20)
    / TCP(sport=40001, dport=443, seq=7, ack=9, flags="A", window=1000) / Raw(b"\x16\x03\x01\x00"),
    # IPv6 with hop-by-hop (router alert + Pad1s), destination options (router alert), routing type 2, then UDP.
    "ethIPv6ExtUDP": Ether(dst=S, src=C) / IPv6(src=V6A, dst=V6B)
    / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), Pad1(), Pad1()])
    / IPv6ExtHdrDestOpt(options=[RouterAlert(value=1), Pad1(), Pad1()])
    / IPv6ExtHdrRouting(type=2, addresses=["2001:db8::99"], segleft=1)
    / UDP(sport=5000, dport=6000) / Raw(b"ext"),
    # IPv6 fragment header, offset 0 with M set, carrying the start of a UDP datagram.
    "ethIPv6FragmentFirst": Ether(dst=S, src=C) / IPv6(src=V6A, dst=V6B, nh=44)
    / IPv6ExtHdrFragment(nh=17, offset=0, m=1, id=0xabcdef01)
    / Raw(bytes(UDP(sport=7, dport=7, len=40, chksum=0)) + b"B" * 8),
    # IPv6 ICMPv6 echo request.
    "ethIPv6ICMPv6Echo": Ether(dst=S, src=C) / IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=9, seq=10, data=b"hi6"),
    # IPv6 ICMPv6 destination unreachable quoting an IPv6/UDP packet.
    "ethIPv6ICMPv6Unreach": Ether(dst=S, src=C) / IPv6(src=V6B, dst=V6A) / ICMPv6DestUnreach(code=4)
    / IPv6(src=V6A, dst=V6B) / UDP(sport=5353, dport=9999),
    # MLDv1 report with hop limit 1 behind a hop-by-hop router alert.
    "ethIPv6MLD": Ether(dst="33:33:00:00:00:16", src=C) / IPv6(src="fe80::1", dst="ff02::16", hlim=1)
    / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), Pad1(), Pad1()]) / ICMPv6MLReport(mladdr="ff02::fb"),
    # ICMPv4 port unreachable quoting an IPv4/UDP header.
    "ethIPv4ICMPUnreach": Ether(dst=S, src=C) / IP(src=V4B, dst=V4A, id=7) / ICMP(type=3, code=3)
    / IP(src=V4A, dst=V4B, id=99) / UDP(sport=5353, dport=9999),
    # Linux cooked v1, IPv4, UDP.
    "sllIPv4UDP": CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02\0\0\0\0\x01\0\0", proto=0x0800)
    / IP(src=V4A, dst=V4B, id=8) / UDP(sport=9, dport=9) / Raw(b"sll"),
}

RAW = {
    # Linux cooked v2, IPv6, ICMPv6 echo.
    "sll2IPv6ICMPv6": sll2(0x86DD, bytes(IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=1, seq=2))),
    # NULL/loopback written on a little-endian host: AF_INET = 2, IPv4/TCP.
    "nullLEIPv4TCP": struct.pack("<I", 2) + bytes(IP(src="127.0.0.1", dst="127.0.0.1", id=9)
                                                   / TCP(sport=1, dport=2, flags="S")),
    # NULL written on a big-endian host: AF_INET6 (Darwin) = 30, IPv6/UDP.
    "nullBEIPv6UDP": struct.pack(">I", 30) + bytes(IPv6(src="::1", dst="::1") / UDP(sport=3, dport=4)),
    # OpenBSD LOOP: big-endian AF_INET.
    "loopIPv4UDP": struct.pack(">I", 2) + bytes(IP(src="127.0.0.1", dst="127.0.0.1", id=10) / UDP(sport=5, dport=6)),
    # Raw IPv4/UDP and raw IPv6/TCP.
    "rawIPv4UDP": bytes(IP(src=V4A, dst=V4B, id=11) / UDP(sport=7, dport=8) / Raw(b"raw")),
    "rawIPv6TCP": bytes(IPv6(src=V6A, dst=V6B) / TCP(sport=9, dport=10, flags="S")),
}


def swift_array(name: str, data: bytes) -> str:
    lines = [f"    /// {len(data)} bytes.", f"    static let {name}: [UInt8] = ["]
    for off in range(0, len(data), 12):
        chunk = data[off:off + 12]
        hexes = ", ".join(f"0x{b:02x}" for b in chunk)
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"        {hexes},  // {off:04x}  {ascii_}")
    lines.append("    ]")
    return "\n".join(lines)


def main() -> None:
    out = ["// SPDX-License-Identifier: MIT",
           "// Generated by scripts/gen_decode_fixtures.py (scapy); do not edit by hand.",
           "",
           "/// Well-formed frames with correct checksums; tests damage copies of them.",
           "enum Fixtures {"]
    items = [(k, bytes(v)) for k, v in FIXTURES.items()] + list(RAW.items())
    out.append("\n\n".join(swift_array(k, v) for k, v in items))
    out.append("}")
    path = os.path.join("Tests", "WeirDecodeTests", "Fixtures.swift")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {path}: {len(items)} fixtures")


if __name__ == "__main__":
    main()
