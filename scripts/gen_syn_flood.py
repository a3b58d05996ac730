#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a pcap of a SYN flood: N distinct TCP flows of one SYN each (never committed).

usage: gen_syn_flood.py OUT.pcap --flows 1000000 [--rate 200000]

Each SYN comes from its own (source address, source port) in 10.0.0.0/8 towards 192.0.2.1:80, `--rate`
packets per second of capture time. IPv4 checksums are valid; TCP checksums are zero, so replay with `-k none`.
"""
import argparse
import struct


def ip_checksum(header):
    s = sum(struct.unpack("!10H", header))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--rate", type=int, default=200_000)
    a = ap.parse_args()
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00])
    start = 1_700_000_000
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        chunk = []
        for i in range(a.flows):
            host = i // 50_000  # 50,000 source ports per source address
            port = 10_000 + i % 50_000
            src = bytes([10, (host >> 16) & 0xFF, (host >> 8) & 0xFF, host & 0xFF])
            ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0x4000, 64, 6, 0, src,
                                       bytes([192, 0, 2, 1])))
            ip[10:12] = struct.pack("!H", ip_checksum(bytes(ip)))
            tcp = struct.pack("!HHIIBBHHH", port, 80, i * 7919 & 0xFFFFFFFF, 0, 0x50, 0x02, 64240, 0, 0)
            frame = eth + bytes(ip) + tcp
            usec = i * 1_000_000 // a.rate
            chunk.append(struct.pack("<IIII", start + usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)))
            chunk.append(frame)
            if len(chunk) >= 20_000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))


if __name__ == "__main__":
    main()
