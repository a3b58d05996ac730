#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes pcaps/tunnels/*.pcap: one small capture per tunnel or encapsulation Weir decodes, each carrying the same
inner UDP datagram 10.1.1.1:1234 -> 10.2.2.2:5678 (or its IPv6 twin) with the payload WEIR-INNER-PAYLOAD, so that
one rule on the inner flow fires for every file. Tests/WeirRuntimeTests/TunnelFixtureTests.swift lists what each
file must give (tunnel depth and protocol of the alert, inner 5-tuple of the flow).

Run from the repository root with Debian's Python (python3-scapy): /usr/bin/python3 scripts/gen_tunnel_fixtures.py
"""
import os
import struct

from scapy.all import IP, IPv6, UDP, Ether, GRE, Raw, wrpcap, Dot1Q, fragment
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN
from scapy.layers.ppp import PPPoE, PPPoED, PPP

OUT = "pcaps/tunnels"
PAYLOAD = b"WEIR-INNER-PAYLOAD"
A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"


def inner4():
    return IP(src="10.1.1.1", dst="10.2.2.2", id=77) / UDP(sport=1234, dport=5678) / Raw(PAYLOAD)


def inner6():
    return IPv6(src="2001:db8:1::1", dst="2001:db8:2::2") / UDP(sport=1234, dport=5678) / Raw(PAYLOAD)


def eth(payload, type_=None):
    e = Ether(src=A, dst=B) if type_ is None else Ether(src=A, dst=B, type=type_)
    return e / payload


def outer4(proto=None):
    return IP(src="192.0.2.1", dst="192.0.2.2", id=1) if proto is None else IP(
        src="192.0.2.1", dst="192.0.2.2", id=1, proto=proto)


def outer6(nh=None):
    return IPv6(src="2001:db8:ff::1", dst="2001:db8:ff::2") if nh is None else IPv6(
        src="2001:db8:ff::1", dst="2001:db8:ff::2", nh=nh)


def pptp_gre(ppp: bytes) -> bytes:
    # Enhanced GRE (RFC 2637): K and S set, version 1, protocol PPP, payload length, call id, sequence.
    return struct.pack("!BBHHHI", 0x30, 0x01, 0x880B, len(ppp), 7, 1) + ppp


def erspan2(frame: bytes) -> bytes:
    # Version 1 (type II), VLAN 0, COS 0, encapsulation 0, session id 5, index 0.
    return struct.pack("!HHI", 0x1000, 0x0005, 0) + frame


def geneve(proto: int, inner: bytes) -> bytes:
    # Version 0, no options, protocol, VNI 0x000042.
    return struct.pack("!BBH", 0, 0, proto) + bytes([0, 0, 0x42, 0]) + inner


def nsh(inner: bytes) -> bytes:
    # Version 0, length 6 words (MD type 1), MD type 1, next protocol IPv4, SPI 1 / SI 255, 16 bytes context.
    return struct.pack("!HBBI", 0x0006, 0x01, 0x01, (1 << 8) | 255) + bytes(16) + inner


def sll2(proto: int, body: bytes) -> bytes:
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, bytes.fromhex("020000000001") + b"\0\0") + body


def vxlan_fragments():
    # The inner datagram (48 bytes of UDP payload) in two IPv4 fragments, each in its own VXLAN packet; the
    # payload marker spans the split.
    inner = IP(src="10.1.1.1", dst="10.2.2.2", id=78) / UDP(sport=1234, dport=5678) / Raw(
        b"0123456789abcdefghijklmnWEIR-INNER-PAYLOAD-tail")
    return [eth(outer4() / UDP(sport=50000, dport=4789) / VXLAN(flags=0x08, vni=42) / eth(f))
            for f in fragment(inner, fragsize=32)]


CASES = {
    # name: (frames, link type)
    "gre-ipv4": ([eth(outer4() / GRE() / inner4())], 1),
    "gre-key-seq-ipv6": ([eth(outer4() / GRE(key_present=1, key=0x1234, seqnum_present=1, seqence_number=7)
                              / inner6())], 1),
    "gre-pptp": ([eth(outer4(47) / Raw(pptp_gre(b"\xff\x03\x00\x21" + bytes(inner4()))))], 1),
    "gre-over-ipv6": ([eth(outer6() / GRE() / inner4())], 1),
    "erspan-type1": ([eth(outer4() / GRE(proto=0x88BE) / eth(inner4()))], 1),
    "erspan-type2": ([eth(outer4() / GRE(proto=0x88BE, seqnum_present=1, seqence_number=1)
                          / Raw(erspan2(bytes(eth(inner4())))))], 1),
    "vxlan": ([eth(outer4() / UDP(sport=50000, dport=4789) / VXLAN(flags=0x08, vni=42) / eth(inner4()))], 1),
    "geneve": ([eth(outer4() / UDP(sport=50000, dport=6081) / Raw(geneve(0x6558, bytes(eth(inner4())))))], 1),
    "geneve-ipv4": ([eth(outer4() / UDP(sport=50000, dport=6081) / Raw(geneve(0x0800, bytes(inner4()))))], 1),
    "teredo": ([eth(outer4() / UDP(sport=3544, dport=3544) / inner6())], 1),
    "ipip": ([eth(outer4(4) / inner4())], 1),
    "6in4": ([eth(outer4(41) / inner6())], 1),
    "4in6": ([eth(outer6(4) / inner4())], 1),
    "6in6": ([eth(outer6(41) / inner6())], 1),
    "mpls": ([eth(MPLS(label=100, s=1, ttl=64) / inner4(), 0x8847)], 1),
    "mpls-pseudowire": ([eth(MPLS(label=16, s=0, ttl=64) / MPLS(label=17, s=1, ttl=64)
                             / Raw(bytes(4) + bytes(eth(inner4()))), 0x8847)], 1),
    "pppoe": ([eth(PPPoED(code=0x09, sessionid=0, len=0), 0x8863),
               eth(PPPoE(sessionid=1) / PPP(proto=0x0021) / inner4(), 0x8864)], 1),
    "nsh": ([eth(Raw(nsh(bytes(inner4()))), 0x894F)], 1),
    "vntag": ([eth(Raw(bytes([0x80, 0x01, 0x00, 0x02]) + b"\x08\x00" + bytes(inner4())), 0x8926)], 1),
    "etag": ([eth(Raw(bytes([0x00, 0x00, 0x00, 0x05, 0x00, 0x00]) + b"\x08\x00" + bytes(inner4())), 0x893F)], 1),
    "vlan-gre-vlan": ([eth(Dot1Q(vlan=10) / outer4() / GRE(proto=0x8100) / Dot1Q(vlan=20) / inner4())], 1),
    "vxlan-in-gre": ([eth(outer4() / GRE() / IP(src="198.51.100.1", dst="198.51.100.2")
                          / UDP(sport=50001, dport=4789) / VXLAN(flags=0x08, vni=7) / eth(inner4()))], 1),
    "chdlc": ([Raw(b"\x0f\x00\x08\x00" + bytes(inner4()))], 104),
    "gre-over-ip": ([Raw(bytes(outer4() / GRE() / inner4()))], 778),
    "ppp": ([Raw(b"\xff\x03\x00\x21" + bytes(inner4()))], 9),
    "sll2": ([Raw(sll2(0x0800, bytes(inner4())))], 276),
    "vxlan-fragments": (vxlan_fragments(), 1),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, (frames, linktype) in CASES.items():
        for i, frame in enumerate(frames):
            frame.time = 1_700_000_000 + i
        wrpcap(os.path.join(OUT, name + ".pcap"), frames, linktype=linktype)
    print(f"wrote {len(CASES)} captures to {OUT}/")


if __name__ == "__main__":
    main()
