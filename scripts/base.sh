#!/bin/sh
# Fetch Debian's qemu source package, verify it against the pinned SHA-256
# sums in base/SHA256SUMS, extract it with dpkg-source (which applies Debian's
# own quilt patches) and import it as a git repository whose single commit is
# the base of the series.  Everything lands in $VPASID_CACHE and is reused.
#
# The three files come from the first of these that has them:
#   1. $VPASID_CACHE/download (an earlier run, or a user who put them there);
#   2. apt-get source from the mirror's sid index, through a private apt
#      configuration in $VPASID_CACHE/apt (the machine's sources are not
#      touched, and no root is needed);
#   3. the mirror's pool, by path: sid drops a version from its index when a
#      newer one arrives, while its files stay in the pool for a while.
# The pinned sums are the integrity check in every case.  When all three
# fail, the error names the files, their sums and where to put them.
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

# The source package's directory in a Debian pool (Debian policy's layout).
pool_dir() {
    case $1 in
    lib?*) printf 'pool/main/%s/%s\n' "$(printf %s "$1" | cut -c1-4)" "$1" ;;
    *) printf 'pool/main/%s/%s\n' "$(printf %s "$1" | cut -c1)" "$1" ;;
    esac
}

# apt-get with a configuration of its own: one deb-src entry for sid, lists
# and caches under $VPASID_CACHE/apt, the machine's apt.conf.d still read
# (proxies).  VPASID_KEYRING replaces Debian's keyring (test fixtures).
# Check-Valid-Until: no -- mirrors and archive snapshots let sid's Release
# pass its Valid-Until date (24 days past on 2026-11-30, and apt-get update
# then fails); the signature and every hash are still checked, and the
# pinned sums check the files themselves.
apt_src() {
    a="$VPASID_CACHE/apt"
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/sources.list.d"
    cat >"$a/sources.list.d/qemu-src.sources" <<EOT
# Written by vpasid-series scripts/base.sh (private apt configuration).
Types: deb-src
URIs: $uri
Suites: sid
Components: main
Signed-By: ${VPASID_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
Check-Valid-Until: no
EOT
    apt-get -q -o Dir::Etc::SourceList=/dev/null \
        -o Dir::Etc::SourceParts="$a/sources.list.d" \
        -o Dir::State::Lists="$a/lists" -o Dir::Cache="$a/cache" \
        -o APT::Sandbox::User=root "$@"
}

fetch_base() {
    uri=$(mirror_uri)
    if [ -n "$uri" ]; then
        say "base: apt-get source qemu=$version (sid index, ${uri%%:*} mirror)"
        if (apt_src update && cd "$dl" && apt_src source --download-only \
                "qemu=$version") >"$VPASID_CACHE/apt.log" 2>&1; then
            all_present && return 0
        fi
        say "base: not from the sid index: $(grep -E '^(E|W):' \
            "$VPASID_CACHE/apt.log" | tail -n 1)"
        pool="$uri/$(pool_dir qemu)"
        say "base: fetching the files by their pool path, $(pool_dir qemu)/"
        while read -r want name; do
            [ -f "$dl/$name" ] && continue
            rm -f "$dl/.part"
            if /usr/lib/apt/apt-helper -o APT::Sandbox::User=root \
                   download-file "$pool/$name" "$dl/.part" \
                   </dev/null >>"$VPASID_CACHE/apt.log" 2>&1; then
                # A file: mirror gives a link; keep the bytes, and only
                # bytes that match the pinned sum.
                cp -L "$dl/.part" "$dl/.part.copy"
                rm -f "$dl/.part"
                got=$(sha256sum "$dl/.part.copy" | cut -d' ' -f1)
                if [ "$got" != "$want" ]; then
                    rm -f "$dl/.part.copy"
                    err "checksum mismatch for $pool/$name"
                    err "  expected sha256 $want (pinned in base/SHA256SUMS)"
                    err "  got      sha256 $got"
                    err "  refusing to use it"
                    return 1
                fi
                mv "$dl/.part.copy" "$dl/$name"
                say "base: $name from the pool"
            else
                rm -f "$dl/.part"
                say "base: $name is not in the pool"
            fi
        done <"$sums"
        all_present && return 0
    else
        say "base: no Debian mirror URI in this machine's apt sources"
    fi
    err "qemu $version is in neither the sid index nor the pool of this"
    err "machine's Debian mirror.  Any Debian archive snapshot that has"
    err "$(pool_dir qemu)/ of that version has the files.  Put these three,"
    err "with these SHA-256 sums, into"
    err "  $dl"
    err "(\$VPASID_CACHE/download; VPASID_CACHE defaults to"
    err "~/.cache/vpasid-series) and run make again; set-up continues from there:"
    while read -r want name; do
        if [ -f "$dl/$name" ]; then
            err "  $want  $name  (present)"
        else
            err "  $want  $name"
        fi
    done <"$sums"
    err "(apt's output: $VPASID_CACHE/apt.log)"
    exit 1
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
    fetch_base
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
