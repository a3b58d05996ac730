#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a large pcap of realistic mixed traffic for benchmarks (never committed).

usage: gen_bench_pcap.py OUT.pcap [--size-mb 200] [--mix mixed|tcp] [--seed 1]

The capture interleaves many concurrent conversations, as a sensor sees them:
  - HTTP/1.1 sessions: handshake, requests with realistic headers, responses with text/HTML/JSON bodies split
    into MSS-sized segments, ACKs, FIN close;
  - TLS-like sessions on 443: ClientHello with SNI, ServerHello, then application-data records of random bytes;
  - DNS queries and answers over UDP 53;
  - binary TCP transfers (random bytes) on high ports;
  - ICMP echo.
Every IPv4 header and TCP/UDP/ICMP checksum is valid, so checksum validation stays on. Output is deterministic
for a given seed. `--mix tcp` keeps only TCP sessions (for the stream-engine benchmark).
"""
import argparse
import array
import random
import struct
import sys

WORDS = ("the quick brown fox jumps over lazy dog lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
         "eiusmod tempor incididunt ut labore et dolore magna aliqua server client request response session "
         "token account login password admin index html json script style content type length cache").split()
HOSTS = ["www.example.com", "api.example.net", "cdn.static-files.org", "mail.corp.local", "update.vendor.io",
         "login.portal.example", "images.photos.example", "news.daily.example"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
          "curl/8.5.0", "python-requests/2.31.0", "Wget/1.21.3"]
PATHS = ["/", "/index.html", "/api/v1/items", "/static/app.js", "/images/logo.png", "/login", "/search?q=weir",
         "/news/2024/article-1234.html", "/download/setup.exe", "/testmyids"]


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.bytes = 24
        self.packets = 0

    def write(self, ts, frame):
        sec = int(ts)
        usec = int((ts - sec) * 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)
        self.bytes += 16 + len(frame)
        self.packets += 1


def eth(src_mac, dst_mac, l3):
    return dst_mac + src_mac + b"\x08\x00" + l3


def ipv4(src, dst, proto, payload, ident, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl, proto, 0, src, dst)
    c = csum(hdr)
    # array('H') sums in native (little-endian) order; the result is already in network byte order when stored
    # back with native packing.
    hdr = hdr[:10] + struct.pack("=H", c) + hdr[12:]
    return hdr + payload


def l4sum(src, dst, proto, seg):
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", win=64240):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, win, 0, 0)
    seg = hdr + payload
    c = l4sum(src, dst, 6, seg)
    return seg[:16] + struct.pack("=H", c) + seg[18:]


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4sum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("=H", c) + seg[8:]


def text(rng, n):
    out = []
    size = 0
    while size < n:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return (" ".join(out))[:n].encode()


class Session:
    """A TCP conversation as a generator of (direction, flags, payload) steps."""

    def __init__(self, rng, kind, client, server, cport, sport):
        self.rng, self.kind = rng, kind
        self.c, self.s, self.cp, self.sp = client, server, cport, sport
        self.cseq, self.sseq = rng.getrandbits(32), rng.getrandbits(32)
        self.steps = self.build()

    def build(self):
        rng = self.rng
        yield ("c", 0x02, b"")
        yield ("s", 0x12, b"")
        yield ("c", 0x10, b"")
        for _ in range(rng.randint(1, 4)):
            if self.kind == "http":
                host, path = rng.choice(HOSTS), rng.choice(PATHS)
                req = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {rng.choice(AGENTS)}\r\n"
                       f"Accept: text/html,application/json;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n"
                       f"Cookie: session={rng.getrandbits(64):016x}\r\nConnection: keep-alive\r\n\r\n").encode()
                body = text(rng, rng.choice([300, 1200, 4000, 15000, 60000]))
                if path == "/testmyids":
                    body = b"uid=0(root) gid=0(root) groups=0(root)\n"
                resp = (f"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html; charset=utf-8\r\n"
                        f"Content-Length: {len(body)}\r\nCache-Control: max-age=3600\r\n\r\n").encode() + body
            elif self.kind == "tls":
                sni = rng.choice(HOSTS).encode()
                ext = struct.pack("!HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
                hello = (b"\x03\x03" + rng.randbytes(32) + b"\x00" + b"\x00\x04\x13\x01\x13\x02" + b"\x01\x00" +
                         struct.pack("!H", len(ext)) + ext)
                req = b"\x16\x03\x01" + struct.pack("!H", len(hello) + 4) + b"\x01" + struct.pack("!I", len(hello))[1:] + hello
                data = rng.randbytes(rng.choice([2000, 9000, 30000, 80000]))
                resp = b"\x16\x03\x03\x00\x30" + rng.randbytes(48) + b"\x17\x03\x03" + struct.pack("!H", len(data) & 0xFFFF) + data
            else:
                req = rng.randbytes(rng.randint(40, 400))
                resp = rng.randbytes(rng.choice([5000, 40000, 120000]))
            for chunk in self.segments(req):
                yield ("c", 0x18, chunk)
            yield ("s", 0x10, b"")
            acks = 0
            for chunk in self.segments(resp):
                yield ("s", 0x18 if len(chunk) < 1460 else 0x10, chunk)
                acks += 1
                if acks % 2 == 0:
                    yield ("c", 0x10, b"")
        yield ("c", 0x11, b"")
        yield ("s", 0x11, b"")
        yield ("c", 0x10, b"")

    @staticmethod
    def segments(data, mss=1460):
        for i in range(0, len(data), mss):
            yield data[i:i + mss]

    def frame(self, step, ident):
        d, flags, payload = step
        if d == "c":
            seq, ack = self.cseq, self.sseq
            seg = tcp(self.c, self.s, self.cp, self.sp, seq, ack if flags != 0x02 else 0, flags, payload)
            l3 = ipv4(self.c, self.s, 6, seg, ident)
            self.cseq += len(payload) + (1 if flags & 0x03 else 0)
            return eth(b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02", l3)
        seq, ack = self.sseq, self.cseq
        seg = tcp(self.s, self.c, self.sp, self.cp, seq, ack, flags, payload, win=65160)
        l3 = ipv4(self.s, self.c, 6, seg, ident)
        self.sseq += len(payload) + (1 if flags & 0x03 else 0)
        return eth(b"\x02\0\0\0\0\x02", b"\x02\0\0\0\0\x01", l3)


def dns_pair(rng, client, server, cport, ident):
    name = rng.choice(HOSTS)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    tid = rng.getrandbits(16)
    q = struct.pack("!HHHHHH", tid, 0x0100, 1, 0, 0, 0) + qname + b"\x00\x01\x00\x01"
    a = (struct.pack("!HHHHHH", tid, 0x8180, 1, 1, 0, 0) + qname + b"\x00\x01\x00\x01" +
         b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04" + rng.randbytes(4))
    f1 = eth(b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02", ipv4(client, server, 17, udp(client, server, cport, 53, q), ident))
    f2 = eth(b"\x02\0\0\0\0\x02", b"\x02\0\0\0\0\x01", ipv4(server, client, 17, udp(server, client, 53, cport, a), ident + 1))
    return [f1, f2]


def icmp_pair(rng, a, b, ident):
    payload = bytes(range(48))
    out = []
    for t, s, d in ((8, a, b), (0, b, a)):
        msg = struct.pack("!BBHHH", t, 0, 0, ident & 0xFFFF, 1) + payload
        msg = msg[:2] + struct.pack("=H", csum(msg)) + msg[4:]
        out.append(eth(b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02", ipv4(s, d, 1, msg, ident)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--mix", choices=["mixed", "tcp"], default="mixed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    target = int(args.size_mb * 1_000_000)
    w = Writer(args.out)
    ts = 1_700_000_000.0
    ident = 1
    active = []
    port = 20000

    def new_session():
        nonlocal port
        port = port + 1 if port < 65000 else 20000
        client = bytes([10, rng.randint(0, 3), rng.randint(0, 255), rng.randint(1, 254)])
        server = bytes([192, 0, 2, rng.randint(1, 254)]) if rng.random() < 0.5 else bytes([198, 51, 100, rng.randint(1, 254)])
        r = rng.random()
        kind = "http" if r < 0.5 else ("tls" if r < 0.8 else "bin")
        sport = {"http": 80, "tls": 443, "bin": rng.randint(1024, 60000)}[kind]
        return Session(rng, kind, client, server, port, sport)

    while w.bytes < target:
        while len(active) < args.concurrency:
            active.append(new_session())
        i = rng.randrange(len(active))
        s = active[i]
        for _ in range(rng.randint(1, 6)):
            step = next(s.steps, None)
            if step is None:
                active.pop(i)
                break
            ts += rng.random() * 0.0004
            w.write(ts, s.frame(step, ident))
            ident += 1
        if args.mix == "mixed" and rng.random() < 0.08:
            client = bytes([10, 1, rng.randint(0, 255), rng.randint(1, 254)])
            for f in dns_pair(rng, client, bytes([10, 0, 0, 53]), rng.randint(1024, 65000), ident):
                ts += 0.0001
                w.write(ts, f)
            ident += 2
        if args.mix == "mixed" and rng.random() < 0.01:
            for f in icmp_pair(rng, bytes([10, 2, 0, 1]), bytes([192, 0, 2, 9]), ident):
                ts += 0.0001
                w.write(ts, f)
            ident += 1
    w.f.close()
    print(f"{args.out}: {w.packets} packets, {w.bytes} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
