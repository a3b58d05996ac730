#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Makes a damaged-capture corpus from the bundled captures in pcaps/, and a manifest of the damage.

Usage, from the repository root:

    /usr/bin/python3 scripts/damage_pcaps.py OUTDIR [--seed N] [--variants V] [--source DIR]

For every bundled capture it writes V damaged copies, cycling through these kinds of damage:

  bitflip     1-3 random bits flipped in the frame bytes of about 15% of the records; record headers intact, so
              every record stays readable.
  truncate    the file cut at a random byte, half the time inside a record header and half inside record data;
              the records before the cut are readable, the cut one is not (a reader reports a truncated file).
  caplen      one record header's captured length set to an absurd value above libpcap's 262,144-byte maximum;
              the records before it are readable, reading stops there with an error.
  snaplen     the file header's snapshot length lowered to 60-200 bytes, so records longer than it have a
              captured length larger than the snapshot length; libpcap delivers them cut to the snapshot length.
  combined    bitflip, then truncate.

(pcapng files get bitflip, truncate and combined only, applied to enhanced packet blocks.)

OUTDIR/manifest.json lists, per output file: the source, the damage kinds, how many records a reader returns
before an error or the end (records_readable), how many of those are byte-identical to the source
(records_intact) and how many were altered (records_damaged, with their 1-based numbers), where the file was cut
(file_truncated_at_byte, truncated_in), which record header was corrupted, and whether reading must end in an
error. Totals at the end. The same seed always gives the same corpus.
"""
import argparse
import glob
import json
import os
import random
import struct

MAX_CAPLEN = 262144  # libpcap's largest acceptable captured length for ordinary link types


def parse_pcap(data: bytes):
    """Returns (header bytes, [(record offset, header bytes, frame bytes)])."""
    records = []
    offset = 24
    while offset + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, offset + 8)[0]
        records.append((offset, data[offset:offset + 16], data[offset + 16:offset + 16 + caplen]))
        offset += 16 + caplen
    return data[:24], records


def parse_pcapng(data: bytes):
    """Returns (leading non-packet blocks, [(block offset, block bytes, data offset within block, caplen)])."""
    offset = 0
    lead = b""
    blocks = []
    while offset + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, offset)
        block = data[offset:offset + blen]
        if btype == 6:
            caplen = struct.unpack_from("<I", block, 20)[0]
            blocks.append((offset, block, 28, caplen))
        elif not blocks:
            lead += block
        offset += blen
    return lead, blocks


def flip_bits(frame: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 3)):
        index = rng.randrange(len(frame))
        frame[index] ^= 1 << rng.randrange(8)


def damage_pcap(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, dict]:
    header, records = parse_pcap(data)
    info = {"source_records": len(records), "file_truncated_at_byte": None, "truncated_in": None,
            "corrupted_header_record": None, "corrupted_caplen": None, "snaplen": struct.unpack_from("<I", header, 16)[0],
            "read_error_expected": False}
    frames = [bytearray(f) for _, _, f in records]
    headers = [bytearray(h) for _, h, _ in records]
    damaged = set()
    if kind in ("bitflip", "combined"):
        for i, frame in enumerate(frames):
            if frame and rng.random() < 0.15:
                flip_bits(frame, rng)
                if bytes(frame) != records[i][2]:
                    damaged.add(i)
    readable = len(records)
    if kind == "caplen":
        k = rng.randrange(len(records))
        value = rng.randrange(MAX_CAPLEN + 1, 0xFFFFFFFF)
        struct.pack_into("<I", headers[k], 8, value)
        info["corrupted_header_record"] = k + 1
        info["corrupted_caplen"] = value
        info["read_error_expected"] = True
        readable = k
    if kind == "snaplen":
        snaplen = rng.randrange(60, 201)
        header = bytearray(header)
        struct.pack_into("<I", header, 16, snaplen)
        header = bytes(header)
        info["snaplen"] = snaplen
        for i, frame in enumerate(frames):
            if len(frame) > snaplen:
                damaged.add(i)
    out = bytearray(header)
    starts = []
    for h, f in zip(headers, frames):
        starts.append(len(out))
        out += h + f
    if kind in ("truncate", "combined"):
        k = rng.randrange(len(records))
        if rng.random() < 0.5 or len(frames[k]) == 0:
            cut = starts[k] + rng.randrange(1, 16)
            info["truncated_in"] = "record header"
        else:
            cut = starts[k] + 16 + rng.randrange(0, len(frames[k]))
            info["truncated_in"] = "record data"
        out = out[:cut]
        info["file_truncated_at_byte"] = cut
        info["read_error_expected"] = True
        readable = min(readable, k)
    damaged = sorted(i for i in damaged if i < readable)
    info.update({"records_readable": readable, "records_damaged": len(damaged),
                 "records_intact": readable - len(damaged), "damaged_records": [i + 1 for i in damaged]})
    if kind == "snaplen":
        info["note"] = "damaged records are delivered cut to the snapshot length (caplen > snaplen in the file)"
    return bytes(out), info


def damage_pcapng(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, dict]:
    lead, blocks = parse_pcapng(data)
    info = {"source_records": len(blocks), "file_truncated_at_byte": None, "truncated_in": None,
            "corrupted_header_record": None, "corrupted_caplen": None, "snaplen": None, "read_error_expected": False}
    out = bytearray(lead)
    starts = []
    damaged = set()
    for i, (_, block, data_offset, caplen) in enumerate(blocks):
        block = bytearray(block)
        if kind in ("bitflip", "combined") and caplen and rng.random() < 0.15:
            frame = block[data_offset:data_offset + caplen]
            flip_bits(frame, rng)
            block[data_offset:data_offset + caplen] = frame
            if bytes(block) != blocks[i][1]:
                damaged.add(i)
        starts.append(len(out))
        out += block
    readable = len(blocks)
    if kind in ("truncate", "combined"):
        k = rng.randrange(len(blocks))
        if rng.random() < 0.5:
            cut = starts[k] + rng.randrange(1, 28)
            info["truncated_in"] = "block header"
        else:
            cut = starts[k] + 28 + rng.randrange(0, max(1, len(blocks[k][1]) - 28))
            info["truncated_in"] = "block body"
        out = out[:cut]
        info["file_truncated_at_byte"] = cut
        info["read_error_expected"] = True
        readable = k
    damaged = sorted(i for i in damaged if i < readable)
    info.update({"records_readable": readable, "records_damaged": len(damaged),
                 "records_intact": readable - len(damaged), "damaged_records": [i + 1 for i in damaged]})
    return bytes(out), info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variants", type=int, default=48, help="damaged copies per bundled capture")
    parser.add_argument("--source", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pcaps"))
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    rng = random.Random(args.seed)
    sources = sorted(glob.glob(os.path.join(args.source, "*.pcap")) + glob.glob(os.path.join(args.source, "*.pcapng")))
    files = []
    for source in sources:
        data = open(source, "rb").read()
        name = os.path.basename(source)
        stem, ext = os.path.splitext(name)
        is_ng = ext == ".pcapng"
        kinds = ["bitflip", "truncate", "combined"] if is_ng else ["bitflip", "truncate", "caplen", "snaplen",
                                                                   "combined"]
        for v in range(args.variants):
            kind = kinds[v % len(kinds)]
            damaged, info = (damage_pcapng if is_ng else damage_pcap)(data, kind, rng)
            out_name = f"{stem}-{v:03d}-{kind}{ext}"
            with open(os.path.join(args.outdir, out_name), "wb") as f:
                f.write(damaged)
            files.append({"file": out_name, "source": name, "damage": kind, "size": len(damaged), **info})
    totals = {
        "files": len(files),
        "records_readable": sum(f["records_readable"] for f in files),
        "records_intact": sum(f["records_intact"] for f in files),
        "records_damaged": sum(f["records_damaged"] for f in files),
        "files_ending_in_read_error": sum(1 for f in files if f["read_error_expected"]),
    }
    manifest = {"seed": args.seed, "variants_per_source": args.variants, "totals": totals, "files": files}
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{args.outdir}: {totals['files']} files, {totals['records_readable']} readable records "
          f"({totals['records_intact']} intact, {totals['records_damaged']} damaged), "
          f"{totals['files_ending_in_read_error']} files end in a read error")


if __name__ == "__main__":
    main()
