#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# HTTP benchmark (issue 13), all in one run over a generated pcap of HTTP sessions with realistic headers and
# plain, chunked, gzip and chunked+gzip bodies (scripts/gen_http_bench_pcap.py). Medians of ROUNDS, alternating:
#   parser cost: 50 HTTP content rules with the HTTP parser on, against app-layer.protocols.http.enabled: no
#                (target <= 1.5x);
#   full ET Open with the parser on, against tcpdump -r FILE -w /dev/null (target <= 8x, replay alone);
# with peak RSS and alerts of each weir run.
#   usage: scripts/bench-http.sh [SIZE_MB] [ROUNDS]     (default 200 MB, 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200}
rounds=${2:-3}
shared=${WEIR_SHARED:-$(pwd)/../shared}
scripts/install-deps.sh
swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
mkdir -p bench-out
pcap=bench-out/http-${size}mb.pcap
[ -s "$pcap" ] || python3 scripts/gen_http_bench_pcap.py "$pcap" "$size"
python3 - "$pcap" "$rounds" "$shared" <<'PY'
import glob, os, re, statistics, subprocess, sys, tempfile, time
pcap, rounds, shared = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = tempfile.mkdtemp(prefix="weir-bench-http-")
# Each run writes gigabytes of EVE (the peer pcap: about 9 GB); it goes when the script ends, failed or not.
import atexit, shutil
atexit.register(shutil.rmtree, out, True)
# 50 content rules over the HTTP buffers the generator fills, as a ruleset's are: attack strings that some
# sessions carry and most do not (so the run measures parsing and inspection, not writing alerts).
terms = ["passwd", "UNION", "SELECT", "shadow", "sqlmap", "Nikto", "wp-login", ".git/config", "config.bak", "update.exe",
         "cmd=uname", "/etc/hosts", "eval(", "base64_decode", "<script>", "xp_cmdshell", "powershell", "wget http",
         "MSIE 6.0", "python-requests"]
buffers = ["http.uri", "http.user_agent", "file.data", "http.request_body", "http.header"]
rules = []
for i in range(50):
    term = terms[i % len(terms)]
    buf = buffers[i % len(buffers)]
    rules.append(f'alert http any any -> any any (msg:"bench {i}"; flow:established; {buf}; content:"{term}"; nocase; sid:{9000000 + i};)')
rules_file = os.path.join(out, "http50.rules")
open(rules_file, "w").write("\n".join(rules) + "\n")
et = sorted(glob.glob(os.path.join(shared, "rulesets/et-open/*.rules")))
et_args = [a for r in et for a in ("-S", r)]
def run(cmd):
    t = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(p.pid, 0)
        log.seek(0)
        err = log.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd[:4])} ...\n{err[-2000:]}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024.0, err
def replay_seconds(summary):
    m = re.search(r"file[s]? in ([0-9.]+) s", summary)
    return float(m.group(1)) if m else float("nan")
def alerts(summary):
    m = re.search(r"alerts:\s+([0-9,]+)", summary)
    return m.group(1) if m else "?"
weir = ".build/release/weir"
cmds = {
    "tcpdump": ["tcpdump", "-r", pcap, "-w", "/dev/null"],
    "http50-on": [weir, "-k", "none", "-r", pcap, "-l", out + "/on", "-S", rules_file],
    "http50-off": [weir, "-k", "none", "-r", pcap, "-l", out + "/off", "-S", rules_file,
                   "--set", "app-layer.protocols.http.enabled=no"],
    "etopen": [weir, "-k", "none", "-r", pcap, "-l", out + "/et"] + et_args,
}
for c in cmds.values():
    run(c)  # warm-up
wall = {k: [] for k in cmds}
replay = {k: [] for k in cmds}
rss = {k: 0.0 for k in cmds}
last = {}
for _ in range(rounds):
    for k, c in cmds.items():
        s, r, summary = run(c)
        wall[k].append(s)
        rss[k] = max(rss[k], r)
        replay[k].append(replay_seconds(summary) if k != "tcpdump" else s)
        last[k] = summary
med = {k: statistics.median(v) for k, v in replay.items()}
print(f"pcap: {pcap} ({os.path.getsize(pcap)/1e6:.0f} MB), {rounds} rounds, medians of weir's own replay timer")
print(f"tcpdump -r -w /dev/null         : {med['tcpdump']:.3f} s")
for k in ("http50-off", "http50-on", "etopen"):
    print(f"{k:32s}: {med[k]:.3f} s  peak RSS {rss[k]:.0f} MiB  alerts {alerts(last[k])}")
print(f"parser cost (50 rules, http on / http off): {med['http50-on']/med['http50-off']:.2f}x (target <= 1.5x)")
print(f"full ET Open / tcpdump: {med['etopen']/med['tcpdump']:.2f}x (target <= 8x)")
PY
