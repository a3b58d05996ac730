#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Defragmentation benchmark: generates (once) a capture in which 10% of the packets are IPv4 fragments, then
# times `weir -r FILE` with defrag on (the default) and with `--set defrag.enabled=false`, alternately, 9 rounds
# each, and prints the median wall and CPU times and their ratios, measured in the same run. Target: at most 1.2x.
#   usage: scripts/bench-defrag.sh [PACKETS] [extra weir flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-300000}; shift || true
scripts/install-deps.sh
swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
mkdir -p bench-out
pcap=bench-out/frag10-${packets}.pcap
[ -s "$pcap" ] || python3 scripts/gen_frag_bench_pcap.py "$pcap" --packets "$packets"
python3 - "$pcap" "$@" <<'PY'
import os, statistics, subprocess, sys, time, tempfile
pcap, extra = sys.argv[1], sys.argv[2:]
def timed(cmd):
    # Wall time and the child's CPU time (user + system): on a shared machine the CPU time is the steadier figure.
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"{cmd} failed")
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime
out = tempfile.mkdtemp(prefix="weir-bench-defrag-")
# Each run writes gigabytes of EVE (the peer pcap: about 9 GB); it goes when the script ends, failed or not.
import atexit, shutil
atexit.register(shutil.rmtree, out, True)
on = [".build/release/weir", "-r", pcap, "-l", out, "-k", "none"] + extra
off = on + ["--set", "defrag.enabled=false"]
timed(on); timed(off)  # warm the page cache and the binary
runs_on, runs_off = [], []
for _ in range(9):
    runs_off.append(timed(off))
    runs_on.append(timed(on))
def med(runs, i): return statistics.median(r[i] for r in runs)
print(f"pcap: {pcap} ({os.path.getsize(pcap)/1e6:.0f} MB), load average {open('/proc/loadavg').read().split()[0]}")
for label, i in (("wall", 0), ("cpu", 1)):
    a, b = med(runs_off, i), med(runs_on, i)
    print(f"{label}: defrag off median {a:.3f} s, on {b:.3f} s, ratio on/off {b/a:.2f}x (target <= 1.2x)")
PY
