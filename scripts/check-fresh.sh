#!/bin/sh
# 'make check-fresh': the README's two commands on a clean Debian 12 root.
#
# debootstraps a minbase bookworm root (plus make, which runs the two
# commands) from the mirror URI this machine's apt already uses, clones the
# committed tree into /work/main and copies ../shared to /work/shared
# (read-only, as CI has it), then runs 'make demo' and 'make check' there as
# root, each with its wall time and result.  Nothing from this machine's
# apt state, caches or work tree reaches the root: no apt.conf.d (this
# machine's disables Valid-Until checks), no ~/.cache, no ccache.
#
# The root's /proc, /sys and /dev are mounted in a mount namespace of their
# own, so they go away with it whatever happens.  The root is removed at the
# end unless KEEP_FRESH_ROOT=1.  Logs: work/logs/check-fresh-*.log.
#
# Variables: FRESH_ROOT (default work/fresh-root), FRESH_SUITE (bookworm).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

[ "$(id -u)" -eq 0 ] || { err "check-fresh: needs root (debootstrap, chroot)"; exit 1; }

root=${FRESH_ROOT:-$top/work/fresh-root}
suite=${FRESH_SUITE:-bookworm}
logs="$top/work/logs"
mkdir -p "$logs"

uri=$(mirror_uri)
[ -n "$uri" ] || { err "check-fresh: no Debian mirror URI in this machine's apt sources"; exit 1; }
[ -d "$top/../shared" ] || { err "check-fresh: no ../shared beside $top"; exit 1; }
if [ -n "$(git -C "$top" status --porcelain)" ]; then
    say "check-fresh: note: uncommitted changes are not part of the test (it clones HEAD)"
fi

if ! command -v debootstrap >/dev/null; then
    say "check-fresh: installing debootstrap"
    apt-get update -q >"$logs/check-fresh-apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        debootstrap >>"$logs/check-fresh-apt.log" 2>&1
fi

cleanup() {
    # The namespace's mounts are gone once its processes are; refuse to
    # remove anything that still has a mount below it.
    if grep -qF " $root/" /proc/mounts; then
        err "check-fresh: mounts left under $root; not removing it"
    elif [ "${KEEP_FRESH_ROOT:-0}" = 1 ]; then
        say "check-fresh: root kept at $root"
    else
        rm -rf --one-file-system "$root"
    fi
}
cleanup
trap cleanup EXIT

t0=$(date +%s)
say "check-fresh: debootstrap --variant=minbase $suite into $root (${uri%%:*} mirror)"
if ! debootstrap --variant=minbase --include=make,ca-certificates "$suite" \
        "$root" "$uri" >"$logs/check-fresh-debootstrap.log" 2>&1; then
    tail -n 20 "$logs/check-fresh-debootstrap.log" >&2
    err "check-fresh: debootstrap failed"
    exit 1
fi
say "check-fresh: root ready in $(($(date +%s) - t0)) s"

mkdir -p "$root/work"
git clone -q "$top" "$root/work/main"
cp -a "$top/../shared" "$root/work/shared"
chmod -R a-w "$root/work/shared"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# in_root NAME COMMAND: run COMMAND in /work/main of the root as a new
# login would, log to work/logs/check-fresh-NAME.log; prints the wall time.
in_root() {
    name=$1
    shift
    s=$(date +%s)
    rc=0
    unshare --mount --propagation private sh -c '
        set -e
        r=$1; shift
        mount -t proc proc "$r/proc"
        mount --rbind /sys "$r/sys"
        mount --rbind /dev "$r/dev"
        exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            sh -c "cd /work/main && $*"
    ' sh "$root" "$@" >"$logs/check-fresh-$name.log" 2>&1 || rc=$?
    secs=$(($(date +%s) - s))
    if [ "$rc" -eq 0 ]; then
        res=PASS
    else
        res="FAIL (exit $rc)"
    fi
    printf 'check-fresh: %-11s %5d s  %s\n' "$*" "$secs" "$res"
    return "$rc"
}

rc=0
in_root demo make demo || rc=1
if [ "$rc" -eq 0 ]; then
    tail -n 3 "$logs/check-fresh-demo.log" | sed 's/^/    demo: /'
else
    tail -n 30 "$logs/check-fresh-demo.log" | sed 's/^/    /'
fi
in_root check make check || rc=1
grep -E '^(PASS|FAIL) ' "$logs/check-fresh-check.log" | sed 's/^/    /' || true
tail -n 1 "$logs/check-fresh-check.log" | sed 's/^/    /'
say "check-fresh: total $(($(date +%s) - t0)) s"
exit "$rc"
