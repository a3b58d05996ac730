#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Peer-comparison benchmark (issue 18): the workload Snort 3 was measured on, built by scripts/gen_peer_pcap.py
# (HTTP/1.1 sessions, ~20% carrying attack strings, 50 content rules: 10 hitting, 5 common, 35 never). In one run:
#   1. callgrind instructions per packet on a slice of the workload (first SLICE packets), startup subtracted
#      (the same command on an empty pcap), for the default config, stream off, and no rules. Valgrind 3.19
#      cannot read the toolchain's DWARF 5, so it runs a `strip --strip-debug` copy of the release binary;
#   2. CPU seconds (user + system, from wait4) over the whole pcap, medians of ROUNDS interleaved rounds, for
#      tcpdump -r FILE -w /dev/null, weir default, weir stream off, weir no rules; ratios against tcpdump and
#      against no rules;
#   3. offline workers: `--runmode autofp` with 2 workers against one worker (`--runmode single`), packet rates
#      from wall time in the same rounds, and whether their alert sets are identical.
# Targets: default <= 8,000 instructions/packet, no rules <= 2,500; default CPU <= 8x tcpdump; 2 workers >= 1.7x.
#   usage: scripts/bench-peer.sh [PACKETS] [ROUNDS] [SLICE]     (default 5000000 packets, 5 rounds, 100000)
#   SKIP_CALLGRIND=1 / SKIP_CPU=1 / SKIP_WORKERS=1 leave a part out; WEIR_BIN=path measures another build
#   (e.g. a saved baseline) instead of building .build/release/weir.
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-5000000}
rounds=${2:-5}
slice=${3:-100000}
seed=${SEED:-1}
weir=${WEIR_BIN:-.build/release/weir}
if [ -z "${WEIR_BIN:-}" ]; then
    scripts/install-deps.sh
    swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
fi
mkdir -p bench-out
gap=${GAP_US:-200}
pcap=bench-out/peer-${packets}-s${seed}-g${gap}.pcap
rules=bench-out/peer-s${seed}.rules
[ -s "$pcap" ] && [ -s "$rules" ] || python3 scripts/gen_peer_pcap.py "$pcap" --packets "$packets" --seed "$seed" --gap-us "$gap" --rules "$rules"
small=bench-out/peer-${packets}-s${seed}-g${gap}-first${slice}.pcap
[ -s "$small" ] || tcpdump -r "$pcap" -c "$slice" -w "$small" 2>/dev/null
empty=bench-out/empty.pcap
[ -s "$empty" ] || python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xA1B2C3D4,2,4,0,0,65535,1))' "$empty"
stripped=$(mktemp -d)/weir-stripped
cp "$weir" "$stripped"
strip --strip-debug "$stripped"
python3 - "$pcap" "$small" "$empty" "$rules" "$stripped" "$rounds" "$weir" <<'PY'
import os, re, statistics, subprocess, sys, tempfile, time
pcap, small, empty, rules, stripped, rounds, weir = sys.argv[1:8]
rounds = int(rounds)
out = tempfile.mkdtemp(prefix="weir-bench-peer-")
# Each run writes gigabytes of EVE (the peer pcap: about 9 GB); it goes when the script ends, failed or not.
import atexit, shutil
atexit.register(shutil.rmtree, out, True)
norules = os.path.join(out, "none.rules")
open(norules, "w").close()
configs = {
    "default": ["-S", rules],
    "stream off": ["-S", rules, "--set", "stream.enabled=false"],
    "no rules": ["-S", norules],
}
def packets_in(path):
    r = subprocess.run(["tcpdump", "-r", path, "-qn"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return r.stdout.count(b"\n")
def callgrind(binary, pcap_path, extra, tag):
    f = os.path.join(out, f"cg-{tag}.out")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={f}", binary, "-r", pcap_path,
           "-l", os.path.join(out, "cg-" + tag)] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for line in open(f):
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    sys.exit(f"no totals in {f}")
if not os.environ.get("SKIP_CALLGRIND"):
    n = packets_in(small)
    print(f"callgrind: {small} ({n} packets), instructions per packet, startup (empty pcap) subtracted")
    for name, extra in configs.items():
        tag = name.replace(" ", "-")
        base = callgrind(stripped, empty, extra, tag + "-empty")
        full = callgrind(stripped, small, extra, tag)
        print(f"  {name:12s}: {(full - base) / n:8.0f}   (run {full:,}, startup {base:,})", flush=True)
def run(cmd):
    t = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(p.pid, 0)
        log.seek(0)
        err = log.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd[:6])} ...\n{err[-2000:]}")
    return time.perf_counter() - t, usage.ru_utime + usage.ru_stime, err
def alerts(summary):
    m = re.search(r"alerts:\s+([0-9,]+)", summary)
    return int(m.group(1).replace(",", "")) if m else -1
print(f"pcap: {pcap} ({os.path.getsize(pcap)/1e6:.0f} MB), load {os.getloadavg()[0]:.2f}")
if not os.environ.get("SKIP_CPU"):
    cmds = {"tcpdump": ["tcpdump", "-r", pcap, "-w", "/dev/null"]}
    for name, extra in configs.items():
        cmds[name] = [weir, "-r", pcap, "-l", os.path.join(out, name.replace(" ", "-"))] + extra
    for c in cmds.values():
        run(c)  # warm the page cache and the binary
    cpu = {k: [] for k in cmds}
    last = {}
    for _ in range(rounds):
        for k, c in cmds.items():
            _, s, summary = run(c)
            cpu[k].append(s)
            last[k] = summary
    med = {k: statistics.median(v) for k, v in cpu.items()}
    print(f"CPU seconds, median of {rounds} interleaved rounds:")
    for k in cmds:
        extra = ""
        if k != "tcpdump":
            extra = (f"  {med[k] / med['tcpdump']:5.2f}x tcpdump  {med[k] / med['no rules']:5.2f}x no rules"
                     f"  alerts {alerts(last[k]):,}")
        print(f"  {k:12s}: {med[k]:7.2f} s{extra}")
if not os.environ.get("SKIP_WORKERS"):
    single = [weir, "-r", pcap, "-l", os.path.join(out, "w1"), "-S", rules, "--runmode", "single"]
    multi = [weir, "-r", pcap, "-l", os.path.join(out, "w2"), "-S", rules, "--runmode", "autofp",
             "--set", "threading.detect-thread-ratio=1.0"]
    walls = {"single": [], "autofp": []}
    load = os.getloadavg()[0]
    for _ in range(rounds):
        walls["single"].append(run(single)[0])
        walls["autofp"].append(run(multi)[0])
    def alert_set(d):
        import json
        keys = []
        for line in open(os.path.join(out, d, "eve.json")):
            r = json.loads(line)
            if r.get("event_type") == "alert":
                keys.append((r["timestamp"], r.get("flow_id"), r["alert"]["signature_id"], r.get("src_ip"),
                             r.get("src_port"), r.get("dest_ip"), r.get("dest_port")))
        return sorted(keys)
    a, b = alert_set("w1"), alert_set("w2")
    s, m = statistics.median(walls["single"]), statistics.median(walls["autofp"])
    print(f"offline workers (load {load:.2f} at start), wall seconds, median of {rounds}:")
    print(f"  one worker (single): {s:.2f} s   two workers (autofp): {m:.2f} s   speed-up {s / m:.2f}x (target >= 1.7x)")
    print(f"  alerts: one worker {len(a):,}, two workers {len(b):,}, identical sets: {a == b}")
PY
