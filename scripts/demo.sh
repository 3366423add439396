#!/bin/sh
# 'make demo': the project's main job, run against the freshly built QEMU.
# 1. QEMU's view: the guest-visible config space read through MMCONFIG and
#    decoded by lspci -F (scripts/demo.py).
# 2. A booted Linux guest's own view of the same device (tests/guest/).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
echo "== $("$BUILD/qemu-system-x86_64" --version | head -n 1)," \
     "built from Debian qemu $(cat "$top/base/VERSION") +" \
     "$(grep -vc '^#' "$top/patches/series") patches"
/usr/bin/python3 "$top/scripts/demo.py"

if [ "${DEMO_GUEST:-1}" = 0 ]; then
    exit 0
fi
out="$top/work/guest/demo"
mkdir -p "$top/work/guest"
echo
echo "== The same device in a booted Linux guest (Debian kernel, TCG, intel_iommu=on,sm_on)"
echo "   (tests/guest/run-guest.sh; first run downloads the guest's packages)"
if ! sh "$top/tests/guest/run-guest.sh" --out "$out" >"$out.log" 2>&1; then
    tail -n 30 "$out.log"
    echo "guest run failed; full log in $out.log" >&2
    exit 1
fi
grep -E 'exit [0-9.]+$|=== INIT DONE' "$out.log" | sed 's/^\[run-guest\] */   /'
echo "== guest# lspci -vvv -s 01:00.0   (capability lines)"
awk '/=== BEGIN lspci initial 0000:01:00.0 ===/ { p = 1; next }
     /=== END lspci initial/ { p = 0 }
     p && /^[0-9a-f]/ { print "   " $0 }
     p && /Capabilities:|PASID/ { sub(/\r$/, "");
         if ($0 ~ /PASID/) print ">> " $0; else print "   " $0 }' \
    "$out/console.txt"
echo "   (PASIDCtl Enable+: the guest's intel-iommu driver enabled PASID on the device itself)"
echo "== guest: what it did with it"
grep -E 'PASS: (setpci|raw FLR|secondary bus|fake-vfio|guest lspci: no PASID)' \
    "$out.log" | sed 's/^\[run-guest\] PASS: */   /'
