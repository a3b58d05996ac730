#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every test: the build (warnings are errors for our sources), the unit, kernel and integration tests,
# and the conformance suite. Kernel and network-namespace tests need root, as on CI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
mkdir -p out
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log" | grep -E "error|warning: |Build complete" || true
if grep -E "^/.*/(Sources|Tests|Plugins)/.*warning: " "$log" | grep -v "/.build" ; then
    echo "test.sh: the build has warnings in our sources (listed above)" >&2
    exit 1
fi
grep -q "Build complete" "$log" || { echo "test.sh: build failed" >&2; exit 1; }
rm -f "$log"

# Conformance: the suricata-verify cases scored by the shared scorer. Only its summary is shown here (the full
# per-case list is in out/conformance.txt); a drop below the floor fails the run.
conformance_floor=${WEIR_CONFORMANCE_FLOOR:-45}
scripts/conformance.sh debug --fail-under "$conformance_floor" > out/conformance.txt 2>&1 || {
    grep -E "^(ERROR|FAIL)" out/conformance.txt | head -20
    echo "test.sh: conformance below ${conformance_floor}% (see out/conformance.txt)" >&2
    exit 1
}
sed -n '/^per-category/,/^overall/p' out/conformance.txt
python3 scripts/conformance_subsets.py out/conformance.json

swift test --skip-build
