#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer target for the rule parser and a seed corpus from the shared rulesets.
#   Fuzz/build.sh            -> .build/fuzz/rule-parser-fuzz, .build/fuzz/corpus/
#   .build/fuzz/rule-parser-fuzz -max_total_time=600 -timeout=5 .build/fuzz/corpus
set -eu
cd "$(dirname "$0")/.."
out=.build/fuzz
shared=${WEIR_SHARED:-../shared}
mkdir -p "$out/corpus"
# WeirCore as its own module (WeirDetect imports it), instrumented too.
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name WeirCore -emit-module \
    -emit-module-path "$out/WeirCore.swiftmodule" -emit-library -static -o "$out/libWeirCore.a" Sources/WeirCore/*.swift
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name WeirDetectFuzz -I "$out" -I Sources/CPCRE2 \
    -L "$out" -lWeirCore -lpcre2-8 Sources/WeirDetect/Rules/*.swift Fuzz/RuleParserFuzz.swift \
    -o "$out/rule-parser-fuzz"
# Seeds: one rule per file, from every ruleset (the corpus directory is not committed).
i=0
for f in "$shared"/rulesets/et-open/*.rules "$shared"/rulesets/suricata-bundled/*.rules \
    "$shared"/rulesets/suricata-verify/*.rules; do
    grep -v '^#' "$f" | grep -v '^$' | awk 'NR % 7 == 1' | while IFS= read -r line; do
        i=$((i + 1))
        printf '%s\n' "$line" > "$out/corpus/$(basename "$f" .rules)-$i"
    done
done
ls "$out/corpus" | wc -l
