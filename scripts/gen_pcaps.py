#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generates the small test captures in pcaps/ (see pcaps/README.md).

Packets are built with scapy (Debian's python3-scapy; run with /usr/bin/python3) and written by our own pcap and
pcapng writers, so that record headers can lie (snaplen-truncated records) and the output is byte-for-byte
deterministic: fixed timestamps, fixed seeds, no host data. Regenerating gives identical files.

Usage, from the repository root:  /usr/bin/python3 scripts/gen_pcaps.py [OUTDIR]   (default: pcaps)
"""
import os
import random
import struct
import sys

from scapy.all import (DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, AH, CookedLinux, Dot1AD, Dot1Q, Ether,
                       ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLReport, ICMPv6ND_NS,
                       IPOption, IPOption_EOL, IPOption_NOP, IPOption_RR, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Pad1, Raw, RouterAlert,
                       conf)

conf.verb = 0

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

BASE_TIME = 1_700_000_000  # 2023-11-14T22:13:20Z

CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:fe"


class Record:
    """One capture record: frame bytes, time in microseconds, and the on-wire length (>= len(data))."""

    def __init__(self, data: bytes, usec: int, wirelen: int | None = None):
        self.data = data
        self.usec = usec
        self.wirelen = len(data) if wirelen is None else wirelen


def write_pcap(path: str, linktype: int, records: list[Record], snaplen: int = 65535) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for r in records:
            sec, usec = divmod(r.usec, 1_000_000)
            f.write(struct.pack("<IIII", sec, usec, len(r.data), r.wirelen))
            f.write(r.data)


def write_pcapng(path: str, linktype: int, records: list[Record]) -> None:
    def block(block_type: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        total = 12 + len(body)
        return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)

    def option(code: int, value: bytes) -> bytes:
        return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)

    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option(4, b"weir gen_pcaps.py") + option(0, b"")
    idb = struct.pack("<HHI", linktype, 0, 65535) + option(2, b"eth0") + option(9, b"\x06") + option(0, b"")
    out = block(0x0A0D0D0A, shb) + block(0x00000001, idb)
    for r in records:
        ts = r.usec
        epb = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(r.data), r.wirelen) + r.data
        out += block(0x00000006, epb)
    with open(path, "wb") as f:
        f.write(out)


class Clock:
    """Monotonic capture time in microseconds."""

    def __init__(self, start: int = BASE_TIME * 1_000_000):
        self.now = start

    def tick(self, usec: int) -> int:
        self.now += usec
        return self.now


def eth(payload, src=CLIENT_MAC, dst=SERVER_MAC):
    return Ether(src=src, dst=dst) / payload


class TCPSession:
    """Builds a TCP conversation with correct sequence numbers; `frame` wraps each IP packet in a link layer."""

    def __init__(self, rng: random.Random, client: str, server: str, cport: int, sport: int, v6: bool = False,
                 frame=eth):
        self.rng = rng
        self.client, self.server, self.cport, self.sport, self.v6 = client, server, cport, sport, v6
        self.cseq = rng.randrange(1 << 32)
        self.sseq = rng.randrange(1 << 32)
        self.frame = frame
        self.ipid = rng.randrange(1 << 16)

    def _ip(self, to_server: bool):
        src, dst = (self.client, self.server) if to_server else (self.server, self.client)
        if self.v6:
            return IPv6(src=src, dst=dst, hlim=64)
        self.ipid = (self.ipid + 1) & 0xFFFF
        return IP(src=src, dst=dst, id=self.ipid, flags="DF", ttl=64 if to_server else 57)

    def _seg(self, to_server: bool, flags: str, payload: bytes = b"", options=None, seq=None):
        sp, dp = (self.cport, self.sport) if to_server else (self.sport, self.cport)
        s = (self.cseq if to_server else self.sseq) if seq is None else seq
        a = self.sseq if to_server else self.cseq
        tcp = TCP(sport=sp, dport=dp, seq=s, ack=a if "A" in flags else 0, flags=flags,
                  window=64240 if to_server else 65160, options=options or [])
        pkt = self._ip(to_server) / tcp
        if payload:
            pkt = pkt / Raw(payload)
        return bytes(self.frame(pkt))

    def handshake(self) -> list[bytes]:
        syn_opts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]
        out = [self._seg(True, "S", options=syn_opts)]
        self.cseq = (self.cseq + 1) & 0xFFFFFFFF
        out.append(self._seg(False, "SA", options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (2000, 1000)),
                                                   ("NOP", None), ("WScale", 7)]))
        self.sseq = (self.sseq + 1) & 0xFFFFFFFF
        out.append(self._seg(True, "A"))
        return out

    def send(self, to_server: bool, data: bytes, mss: int = 1448) -> list[bytes]:
        out = []
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            out.append(self._seg(to_server, "PA" if i + mss >= len(data) else "A", chunk))
            if to_server:
                self.cseq = (self.cseq + len(chunk)) & 0xFFFFFFFF
            else:
                self.sseq = (self.sseq + len(chunk)) & 0xFFFFFFFF
        out.append(self._seg(not to_server, "A"))
        return out

    def retransmit_last(self, to_server: bool, data: bytes) -> bytes:
        seq = ((self.cseq if to_server else self.sseq) - len(data)) & 0xFFFFFFFF
        return self._seg(to_server, "PA", data, seq=seq)

    def close(self) -> list[bytes]:
        out = [self._seg(True, "FA")]
        self.cseq = (self.cseq + 1) & 0xFFFFFFFF
        out.append(self._seg(False, "FA"))
        self.sseq = (self.sseq + 1) & 0xFFFFFFFF
        out.append(self._seg(True, "A"))
        return out

    def reset(self, to_server: bool) -> bytes:
        return self._seg(to_server, "RA")


def http_response(body: bytes, ctype: str = "text/html") -> bytes:
    head = (f"HTTP/1.1 200 OK\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nServer: Apache\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def http_request(path: str, host: str, method: str = "GET", body: bytes = b"") -> bytes:
    req = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8.4.0\r\nAccept: */*\r\n"
    if body:
        req += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
    return req.encode() + b"\r\n" + body


def tls_client_hello(sni: str, rng: random.Random) -> bytes:
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    versions = struct.pack("!HHB", 43, 5, 4) + b"\x03\x04\x03\x03"
    groups = struct.pack("!HHH", 10, 6, 4) + b"\x00\x1d\x00\x17"
    alpn = struct.pack("!HHH", 16, 14, 12) + b"\x02h2\x08http/1.1"
    extensions = sni_ext + versions + groups + alpn
    suites = b"\x13\x01\x13\x02\x13\x03\xc0\x2b\xc0\x2f\x00\x9c"
    body = (b"\x03\x03" + bytes(rng.randrange(256) for _ in range(32)) + b"\x00"
            + struct.pack("!H", len(suites)) + suites + b"\x01\x00" + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


def tls_server_hello(rng: random.Random) -> bytes:
    body = (b"\x03\x03" + bytes(rng.randrange(256) for _ in range(32)) + b"\x00" + b"\x13\x01" + b"\x00"
            + struct.pack("!H", 6) + struct.pack("!HHH", 43, 2, 0x0304))
    handshake = b"\x02" + struct.pack("!I", len(body))[1:] + body
    record = b"\x16\x03\x03" + struct.pack("!H", len(handshake)) + handshake
    # An encrypted-looking application-data record follows.
    blob = bytes(rng.randrange(256) for _ in range(600))
    return record + b"\x17\x03\x03" + struct.pack("!H", len(blob)) + blob


def dns_pair(rng, client, server, name, qtype, answer, v6=False, frame=eth):
    qid = rng.randrange(1 << 16)
    sport = rng.randrange(32768, 61000)
    ipc = IPv6(src=client, dst=server) if v6 else IP(src=client, dst=server, id=rng.randrange(1 << 16))
    ips = IPv6(src=server, dst=client) if v6 else IP(src=server, dst=client, id=rng.randrange(1 << 16))
    q = ipc / UDP(sport=sport, dport=53) / DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype))
    r = ips / UDP(sport=53, dport=sport) / DNS(id=qid, qr=1, aa=0, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                                              an=DNSRR(rrname=name, type=qtype, ttl=300, rdata=answer))
    return [bytes(frame(q)), bytes(frame(r, src=SERVER_MAC, dst=CLIENT_MAC) if frame is eth else frame(r))]


def stamp(frames: list[bytes], clock: Clock, gap: int = 800) -> list[Record]:
    return [Record(f, clock.tick(gap)) for f in frames]


# ---------------------------------------------------------------------------------------------------------------
# The captures.


def ethernet_tcp(rng) -> list[Record]:
    """Handshake, request, response over two segments, a retransmission, FIN close; then a session reset."""
    clock = Clock()
    s = TCPSession(rng, "192.168.1.10", "10.0.0.80", 40000, 80)
    frames = s.handshake()
    req = http_request("/index.html", "www.example.com")
    frames += s.send(True, req)
    body = b"<html>" + b"x" * 2000 + b"</html>"
    resp = http_response(body)
    frames += s.send(False, resp)
    frames.append(s.retransmit_last(False, resp[1448:]))
    frames += s.close()
    r = TCPSession(rng, "192.168.1.10", "10.0.0.80", 40001, 8080)
    frames += r.handshake()
    frames += r.send(True, b"hello")
    frames.append(r.reset(False))
    return stamp(frames, clock)


def vlan_qinq(rng) -> list[Record]:
    clock = Clock()
    q = lambda pkt, **kw: Ether(src=CLIENT_MAC, dst=SERVER_MAC) / Dot1Q(vlan=100, prio=3) / pkt
    qq = lambda pkt, **kw: Ether(src=CLIENT_MAC, dst=SERVER_MAC) / Dot1AD(vlan=200) / Dot1Q(vlan=300) / pkt
    frames = dns_pair(rng, "192.168.100.10", "192.168.100.53", "vlan.example.", "A", "192.0.2.1", frame=q)
    frames += dns_pair(rng, "192.168.200.10", "192.168.200.53", "qinq.example.", "A", "192.0.2.2", frame=qq)
    s = TCPSession(rng, "192.168.100.10", "192.168.100.80", 41000, 80, frame=q)
    frames += s.handshake() + s.send(True, http_request("/vlan", "vlan.example")) + s.close()
    s = TCPSession(rng, "2001:db8:300::10", "2001:db8:300::80", 41001, 80, v6=True, frame=qq)
    frames += s.handshake() + s.send(True, http_request("/qinq6", "qinq.example")) + s.close()
    return stamp(frames, clock)


def sll_frame(pkt, **kw):
    proto = 0x86DD if pkt.haslayer(IPv6) else 0x0800
    return CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02\0\0\0\0\x01\0\0", proto=proto) / pkt


def sll2_bytes(pkt) -> bytes:
    proto = 0x86DD if pkt.haslayer(IPv6) else 0x0800
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + bytes(pkt)


def linux_sll(rng) -> list[Record]:
    clock = Clock()
    frames = dns_pair(rng, "192.168.1.10", "192.168.1.1", "sll.example.", "A", "192.0.2.3", frame=sll_frame)
    s = TCPSession(rng, "192.168.1.10", "10.0.0.80", 42000, 80, frame=sll_frame)
    frames += s.handshake() + s.send(True, http_request("/sll", "sll.example")) + s.close()
    frames.append(bytes(sll_frame(IPv6(src="2001:db8::10", dst="2001:db8::1") / ICMPv6EchoRequest(id=1, seq=1))))
    return stamp(frames, clock)


def linux_sll2(rng) -> list[Record]:
    clock = Clock()
    ident = lambda p, **kw: p
    frames = [sll2_bytes(IP(src="192.168.1.10", dst="10.0.0.1", id=1) / ICMP(id=5, seq=1) / Raw(b"abcdefgh")),
              sll2_bytes(IP(src="10.0.0.1", dst="192.168.1.10", id=2) / ICMP(type=0, id=5, seq=1) / Raw(b"abcdefgh"))]
    s = TCPSession(rng, "2001:db8::10", "2001:db8::80", 42001, 443, v6=True, frame=ident)
    frames += [sll2_bytes(IPv6(f)) for f in s.handshake() + s.close()]
    return stamp(frames, clock)


def null_loopback(rng) -> list[Record]:
    """BSD loopback: AF_INET (2) and AF_INET6 (30, Darwin) in little-endian, and one big-endian family."""
    clock = Clock()
    v4 = lambda p, **kw: Raw(struct.pack("<I", 2) + bytes(p))
    v6 = lambda p, **kw: Raw(struct.pack("<I", 30) + bytes(p))
    frames = []
    s = TCPSession(rng, "127.0.0.1", "127.0.0.1", 43000, 5432, frame=v4)
    frames += s.handshake() + s.send(True, b"SELECT 1;") + s.close()
    s = TCPSession(rng, "::1", "::1", 43001, 8080, v6=True, frame=v6)
    frames += s.handshake() + s.send(True, http_request("/", "localhost")) + s.close()
    frames.append(struct.pack(">I", 2) + bytes(IP(src="127.0.0.1", dst="127.0.0.1", id=7) / UDP(sport=5, dport=6)))
    return stamp(frames, clock)


def raw_ip(rng) -> list[Record]:
    clock = Clock()
    ident = lambda p, **kw: p
    frames = dns_pair(rng, "10.8.0.2", "10.8.0.1", "raw.example.", "A", "192.0.2.4", frame=ident)
    s = TCPSession(rng, "10.8.0.2", "10.0.0.80", 44000, 80, frame=ident)
    frames += s.handshake() + s.send(True, http_request("/raw", "raw.example")) + s.close()
    frames.append(bytes(IPv6(src="fd00::2", dst="fd00::1") / ICMPv6EchoRequest(id=2, seq=1, data=b"raw6")))
    return stamp(frames, clock)


def ipv4_options_fragments(rng) -> list[Record]:
    clock = Clock()
    frames = [
        bytes(eth(IP(src="192.168.1.10", dst="10.0.0.80", id=100,
                     options=[IPOption_RR(routers=["0.0.0.0"] * 3), IPOption_NOP(), IPOption_EOL()])
                  / ICMP(id=9, seq=1) / Raw(b"record route"))),
        bytes(eth(IP(src="192.168.1.10", dst="10.0.0.80", id=101, options=[IPOption(b"\x44\x0c\x05\x00" + b"\0" * 8)])
                  / UDP(sport=1000, dport=2000) / Raw(b"timestamp"))),
    ]
    # A 3,000-byte UDP datagram in three fragments, then the same in reverse order.
    big = IP(src="192.168.1.10", dst="10.0.0.80", id=102) / UDP(sport=1001, dport=2001) / Raw(b"F" * 3000)
    from scapy.all import fragment
    frags = fragment(big, fragsize=1200)
    frames += [bytes(eth(f)) for f in frags]
    big2 = IP(src="192.168.1.10", dst="10.0.0.80", id=103) / ICMP(id=10, seq=1) / Raw(b"G" * 2000)
    frames += [bytes(eth(f)) for f in reversed(fragment(big2, fragsize=1200))]
    return stamp(frames, clock)


def ipv6_exthdrs_fragments(rng) -> list[Record]:
    clock = Clock()
    a, b = "2001:db8::10", "2001:db8::80"
    frames = [
        bytes(eth(IPv6(src=a, dst=b) / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), Pad1(), Pad1()])
                  / UDP(sport=3000, dport=4000) / Raw(b"hop-by-hop"))),
        bytes(eth(IPv6(src=a, dst=b) / IPv6ExtHdrDestOpt(options=[RouterAlert(value=1), Pad1(), Pad1()])
                  / IPv6ExtHdrRouting(type=2, addresses=["2001:db8::99"], segleft=1)
                  / TCP(sport=3001, dport=80, flags="S", seq=1))),
        bytes(eth(IPv6(src=a, dst=b) / AH(nh=58, payloadlen=4, spi=0x100, seq=1, icv=b"\0" * 12)
                  / ICMPv6EchoRequest(id=3, seq=1))),
        bytes(eth(IPv6(src=a, dst=b, nh=59))),
        bytes(eth(IPv6(src="fe80::1", dst="ff02::16", hlim=1)
                  / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), Pad1(), Pad1()])
                  / ICMPv6MLReport(mladdr="ff02::fb"))),
        bytes(eth(IPv6(src=a, dst="ff02::1:ff00:80", hlim=255) / ICMPv6ND_NS(tgt=b))),
    ]
    from scapy.all import fragment6
    big = IPv6(src=a, dst=b) / IPv6ExtHdrFragment(id=0x1234) / UDP(sport=3002, dport=4002) / Raw(b"H" * 2500)
    frames += [bytes(eth(f)) for f in fragment6(big, 1280)]
    # An atomic fragment (offset 0, M clear): Suricata calls it a useless fragment header.
    frames.append(bytes(eth(IPv6(src=a, dst=b) / IPv6ExtHdrFragment(id=0x99, m=0, offset=0)
                            / UDP(sport=3003, dport=4003) / Raw(b"atomic"))))
    return stamp(frames, clock)


def udp_dns(rng) -> list[Record]:
    clock = Clock()
    frames = []
    for name, qtype, answer in [("www.example.com.", "A", "93.184.216.34"), ("example.org.", "A", "93.184.215.14"),
                                ("www.example.com.", "AAAA", "2606:2800:220:1:248:1893:25c8:1946")]:
        frames += dns_pair(rng, "192.168.1.10", "192.168.1.1", name, qtype, answer)
    frames += dns_pair(rng, "2001:db8::10", "2001:db8::53", "v6.example.", "AAAA", "2001:db8::6", v6=True)
    # A UDP packet with checksum 0 (none) and an NTP-like exchange.
    frames.append(bytes(eth(IP(src="192.168.1.10", dst="192.0.2.123", id=7) / UDP(sport=123, dport=123, chksum=0)
                            / Raw(b"\x23" + b"\0" * 47))))
    return stamp(frames, clock)


def icmp(rng) -> list[Record]:
    clock = Clock()
    frames = []
    for seq in range(1, 4):
        frames.append(bytes(eth(IP(src="192.168.1.10", dst="8.8.8.8", id=200 + seq) / ICMP(id=0x77, seq=seq)
                                / Raw(bytes(range(32))))))
        frames.append(bytes(eth(IP(src="8.8.8.8", dst="192.168.1.10", id=300 + seq, ttl=117)
                                / ICMP(type=0, id=0x77, seq=seq) / Raw(bytes(range(32))), SERVER_MAC, CLIENT_MAC)))
    quoted = IP(src="192.168.1.10", dst="10.0.0.99", id=55) / UDP(sport=5353, dport=33434)
    frames.append(bytes(eth(IP(src="10.0.0.1", dst="192.168.1.10", id=9) / ICMP(type=3, code=3) / quoted)))
    frames.append(bytes(eth(IP(src="10.0.0.1", dst="192.168.1.10", id=10) / ICMP(type=11, code=0) / quoted)))
    a, b = "2001:db8::10", "2001:db8::80"
    frames.append(bytes(eth(IPv6(src=a, dst=b) / ICMPv6EchoRequest(id=1, seq=1, data=b"ping6"))))
    frames.append(bytes(eth(IPv6(src=b, dst=a) / ICMPv6EchoReply(id=1, seq=1, data=b"ping6"))))
    frames.append(bytes(eth(IPv6(src=b, dst=a) / ICMPv6DestUnreach(code=4) / IPv6(src=a, dst=b)
                            / UDP(sport=5000, dport=33434))))
    return stamp(frames, clock)


def malformed(rng) -> list[Record]:
    """One damage per packet: what each raises is listed in pcaps/README.md."""
    clock = Clock()
    good = bytes(eth(IP(src="192.168.1.10", dst="10.0.0.80", id=1) / TCP(sport=45000, dport=80, flags="PA", seq=1,
                                                                         ack=1) / Raw(b"GET / HTTP/1.0\r\n\r\n")))
    udp = bytes(eth(IP(src="192.168.1.10", dst="10.0.0.53", id=2) / UDP(sport=45001, dport=53) / Raw(b"\0" * 20)))

    def patch(data: bytes, offset: int, values: bytes) -> bytes:
        return data[:offset] + values + data[offset + len(values):]

    records = [
        Record(good, clock.tick(1000)),                                            # 1 well-formed
        Record(good[:60], clock.tick(1000), wirelen=len(good)),                    # 2 snaplen-truncated
        Record(patch(good, 14, b"\x44"), clock.tick(1000)),                        # 3 IHL 4
        Record(patch(good, 16, b"\x00\x13"), clock.tick(1000)),                    # 4 total length < header
        Record(patch(good, 16, b"\x05\xdc"), clock.tick(1000)),                    # 5 total length > frame
        Record(patch(good, 24, b"\xde\xad"), clock.tick(1000)),                    # 6 bad IPv4 checksum
        Record(patch(good, 50, b"\xbe\xef"), clock.tick(1000)),                    # 7 bad TCP checksum
        Record(patch(good, 46, b"\x40"), clock.tick(1000)),                        # 8 TCP data offset 4
        Record(patch(udp, 38, b"\x00\x04"), clock.tick(1000)),                     # 9 UDP length 4
        Record(patch(udp, 38, b"\x01\x00"), clock.tick(1000)),                     # 10 UDP length > datagram
        Record(patch(udp, 40, b"\x12\x34"), clock.tick(1000)),                     # 11 bad UDP checksum
        Record(good[:10], clock.tick(1000)),                                        # 12 10-byte frame
        Record(patch(good, 12, b"\x12\x34"), clock.tick(1000)),                    # 13 unknown ethertype
        Record(patch(good, 14, b"\x65"), clock.tick(1000)),                        # 14 IPv6 version under 0x0800
        Record(patch(good, 23, b"\x3a"), clock.tick(1000)),                        # 15 ICMPv6 inside IPv4
        Record(bytes(eth(IPv6(src="2001:db8::1", dst="2001:db8::2", plen=400) / UDP(sport=1, dport=2))),
               clock.tick(1000)),                                                   # 16 IPv6 payload length > frame
        Record(bytes(eth(IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrRouting(type=0, addresses=["::1"])
                         / UDP(sport=1, dport=2))), clock.tick(1000)),              # 17 routing header type 0
        Record(bytes(eth(IP(src="192.168.1.10", dst="10.0.0.80", id=3) / ICMP(type=3, code=1) / Raw(b"\x45" * 10))),
               clock.tick(1000)),                                                   # 18 ICMP error, quote truncated
        Record(bytes(eth(Dot1Q(vlan=5) / Dot1Q(vlan=6) / Dot1Q(vlan=7) / Dot1Q(vlan=8)
                         / IP(src="1.1.1.1", dst="2.2.2.2") / UDP(sport=1, dport=2))),
               clock.tick(1000)),                                                   # 19 four VLAN tags
        Record(bytes(eth(IP(src="192.168.1.10", dst="10.0.0.80", id=4, options=[IPOption_RR(pointer=5)])
                         / UDP(sport=1, dport=2))), clock.tick(1000)),              # 20 RR option pointer 5
        Record(bytes(eth(IP(src="192.168.1.10", dst="10.0.0.80", proto=253, id=5) / Raw(b"????"))),
               clock.tick(1000)),                                                   # 21 unknown IP protocol
        Record(good, clock.tick(1000)),                                            # 22 well-formed again
    ]
    return records


def pcapng_mixed(rng) -> list[Record]:
    clock = Clock()
    frames = dns_pair(rng, "192.168.1.10", "192.168.1.1", "pcapng.example.", "A", "192.0.2.5")
    s = TCPSession(rng, "192.168.1.10", "10.0.0.80", 46000, 80)
    frames += s.handshake() + s.send(True, http_request("/pcapng", "pcapng.example"))
    frames += s.send(False, http_response(b"pcapng body")) + s.close()
    frames.append(bytes(eth(IPv6(src="2001:db8::10", dst="2001:db8::80") / ICMPv6EchoRequest(id=4, seq=1))))
    return stamp(frames, clock)


def sample(rng) -> list[Record]:
    """A realistic mixed capture for the README demo: web, DNS, TLS, ICMP, a little IPv6."""
    clock = Clock()
    records: list[Record] = []

    def add(frames, gap=600):
        records.extend(stamp(frames, clock, gap))

    clients = ["192.168.1.10", "192.168.1.11", "192.168.1.12", "192.168.1.13"]
    web, dns, tls = "10.0.0.80", "192.168.1.1", "93.184.216.34"
    port = 49152
    for i in range(12):
        c = clients[i % len(clients)]
        add(dns_pair(rng, c, dns, f"host{i}.example.com.", "A", f"10.0.0.{80 + i}"), 900)
        add(dns_pair(rng, c, dns, f"host{i}.example.com.", "AAAA", f"2001:db8::{80 + i:x}"), 900)
    # Web sessions, one of them fetching /testmyids (the classic GPL ATTACK_RESPONSE test).
    pages = [("/", b"<html><body><h1>It works!</h1></body></html>"),
             ("/testmyids", b"uid=0(root) gid=0(root) groups=0(root)\n"),
             ("/images/logo.png", bytes(rng.randrange(256) for _ in range(6000))),
             ("/api/status", b'{"status":"ok","uptime":12345}'),
             ("/downloads/manual.pdf", bytes(rng.randrange(256) for _ in range(30000))),
             ("/index.html", b"<html>" + b"<p>news item</p>" * 200 + b"</html>")]
    for i, (path, body) in enumerate(pages + pages[:1] + pages[3:4]):
        c = clients[i % len(clients)]
        port += 1
        s = TCPSession(rng, c, web, port, 80)
        add(s.handshake(), 300)
        host = "testmyids.com" if path == "/testmyids" else "www.example.com"
        add(s.send(True, http_request(path, host)), 400)
        ctype = {"/images/logo.png": "image/png", "/testmyids": "text/plain", "/api/status": "application/json",
                 "/downloads/manual.pdf": "application/pdf"}.get(path, "text/html")
        add(s.send(False, http_response(body, ctype)), 250)
        add(s.close(), 300)
    # A keep-alive session with two requests and a form POST.
    port += 1
    s = TCPSession(rng, clients[0], web, port, 80)
    add(s.handshake())
    add(s.send(True, http_request("/login", "www.example.com", "POST", b"user=alice&pass=secret")))
    add(s.send(False, http_response(b"<html>welcome alice</html>")))
    add(s.send(True, http_request("/account", "www.example.com")))
    add(s.send(False, http_response(b"<html>" + b"account data " * 300 + b"</html>")))
    add(s.close())
    # TLS sessions with SNI.
    for i, sni in enumerate(["www.example.com", "api.example.org"]):
        port += 1
        s = TCPSession(rng, clients[(i + 1) % len(clients)], tls, port, 443)
        add(s.handshake(), 20000)
        add(s.send(True, tls_client_hello(sni, rng)), 20000)
        add(s.send(False, tls_server_hello(rng)), 20000)
        add(s.send(True, b"\x17\x03\x03\x00\x40" + bytes(rng.randrange(256) for _ in range(64))), 20000)
        add(s.close(), 20000)
    # ICMP echo.
    for seq in range(1, 5):
        add([bytes(eth(IP(src=clients[1], dst="8.8.8.8", id=700 + seq) / ICMP(id=0x1234, seq=seq)
                       / Raw(bytes(range(48))))),
             bytes(eth(IP(src="8.8.8.8", dst=clients[1], id=800 + seq, ttl=117) / ICMP(type=0, id=0x1234, seq=seq)
                       / Raw(bytes(range(48))), SERVER_MAC, CLIENT_MAC))], 250_000)
    # An IPv6 web session and a refused connection.
    port += 1
    s = TCPSession(rng, "2001:db8::10", "2001:db8::80", port, 80, v6=True)
    add(s.handshake() + s.send(True, http_request("/v6", "v6.example.com"))
        + s.send(False, http_response(b"<html>hello over IPv6</html>")) + s.close())
    port += 1
    s = TCPSession(rng, clients[3], web, port, 8443)
    add(s.handshake()[:1] + [s.reset(False)])
    return records


CAPTURES = [
    ("ethernet-ipv4-tcp.pcap", LINKTYPE_ETHERNET, ethernet_tcp),
    ("vlan-qinq.pcap", LINKTYPE_ETHERNET, vlan_qinq),
    ("linux-sll.pcap", LINKTYPE_LINUX_SLL, linux_sll),
    ("linux-sll2.pcap", LINKTYPE_LINUX_SLL2, linux_sll2),
    ("null-loopback.pcap", LINKTYPE_NULL, null_loopback),
    ("raw-ip.pcap", LINKTYPE_RAW, raw_ip),
    ("ipv4-options-fragments.pcap", LINKTYPE_ETHERNET, ipv4_options_fragments),
    ("ipv6-exthdrs-fragments.pcap", LINKTYPE_ETHERNET, ipv6_exthdrs_fragments),
    ("udp-dns.pcap", LINKTYPE_ETHERNET, udp_dns),
    ("icmp.pcap", LINKTYPE_ETHERNET, icmp),
    ("malformed.pcap", LINKTYPE_ETHERNET, malformed),
    ("mixed.pcapng", LINKTYPE_ETHERNET, pcapng_mixed),
    ("sample.pcap", LINKTYPE_ETHERNET, sample),
]


def main() -> None:
    outdir = sys.argv[1] if len(sys.argv) > 1 else "pcaps"
    os.makedirs(outdir, exist_ok=True)
    for index, (name, linktype, build) in enumerate(CAPTURES):
        records = build(random.Random(1000 + index))
        path = os.path.join(outdir, name)
        if name.endswith(".pcapng"):
            write_pcapng(path, linktype, records)
        else:
            write_pcap(path, linktype, records)
        print(f"{path}: {len(records)} packets, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
