#!/bin/sh
# 'make demo': the project's main job, run against the freshly built QEMU.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

qemu="$BUILD/qemu-system-x86_64"
echo "== $("$qemu" --version | head -n 1)"
echo "== built from Debian qemu $(cat "$top/base/VERSION") + $(grep -vc '^#' "$top/patches/series") patches"
echo "== $ $qemu -device vfio-pci,help"
"$qemu" -device vfio-pci,help
