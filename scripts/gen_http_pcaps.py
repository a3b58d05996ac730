#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generates the HTTP test captures in pcaps/ (http-*.pcap) for the behaviour cases in Tests/Verify/http-*.

Each capture is one or more complete TCP sessions (handshake, data acknowledged by the peer, FIN both ways)
built with scapy and written with fixed timestamps, so regenerating gives identical files:

  http-chunked-gzip.pcap  GET with a full set of request headers; chunked, gzip-encoded response with
                          Set-Cookie, Server, Location and a Content-Disposition filename.
  http-pipelined.pcap     two GETs in one segment answered in one segment, then a POST with a body
                          sent after "Expect: 100-continue" and its 100 response.
  http-evasive.pcap       a request sent one byte per segment, with a %-encoded, dot-dot URI and a
                          deflate response; then HEAD; then a response nobody asked for on a second flow.

Usage, from the repository root:  /usr/bin/python3 scripts/gen_http_pcaps.py [OUTDIR]   (default: pcaps)
"""
import gzip
import os
import struct
import sys
import zlib

from scapy.all import IP, TCP, Ether, conf

conf.verb = 0

BASE_TIME = 1_700_000_000
CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:fe"


class Session:
    """One TCP connection whose packets get consecutive timestamps."""

    def __init__(self, client, cport, server, sport, out, clock):
        self.c, self.cp, self.s, self.sp = client, cport, server, sport
        self.out = out
        self.clock = clock
        self.cseq, self.sseq = 1000, 5000

    def _emit(self, to_server, flags, payload=b""):
        if to_server:
            pkt = (Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=self.c, dst=self.s)
                   / TCP(sport=self.cp, dport=self.sp, flags=flags, seq=self.cseq, ack=self.sseq, window=65535))
        else:
            pkt = (Ether(src=SERVER_MAC, dst=CLIENT_MAC) / IP(src=self.s, dst=self.c)
                   / TCP(sport=self.sp, dport=self.cp, flags=flags, seq=self.sseq, ack=self.cseq, window=65535))
        if payload:
            pkt = pkt / payload
        self.clock[0] += 1000
        self.out.append((self.clock[0], bytes(pkt)))

    def handshake(self):
        self._emit(True, "S")
        self.cseq += 1
        self._emit(False, "SA")
        self.sseq += 1
        self._emit(True, "A")

    def send(self, to_server, data, segment=1400):
        """Sends `data` in segments of at most `segment` bytes, each acknowledged by the peer."""
        for i in range(0, len(data), segment):
            part = data[i:i + segment]
            self._emit(to_server, "PA", part)
            if to_server:
                self.cseq += len(part)
            else:
                self.sseq += len(part)
            self._emit(not to_server, "A")

    def close(self):
        self._emit(True, "FA")
        self.cseq += 1
        self._emit(False, "FA")
        self.sseq += 1
        self._emit(True, "A")


def write_pcap(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for usec, data in records:
            t = BASE_TIME * 1_000_000 + usec
            f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(data), len(data)))
            f.write(data)


def chunked(body, size):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def chunked_gzip(out, clock):
    s = Session("10.0.0.1", 40001, "10.0.0.2", 80, out, clock)
    s.handshake()
    s.send(True, b"GET /download/file.bin?id=7&q=reportsearch HTTP/1.1\r\n"
           b"Host: Files.Example.COM\r\n"
           b"User-Agent: WeirTestAgent/1.0\r\n"
           b"Accept: text/html,application/xhtml+xml\r\n"
           b"Accept-Encoding: gzip, deflate\r\n"
           b"Accept-Language: en-GB,en;q=0.8\r\n"
           b"Referer: http://portal.example.com/start\r\n"
           b"Cookie: session=cafe1234\r\n"
           b"Connection: keep-alive\r\n\r\n")
    body = b"<html>" + b"filler " * 300 + b"PAYLOAD-MARKER-7731 inside the gzip body</html>"
    packed = gzip.compress(body, mtime=0)
    s.send(False, b"HTTP/1.1 200 OK\r\n"
           b"Server: WeirTestServer/2.4\r\n"
           b"Content-Type: application/octet-stream; charset=binary\r\n"
           b"Content-Encoding: gzip\r\n"
           b"Transfer-Encoding: chunked\r\n"
           b"Set-Cookie: tracker=beef5678\r\n"
           b"Location: http://mirror.example.com/file.bin\r\n"
           b"Content-Disposition: attachment; filename=\"report.bin\"\r\n\r\n" + chunked(packed, 100), segment=300)
    s.close()


def pipelined(out, clock):
    s = Session("10.0.0.3", 40002, "10.0.0.4", 8080, out, clock)
    s.handshake()
    s.send(True, b"GET /first HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n"
           b"GET /second?x=1 HTTP/1.1\r\nHost: pipe.example.com\r\n\r\n")
    s.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nfirst-body!"
           b"HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\nsecond-body!")
    s.send(True, b"POST /login HTTP/1.1\r\nHost: pipe.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: 26\r\nExpect: 100-continue\r\n\r\n")
    s.send(False, b"HTTP/1.1 100 Continue\r\n\r\n")
    s.send(True, b"user=admin&pass=s3cret-PW")
    s.send(True, b"!")
    s.send(False, b"HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n")
    s.close()


def evasive(out, clock):
    s = Session("10.0.0.5", 40003, "10.0.0.6", 80, out, clock)
    s.handshake()
    s.send(True, b"GET /%61dmin/../secret%2Ephp?cmd=id HTTP/1.1\r\nHost: evade.example.com\r\n"
           b"User-Agent: slowloris\r\n\r\n", segment=1)
    deflated = zlib.compress(b"deflated-secret-content " * 20)
    s.send(False, b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n" % len(deflated)
           + deflated)
    s.send(True, b"HEAD /only-head HTTP/1.1\r\nHost: evade.example.com\r\n\r\n")
    s.send(False, b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n")
    s.close()
    # A second connection whose first data is a response: parsed without a request.
    r = Session("10.0.0.7", 40004, "10.0.0.8", 80, out, clock)
    r.handshake()
    r.send(False, b"HTTP/1.1 200 OK\r\nServer: lonely\r\nContent-Length: 9\r\n\r\nno-ask-me")
    r.close()


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "pcaps"
    for name, build in (("http-chunked-gzip", chunked_gzip), ("http-pipelined", pipelined),
                        ("http-evasive", evasive)):
        records = []
        build(records, [0])
        write_pcap(os.path.join(outdir, name + ".pcap"), records)


if __name__ == "__main__":
    main()
