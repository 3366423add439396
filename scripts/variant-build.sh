#!/bin/sh
# Build a test-only variant of the series-built QEMU: the work tree's HEAD
# with one small source edit, in work/variants/NAME (a git worktree and a
# build directory of its own; ccache shares the main build's objects, so
# only the edited file compiles).  A variant is never installed or shipped:
# tests use it where the shipped binary cannot reach what they check.
#
#   variant-build.sh NAME FILE SED-EXPRESSION
#
# FILE is relative to the QEMU tree; the edit must change FILE, or the
# build is refused.  Prints the variant's qemu-system-x86_64 on stdout.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

[ $# -eq 3 ] || { err "usage: variant-build.sh NAME FILE SED-EXPRESSION"; exit 2; }
name=$1 file=$2 expr=$3
dir="$top/work/variants/$name"
head=$(cd "$WORK" && git rev-parse HEAD)

if [ ! -d "$dir" ]; then
    mkdir -p "$top/work/variants"
    (cd "$WORK" && git worktree add -q --detach "$dir" "$head")
fi
(cd "$dir" && git checkout -q -f --detach "$head")
cp "$dir/$file" "$dir/$file.orig"
sed -e "$expr" "$dir/$file.orig" >"$dir/$file"
if cmp -s "$dir/$file" "$dir/$file.orig"; then
    rm -f "$dir/$file.orig"
    err "variant $name: the edit does not change $file: $expr"
    exit 1
fi
rm -f "$dir/$file.orig"
say "variant $name: $file edited ($expr), building"
BUILD_TARGETS="tests/qtest/fake-vfio/libfake-vfio.so" \
    sh "$top/scripts/build.sh" "$dir" "$dir/build" >&2
echo "$dir/build/qemu-system-x86_64"
