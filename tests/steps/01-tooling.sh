#!/bin/sh
# Checks of the project's own tooling:
#  - round trip: exporting the work tree made from base + patches/ gives
#    patches/ back byte for byte (twice, so export is idempotent);
#  - a tampered cached tarball is refused, naming the file and the sum;
#  - the repository names no package registry host and holds no QEMU or
#    Debian source tree.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
. "$top/tests/lib/checks.sh"

# -- round trip
if [ -n "$(cd "$WORK" && git status --porcelain -uno)" ]; then
    nok "round trip: $WORK has uncommitted changes"
else
    PATCHES_DIR="$tmp/p1" sh "$top/scripts/export.sh" 2>/dev/null
    PATCHES_DIR="$tmp/p2" sh "$top/scripts/export.sh" 2>/dev/null
    if diff -r "$top/patches" "$tmp/p1" >"$tmp/diff" 2>&1; then
        ok "export of the work tree reproduces patches/ byte for byte"
    else
        nok "export differs from patches/:"; head -n 20 "$tmp/diff"
    fi
    if diff -r "$tmp/p1" "$tmp/p2" >/dev/null 2>&1; then
        ok "export is idempotent"
    else
        nok "two exports differ"
    fi
fi

# -- tampered tarball
dl="$VPASID_CACHE/download"
if [ -d "$dl" ]; then
    mkdir -p "$tmp/cache/download"
    cp "$dl"/* "$tmp/cache/download/"
    f="$tmp/cache/download/qemu_10.2.2+ds-1.debian.tar.xz"
    printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
    want=$(grep ' qemu_10.2.2+ds-1.debian.tar.xz$' "$top/base/SHA256SUMS" | cut -d' ' -f1)
    if VPASID_CACHE="$tmp/cache" sh "$top/scripts/base.sh" >"$tmp/out" 2>&1; then
        nok "base.sh accepted a tampered tarball"
    elif grep -q "checksum mismatch for $f" "$tmp/out" &&
         grep -q "expected sha256 $want" "$tmp/out" &&
         [ ! -d "$tmp/cache/base-10.2.2+ds-1.git" ]; then
        ok "a tampered tarball is refused, naming the file and its pinned sum"
    else
        nok "tampered tarball refused without the expected message:"
        cat "$tmp/out"
    fi
else
    nok "no download cache at $dl"
fi

# -- what the repository holds
cd "$top"
if git grep -qIiE 'deb\.debian\.org|debian\.org/debian|security\.debian\.org|registry\.npmjs\.org|snapshot\.debian\.org'; then
    nok "a package registry host is named in the repository:"
    git grep -nIiE 'deb\.debian\.org|debian\.org/debian|security\.debian\.org|registry\.npmjs\.org|snapshot\.debian\.org'
else
    ok "no package registry host named in the repository"
fi
n=$(git ls-files | wc -l)
if [ "$n" -lt 300 ] && ! git ls-files | grep -qE '(^|/)(configure|meson\.build|debian/control)$'; then
    ok "no QEMU or Debian source tree committed ($n files)"
else
    nok "$n files tracked, or QEMU/Debian build files among them"
fi
finish
