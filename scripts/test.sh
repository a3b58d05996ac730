#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test: the build (warnings are errors for our sources), the unit, kernel and integration tests,
# and the conformance suite. Kernel and network-namespace tests need root, as on CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning: |Build complete" || true
if grep -E "^/.*/(Sources|Tests|Plugins)/.*warning: " "$log" | grep -v "/.build" ; then
    echo "test.sh: the build has warnings in our sources (listed above)" >&2
    exit 1
fi
grep -q "Build complete" "$log" || { echo "test.sh: build failed" >&2; exit 1; }
rm -f "$log"
swift test --skip-build
