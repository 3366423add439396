#!/bin/sh
# The fake-vfio test double's own table test: every row is a VFIO cdev /
# IOMMUFD call in a given state and the errno the kernel gives for it (PASID
# attach/detach/replace, compatibility, bounds, reset, unbind,
# IOMMU_HWPT_ALLOC, IOMMU_GET_HW_INFO on current and pre-6.15 kernels),
# each citing the kernel function it comes from, plus the DMA engine's
# rows.  It generates its own profiles and runs itself with the library
# LD_PRELOADed; the output is TAP.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
. "$top/tests/lib/counted.sh"
# Incremental, so a no-op once scripts/build.sh lists these targets.
ninja -C "$BUILD" tests/qtest/fake-vfio/libfake-vfio.so \
    tests/qtest/fake-vfio/fake-vfio-uapi-test >/dev/null
export FAKE_VFIO_LIB="$BUILD/tests/qtest/fake-vfio/libfake-vfio.so"
run_counted fake-vfio-uapi-test 95 \
    "$BUILD/tests/qtest/fake-vfio/fake-vfio-uapi-test"
