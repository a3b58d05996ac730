#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scores Weir on the suricata-verify conformance cases with the shared scorer: the cases and score.py are read from
# WEIR_CONFORMANCE_DIR, else $WEIR_SHARED/conformance, else ../shared/conformance beside the clone.
#   usage: scripts/conformance.sh [debug|release] [extra score.py options, e.g. --only REGEX --fail-under 80]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
shared=${WEIR_SHARED:-$root/../shared}
conformance=${WEIR_CONFORMANCE_DIR:-$shared/conformance}
[ -f "$conformance/score.py" ] || { echo "conformance.sh: no conformance cases at $conformance (set WEIR_CONFORMANCE_DIR)" >&2; exit 2; }
config=${1:-debug}; shift || true
export WEIR="$root/.build/$config/weir"
[ -x "$WEIR" ] || { echo "conformance.sh: build first ($WEIR missing)" >&2; exit 2; }
mkdir -p "$root/out"
exec python3 "$conformance/score.py" "$conformance/suricata-verify" \
    --cmd "$conformance/weir-case {casedir} {outdir}" -j "$(nproc)" \
    --json-out "$root/out/conformance.json" "$@"
