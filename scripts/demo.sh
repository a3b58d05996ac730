#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds Weir (release) and replays the bundled capture with the bundled rules, writing EVE into out/demo.
# Needs nothing outside the clone (no shared corpus, no bpffs); every failure says why.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "demo.sh: $*" >&2; exit 1; }

scripts/install-deps.sh || fail "installing the build dependencies failed (see above)"
log=$(mktemp)
status=0
swift build -c release --product weir > "$log" 2>&1 || status=$?
grep -E "error|warning: |Build complete" "$log" || true
if [ $status -ne 0 ] || [ ! -x .build/release/weir ]; then
    tail -20 "$log" >&2
    fail "the release build failed (exit $status; last lines above)"
fi
rm -f "$log"
mkdir -p out/demo
set +e
.build/release/weir -r pcaps/sample.pcap -S rules/sample.rules -l out/demo "$@"
rc=$?
set -e
[ -f out/demo/eve.json ] || fail "weir exited $rc and wrote no out/demo/eve.json"
echo "EVE records written to out/demo/eve.json ($(wc -l < out/demo/eve.json) lines)"
# Exit status 1 means "alerts found", which is the point of the demo.
[ $rc -le 1 ] || fail "weir exited $rc"
