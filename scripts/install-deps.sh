#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages Weir builds and tests with. Idempotent: installs only what is missing.
set -euo pipefail
packages=(libbpf-dev libelf-dev libpcap-dev libvectorscan-dev libpcre2-dev libhtp-dev zlib1g-dev libmimalloc-dev bpftool tcpreplay
          tcpdump iproute2 ethtool python3 python3-scapy python3-cryptography python3-jsonschema pkg-config openssl
          libhiredis-dev redis-server openssh-server gcc)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "install-deps: swift is not on PATH (Swift 6.x toolchain needed)" >&2; exit 1; }
