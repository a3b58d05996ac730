#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Flow-table flood benchmark (issue 15): SYN floods of 500,000, 1,000,000 and 5,000,000 distinct flows,
# replayed with the default memcaps (flow.memcap 128 MiB, stream.memcap 64 MiB) and default outputs.
# Reports wall and CPU time (user + system: steadier than wall time on a shared machine) and peak RSS per
# run, the CPU-time ratios 1M/500k (target <= 3x) and 5M/1M (linear: about 5x),
# and peak RSS less the baseline (a 1,000-flow run) against the memcaps (target <= 1.25x). Also runs 1M with
# stream.enabled=false, where flow.memcap alone applies.
#   usage: scripts/bench-flood.sh            (WEIR=.build/debug/weir to use another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
weir=${WEIR:-.build/release/weir}
if [ "$weir" = .build/release/weir ]; then
    swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
fi
mkdir -p bench-out
for n in 1000 500000 1000000 5000000; do
    [ -s bench-out/syn-$n.pcap ] || python3 scripts/gen_syn_flood.py bench-out/syn-$n.pcap --flows $n
done
python3 - "$weir" <<'PY'
import json, os, subprocess, sys, tempfile, time, shutil
weir = sys.argv[1]
MIB = 1 << 20
def run(n, *extra):
    out = tempfile.mkdtemp(prefix="weir-flood-")
    cmd = [weir, "-r", f"bench-out/syn-{n}.pcap", "-l", out, "-k", "none", *extra]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    if status != 0:
        sys.exit(f"{' '.join(cmd)}: exit status {status}")
    stats = None
    with open(os.path.join(out, "eve.json"), "rb") as f:
        f.seek(max(0, os.path.getsize(f.name) - 65536))
        for line in f.read().splitlines():
            if b'"event_type":"stats"' in line:
                stats = json.loads(line)["stats"]
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, stats
base_t, _, base_rss, _ = run(1000)
print(f"weir: {weir}")
print(f"baseline (1,000 flows): {base_t:.2f} s, peak RSS {base_rss / MIB:.1f} MiB")
memcaps = (128 + 64) * MIB
results = {}
for n in (500000, 1000000, 5000000):
    t, cpu, rss, s = run(n)
    results[n] = cpu
    f, tcp = s["flow"], s["tcp"]
    print(f"{n:>9,} flows: wall {t:7.2f} s  cpu {cpu:7.2f} s  {n / cpu / 1e3:6.1f} kpps/cpu-s  peak RSS {rss / MIB:6.1f} MiB "
          f"({(rss - base_rss) / memcaps:.2f}x the memcaps above baseline)  "
          f"emerg_mode_entered {f['emerg_mode_entered']} over {f['emerg_mode_over']}  evicted {f['get_used']}  "
          f"peak_active {f['peak_active']}  tcp.sessions {tcp['sessions']} ssn_memcap_drop {tcp['ssn_memcap_drop']}")
print(f"cpu ratio 1M/500k: {results[1000000] / results[500000]:.2f}x (target <= 3x; linear is 2x)")
print(f"cpu ratio 5M/1M:   {results[5000000] / results[1000000]:.2f}x (linear is 5x)")
t, cpu, rss, s = run(1000000, "--set", "stream.enabled=false")
print(f"1,000,000 flows, stream.enabled=false: wall {t:.2f} s, cpu {cpu:.2f} s, peak RSS {rss / MIB:.1f} MiB "
      f"({(rss - base_rss) / (128 * MIB):.2f}x flow.memcap above baseline), peak_active {s['flow']['peak_active']}")
PY
