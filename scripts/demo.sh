#!/bin/sh
# 'make demo': the project's main job, run against the freshly built QEMU.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
echo "== $("$BUILD/qemu-system-x86_64" --version | head -n 1)," \
     "built from Debian qemu $(cat "$top/base/VERSION") +" \
     "$(grep -vc '^#' "$top/patches/series") patches"
exec /usr/bin/python3 "$top/scripts/demo.py"
