#!/bin/sh
# Fetch Debian's qemu source package, verify it against the pinned SHA-256
# sums in base/SHA256SUMS, extract it with dpkg-source (which applies Debian's
# own quilt patches) and import it as a git repository whose single commit is
# the base of the series.  Everything lands in $VPASID_CACHE and is reused.
#
# Prints the path of the base git repository on stdout (last line).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

version=$(cat "$top/base/VERSION")          # 1:10.2.2+ds-1
upstream_ver=${version#*:}                   # 10.2.2+ds-1
sums="$top/base/SHA256SUMS"
dl="$VPASID_CACHE/download"
base_git="$VPASID_CACHE/base-$upstream_ver.git"

verify() {
    # verify FILE... against the pinned sums; refuse on any mismatch
    rc=0
    while read -r want name; do
        f="$dl/$name"
        if [ ! -f "$f" ]; then
            continue
        fi
        got=$(sha256sum "$f" | cut -d' ' -f1)
        if [ "$got" != "$want" ]; then
            err "checksum mismatch for $f"
            err "  expected sha256 $want (pinned in base/SHA256SUMS)"
            err "  got      sha256 $got"
            err "  refusing to use it; delete the file to download it again"
            rc=1
        fi
    done <"$sums"
    return $rc
}

all_present() {
    while read -r _want name; do
        [ -f "$dl/$name" ] || return 1
    done <"$sums"
    return 0
}

if [ -f "$base_git/vpasid-base.ok" ]; then
    # The imported base is only trusted while the tarballs still verify.
    verify >&2
    say "base: cached $base_git"
    echo "$base_git"
    exit 0
fi

mkdir -p "$dl"
if ! all_present; then
    say "base: downloading qemu=$version source package"
    (cd "$dl" && apt-get source --download-only "qemu=$version") >&2
fi
verify >&2
say "base: checksums OK ($(wc -l <"$sums") files)"

tmp="$VPASID_CACHE/extract.$$"
rm -rf "$tmp" "$base_git"
mkdir -p "$tmp"
say "base: dpkg-source -x (applies debian/patches)"
dpkg-source --no-check -x "$dl/qemu_$upstream_ver.dsc" "$tmp/src" >&2
rm -rf "$tmp/src/.pc"

say "base: importing into $base_git"
git init -q -b base "$tmp/src"
(
    cd "$tmp/src"
    # The tarball's own .gitignore files would drop files from the import.
    git add -A -f .
    GIT_AUTHOR_NAME="Debian QEMU Team" GIT_AUTHOR_EMAIL="pkg-qemu-devel@lists.alioth.debian.org" \
    GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
    GIT_COMMITTER_NAME="vpasid-series" GIT_COMMITTER_EMAIL="vpasid-series@localhost" \
    GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
        git -c core.autocrlf=false commit -q --no-verify \
            -m "qemu $version (Debian source package, debian/patches applied)"
    git tag "debian/$upstream_ver"
)
git clone -q --bare "$tmp/src" "$base_git"
rm -rf "$tmp"
touch "$base_git/vpasid-base.ok"
echo "$base_git"
