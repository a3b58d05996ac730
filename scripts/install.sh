#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs Weir as a sensor: the release binary, a man page generated from its argument parser, a starting
# configuration, a systemd unit (Type=notify, restart on failure, capabilities instead of full root) and a
# logrotate snippet (rename, then SIGHUP). Idempotent: files that exist under /etc are kept, never overwritten.
#
#   usage: scripts/install.sh [--prefix /usr/local] [--destdir DIR] [--binary PATH] [--no-man]
#     --destdir DIR   stage everything under DIR (packaging, tests); nothing outside DIR is touched
#     --binary PATH   install this weir binary instead of building the release one
#     --no-man        skip generating the man page (it needs the argument parser's manual plugin built)
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "install.sh: $*" >&2; exit 1; }

prefix=/usr/local
destdir=""
binary=""
man=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --no-man) man=0; shift ;;
        *) fail "unknown option $1 (see the usage at the top of this script)" ;;
    esac
done
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    fail "installing into the system needs root (or use --destdir DIR to stage the files)"
fi

if [ -z "$binary" ]; then
    scripts/install-deps.sh || fail "installing the build dependencies failed (see above)"
    log=$(mktemp)
    swift build -c release --product weir > "$log" 2>&1 || { tail -20 "$log" >&2; fail "the release build failed"; }
    rm -f "$log"
    binary=.build/release/weir
fi
[ -x "$binary" ] || fail "no weir binary at $binary"

bindir="$prefix/bin"
install -d "$destdir$bindir" "$destdir$prefix/share/man/man1" "$destdir/etc/weir/rules" \
    "$destdir/etc/systemd/system" "$destdir/etc/logrotate.d" "$destdir/var/log/weir"
install -m 0755 "$binary" "$destdir$bindir/weir"
echo "installed $destdir$bindir/weir ($("$binary" --version | head -1))"

if [ "$man" = 1 ]; then
    pages=$(mktemp -d)
    if swift package --allow-writing-to-directory "$pages" generate-manual --output-directory "$pages" \
        > "$pages.log" 2>&1 && [ -f "$pages/weir.1" ]; then
        for page in "$pages"/*.1; do gzip -9c "$page" > "$destdir$prefix/share/man/man1/$(basename "$page").gz"; done
        echo "installed the man pages in $destdir$prefix/share/man/man1 (man weir)"
    else
        tail -5 "$pages.log" >&2
        fail "generating the man page failed (see above); --no-man skips it"
    fi
    rm -rf "$pages" "$pages.log"
fi

# Configuration: a starting point, kept if one is there already.
keep_or_install() {  # mode source target
    if [ -e "$3" ]; then
        echo "kept the existing $3"
    else
        install -m "$1" "$2" "$3"
        echo "installed $3"
    fi
}
keep_or_install 0644 packaging/weir.yaml "$destdir/etc/weir/weir.yaml"
if [ ! -e "$destdir/etc/weir/rules/local.rules" ]; then
    printf '# Local rules for Weir (Suricata syntax). Add rule files to rule-files in /etc/weir/weir.yaml.\n' \
        > "$destdir/etc/weir/rules/local.rules"
    echo "installed $destdir/etc/weir/rules/local.rules"
fi
sed "s|@BINDIR@|$bindir|g" packaging/weir.service > "$destdir/etc/systemd/system/weir.service.new"
if [ -e "$destdir/etc/systemd/system/weir.service" ] \
    && ! cmp -s "$destdir/etc/systemd/system/weir.service.new" "$destdir/etc/systemd/system/weir.service"; then
    echo "kept the existing weir.service; the new one is weir.service.new"
else
    mv "$destdir/etc/systemd/system/weir.service.new" "$destdir/etc/systemd/system/weir.service"
    echo "installed $destdir/etc/systemd/system/weir.service"
fi
keep_or_install 0644 packaging/weir.logrotate "$destdir/etc/logrotate.d/weir"

if [ -z "$destdir" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
fi
cat <<MSG
next: set the interface in /etc/weir/weir.yaml (af-packet), check it with 'weir -T -c /etc/weir/weir.yaml',
then 'systemctl enable --now weir'. EVE goes to /var/log/weir; logrotate rotates it daily.
MSG
