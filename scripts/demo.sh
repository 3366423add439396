#!/bin/sh
# 'make demo': the project's main job, run against the freshly built QEMU.
# 1. A booted Linux guest (tests/guest/run-guest.sh): QEMU's command line,
#    its placement decision from trace events, and the guest's own
#    lspci -vvv of the device with the PASID lines marked.
# 2. The data path: a Linux guest attaches PASIDs and the device's
#    PASID-tagged DMA lands in its buffers (tests/guest-pasid).
# 3. QEMU's side: the guest-visible config space read through MMCONFIG and
#    decoded by lspci -F (scripts/demo.py); DEMO_GUEST=0 shows only this.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
if [ -t 1 ]; then
    hl=$(printf '\033[1;32m')
    off=$(printf '\033[0m')
else
    hl='>> '
    off=''
fi
echo "== $("$BUILD/qemu-system-x86_64" --version | head -n 1)," \
     "built from Debian qemu $(cat "$top/base/VERSION") +" \
     "$(grep -vc '^#' "$top/patches/series") patches"

if [ "${DEMO_GUEST:-1}" != 0 ]; then
    out="$top/work/guest/demo"
    mkdir -p "$top/work/guest"
    echo
    echo "== What this shows"
    cat <<'TEXT'
A Linux guest behind intel-iommu (scalable mode, PASID) boots with assigned
devices whose host IOMMU supports PASID. No host here has an IOMMU or a VFIO
device, so a device model stands in for each host device: the fake-vfio test
double serves the VFIO/IOMMUFD uAPI from a profile made from a real device's
published config dump (01:00.0: Intel DSA 8086:0b25, host PASID width 20 with
PRIV). QEMU is the series-built binary, unmodified; the guest is Debian's
kernel under TCG (tests/guest/run-guest.sh; its first run downloads the
guest's packages).
TEXT
    if ! sh "$top/tests/guest/run-guest.sh" --out "$out" >"$out.log" 2>&1; then
        tail -n 30 "$out.log"
        echo "guest run failed; full log in $out.log" >&2
        exit 1
    fi
    cache=${VPASID_CACHE:-$HOME/.cache/vpasid-series}
    echo
    echo "== QEMU command line (fake-vfio-run preloads the device model)"
    sed -e "s|$top/||g" -e "s|$cache|~/.cache/vpasid-series|g" \
        -e 's/ \(--*[a-zA-Z]\)/ \\\n    \1/g' \
        "$out/command.txt" | sed '1s/^/$ /'
    echo
    echo "== QEMU's decision (trace events)"
    grep -v 'vfio_pci_vpasid_write' "$out/trace.log" | sed 's/^/   /'
    echo "   ($(grep -c 'vfio_pci_vpasid_write' "$out/trace.log" || true)" \
         "guest writes to the capabilities stayed in QEMU:" \
         "vfio_pci_vpasid_write)"
    echo
    echo "== Boot (seconds from QEMU's start)"
    grep -E 'exit [0-9.]+$|=== INIT START|=== INIT DONE' "$out.log" |
        sed 's/^\[run-guest\] */   /'
    echo "== guest# lspci -vvv -s 01:00.0   (the guest's own pciutils)"
    awk -v hl="$hl" -v off="$off" '
        /=== BEGIN lspci initial 0000:01:00.0 ===/ { p = 1; next }
        /=== END lspci initial/ { p = 0 }
        p { sub(/\r$/, ""); if ($0 ~ /PASID/) print hl $0 off; else print "   " $0 }' \
        "$out/console.txt"
    echo "   (PASIDCtl Enable+: the guest's intel-iommu driver enabled PASID" \
         "on the device itself)"
    echo "== guest: what it did with it"
    grep -E 'PASS: (setpci|raw FLR|secondary bus|fake-vfio|guest lspci: no PASID)' \
        "$out.log" | sed 's/^\[run-guest\] PASS: */   /'
    echo
fi

if [ "${DEMO_GUEST:-1}" != 0 ]; then
    gp="$top/work/guest-pasid-demo"
    echo "== The data path: a Linux guest uses PASIDs on the assigned device"
    cat <<'TEXT'
Debian's 6.12 kernel (bookworm-backports) boots with a device model whose
BAR has a small DMA engine (the fake-vfio double's "fake.dma"). A module
built against that kernel's headers attaches the device's DMA domain to a
PASID, as idxd does for kernel work queues, and a second PASID to a paging
domain of its own, and runs PASID-tagged DMAs through the engine into its
own buffers (tests/guest-pasid/run-guest-pasid.sh).
TEXT
    if ! sh "$top/tests/guest-pasid/run-guest-pasid.sh" >"$gp.tap" \
            2>"$gp.err"; then
        tail -n 30 "$gp.tap" "$gp.err"
        echo "guest PASID run failed; output in $gp.tap and $gp.err" >&2
        exit 1
    fi
    grep '^#' "$gp.tap" | sed -e 's/^# \{0,1\}/   /' \
        -e "/vtd_pasid_bind_attach\|vtd_pasid_shadow_new\|landed\|lands/s/^   /$hl/"
    echo "   $(grep -c '^ok ' "$gp.tap") checks passed," \
         "$(grep -c '^not ok ' "$gp.tap" || true) failed"
    echo
fi

echo "== QEMU's side: the guest-visible config space, read without a guest"
/usr/bin/python3 "$top/scripts/demo.py"
