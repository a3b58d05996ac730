#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate a pcap of TLS 1.2 sessions for the TLS parser benchmark (never committed).

usage: gen_tls_bench_pcap.py OUT.pcap [--size-mb 200] [--seed 1]

Each session is a full TLS 1.2 handshake as a sensor sees it: a browser-like ClientHello (SNI, ALPN, groups,
signature algorithms), ServerHello + Certificate (a real two-certificate chain) + ServerKeyExchange +
ServerHelloDone, the client's key exchange, ChangeCipherSpec and Finished both ways, then bulk application-data
records (16 KiB records, 100 KB to 2 MB from the server, a little from the client), then FIN. Many sessions
run concurrently; every checksum is valid. Frames come from gen_bench_pcap.py's writer.
"""
import argparse
import datetime
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_bench_pcap import HOSTS, Session, Writer  # noqa: E402


def u16(v): return struct.pack("!H", v)
def u24(v): return struct.pack("!I", v)[1:]


def record(kind, payload):
    out = b""
    for i in range(0, max(len(payload), 1), 16384):
        chunk = payload[i:i + 16384]
        out += bytes([kind, 3, 3]) + u16(len(chunk)) + chunk
    return out


def handshake(kind, body): return bytes([kind]) + u24(len(body)) + body


def chain():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    certs = []
    for name in ("Bench CA", "www.example.com"):
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"), x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
                   .serial_number(random.getrandbits(64)).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=365)))
        if name != "Bench CA":
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False)
        certs.insert(0, builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return certs


class TLSSession(Session):
    CERTS = None

    def build(self):
        rng = self.rng
        yield ("c", 0x02, b"")
        yield ("s", 0x12, b"")
        yield ("c", 0x10, b"")
        sni = rng.choice(HOSTS).encode()
        exts = (u16(0) + u16(len(sni) + 5) + u16(len(sni) + 3) + b"\x00" + u16(len(sni)) + sni
                + u16(10) + u16(8) + u16(6) + u16(29) + u16(23) + u16(24) + u16(11) + u16(2) + b"\x01\x00"
                + u16(13) + u16(10) + u16(8) + u16(0x0403) + u16(0x0804) + u16(0x0401) + u16(0x0503)
                + u16(16) + u16(14) + u16(12) + b"\x02h2\x08http/1.1" + u16(0x23) + u16(0) + u16(23) + u16(0))
        ciphers = [0x1301, 0x1302, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x002F]
        hello = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32) + u16(2 * len(ciphers))
                 + b"".join(u16(c) for c in ciphers) + b"\x01\x00" + u16(len(exts)) + exts)
        client_flight = record(22, handshake(1, hello))
        server_hello = b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32) + u16(0xC02F) + b"\x00" + u16(5) + u16(0xFF01) + u16(1) + b"\x00"
        certs = b"".join(u24(len(c)) + c for c in self.CERTS)
        ske = b"\x03" + u16(29) + b"\x20" + rng.randbytes(32) + u16(0x0403) + u16(72) + rng.randbytes(72)
        server_flight = record(22, handshake(2, server_hello) + handshake(11, u24(len(certs)) + certs)
                               + handshake(12, ske) + handshake(14, b""))
        client_keys = record(22, handshake(16, b"\x20" + rng.randbytes(32))) + record(20, b"\x01") + record(22, rng.randbytes(40))
        server_keys = record(20, b"\x01") + record(22, rng.randbytes(40))
        request = record(23, rng.randbytes(rng.randint(300, 900)))
        response = record(23, rng.randbytes(rng.choice([100_000, 400_000, 1_000_000, 2_000_000])))
        for direction, data in (("c", client_flight), ("s", server_flight), ("c", client_keys), ("s", server_keys),
                                ("c", request)):
            for chunk in self.segments(data):
                yield (direction, 0x18, chunk)
        acks = 0
        for chunk in self.segments(response):
            yield ("s", 0x10, chunk)
            acks += 1
            if acks % 2 == 0:
                yield ("c", 0x10, b"")
        yield ("c", 0x11, b"")
        yield ("s", 0x11, b"")
        yield ("c", 0x10, b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=float, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    random.seed(args.seed)
    TLSSession.CERTS = chain()
    w = Writer(args.out)
    ts, ident, port, active = 1_700_000_000.0, 1, 20000, []
    while w.bytes < args.size_mb * 1_000_000:
        while len(active) < args.concurrency:
            port = port + 1 if port < 65000 else 20000
            client = bytes([10, rng.randint(0, 3), rng.randint(0, 255), rng.randint(1, 254)])
            server = bytes([192, 0, 2, rng.randint(1, 254)])
            active.append(TLSSession(rng, "tls", client, server, port, 443))
        i = rng.randrange(len(active))
        for _ in range(rng.randint(1, 8)):
            step = next(active[i].steps, None)
            if step is None:
                active.pop(i)
                break
            ts += rng.random() * 0.0002
            w.write(ts, active[i].frame(step, ident))
            ident += 1
    w.f.close()
    print(f"{args.out}: {w.packets} packets, {w.bytes} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
