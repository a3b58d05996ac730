#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds Weir (release) and replays the bundled capture with the bundled rules, writing EVE into out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product weir 2>&1 | grep -E "error|warning: |Build complete" || true
test -x .build/release/weir
mkdir -p out/demo
set +e
.build/release/weir -r pcaps/sample.pcap -S rules/sample.rules -l out/demo "$@"
rc=$?
set -e
echo "EVE records written to out/demo/eve.json ($(wc -l < out/demo/eve.json) lines)"
# Exit status 1 means "alerts found", which is the point of the demo.
[ $rc -le 1 ] || exit $rc
