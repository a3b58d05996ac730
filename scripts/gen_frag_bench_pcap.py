#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a benchmark capture in which a given share of the packets (default 10%) are IPv4 fragments.

Traffic: TCP and UDP packets of 64 to 1,400 bytes between 2,000 host pairs, and UDP datagrams of 2,000 to 4,400
bytes sent as two or three fragments (some out of order). Checksums are left 0 (replay with -k none).
    usage: gen_frag_bench_pcap.py OUT.pcap [--packets N] [--fragment-share 0.10] [--seed 1]
"""
import argparse
import random
import struct


def ip4(src, dst, proto, ident, flags_offset, payload):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, flags_offset, 64, proto, 0, src, dst) + payload


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--packets", type=int, default=300_000)
    parser.add_argument("--fragment-share", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    hosts = [(bytes([10, 1, i >> 8, i & 0xff]), bytes([10, 2, i >> 8, i & 0xff])) for i in range(2000)]
    blob = bytes(rng.getrandbits(8) for _ in range(8192))
    written = fragments = 0
    ident = 0
    t = 1_700_000_000.0
    with open(args.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(frame):
            nonlocal written, t
            t += 0.00001
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(frame), len(frame)) + frame)
            written += 1

        while written < args.packets:
            src, dst = rng.choice(hosts)
            if fragments < args.fragment_share * (written + 1):
                ident = (ident + 1) & 0xFFFF
                size = rng.randrange(2000, 4400)
                start = rng.randrange(0, 8192 - size)
                datagram = struct.pack("!HHHH", 5000, 6000, 8 + size, 0) + blob[start:start + size]
                pieces = []
                offset = 0
                while offset < len(datagram):
                    chunk = datagram[offset:offset + 1480]
                    more = offset + 1480 < len(datagram)
                    pieces.append(ip4(src, dst, 17, ident, (0x2000 if more else 0) | (offset // 8), chunk))
                    offset += 1480
                if rng.random() < 0.3:
                    pieces.reverse()
                for piece in pieces:
                    put(eth + piece)
                    fragments += 1
            else:
                size = rng.randrange(10, 1360)
                start = rng.randrange(0, 8192 - size)
                if rng.random() < 0.6:
                    segment = struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, 0x18, 65535, 0, 0)
                    put(eth + ip4(src, dst, 6, 1, 0x4000, segment + blob[start:start + size]))
                else:
                    put(eth + ip4(src, dst, 17, 1, 0x4000,
                                  struct.pack("!HHHH", 5353, 53, 8 + size, 0) + blob[start:start + size]))
    print(f"{args.out}: {written} packets, {fragments} fragments ({fragments / written:.1%})")


if __name__ == "__main__":
    main()
