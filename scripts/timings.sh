#!/bin/sh
# Measure set-up + build: cold (empty cache and work tree, in a scratch
# directory so the real ones are kept), warm rerun, and the rebuild after
# touching hw/vfio/pci.c.  Prints the figures; asserts nothing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
scratch=${TIMINGS_DIR:-$top/work/timings}
rm -rf "$scratch"
mkdir -p "$scratch"
export VPASID_CACHE="$scratch/cache" WORK="$scratch/qemu"
export BUILD="$WORK/build"
# A cold build means no compiler cache either.
export CCACHE_DISABLE=1

# Reuse the verified downloads (the network is not what we measure), unless
# TIMINGS_DOWNLOAD=1.
if [ "${TIMINGS_DOWNLOAD:-0}" != 1 ] && [ -d "$HOME/.cache/vpasid-series/download" ]; then
    mkdir -p "$VPASID_CACHE"
    cp -r "$HOME/.cache/vpasid-series/download" "$VPASID_CACHE/"
fi

t() {
    s=$(date +%s)
    sh "$top/scripts/setup.sh" >"$scratch/$1.log" 2>&1
    echo $(($(date +%s) - s))
}
cold=$(t cold)
warm=$(t warm)
touch "$WORK/hw/vfio/pci.c"
incr=$(t touch-pci)
echo "timings: cold set-up + build ${cold}s (target <= 360s)"
echo "timings: warm rerun            ${warm}s"
echo "timings: touch hw/vfio/pci.c   ${incr}s (target <= 30s)"
if [ "${TIMINGS_KEEP:-0}" != 1 ]; then
    rm -rf "$scratch"
fi
