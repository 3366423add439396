#!/bin/sh
# Live migration of a fake-vfio device (tests/migration/migrate.py): without
# a vIOMMU it migrates; behind intel-iommu QEMU 10.2 refuses, with its own
# message.  What the vPASID migration subsection does is checked with a
# test-only variant build that lacks 10.2's vIOMMU migration blocker
# (scripts/variant-build.sh, work/variants/migtest; never shipped).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
MIGTEST_QEMU=$(sh "$top/scripts/variant-build.sh" migtest hw/vfio/migration.c \
    's/    if (vfio_viommu_preset(vbasedev)) {/    if (false \&\& vfio_viommu_preset(vbasedev)) {/')
export MIGTEST_QEMU
. "$top/tests/lib/counted.sh"
run_min_passed migrate.py 40 /usr/bin/python3 "$top/tests/migration/migrate.py"
