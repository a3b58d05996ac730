#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replay benchmark: generates (once) a 200 MB pcap of realistic mixed traffic, then times
# `tcpdump -r FILE -w /dev/null` and `weir -r FILE -l DIR` (no rules; flow and stats records written)
# alternately, 5 rounds each, and prints the median wall times and their ratio. Target: at most 3x.
#   usage: scripts/bench-replay.sh [SIZE_MB] [extra weir flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200}; shift || true
scripts/install-deps.sh
swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
mkdir -p bench-out
pcap=bench-out/mixed-${size}mb.pcap
[ -s "$pcap" ] || python3 scripts/gen_bench_pcap.py "$pcap" --size-mb "$size"
python3 - "$pcap" "$@" <<'PY'
import os, statistics, subprocess, sys, time, tempfile
pcap, extra = sys.argv[1], sys.argv[2:]
def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
out = tempfile.mkdtemp(prefix="weir-bench-")
# Each run writes gigabytes of EVE (the peer pcap: about 9 GB); it goes when the script ends, failed or not.
import atexit, shutil
atexit.register(shutil.rmtree, out, True)
weir = [".build/release/weir", "-r", pcap, "-l", out] + extra
tcpdump = ["tcpdump", "-r", pcap, "-w", "/dev/null"]
timed(tcpdump); timed(weir)  # warm the page cache and the binary
t_tcpdump, t_weir = [], []
for _ in range(5):
    t_tcpdump.append(timed(tcpdump))
    t_weir.append(timed(weir))
a, b = statistics.median(t_tcpdump), statistics.median(t_weir)
size = os.path.getsize(pcap)
print(f"pcap: {pcap} ({size/1e6:.0f} MB)")
print(f"tcpdump -r -w /dev/null: median {a:.3f} s  ({size/a/1e9:.2f} GB/s)  runs {[round(x,3) for x in t_tcpdump]}")
print(f"weir -r (no rules):      median {b:.3f} s  ({size/b/1e9:.2f} GB/s)  runs {[round(x,3) for x in t_weir]}")
print(f"ratio weir/tcpdump: {b/a:.2f}x (target <= 3x)")
PY
