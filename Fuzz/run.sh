#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every fuzz target (built by Fuzz/build.sh) one after another, each for SECONDS (default 600), niced,
# with its seed corpus; new coverage is kept in .build/fuzz/found-<target>/. A crash leaves
# .build/fuzz/crash-<target>-* and makes the script exit 1 after the other targets ran; turn each into a
# regression input under Tests/ (see Tests/WeirRuntimeTests/FuzzRegressionTests.swift).
#   usage: Fuzz/run.sh [SECONDS] [TARGET…]
set -u
cd "$(dirname "$0")/.."
out=.build/fuzz
seconds=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-rule-parser-fuzz packet-decoder-fuzz pcap-reader-fuzz stream-engine-fuzz config-loader-fuzz}
failed=0
for target in $targets; do
    case $target in
        rule-parser-fuzz) corpus=$out/corpus ;;
        packet-decoder-fuzz) corpus=$out/corpus-decoder ;;
        pcap-reader-fuzz) corpus=$out/corpus-pcap ;;
        stream-engine-fuzz) corpus=$out/corpus-stream ;;
        config-loader-fuzz) corpus=$out/corpus-config ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    mkdir -p "$out/found-$target"
    echo "== $target: $seconds s"
    nice -n 19 "$out/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$out/crash-$target-" "$out/found-$target" "$corpus" > "$out/$target.log" 2>&1
    status=$?
    grep -E "^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|cov:" "$out/$target.log" | tail -2
    if [ $status -ne 0 ]; then
        echo "$target: exit $status, see $out/$target.log"
        failed=1
    fi
done
exit $failed
