#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scores Weir on the suricata-verify conformance cases in ../shared/conformance with the shared scorer.
#   usage: scripts/conformance.sh [debug|release] [extra score.py options, e.g. --only REGEX --fail-under 80]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${WEIR_SHARED:-$root/../shared}
config=${1:-debug}; shift || true
export WEIR="$root/.build/$config/weir"
[ -x "$WEIR" ] || { echo "conformance.sh: build first ($WEIR missing)" >&2; exit 2; }
mkdir -p "$root/out"
exec python3 "$shared/conformance/score.py" "$shared/conformance/suricata-verify" \
    --cmd "$shared/conformance/weir-case {casedir} {outdir}" -j "$(nproc)" \
    --json-out "$root/out/conformance.json" "$@"
