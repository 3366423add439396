#!/bin/sh
# 'make mutants': are the qtests able to fail for the failures that matter?
# Each mutant is one small breaking edit of the series' QEMU code (a sed
# expression on one file).  It is built incrementally in one variant work
# tree (scripts/variant-build.sh: only the edited file compiles) and the
# vfio qtests run against it with the main build's test binaries and test
# double.  A mutant is killed when a qtest case fails; every mutant must be.
# Prints a table: mutant, killed by (the first failing case), seconds.
#
#   scripts/mutants.sh [NAME...]       default: every mutant below
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

# name|file|sed expression|what it breaks
MUTANTS='zero-check-dropped|hw/pci/pcie_ext_cap_layout.c|s/ok = !config\[b\];/ok = true;/|auto takes slots whose device bytes are not zero
hidden-caps-ignored|hw/pci/pcie_ext_cap_layout.c|/^static void pcie_ext_cap_layout_scan(/,/^{$/s/^{$/{ return;/|no scan for capabilities the kernel hides
loop-not-detected|hw/pci/pcie_ext_cap_layout.c|s/if (is_header\[next \/ 4\]) {/if (0) {/|a looping chain is walked until the entry limit
misaligned-accepted|hw/pci/pcie_ext_cap_layout.c|s/^    if (offset \& 3) {/    if (0) {/|an explicit offset need not be dword aligned
guest-writes-forwarded|hw/vfio/pci.c|s/^    if (vdev->vpasid_cap \&\&$/    if (0 \&\& vdev->vpasid_cap \&\&/|guest writes to the vPASID reach the device
reset-clear-skipped|hw/vfio/pci.c|s/^    pcie_pasid_reset(PCI_DEVICE(vdev));/    (void)vdev;/|device reset keeps PASID Control
flr-clear-skipped|hw/vfio/pci.c|s/^        pcie_pasid_reset(pdev);/        (void)pdev;/|a guest FLR keeps PASID Control
place-0xff8-always|hw/vfio/pci.c|s/^    pcie_pasid_init(pdev, offset, width, exec, priv);/    offset = 0xff8;\n&/|auto and explicit offsets ignored
viommu-flag-unchecked|hw/vfio/pci.c|s/if (!(flags \& VIOMMU_FLAG_PASID_SUPPORTED)) {/if (0) {/|capability without a PASID-capable vIOMMU
domain-flag-unchecked|hw/vfio/pci.c|s/^    if ((flags \& VIOMMU_FLAG_WANT_PASID_ATTACH) \&\&$/    if (0 \&\& (flags \& VIOMMU_FLAG_WANT_PASID_ATTACH) \&\&/|capability although the host refused a PASID domain
exec-not-reported|hw/vfio/pci.c|s/bool exec = vfio_pci_host_iommu_cap(vdev, HOST_IOMMU_DEVICE_CAP_PASID_EXEC);/bool exec = false;/|the host EXEC bit is dropped
width-unclamped|hw/vfio/pci.c|s/width = MIN(width, PCI_EXT_CAP_PASID_MAX_WIDTH);/width = MIN(width, 31);/|widths above the PCIe 20 bits reach the guest
off-still-allocates-pasid|hw/vfio/pci.c|s/pasid_ruled_out = vfio_pci_vpasid_ruled_out(vdev) != NULL;/pasid_ruled_out = false;/|off / no extended config space still ask IOMMU_HWPT_ALLOC_PASID
alloc-pasid-always|hw/vfio/iommufd.c|s/^    if (want_pasid) {$/    if (true) {/|IOMMU_HWPT_ALLOC_PASID requested always
hw-info-every-time|hw/vfio/iommufd.c|s/if (!vbasedev->hw_info_valid) {/if (true) {/|IOMMU_GET_HW_INFO asked twice again
ctrl-enables-writable|hw/pci/pcie.c|s/control_reg_rw_mask = PCI_PASID_CTRL_ENABLE;/control_reg_rw_mask = 0x7;/|unsupported PASID Control enables writable
bind-never|hw/i386/intel_iommu.c|s/    for (pasid = 1; pasid < limit; pasid++) {/    for (pasid = limit; pasid < limit; pasid++) {/|guest PASIDs never attached
shadow-unmap-ignored|hw/i386/intel_iommu.c|/vtd_as->pasid == pasid .. pasid == PCI_NO_PASID/s/pasid == PCI_NO_PASID/0/|a guest unmap does not reach a PASID shadow
bind-beyond-width|hw/i386/intel_iommu.c|s/return 1u << MIN(host, viommu);/return 1u << viommu;/|PASIDs beyond the host width attached
pt-never-attached|hw/i386/intel_iommu.c|/\*why = "pass-through while RID_PASID translates";/{n;s/return VTD_PASID_BIND_SHADOW;/return 0;/;}|a pass-through PASID beside a translating RID never attached
pt-ram-unmapped|hw/i386/intel_iommu.c|/^static void vtd_pt_region_add(/,/^}/s/    if (!vtd_pt_section(section, \&iova, \&size)) {/    if (1) {/|the guest-RAM IOAS of pass-through PASIDs stays empty
cpr-blocker-inverted|hw/vfio/cpr-iommufd.c|s/^                    errp) == 0;/                    errp);/|a kernel without CHANGE_PROCESS crashes realize again
cpr-exec-unblocked|hw/vfio/cpr-iommufd.c|s/ BIT(MIG_MODE_CPR_EXEC),$/ 0,/|cpr-exec not blocked without CHANGE_PROCESS
map-file-no-fallback|hw/vfio/container.c|s/^        if (ret != -ENOTTY) {/        if (1) {/|file-backed RAM fails realize without MAP_FILE
cpr-pasid-flag-dropped|hw/vfio/cpr-iommufd.c|s/^        vbasedev->cpr.hwpt_flags = elem->hwpt_flags;/        vbasedev->cpr.hwpt_flags = 0;/|a CPR target forgets the PASID flag of the domain
bind-kept-on-device-reset|hw/vfio/pci.c|s/    vfio_pci_pasids_detach(vdev, "device reset");/    (void)vdev;/|a bus reset keeps PASID attachments
bind-kept-on-flr|hw/vfio/pci.c|s/        vfio_pci_pasids_detach(vdev, "function level reset");/        (void)vdev;/|a guest FLR keeps PASID attachments
double-dma-ignores-map-offset|tests/qtest/fake-vfio/iommufd.c|s/area_copy(ar, iova - ar->iova, /area_copy(ar, iova \& 0xfff, /|the test double translates without the IOAS map offset'

qtests="vfio-iommufd-test vfio-vpasid-test vfio-dma-test vfio-pasid-bind-test"
for t in $qtests; do
    [ -x "$BUILD/tests/qtest/$t" ] || { err "mutants: build first ($t)"; exit 2; }
done
lib=$BUILD/tests/qtest/fake-vfio/libfake-vfio.so

# Run the qtests against QEMU @1 and test double @2; print the first
# failing case, or nothing.
# A case that aborts (g_assert) ends the binary without a "not ok" line:
# it is the case after the last one that passed, in the order of -l.
run_qtests() {
    for t in $qtests; do
        bin=$BUILD/tests/qtest/$t
        out=$( (QTEST_QEMU_BINARY=$1 QTEST_FAKE_VFIO_LIB=$2 \
                QTEST_VFIO_PROFILES=$top/profiles "$bin" --tap -k) \
               2>/dev/null)
        rc=$?
        first=$(printf '%s\n' "$out" |
                sed -n 's/^not ok [0-9]* \([^ ]*\).*/\1/p' | head -n 1)
        if [ -z "$first" ] && [ "$rc" -ne 0 ]; then
            passed=$(printf '%s\n' "$out" | grep -c '^ok ')
            first=$(QTEST_QEMU_BINARY=$1 QTEST_FAKE_VFIO_LIB=$2 \
                    QTEST_VFIO_PROFILES=$top/profiles "$bin" -l 2>/dev/null |
                    grep '^/' | sed -n "$((passed + 1))p")
            first="${first:-$t} (aborted)"
        fi
        if [ -n "$first" ]; then
            echo "$first"
            return
        fi
        if ! printf '%s\n' "$out" | grep -q '^ok '; then
            echo "$t (no case ran)"
            return
        fi
    done
}

say "mutants: control run of the unmutated build"
first=$(run_qtests "$BUILD/qemu-system-x86_64" "$lib" 2>/dev/null)
if [ -n "$first" ]; then
    err "mutants: the unmutated build fails $first; fix that first"
    exit 2
fi

mkdir -p "$top/work/logs"
rm -f "$top/work/logs/mutants.survivors"
printf '%-26s %-62s %s\n' "mutant" "killed by" "seconds"
printf '%s\n' "$MUTANTS" | while IFS='|' read -r name file expr what; do
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    start=$(date +%s)
    if ! bin=$(sh "$top/scripts/variant-build.sh" mutant "$file" "$expr" \
               2>"$top/work/logs/mutant-$name.log"); then
        printf '%-26s %-62s %s\n' "$name" "BUILD FAILED (work/logs/mutant-$name.log)" "-"
        echo x >>"$top/work/logs/mutants.survivors"
        continue
    fi
    # (dash reports a case that aborts on stderr: keep the table clean)
    case $file in
    tests/qtest/fake-vfio/*) dlib=$(dirname "$bin")/tests/qtest/fake-vfio/libfake-vfio.so ;;
    *) dlib=$lib ;;
    esac
    first=$(run_qtests "$bin" "$dlib" 2>/dev/null)
    secs=$(($(date +%s) - start))
    if [ -z "$first" ]; then
        first="SURVIVED ($what)"
        echo x >>"$top/work/logs/mutants.survivors"
    fi
    printf '%-26s %-62s %s\n' "$name" "$first" "$secs"
done
n=$(cat "$top/work/logs/mutants.survivors" 2>/dev/null | wc -l)
rm -f "$top/work/logs/mutants.survivors"
echo
if [ "$n" -ne 0 ]; then
    err "mutants: $n mutant(s) survived or did not build"
    exit 1
fi
say "mutants: every mutant killed"
