#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TLS parser cost: a generated pcap of TLS 1.2 handshakes followed by bulk application data, replayed with
# 50 content rules, TLS parsing on against `app-layer.protocols.tls.enabled: no`. Runs alternate, median of
# ROUNDS; prints wall times, peak RSS, tls records written and the ratio (target <= 1.3x).
#   usage: scripts/bench-tls.sh [SIZE_MB] [ROUNDS] [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200}
rounds=${2:-5}
config=${3:-release}
if [ "$config" = release ]; then
    swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
fi
mkdir -p bench-out
pcap=bench-out/tls-${size}mb.pcap
[ -s "$pcap" ] || python3 scripts/gen_tls_bench_pcap.py "$pcap" --size-mb "$size"
rules=bench-out/tls-bench.rules
python3 - "$rules" <<'PY'
import sys
words = ["password", "admin", "login", "select", "union", "passwd", "cmd.exe", "/bin/sh", "wget ", "curl ",
         "eval(", "base64", "powershell", "mimikatz", "nc -e", "/etc/shadow", "xp_cmdshell", "<script", "onerror",
         "document.cookie"]
with open(sys.argv[1], "w") as f:
    for i in range(50):
        w = words[i % len(words)] + ("" if i < len(words) else f"-{i}")
        f.write(f'alert tcp any any -> any any (msg:"bench {i}"; flow:established; content:"{w}"; sid:{9000000 + i};)\n')
PY
python3 - "$pcap" "$rounds" "$config" "$rules" <<'PY'
import os, re, statistics, subprocess, sys, tempfile, time
pcap, rounds, config, rules = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
weir = f".build/{config}/weir"
def run(extra, tag):
    out = tempfile.mkdtemp(prefix=f"weir-bench-tls-{tag}-")
    cmd = [weir, "-r", pcap, "-S", rules, "-l", out, "-k", "none"] + extra
    t = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(p.pid, 0)
        log.seek(0)
        err = log.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    elapsed = time.perf_counter() - t
    records = 0
    with open(os.path.join(out, "eve.json"), errors="replace") as eve:
        records = sum(1 for line in eve if '"event_type":"tls"' in line)
    return elapsed, usage.ru_maxrss / 1024.0, records
on, off = [], []
rss = {"on": 0.0, "off": 0.0}
records = {}
run([], "warm")
for _ in range(rounds):
    s, r, n = run([], "on"); on.append(s); rss["on"] = max(rss["on"], r); records["on"] = n
    s, r, n = run(["--set", "app-layer.protocols.tls.enabled=no"], "off"); off.append(s)
    rss["off"] = max(rss["off"], r); records["off"] = n
m_on, m_off = statistics.median(on), statistics.median(off)
size = os.path.getsize(pcap) / 1e6
print(f"pcap: {pcap} ({size:.0f} MB), {rounds} rounds, {config} build, 50 content rules")
print(f"tls parser on : {m_on:.3f} s  peak RSS {rss['on']:.0f} MiB  tls records {records['on']}")
print(f"tls parser off: {m_off:.3f} s  peak RSS {rss['off']:.0f} MiB  tls records {records['off']}")
print(f"ratio on/off: {m_on / m_off:.3f}x (target <= 1.3x)")
PY
