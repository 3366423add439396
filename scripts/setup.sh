#!/bin/sh
# Everything 'make' does, with the time each phase took:
# apt set-up, base (download, verify, extract, import), work tree, build.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

t0=$(date +%s)
report=""
phase() {
    name=$1
    shift
    s=$(date +%s)
    "$@"
    report="$report $name=$(($(date +%s) - s))s"
}
phase deps sh "$top/scripts/apt-setup.sh"
phase base sh -c "sh '$top/scripts/base.sh' >/dev/null"
phase worktree sh "$top/scripts/worktree.sh"
phase build sh "$top/scripts/build.sh"
say "setup timings:$report total=$(($(date +%s) - t0))s"
