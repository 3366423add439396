#!/bin/sh
# The data path end to end in a real Linux guest: bookworm-backports' 6.12
# kernel, under TCG with intel-iommu in scalable + PASID mode, attaches a
# global PASID to an assigned fake-vfio device's own DMA domain
# (iommu_attach_device_pasid, as idxd does), and the double's DMA engine's
# PASID-tagged write lands in the guest's buffer; after the detach it
# faults; a PASID on a paging domain of its own is shadowed by QEMU and its
# DMA lands in that domain's page.
# tests/guest-pasid/run-guest-pasid.sh prints TAP; at least 52 checks must
# pass and none may be skipped (exit 77, "1..0 # SKIP", fails here).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/counted.sh"
run_counted run-guest-pasid.sh 52 sh "$top/tests/guest-pasid/run-guest-pasid.sh"
