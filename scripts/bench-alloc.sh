#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Allocation benchmark (issue 18, item 1): heap allocations per packet once warm, counted by an LD_PRELOAD
# shim (scripts/alloc-count/alloc_count.c) around every malloc-family call of the process. Each workload is
# replayed twice, over its first N and its first 2N packets; (allocations(2N) - allocations(N)) / N is the
# figure per packet, startup and end-of-run work cancelling out. Workloads:
#   stream, no rules   TCP-only sessions (scripts/gen_bench_pcap.py --mix tcp), stream engine on, no rules;
#   stream, no HTTP    the same with the HTTP parser off: decode, flow, stream and EVE without the app layer;
#   peer, default      the issue-18 workload (scripts/gen_peer_pcap.py) with its 50 content rules;
#   peer, no rules     the same packets, no rules.
# Target: 0 allocations per packet.
#   usage: scripts/bench-alloc.sh [N]    (default 50000)   WEIR_BIN=path measures another build
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50000}
weir=${WEIR_BIN:-.build/release/weir}
if [ -z "${WEIR_BIN:-}" ]; then
    swift build -c release --product weir 2>&1 | grep -E "error|Build complete" || true
fi
mkdir -p bench-out
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/alloc_count.so" scripts/alloc-count/alloc_count.c
twice=$((2 * n))
peer=bench-out/peer-alloc-${twice}.pcap
rules=bench-out/peer-alloc.rules
[ -s "$peer" ] && [ -s "$rules" ] || python3 scripts/gen_peer_pcap.py "$peer" --packets "$twice" --seed 1 --rules "$rules" >/dev/null
# About 800 bytes a packet: enough megabytes for 2N packets.
mb=$((twice / 1000 + 1))
tcp=bench-out/tcp-alloc-${mb}mb.pcap
[ -s "$tcp" ] || python3 scripts/gen_bench_pcap.py "$tcp" --size-mb "$mb" --mix tcp >/dev/null
: >"$work/none.rules"
count() { # pcap packets rules... -> allocations
    local pcap=$1 packets=$2; shift 2
    tcpdump -r "$pcap" -c "$packets" -w "$work/cut.pcap" 2>/dev/null
    rm -rf "$work/log" && mkdir -p "$work/log"
    WEIR_ALLOC_COUNT_OUT="$work/counts" LD_PRELOAD="$work/alloc_count.so" "$weir" -r "$work/cut.pcap" -l "$work/log" "$@" >/dev/null 2>&1
    awk '/^allocations/ {print $2}' "$work/counts"
}
report() { # name pcap rules...
    local name=$1 pcap=$2; shift 2
    local a b
    a=$(count "$pcap" "$n" "$@")
    b=$(count "$pcap" "$twice" "$@")
    python3 -c 'import sys; a,b,n=map(int,sys.argv[1:4]); print(f"  {sys.argv[4]:18s}: {(b-a)/n:8.3f} allocations/packet  ({n} packets: {a:,}; {2*n}: {b:,})")' "$a" "$b" "$n" "$name"
}
echo "allocations per packet once warm (first $n vs first $twice packets; target 0)"
report "stream, no rules" "$tcp" -S "$work/none.rules"
report "stream, no HTTP" "$tcp" -S "$work/none.rules" --set app-layer.protocols.http.enabled=no
report "peer, default" "$peer" -S "$rules"
report "peer, no rules" "$peer" -S "$work/none.rules"
