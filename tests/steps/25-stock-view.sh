#!/bin/sh
# Stock, byte for byte (design 2.2): when a condition for the vPASID
# capability fails, the guest sees exactly what stock QEMU 10.2.2 shows.
# Builds stock QEMU (the base commit alone, scripts/stock-build.sh, in
# work/stock) and runs tests/stock/stock_view.py: every profile under every
# failing condition, the series-built QEMU against stock, comparing the
# 4 KiB guest-visible config space, the write masks, the view after the
# mask sweep and the config writes that reach the device.
#
# Then the guard that the check can fail: a test-only variant of the
# series that synthesizes the capability whatever the vIOMMU says
# (scripts/variant-build.sh, work/variants/stockview-viommu; never
# shipped) must fail it, on exactly the cases and bytes where it differs.
#
# Measured on the 2-core machine: stock build cold 40 s (ccache warm from
# the bisect build), no-op 1 s; the check 190 cases in 75 s; the variant
# 35 s cold, about 25 s when only pci.c recompiles, and its check 3 s.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
. "$top/tests/lib/counted.sh"

t=$(date +%s)
STOCK_QEMU=$(sh "$top/scripts/stock-build.sh")
export STOCK_QEMU
say "stock-view: stock build $(($(date +%s) - t))s: $STOCK_QEMU"

# Every profile under the seven conditions that apply to all of them, and
# the exposed-PASID condition for each profile that exposes one.  190 when
# this was written (27 profiles, one exposing PASID): never fewer.
n=$(ls "$top"/profiles/*.profile | wc -l)
exposed=$(grep -l '^# vfio.expose_pasid: yes' "$top"/profiles/*.profile | wc -l)
min=$((n * 7 + exposed))
[ "$min" -ge 190 ] || min=190
t=$(date +%s)
rc=0
run_counted stock_view.py "$min" \
    /usr/bin/python3 "$top/tests/stock/stock_view.py" || rc=1
say "stock-view: check $(($(date +%s) - t))s"

# --- the check can fail
t=$(date +%s)
variant=$(sh "$top/scripts/variant-build.sh" stockview-viommu hw/vfio/pci.c \
    's/    if (!(flags & VIOMMU_FLAG_PASID_SUPPORTED)) {/    if (0 \&\& !(flags \& VIOMMU_FLAG_PASID_SUPPORTED)) {/')
out=$(mktemp)
vrc=0
/usr/bin/python3 "$top/tests/stock/stock_view.py" --series "$variant" \
    --only synthetic-minimal.profile \
    --conditions viommu-no-pasid,no-viommu,off >"$out" 2>&1 || vrc=$?
# synthetic-minimal: AER at 0x100, the device's own hidden PASID
# capability (Control 0x0003, set by the host) at 0xff8.  The variant puts
# its vPASID capability there (Control 0) and links it from AER.
want_fail() {
    if ! grep -qxF -- "$1" "$out"; then
        echo "not ok - stock_view.py on the variant: no line '$1'"
        rc=1
    fi
}
if [ "$vrc" -eq 0 ]; then
    echo "not ok - stock_view.py passed on a variant that synthesizes the" \
         "capability without a PASID-capable vIOMMU"
    rc=1
fi
want_fail 'not ok - synthetic-minimal / viommu-no-pasid: differs from stock'
want_fail 'not ok - synthetic-minimal / no-viommu: differs from stock'
want_fail '#   view 0x102: series 0x81 stock 0x01'
want_fail '#   view 0x103: series 0xff stock 0x00'
want_fail '#   view 0xffe: series 0x00 stock 0x03'
want_fail '#   masks 0xff8: series 0x1b stock 0xff'
want_fail '# series: x-vpasid-cap-offset-effective 4088, not 0'
want_fail '1 passed, 2 failed'
if grep -q '^ok - synthetic-minimal / off: ' "$out" && [ "$rc" -eq 0 ]; then
    echo "ok - stock_view.py fails on the variant where it differs" \
         "(viommu-no-pasid, no-viommu), and only there (off passes):"
    grep -E '^not ok|^#   view' "$out" | sed 's/^/    /'
else
    echo "not ok - stock_view.py on the variant (exit $vrc):"
    sed 's/^/    /' "$out"
    rc=1
fi
rm -f "$out"
say "stock-view: variant $(($(date +%s) - t))s"
exit "$rc"
