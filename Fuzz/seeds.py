#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpora for the fuzz targets (written under .build/fuzz/, never committed).

usage: seeds.py frames|files|segments|yaml OUT_DIR [SOURCE_DIR...]
  frames    each record of every pcap/pcapng below the sources, prefixed with the decoder target's link-type
            selector byte (first 2,000 frames per file)
  files     the capture files themselves (up to 256 KiB each), plus a pcapng with an out-of-range timestamp
  segments  hand-made TCP conversations in the stream target's segment format
  yaml      every .yaml below the sources (up to 64 KiB each)
"""
import os
import struct
import sys

# The decoder target's selector: index into its link-type list (null, ethernet, raw12, raw14, loop, raw,
# sll, ipv4, ipv6, sll2).
SELECTOR = {0: 0, 1: 1, 12: 2, 14: 3, 108: 4, 101: 5, 113: 6, 228: 7, 229: 8, 276: 9}


def captures(sources):
    for source in sources:
        for root, _, names in os.walk(source):
            for name in sorted(names):
                if name.endswith((".pcap", ".pcapng", ".cap")):
                    yield os.path.join(root, name)


def classic_records(data):
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield link, data[off + 16:off + 16 + incl]
        off += 16 + incl


def pcapng_records(data):
    off, links, endian = 0, [], "<"
    while off + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        length = struct.unpack(endian + "I", data[off + 4:off + 8])[0]
        if length < 12 or off + length > len(data):
            return
        body = data[off + 8:off + length - 4]
        if btype == 1:
            links.append(struct.unpack(endian + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, _, _, cap, _ = struct.unpack(endian + "IIIII", body[:20])
            if iface < len(links):
                yield links[iface], body[20:20 + cap]
        off += length


def frames(out, sources):
    n = 0
    for path in captures(sources):
        data = open(path, "rb").read()
        records = pcapng_records(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else classic_records(data)
        try:
            for i, (link, frame) in enumerate(records):
                if i >= 2000 or link not in SELECTOR:
                    break
                n += 1
                with open(os.path.join(out, f"f{n}"), "wb") as f:
                    f.write(bytes([SELECTOR[link]]) + frame)
        except struct.error:
            continue
    return n


def files(out, sources):
    n = 0
    for path in captures(sources):
        if os.path.getsize(path) <= 256 << 10:
            n += 1
            with open(path, "rb") as f, open(os.path.join(out, f"c{n}"), "wb") as g:
                g.write(f.read())
    # pcapng with an EPB at 2^63 us (issue 15's crash), as a seed for the time paths.
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
    frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\0" + bytes(46)
    data = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    data += block(1, struct.pack("<HHI", 1, 0, 65535))
    for t in (1_700_000_000_000_000, 1 << 63):
        data += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    with open(os.path.join(out, "epb-2-63"), "wb") as f:
        f.write(data)
    return n + 1


def segments(out, _sources):
    def seg(flags, direction, dseq, dack, payload=b"", window=0xFF):
        return struct.pack(">BBHHBB", flags, direction, dseq, dack, window, len(payload)) + payload
    S, SA, A, PA, FA, R = 0x02, 0x12, 0x10, 0x18, 0x11, 0x04
    hs = seg(S, 0, 0, 0) + seg(SA, 1, 0, 1) + seg(A, 0, 1, 0)
    cases = {
        "handshake-data": hs + seg(PA, 0, 0, 0, b"GET / HTTP/1.1\r\n\r\n") + seg(PA, 1, 1, 18, b"HTTP/1.1 200 OK\r\n\r\n"),
        "overlap": hs + seg(PA, 0, 0, 0, b"AAAAAAAA") + seg(PA, 2, 0, 0, b"BBBBBBBBBBBB") + seg(PA, 0, 4, 0, b"CCCC"),
        "gap": hs + seg(PA, 0, 0, 0, b"x" * 40) + seg(PA, 0, 3000, 0, b"y" * 40),
        "fin-rst": hs + seg(PA, 0, 0, 0, b"data") + seg(FA, 0, 4, 0) + seg(FA, 1, 1, 5) + seg(R, 0, 1, 0),
        "midstream": seg(PA, 0, 0, 0, b"no handshake") + seg(A, 1, 0, 12),
        "syn-flood": b"".join(seg(S, 0, 1 + i, 0) for i in range(20)),
    }
    for mode in (0x00, 0x01, 0x05, 0x0B, 0x80):
        for name, body in cases.items():
            with open(os.path.join(out, f"{name}-{mode:02x}"), "wb") as f:
                f.write(bytes([mode]) + body)
    return len(cases) * 5


def yaml(out, sources):
    n = 0
    for source in sources:
        for root, _, names in os.walk(source):
            for name in sorted(names):
                if name.endswith((".yaml", ".yml")) and os.path.getsize(os.path.join(root, name)) <= 64 << 10:
                    n += 1
                    with open(os.path.join(root, name), "rb") as f, open(os.path.join(out, f"y{n}"), "wb") as g:
                        g.write(f.read())
    with open(os.path.join(out, "set-lines"), "w") as f:
        f.write("stream:\n  midstream: true\n--set flow.memcap=1mb\n--set vars.address-groups.HOME_NET=[10.0.0.0/8]\n")
    return n + 1


def main():
    kind, out, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    n = {"frames": frames, "files": files, "segments": segments, "yaml": yaml}[kind](out, sources)
    print(f"{out}: {n} seeds")


if __name__ == "__main__":
    main()
