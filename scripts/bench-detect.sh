#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Detection benchmark: every ET Open rule that loads, replayed over a generated 200 MB pcap with realistic
# payloads. Times, in one run and alternating, medians of 5:
#   tcpdump -r FILE -w /dev/null  |  weir with no rules  |  weir with the full ET Open set
# and prints rules loaded, load time (weir -T with the rules), peak RSS and the wall-time ratios.
# Targets (issue 5): load <= 10 s, full-ruleset replay <= 8x tcpdump.
#   usage: scripts/bench-detect.sh [SIZE_MB] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200}
rounds=${2:-5}
shared=${WEIR_SHARED:-$(pwd)/../shared}
# WEIR_BIN=path measures another build (e.g. a saved baseline) instead of building .build/release/weir.
export WEIR_BIN=${WEIR_BIN:-}
if [ -z "$WEIR_BIN" ]; then
    scripts/install-deps.sh
    swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
fi
mkdir -p bench-out
pcap=bench-out/mixed-${size}mb.pcap
[ -s "$pcap" ] || python3 scripts/gen_bench_pcap.py "$pcap" --size-mb "$size"
python3 - "$pcap" "$rounds" "$shared" <<'PY'
import glob, os, statistics, subprocess, sys, tempfile, time
weir = os.environ.get("WEIR_BIN") or ".build/release/weir"
pcap, rounds, shared = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rules = sorted(glob.glob(os.path.join(shared, "rulesets/et-open/*.rules")) +
               glob.glob(os.path.join(shared, "rulesets/et-open/supplement-*/*.rules")))
rule_args = [a for r in rules for a in ("-S", r)]
def run(cmd):
    t = time.perf_counter()
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would block the child
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(p.pid, 0)
        log.seek(0)
        err = log.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd[:4])} ...\n{err[-2000:]}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024.0, err
out = tempfile.mkdtemp(prefix="weir-bench-")
# Each run writes gigabytes of EVE (the peer pcap: about 9 GB); it goes when the script ends, failed or not.
import atexit, shutil
atexit.register(shutil.rmtree, out, True)
tcpdump = ["tcpdump", "-r", pcap, "-w", "/dev/null"]
bare = [weir, "-r", pcap, "-l", out + "/bare"]
full = [weir, "-r", pcap, "-l", out + "/full"] + rule_args
load_t, load_rss, load_err = run([weir, "-T"] + rule_args)
loaded = [l for l in load_err.splitlines() if "rules loaded" in l]
print(f"rules: {len(rules)} files; {loaded[-1] if loaded else load_err.splitlines()[-1:]}")
print(f"load (weir -T, parse + compile + Vectorscan): {load_t:.2f} s, peak RSS {load_rss:.0f} MiB (target <= 10 s)")
for cmd in (tcpdump, bare, full):
    run(cmd)  # warm-up
import re
def replay_seconds(summary):
    # weir's summary times the replay alone (after rules are loaded): "... from 1 file in 0.289 s (...)"
    m = re.search(r"file[s]? in ([0-9.]+) s", summary)
    return float(m.group(1)) if m else float("nan")
t = {"tcpdump": [], "bare": [], "full": []}
replay_only = {"bare": [], "full": []}
rss = {"bare": 0.0, "full": 0.0}
summary = ""
for _ in range(rounds):
    t["tcpdump"].append(run(tcpdump)[0])
    s, r, bare_summary = run(bare); t["bare"].append(s); rss["bare"] = max(rss["bare"], r)
    replay_only["bare"].append(replay_seconds(bare_summary))
    s, r, summary = run(full); t["full"].append(s); rss["full"] = max(rss["full"], r)
    replay_only["full"].append(replay_seconds(summary))
m = {k: statistics.median(v) for k, v in t.items()}
print(f"pcap: {pcap} ({os.path.getsize(pcap)/1e6:.0f} MB), {rounds} rounds, medians")
print(f"tcpdump -r -w /dev/null : {m['tcpdump']:.3f} s")
print(f"weir, no rules          : {m['bare']:.3f} s  peak RSS {rss['bare']:.0f} MiB  ratio to tcpdump {m['bare']/m['tcpdump']:.2f}x")
print(f"weir, ET Open           : {m['full']:.3f} s  peak RSS {rss['full']:.0f} MiB  ratio to tcpdump {m['full']/m['tcpdump']:.2f}x (whole process, load included); to no rules {m['full']/m['bare']:.2f}x")
rb, rf = statistics.median(replay_only["bare"]), statistics.median(replay_only["full"])
print(f"replay alone (weir's own timer, after loading): no rules {rb:.3f} s = {rb/m['tcpdump']:.2f}x tcpdump; "
      f"ET Open {rf:.3f} s = {rf/m['tcpdump']:.2f}x tcpdump (target <= 8x)")
print("whole-process ratios above include loading 25k rules; the replay target is the line above")
print("last full run:", " | ".join(l.strip() for l in summary.splitlines() if "alerts" in l or "read" in l))
PY
