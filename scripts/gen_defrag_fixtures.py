#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes pcaps/defrag/*.pcap for the reassembly tests.

- novak-ipv4.pcap, novak-ipv6.pcap: the overlap pattern of Novak's "Target-Based Fragmentation Reassembly"
  (as Suricata's defrag tests use it): nine fragments A..I laid out with holes, then eight that overlap them
  (J..P), then the last one (Q). Fragment n carries only its letter. Tests/WeirDecodeTests/DefragTests.swift
  asserts the datagram each policy rebuilds, byte for byte.
- udp-split.pcap: one UDP datagram over IPv4 in two fragments, the rule's content across the split; one over
  IPv6 in three fragments sent out of order with a duplicate; an IPv6 fragment chain behind a hop-by-hop
  header; and an atomic IPv6 fragment. Tests/WeirRuntimeTests/DefragPipelineTests.swift replays it.

Run from the repository root with Debian's Python (python3-scapy): /usr/bin/python3 scripts/gen_defrag_fixtures.py
"""
import os

from scapy.all import IP, IPv6, UDP, Ether, Raw, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, wrpcap, fragment

OUT = "pcaps/defrag"
A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"

# (letter, byte offset, length, more fragments)
NOVAK = [
    ("A", 0, 24, 1), ("B", 32, 16, 1), ("C", 48, 24, 1), ("D", 80, 8, 1), ("E", 104, 16, 1), ("F", 120, 24, 1),
    ("G", 144, 16, 1), ("H", 160, 16, 1), ("I", 176, 8, 1),
    ("J", 8, 32, 1), ("K", 48, 24, 1), ("L", 72, 24, 1), ("M", 96, 24, 1), ("N", 128, 8, 1), ("O", 152, 8, 1),
    ("P", 160, 8, 1), ("Q", 176, 16, 0),
]


def novak4():
    frames = []
    for letter, offset, length, more in NOVAK:
        ip = IP(src="10.0.0.1", dst="10.0.0.2", id=1, proto=1, flags="MF" if more else 0, frag=offset // 8)
        frames.append(Ether(src=A, dst=B) / ip / Raw(letter.encode() * length))
    return frames


def novak6():
    frames = []
    for letter, offset, length, more in NOVAK:
        frames.append(Ether(src=A, dst=B) / IPv6(src="2001:db8::1", dst="2001:db8::2")
                      / IPv6ExtHdrFragment(nh=58, id=1, offset=offset // 8, m=more) / Raw(letter.encode() * length))
    return frames


def udp_split():
    frames = []
    # IPv4: 8-byte UDP header + 40 bytes; the first fragment ends in the middle of the content.
    payload = b"0123456789abcdefWEIR-FRAG" + b"MENTED-CONTENT" + b"0" * 1
    datagram = IP(src="10.9.0.1", dst="10.9.0.2", id=4242) / UDP(sport=3333, dport=4444) / Raw(payload)
    frames += [Ether(src=A, dst=B) / f for f in fragment(datagram, fragsize=32)]
    # IPv6: three fragments, sent 3, 1, 1 (duplicate), 2.
    payload6 = b"v6-prefix-bytes-" + b"WEIR-FRAGMENTED-CONTENT" + b"-and-some-trailing-bytes"
    udp6 = bytes(UDP(sport=3333, dport=4444) / Raw(payload6))
    # Checksum over the whole datagram: let scapy compute it on the unfragmented packet.
    full6 = IPv6(src="2001:db8:9::1", dst="2001:db8:9::2") / UDP(sport=3333, dport=4444) / Raw(payload6)
    udp6 = bytes(full6[UDP])
    pieces = [udp6[0:24], udp6[24:48], udp6[48:]]
    offsets = [0, 24, 48]
    frags = []
    for i, (piece, off) in enumerate(zip(pieces, offsets)):
        frags.append(Ether(src=A, dst=B) / IPv6(src="2001:db8:9::1", dst="2001:db8:9::2")
                     / IPv6ExtHdrFragment(nh=17, id=0x5151, offset=off // 8, m=0 if i == 2 else 1) / Raw(piece))
    frames += [frags[2], frags[0], frags[0], frags[1]]
    # IPv6 behind a hop-by-hop header (unfragmentable part), two fragments.
    full6b = IPv6(src="2001:db8:9::3", dst="2001:db8:9::4") / UDP(sport=3334, dport=4444) / Raw(
        b"hop-by-hop-then-WEIR-FRAGMENTED-CONTENT")
    udp6b = bytes(full6b[UDP])
    for i, (piece, off) in enumerate([(udp6b[0:16], 0), (udp6b[16:], 16)]):
        frames.append(Ether(src=A, dst=B) / IPv6(src="2001:db8:9::3", dst="2001:db8:9::4") / IPv6ExtHdrHopByHop()
                      / IPv6ExtHdrFragment(nh=17, id=0x6161, offset=off // 8, m=1 - i) / Raw(piece))
    # An atomic fragment (offset 0, M clear): not reassembled, decoded as it is.
    full6c = IPv6(src="2001:db8:9::5", dst="2001:db8:9::6") / UDP(sport=3335, dport=4444) / Raw(
        b"atomic WEIR-FRAGMENTED-CONTENT")
    frames.append(Ether(src=A, dst=B) / IPv6(src="2001:db8:9::5", dst="2001:db8:9::6")
                  / IPv6ExtHdrFragment(nh=17, id=0x7171, offset=0, m=0) / Raw(bytes(full6c[UDP])))
    return frames


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, frames in [("novak-ipv4", novak4()), ("novak-ipv6", novak6()), ("udp-split", udp_split())]:
        for i, frame in enumerate(frames):
            frame.time = 1_700_000_000 + i * 0.001
        wrpcap(os.path.join(OUT, name + ".pcap"), frames)
    print(f"wrote 3 captures to {OUT}/")


if __name__ == "__main__":
    main()
