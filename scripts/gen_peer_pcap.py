#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the peer-comparison workload of issue 18 (never committed), and its 50 content rules.

usage: gen_peer_pcap.py OUT.pcap --packets N [--seed 1] [--rules OUT.rules] [--concurrency 64] [--gap-us 200]

Synthetic HTTP/1.1 sessions, interleaved as a sensor sees them. Each session: a handshake, a GET with a random
three-word URI, a 200 response with a 200-1400 B body (one or two segments), ACKs, and a FIN close. About 20% of
the sessions carry an attack string (`/etc/passwd`, `cmd.exe`, `union select`, ...) in the URI or in the body;
a quarter of those have the string split across two segments. Every IPv4 and TCP checksum is valid. Packets
are `--gap-us` apart (default 200 us: 5,000 packets/s, so closed flows time out and free their stream memory as
on a real link; 10 us crowds 600,000 closed sessions into the default 60 s `closed` timeout and hits the
stream memcap).

The rules (`--rules`): 50 `content` rules, 10 hitting the attack strings, 5 hitting common strings of the
traffic, 35 that never match (several share a prefix with the traffic). Output is deterministic for a seed.

Written for speed (5 M packets in about a minute): headers are packed with struct, checksums summed with array.
"""
import argparse
import array
import random
import struct

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec "
         "romeo sierra tango uniform victor whiskey xray yankee zulu index images static assets news blog shop "
         "cart item user profile search page docs help about contact media video audio feed").split()
ATTACKS = [b"/etc/passwd", b"cmd.exe", b"union select", b"<script>alert(", b"../../../../", b"/bin/sh -c",
           b"xp_cmdshell", b"wget http://", b"base64_decode(", b"DROP TABLE"]
COMMON = [b"nginx", b"curl/7.", b"text/html", b"python-requests/", b"Wget/1."]
NEVER = [b"/etc/shadow", b"cmd.exe.bak", b"union all select", b"nginx/0.1", b"curl/6.", b"HTTP/1.1 500",
         b"Server: Apache", b"text/htmlx", b"GET /admin/", b"POST /login", b"X-Forwarded-For: 10.",
         b"Content-Length: 999999", b"/wp-admin/", b"phpMyAdmin", b"Authorization: Basic", b"\x90\x90\x90\x90",
         b"MZ\x90\x00", b"%PDF-1.", b"PK\x03\x04", b"<?php", b"/bin/bash -i", b"powershell -enc", b"sqlmap/",
         b"Nikto", b"masscan", b"zgrab", b"alpha bravo charlie delta echo", b"index.phpx", b"User-Agent: Mozilla/4",
         b"Host: evil.", b"Cookie: admin=1", b"Set-Cookie: root", b"Transfer-Encoding: gzip,chunked",
         b"HTTP/1.0 302", b"/cgi-bin/test-cgi"]
assert len(ATTACKS) == 10 and len(COMMON) == 5 and len(NEVER) == 35

AGENTS = [b"curl/7.88.1", b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          b"curl/7.74.0", b"Wget/1.21.3", b"python-requests/2.31.0"]
CTYPES = [b"text/html; charset=utf-8", b"application/json", b"text/plain", b"text/html"]


def csum16(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


ETH_C2S = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
ETH_S2C = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
IP_HDR = struct.Struct("!BBHHHBBH4s4s")
TCP_HDR = struct.Struct("!HHIIBBHHH")
PSEUDO = struct.Struct("!4s4sBBH")
REC = struct.Struct("<IIII")
NATIVE16 = struct.Struct("=H")


def frame(src, dst, sport, dport, seq, ack, flags, payload, ident, eth):
    tlen = 20 + len(payload)
    tcp = TCP_HDR.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 64240, 0, 0)
    c = csum16(PSEUDO.pack(src, dst, 0, 6, tlen) + tcp + payload)
    tcp = tcp[:16] + NATIVE16.pack(c) + tcp[18:]
    ip = IP_HDR.pack(0x45, 0, 20 + tlen, ident & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + NATIVE16.pack(csum16(ip)) + ip[12:]
    return eth + ip + tcp + payload


class Session:
    def __init__(self, rng, index):
        self.rng = rng
        self.c = struct.pack("!I", 0x0A000000 | (index % 60000 + 2))
        self.s = struct.pack("!I", 0xC0A80000 | (rng.randrange(1, 250) << 8) | rng.randrange(1, 250))
        self.cp = 1024 + (index * 7919) % 64000
        self.sp = 80
        self.cseq = rng.getrandbits(32)
        self.sseq = rng.getrandbits(32)
        self.steps = self.build()

    def build(self):
        rng = self.rng
        words = [rng.choice(WORDS) for _ in range(3)]
        uri = ("/" + "/".join(words)).encode()
        body = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz  \n") for _ in range(rng.randint(200, 1400)))
        attack = rng.random() < 0.20
        split = False
        where = None
        if attack:
            s = rng.choice(ATTACKS)
            where = "uri" if rng.random() < 0.5 else "body"
            split = rng.random() < 0.25
            if where == "uri":
                uri += b"?q=" + s
            else:
                at = rng.randrange(0, len(body) - len(s))
                body = body[:at] + s + body[at + len(s):]
        agent = rng.choice(AGENTS)
        req = (b"GET " + uri + b" HTTP/1.1\r\nHost: www." + words[0].encode() + b".example\r\nUser-Agent: " + agent +
               b"\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n")
        resp = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: " + rng.choice(CTYPES) +
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\nConnection: keep-alive\r\n\r\n" + body)
        yield ("c", 0x02, b"")
        yield ("s", 0x12, b"")
        yield ("c", 0x10, b"")
        if attack and split and where == "uri":
            cut = req.index(uri) + len(uri) - 4
            yield ("c", 0x10, req[:cut])
            yield ("c", 0x18, req[cut:])
        else:
            yield ("c", 0x18, req)
        yield ("s", 0x10, b"")
        if attack and split and where == "body":
            # cut inside the attack string
            cut = len(resp) - len(body) + at + 3
            segs = [resp[:cut], resp[cut:]]
        else:
            segs = [resp[i:i + 1460] for i in range(0, len(resp), 1460)]
        for i, seg in enumerate(segs):
            yield ("s", 0x18 if i == len(segs) - 1 else 0x10, seg)
        yield ("c", 0x10, b"")
        yield ("c", 0x11, b"")
        yield ("s", 0x11, b"")
        yield ("c", 0x10, b"")

    def frame(self, step, ident):
        d, flags, payload = step
        if d == "c":
            f = frame(self.c, self.s, self.cp, self.sp, self.cseq, 0 if flags == 0x02 else self.sseq, flags, payload,
                      ident, ETH_C2S)
            self.cseq += len(payload) + (1 if flags & 0x03 else 0)
        else:
            f = frame(self.s, self.c, self.sp, self.cp, self.sseq, self.cseq, flags, payload, ident, ETH_S2C)
            self.sseq += len(payload) + (1 if flags & 0x03 else 0)
        return f


def rules_text():
    def lit(b):
        out = []
        for ch in b:
            if 0x20 <= ch < 0x7F and ch not in b'";\\|:':
                out.append(chr(ch))
            else:
                out.append(f"|{ch:02X}|")
        return "".join(out)
    lines = []
    sid = 8800000
    for group, items in (("attack", ATTACKS), ("common", COMMON), ("never", NEVER)):
        for b in items:
            sid += 1
            lines.append(f'alert tcp any any -> any any (msg:"peer {group} {sid}"; flow:established; '
                         f'content:"{lit(b)}"; sid:{sid}; rev:1;)')
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--packets", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rules")
    ap.add_argument("--gap-us", type=int, default=200)
    args = ap.parse_args()
    if args.rules:
        with open(args.rules, "w") as f:
            f.write(rules_text())
    rng = random.Random(args.seed)
    out = open(args.out + ".tmp", "wb", buffering=1 << 20)
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    active = []
    made = 0
    packets = 0
    ts_us = 1_700_000_000 * 1_000_000
    ident = 1
    pick = rng.randrange
    while packets < args.packets:
        while len(active) < args.concurrency:
            active.append(Session(rng, made))
            made += 1
        i = pick(len(active))
        sess = active[i]
        step = next(sess.steps, None)
        if step is None:
            active[i] = active[-1]
            active.pop()
            continue
        f = sess.frame(step, ident)
        ident += 1
        ts_us += args.gap_us
        out.write(REC.pack(ts_us // 1_000_000, ts_us % 1_000_000, len(f), len(f)))
        out.write(f)
        packets += 1
    out.close()
    import os
    os.replace(args.out + ".tmp", args.out)


if __name__ == "__main__":
    main()
