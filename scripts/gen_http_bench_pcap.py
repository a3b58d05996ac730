#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a large capture of HTTP/1.1 sessions for scripts/bench-http.sh.

Each session: handshake, a GET or POST with browser-like headers (some carrying attack strings ET rules know:
traversal, SQL, shell commands, scanner user agents), a response that is plain, chunked, gzip or chunked+gzip,
segments of at most 1448 bytes each acknowledged, FIN both ways. Addresses cycle over 10.x.y.z pairs. Fixed
seed and timestamps: the same size gives the same bytes. Packets are packed by hand (no scapy) for speed;
checksums are left zero, so replay with -k none.

usage: gen_http_bench_pcap.py OUT.pcap [MEGABYTES]   (default 200)
"""
import gzip
import random
import struct
import sys

rng = random.Random(1313)

AGENTS = [
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    b"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    b"curl/8.4.0", b"python-requests/2.31.0", b"sqlmap/1.7.2#stable (https://sqlmap.org)", b"Nikto/2.5.0",
    b"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",
]
PATHS = [
    b"/index.html", b"/static/app.js", b"/api/v1/users?id=42", b"/images/logo.png", b"/search?q=weather+today",
    b"/wp-login.php", b"/cgi-bin/../../../../etc/passwd", b"/index.php?id=1'%20UNION%20SELECT%20password%20FROM%20users--",
    b"/shell.php?cmd=cat%20/etc/shadow", b"/admin/config.bak", b"/.git/config", b"/download/update.exe",
]
HOSTS = [b"www.example.com", b"cdn.example.net", b"api.example.org", b"login.example.com", b"files.example.net"]
WORDS = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore".split()


def ip_checksum(header):
    s = 0
    for i in range(0, len(header), 2):
        s += (header[i] << 8) + header[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.usec = 1_700_000_000 * 1_000_000
        self.size = 24

    def packet(self, src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst))
        ip[10:12] = struct.pack("!H", ip_checksum(ip))
        frame = b"\x02\x00\x00\x00\x00\xfe\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(ip) + tcp + payload
        self.usec += 50
        self.f.write(struct.pack("<IIII", self.usec // 1_000_000, self.usec % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)
        self.size += 16 + len(frame)


def body(n):
    out = []
    total = 0
    while total < n:
        w = rng.choice(WORDS)
        out.append(w)
        total += len(w) + 1
    return b"<html><body>" + b" ".join(out) + b"</body></html>"


def chunked(data):
    out = b""
    i = 0
    while i < len(data):
        n = rng.randint(200, 4000)
        part = data[i:i + n]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
        i += n
    return out + b"0\r\n\r\n"


def session(w, k):
    a = bytes([10, (k >> 16) & 255, (k >> 8) & 255, k & 255 or 1])
    b = bytes([192, 168, (k >> 8) & 255, 10 + k % 200])
    sport = 1024 + k % 60000
    cseq, sseq = rng.randrange(1 << 32), rng.randrange(1 << 32)
    w.packet(a, b, sport, 80, cseq, 0, 0x02)
    w.packet(b, a, 80, sport, sseq, cseq + 1, 0x12)
    cseq += 1
    sseq += 1
    w.packet(a, b, sport, 80, cseq, sseq, 0x10)
    post = rng.random() < 0.2
    path = rng.choice(PATHS)
    req = (b"POST " if post else b"GET ") + path + b" HTTP/1.1\r\nHost: " + rng.choice(HOSTS) + b"\r\nUser-Agent: " \
        + rng.choice(AGENTS) + b"\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n" \
        b"Accept-Encoding: gzip, deflate\r\nReferer: http://www.example.com/start\r\nCookie: sid=" \
        + b"%016x" % rng.getrandbits(64) + b"\r\nConnection: close\r\n"
    if post:
        form = b"user=admin&pass=" + b"%08x" % rng.getrandbits(32) + b"&cmd=" + rng.choice([b"id", b"uname%20-a", b"ls"])
        req += b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(form) + form
    else:
        req += b"\r\n"
    for data, fwd in ((req, True), (None, False)):
        if data is None:
            content = body(rng.randint(500, 60000))
            kind = rng.randint(0, 3)
            headers = b"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nContent-Type: text/html; charset=utf-8\r\n"
            if kind in (2, 3):
                content = gzip.compress(content, compresslevel=6, mtime=0)
                headers += b"Content-Encoding: gzip\r\n"
            if kind in (1, 3):
                data = headers + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(content)
            else:
                data = headers + b"Content-Length: %d\r\n\r\n" % len(content) + content
        for i in range(0, len(data), 1448):
            part = data[i:i + 1448]
            if fwd:
                w.packet(a, b, sport, 80, cseq, sseq, 0x18, part)
                cseq += len(part)
                w.packet(b, a, 80, sport, sseq, cseq, 0x10)
            else:
                w.packet(b, a, 80, sport, sseq, cseq, 0x18, part)
                sseq += len(part)
                w.packet(a, b, sport, 80, cseq, sseq, 0x10)
    w.packet(a, b, sport, 80, cseq, sseq, 0x11)
    w.packet(b, a, 80, sport, sseq, cseq + 1, 0x11)
    w.packet(a, b, sport, 80, cseq + 1, sseq + 1, 0x10)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    target = int(sys.argv[2] if len(sys.argv) > 2 else 200) * 1_000_000
    w = Writer(sys.argv[1])
    k = 1
    while w.size < target:
        session(w, k)
        k += 1
    w.f.close()
    print(f"{sys.argv[1]}: {k - 1} sessions, {w.size} bytes")


if __name__ == "__main__":
    main()
