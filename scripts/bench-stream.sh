#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Stream-engine benchmark (issue 6): generates (once) a TCP-only pcap, then times `weir -r FILE -l DIR` with the
# stream engine on (default) and off (`--set stream.enabled=false`), alternately, 5 rounds each; prints the
# median wall times, their ratio (target: at most 1.5x) and each configuration's peak RSS (one extra run each).
#   usage: scripts/bench-stream.sh [SIZE_MB] [extra weir flags, e.g. -S rules.rules]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200}; shift || true
# WEIR_BIN=path measures another build (e.g. a saved baseline) instead of building .build/release/weir.
export WEIR_BIN=${WEIR_BIN:-}
if [ -z "$WEIR_BIN" ]; then
    scripts/install-deps.sh
    swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
fi
mkdir -p bench-out
pcap=bench-out/tcp-${size}mb.pcap
[ -s "$pcap" ] || python3 scripts/gen_bench_pcap.py "$pcap" --size-mb "$size" --mix tcp
python3 - "$pcap" "$@" <<'PY'
import os, statistics, subprocess, sys, time, tempfile
weir = os.environ.get("WEIR_BIN") or ".build/release/weir"
pcap, extra = sys.argv[1], sys.argv[2:]
out = tempfile.mkdtemp(prefix="weir-bench-stream-")
# Each run writes gigabytes of EVE (the peer pcap: about 9 GB); it goes when the script ends, failed or not.
import atexit, shutil
atexit.register(shutil.rmtree, out, True)
on = [weir, "-r", pcap, "-l", out] + extra
off = on + ["--set", "stream.enabled=false"]
def run(cmd):
    """Wall time and peak RSS (KiB) of one run."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    if status != 0:
        sys.exit(f"bench-stream: {' '.join(cmd)} failed with status {status}")
    return elapsed, usage.ru_maxrss
run(off); run(on)  # warm the page cache and the binary
t_on, t_off, rss_on, rss_off = [], [], [], []
for _ in range(5):
    a, ra = run(off); t_off.append(a); rss_off.append(ra)
    b, rb = run(on); t_on.append(b); rss_on.append(rb)
a, b = statistics.median(t_off), statistics.median(t_on)
size = os.path.getsize(pcap)
print(f"pcap: {pcap} ({size/1e6:.0f} MB); extra flags: {' '.join(extra) or '(none: no rules)'}")
print(f"stream off: median {a:.3f} s ({size/a/1e9:.2f} GB/s)  peak RSS {max(rss_off)/1024:.0f} MiB  runs {[round(x,3) for x in t_off]}")
print(f"stream on:  median {b:.3f} s ({size/b/1e9:.2f} GB/s)  peak RSS {max(rss_on)/1024:.0f} MiB  runs {[round(x,3) for x in t_on]}")
print(f"ratio on/off: {b/a:.2f}x of medians, {min(t_on)/min(t_off):.2f}x of best runs (target <= 1.5x; the machine is"
      " shared, so the best runs are the less noisy figure)")
PY
