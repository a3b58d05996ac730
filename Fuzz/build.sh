#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets and their seed corpora (neither is committed; both land in .build/fuzz/):
#   rule-parser-fuzz     the rule parser (WeirDetect/Rules)       seeds: one rule per file from the rulesets
#   packet-decoder-fuzz  the decoder, every link type (WeirDecode) seeds: frames of pcaps/ and the corpus
#   pcap-reader-fuzz     pcap/pcapng files through libpcap + decode seeds: pcaps/ and the conformance pcaps
#   stream-engine-fuzz   TCP segment sequences (WeirStream)       seeds: handshakes, overlaps, FIN/RST
#   config-loader-fuzz   YAML configuration + --set (WeirConfig)  seeds: test configs and the conformance yaml
# Usage: Fuzz/build.sh [TARGET…]   (default: all); Fuzz/run.sh runs them.
set -eu
cd "$(dirname "$0")/.."
out=.build/fuzz
shared=${WEIR_SHARED:-../shared}
yams=.build/checkouts/Yams/Sources
mkdir -p "$out"
flags="-sanitize=fuzzer,address -parse-as-library -O -package-name weir"
targets=${*:-rule-parser-fuzz packet-decoder-fuzz pcap-reader-fuzz stream-engine-fuzz config-loader-fuzz}

# An instrumented static library and module from a source folder: module NAME DEPS_FLAGS SOURCES…
module() {
    name=$1
    shift
    extra=$1
    shift
    # shellcheck disable=SC2086
    swiftc $flags -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" -emit-library -static \
        -I "$out" $extra -o "$out/lib$name.a" "$@"
}

wants() { case " $targets " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

module WeirCore "" Sources/WeirCore/*.swift
if wants packet-decoder-fuzz || wants pcap-reader-fuzz || wants stream-engine-fuzz; then
    module WeirDecode "" Sources/WeirDecode/*.swift
fi

if wants rule-parser-fuzz; then
    swiftc $flags -module-name WeirDetectFuzz -I "$out" -I Sources/CPCRE2 \
        -L "$out" -lWeirCore -lpcre2-8 Sources/WeirDetect/Rules/*.swift Fuzz/RuleParserFuzz.swift \
        -o "$out/rule-parser-fuzz"
    mkdir -p "$out/corpus"
    i=0
    for f in "$shared"/rulesets/et-open/*.rules "$shared"/rulesets/suricata-bundled/*.rules \
        "$shared"/rulesets/suricata-verify/*.rules; do
        grep -v '^#' "$f" | grep -v '^$' | awk 'NR % 7 == 1' | while IFS= read -r line; do
            i=$((i + 1))
            printf '%s\n' "$line" > "$out/corpus/$(basename "$f" .rules)-$i"
        done
    done
fi

if wants packet-decoder-fuzz; then
    swiftc $flags -module-name PacketDecoderFuzz -I "$out" -L "$out" -lWeirDecode -lWeirCore \
        Fuzz/PacketDecoderFuzz.swift -o "$out/packet-decoder-fuzz"
    # Seeds: each frame of the bundled and conformance pcaps, prefixed with its link-type selector.
    python3 Fuzz/seeds.py frames "$out/corpus-decoder" pcaps "$shared"/conformance
fi

if wants pcap-reader-fuzz; then
    swiftc $flags -module-name PcapReaderFuzz -I "$out" -I Sources/CPcap -L "$out" -lWeirDecode -lWeirCore -lpcap \
        Sources/WeirCapture/PcapFile.swift Sources/WeirCapture/CaptureError.swift Fuzz/PcapReaderFuzz.swift \
        -o "$out/pcap-reader-fuzz"
    python3 Fuzz/seeds.py files "$out/corpus-pcap" pcaps "$shared"/conformance
fi

if wants stream-engine-fuzz; then
    module WeirFlow "" Sources/WeirFlow/*.swift
    module WeirStream "" Sources/WeirStream/*.swift
    swiftc $flags -module-name StreamEngineFuzz -I "$out" -L "$out" -lWeirStream -lWeirFlow -lWeirDecode -lWeirCore \
        Fuzz/StreamEngineFuzz.swift -o "$out/stream-engine-fuzz"
    python3 Fuzz/seeds.py segments "$out/corpus-stream"
fi

if wants config-loader-fuzz; then
    mkdir -p "$out/cyaml"
    for c in "$yams"/CYaml/src/*.c; do
        clang -O1 -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_EXPORT -I "$yams/CYaml/include" \
            -c "$c" -o "$out/cyaml/$(basename "$c" .c).o"
    done
    ar rcs "$out/libCYaml.a" "$out"/cyaml/*.o
    module Yams "-I $yams/CYaml/include -Xcc -DYAML_DECLARE_EXPORT -DSWIFT_PACKAGE" "$yams"/Yams/*.swift
    module WeirConfig "-I $yams/CYaml/include" Sources/WeirConfig/*.swift
    swiftc $flags -module-name ConfigLoaderFuzz -I "$out" -I "$yams/CYaml/include" -L "$out" \
        -lWeirConfig -lYams -lCYaml -lWeirCore Fuzz/ConfigLoaderFuzz.swift -o "$out/config-loader-fuzz"
    python3 Fuzz/seeds.py yaml "$out/corpus-config" Tests/WeirConfigTests "$shared"/conformance
fi
ls "$out" | grep -- '-fuzz$'
