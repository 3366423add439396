#!/bin/sh
# Build stock QEMU: the base commit alone (tag debian/<version>, Debian's
# qemu source package without the series), for tests that compare the
# series-built emulator with it byte for byte (tests/stock/stock_view.py,
# design 2.2).  Only qemu-system-x86_64 is built, in work/stock/build, from
# work/stock (a detached git worktree of the tag in $WORK's repository).
# Idempotent: a rerun checks the worktree out at the tag again (dropping any
# edit) and lets ninja do nothing; ccache serves most objects from earlier
# builds of the base (the per-patch bisect build starts there).  Never
# installed or shipped.  Prints the binary's path on stdout.
#
#   scripts/stock-build.sh
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

upstream_ver=$(sed 's/^[0-9]*://' "$top/base/VERSION")
tag="debian/$upstream_ver"
dir="$top/work/stock"

base=$(cd "$WORK" && git rev-parse --verify -q "$tag^{commit}") || {
    err "stock build: $WORK has no tag $tag (run 'make' first)"
    exit 1
}
if [ ! -e "$dir/.git" ]; then
    mkdir -p "$top/work"
    (cd "$WORK" && git worktree add -q --detach "$dir" "$base")
fi
(cd "$dir" && git checkout -q -f --detach "$base")
got=$(cd "$dir" && git rev-parse HEAD)
if [ "$got" != "$base" ]; then
    err "stock build: $dir is at $got, not $tag ($base)"
    exit 1
fi
if [ -n "$(cd "$dir" && git status --porcelain --untracked-files=no)" ]; then
    err "stock build: $dir has local changes"
    exit 1
fi
say "stock build: $tag ($base) in $dir/build"
BUILD_TARGETS="" sh "$top/scripts/build.sh" "$dir" "$dir/build" >&2
echo "$dir/build/qemu-system-x86_64"
