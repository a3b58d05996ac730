#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGTERM (or SIGINT) at random points of N replays, and what each run must leave behind (issue 15).

usage: scripts/signal-replays.py [--runs 20] [--size-mb 200] [--weir .build/debug/weir] [--signal TERM]

Generates (once) bench-out/mixed-<size>mb.pcap with gen_bench_pcap.py, then runs
`weir -r PCAP -S rules -l DIR -k none` N times, each killed after a random delay within the time of one whole
run. Every run must: exit 0; leave an eve.json whose every line parses, ending in a stats record; have flow
records for the flows open at the stop (reason `shutdown`); and have the same alerts in eve.json as in
fast.log (count and the (timestamp, sid) pairs). Prints one line per run and a summary; exits 1 on a failure.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

RULES = """alert tcp any any -> any 80 (msg:"GET"; flow:to_server; content:"GET "; sid:1;)
alert tcp any any -> any any (msg:"html"; content:"html"; sid:2;)
alert udp any any -> any 53 (msg:"dns"; sid:3;)
alert icmp any any -> any any (msg:"icmp"; sid:4;)
"""


def fast_key(line):
    # "11/14/2023-22:13:20.000042  [**] [1:2:0] ..." -> (timestamp, sid)
    stamp = line.split("  [**] ")[0]
    sid = int(line.split("[**] [")[1].split(":")[1])
    return stamp, sid


def eve_key(record):
    t = record["timestamp"]  # 2023-11-14T22:13:20.000042+0000
    date, clock = t[:10], t[11:26]
    y, m, d = date.split("-")
    return f"{m}/{d}/{y}-{clock}", record["alert"]["signature_id"]


def check(out):
    problems = []
    records = []
    with open(os.path.join(out, "eve.json"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                problems.append(f"eve.json line {n} does not parse: {e}")
    if not records or records[-1].get("event_type") != "stats":
        problems.append("no stats record at the end")
    flows = [r for r in records if r.get("event_type") == "flow"]
    shutdown = sum(1 for r in flows if r["flow"].get("reason") == "shutdown")
    alerts = sorted(eve_key(r) for r in records if r.get("event_type") == "alert")
    with open(os.path.join(out, "fast.log"), encoding="utf-8") as f:
        fast = sorted(fast_key(line) for line in f if line.strip())
    if alerts != fast:
        problems.append(f"eve.json has {len(alerts)} alerts, fast.log {len(fast)} (or they differ)")
    pkts = records[-1]["stats"]["decoder"]["pkts"] if records and records[-1].get("event_type") == "stats" else 0
    return problems, len(records), len(flows), shutdown, len(alerts), pkts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--size-mb", type=int, default=200)
    ap.add_argument("--weir", default=".build/debug/weir")
    ap.add_argument("--signal", default="TERM", choices=["TERM", "INT"])
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    os.makedirs("bench-out", exist_ok=True)
    pcap = f"bench-out/mixed-{args.size_mb}mb.pcap"
    if not os.path.exists(pcap) or os.path.getsize(pcap) == 0:
        subprocess.run([sys.executable, "scripts/gen_bench_pcap.py", pcap, "--size-mb", str(args.size_mb)], check=True)
    work = tempfile.mkdtemp(prefix="weir-signals-")
    rules = os.path.join(work, "r.rules")
    with open(rules, "w") as f:
        f.write(RULES)
    sig = signal.SIGTERM if args.signal == "TERM" else signal.SIGINT

    def command(out):
        return [args.weir, "-r", pcap, "-S", rules, "-l", out, "-k", "none"]

    # One whole run sets the range of the random delays.
    full = os.path.join(work, "full")
    t = time.monotonic()
    subprocess.run(command(full), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    whole = time.monotonic() - t
    _, _, _, _, full_alerts, full_pkts = check(full)
    print(f"whole run: {whole:.1f} s, {full_pkts} packets, {full_alerts} alerts")
    rng = random.Random(args.seed)
    failures = 0
    for i in range(args.runs):
        out = os.path.join(work, f"run{i}")
        delay = rng.uniform(0.05, whole * 0.95)
        p = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        p.send_signal(sig)
        _, err = p.communicate()
        problems, records, flows, shutdown, alerts, pkts = check(out)
        if p.returncode != 0:
            problems.append(f"exit status {p.returncode}")
        if pkts < full_pkts and shutdown == 0:
            problems.append("stopped early but no flow ended with reason shutdown")
        stopped = "stopped:" in err.decode(errors="replace")
        failures += bool(problems)
        print(f"run {i + 1:2}: SIG{args.signal} at {delay:5.2f} s: {pkts:>9} packets, {records:>7} records, "
              f"{flows:>6} flows ({shutdown} shutdown), {alerts:>6} alerts = fast.log, "
              f"summary {'says stopped' if stopped else 'complete run'}: {'FAIL ' + '; '.join(problems) if problems else 'ok'}")
        shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    print(f"{args.runs - failures} of {args.runs} runs passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
