#!/bin/sh
# How scripts/base.sh gets the base, without the network: local file: mirrors
# signed by a throwaway key, and an apt configuration without this machine's
# apt.conf.d (APT_CONFIG), as on a fresh machine.
#
#  A  sid's Release is past its Valid-Until date and lists the pinned
#     version: apt-get source takes it (Check-Valid-Until: no), the import
#     is the same commit as the real base.  Control: the same index without
#     that option is refused as expired, so A tests the relaxation.
#  B  the index lists only a newer qemu (the version left sid's index) and
#     the pool still has the files: fetched by pool path, verified.
#  C  neither index nor pool has them: exit 1 and a message naming the
#     three files, their pinned sums and the download directory; the files
#     put there by hand, the next run continues from them.
#  D  the pool holds a file whose sum differs: refused, naming the pool
#     path and both sums; nothing lands in the download directory.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
. "$top/tests/lib/checks.sh"

version=$(cat "$top/base/VERSION")
upstream_ver=${version#*:}
sums="$top/base/SHA256SUMS"
real_dl="$VPASID_CACHE/download"
real_git="$VPASID_CACHE/base-$upstream_ver.git"
if ! [ -d "$real_git" ] || ! (cd "$real_dl" && sha256sum -c --quiet "$sums"); then
    echo "not ok - no verified base in $VPASID_CACHE (run make first)"
    echo "0 passed, 1 failed"
    exit 1
fi
real_commit=$(git -C "$real_git" rev-parse "debian/$upstream_ver")

# apt as on a fresh machine: no apt.conf.d (this one disables Valid-Until
# checks globally), no main apt.conf.
mkdir -p "$tmp/parts"
cat >"$tmp/apt.conf" <<EOT
Dir::Etc::Parts "$tmp/parts";
Dir::Etc::main "/dev/null";
EOT
export APT_CONFIG="$tmp/apt.conf"

# A throwaway signing key; its public part is the fixture's keyring.
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg -q --batch --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "vpasid fixture <fixture@example.invalid>" ed25519 sign never \
    2>"$tmp/gpg.log" || { cat "$tmp/gpg.log"; exit 1; }
gpg -q --batch --export >"$tmp/fixture.gpg"
export VPASID_KEYRING="$tmp/fixture.gpg"

# mirror DIR INDEX_VERSION VALID_UNTIL_DAYS POOL: a file: mirror with a
# signed sid InRelease valid until VALID_UNTIL_DAYS from now (negative:
# expired), whose Sources lists qemu INDEX_VERSION ("" = no index at all)
# with the pinned files, and a pool that is "full", "empty" or "tampered".
mirror() {
    d=$1 iver=$2 valid=$3 pool=$4
    pd="$d/pool/main/q/qemu"
    mkdir -p "$pd"
    case $pool in
    full) cp "$real_dl"/* "$pd/" ;;
    tampered)
        cp "$real_dl"/* "$pd/"
        printf 'X' | dd of="$pd/qemu_$upstream_ver.dsc" bs=1 seek=200 \
            conv=notrunc 2>/dev/null ;;
    esac
    [ -n "$iver" ] || return 0
    s="$d/dists/sid/main/source"
    mkdir -p "$s"
    {
        printf 'Package: qemu\nBinary: qemu-system-x86\nVersion: %s\n' "$iver"
        printf 'Maintainer: fixture <fixture@example.invalid>\n'
        printf 'Architecture: any\nFormat: 3.0 (quilt)\n'
        printf 'Directory: pool/main/q/qemu\nFiles:\n'
        while read -r _w n; do
            printf ' %s %s %s\n' "$(md5sum <"$real_dl/$n" | cut -d' ' -f1)" \
                "$(stat -c %s "$real_dl/$n")" "$n"
        done <"$sums"
        printf 'Checksums-Sha256:\n'
        while read -r w n; do
            printf ' %s %s %s\n' "$w" "$(stat -c %s "$real_dl/$n")" "$n"
        done <"$sums"
        printf '\n'
    } >"$s/Sources"
    {
        printf 'Origin: Debian\nLabel: Debian\nSuite: unstable\nCodename: sid\n'
        printf 'Date: %s\n' "$(date -u -R -d '-30 days')"
        printf 'Valid-Until: %s\n' "$(date -u -R -d "$valid days")"
        printf 'Architectures: amd64\nComponents: main\nSHA256:\n'
        printf ' %s %s main/source/Sources\n' \
            "$(sha256sum <"$s/Sources" | cut -d' ' -f1)" \
            "$(stat -c %s "$s/Sources")"
    } >"$d/dists/sid/Release"
    gpg -q --batch --clearsign -o "$d/dists/sid/InRelease" "$d/dists/sid/Release"
}

# run NAME MIRROR: base.sh with a fresh cache; output in $tmp/NAME.out
run() {
    VPASID_MIRROR="file://$2" VPASID_CACHE="$tmp/cache-$1" \
        sh "$top/scripts/base.sh" >"$tmp/$1.out" 2>&1
}

imported() { # imported NAME: the cache's base is the real base's commit
    [ "$(git -C "$tmp/cache-$1/base-$upstream_ver.git" rev-parse \
        "debian/$upstream_ver" 2>/dev/null)" = "$real_commit" ]
}

# -- A: expired Release, version in the index
mirror "$tmp/mA" "$version" -23 full
mkdir -p "$tmp/ctl/lists/partial" "$tmp/ctl/src"
cat >"$tmp/ctl/src/a.sources" <<EOT
Types: deb-src
URIs: file://$tmp/mA
Suites: sid
Components: main
Signed-By: $VPASID_KEYRING
EOT
if apt-get -q -o Dir::Etc::SourceList=/dev/null \
       -o Dir::Etc::SourceParts="$tmp/ctl/src" -o Dir::State::Lists="$tmp/ctl/lists" \
       -o Dir::Cache="$tmp/ctl" -o APT::Sandbox::User=root update \
       >"$tmp/ctl.out" 2>&1; then
    nok "control: apt accepted the expired fixture without Check-Valid-Until: no"
    cat "$tmp/ctl.out"
elif grep -q "sid/InRelease is expired" "$tmp/ctl.out"; then
    ok "control: without the relaxation apt refuses the fixture as expired"
else
    nok "control: apt failed on the fixture for another reason:"
    cat "$tmp/ctl.out"
fi
if run A "$tmp/mA" && imported A &&
   grep -q "apt-get source qemu=$version (sid index, file mirror)" "$tmp/A.out" &&
   ! grep -q "not from the sid index" "$tmp/A.out" &&
   (cd "$tmp/cache-A/download" && sha256sum -c --quiet "$sums"); then
    ok "A: expired sid Release: apt-get source, verified, base $real_commit"
else
    nok "A: expired sid Release not handled:"; cat "$tmp/A.out"
fi

# -- B: the version left the index, the pool has it
mirror "$tmp/mB" "1:10.2.3+ds-1" 7 full
if run B "$tmp/mB" && imported B &&
   grep -q "not from the sid index: E: Unable to find a source package for qemu\$" "$tmp/B.out" &&
   cat "$tmp"/cache-B/apt/lists/*_sid_main_source_Sources* | grep -qx "Version: 1:10.2.3+ds-1" &&
   [ "$(grep -c ' from the pool$' "$tmp/B.out")" -eq 3 ] &&
   (cd "$tmp/cache-B/download" && sha256sum -c --quiet "$sums") &&
   ! [ -L "$tmp/cache-B/download/qemu_$upstream_ver.dsc" ]; then
    ok "B: version gone from the index: 3 files by pool path, verified, base $real_commit"
else
    nok "B: pool fallback failed:"; cat "$tmp/B.out"
fi

# -- C: gone from index and pool; then put into the cache by hand
mirror "$tmp/mC" "1:10.2.3+ds-1" 7 empty
run C "$tmp/mC"
rc=$?
want_ok=1
[ "$rc" -eq 1 ] || want_ok=0
grep -qF "error:   $tmp/cache-C/download" "$tmp/C.out" || want_ok=0
grep -qF "VPASID_CACHE" "$tmp/C.out" || want_ok=0
while read -r w n; do
    grep -qxF "error:   $w  $n" "$tmp/C.out" || want_ok=0
done <"$sums"
[ ! -d "$tmp/cache-C/base-$upstream_ver.git" ] || want_ok=0
if [ "$want_ok" -eq 1 ]; then
    ok "C: files gone: exit 1 naming the 3 files, their sums and $tmp/cache-C/download"
else
    nok "C: files gone, exit $rc, message:"; cat "$tmp/C.out"
fi
cp "$real_dl"/* "$tmp/cache-C/download/"
if run C "$tmp/mC" && imported C && ! grep -q "apt-get source" "$tmp/C.out"; then
    ok "C: with the files put into the cache by hand, set-up continues (no fetch)"
else
    nok "C: did not continue from the hand-filled cache:"; cat "$tmp/C.out"
fi

# -- D: a pool file with another sum
mirror "$tmp/mD" "1:10.2.3+ds-1" 7 tampered
got=$(sha256sum <"$tmp/mD/pool/main/q/qemu/qemu_$upstream_ver.dsc" | cut -d' ' -f1)
want=$(grep " qemu_$upstream_ver.dsc\$" "$sums" | cut -d' ' -f1)
if run D "$tmp/mD"; then
    nok "D: a pool file with a wrong sum was accepted"
elif grep -qF "error: checksum mismatch for file://$tmp/mD/pool/main/q/qemu/qemu_$upstream_ver.dsc" "$tmp/D.out" &&
     grep -qF "expected sha256 $want" "$tmp/D.out" &&
     grep -qF "got      sha256 $got" "$tmp/D.out" &&
     ! [ -e "$tmp/cache-D/download/qemu_$upstream_ver.dsc" ]; then
    ok "D: a pool file with a wrong sum is refused, naming it and both sums"
else
    nok "D: wrong sum, unexpected outcome:"; cat "$tmp/D.out"
fi

finish
