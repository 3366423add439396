#!/bin/sh
# The fake-vfio test double's config-space model as a table
# (tests/qtest/fake-vfio/fake-vfio-config-test.c, linked directly: no
# LD_PRELOAD, no QEMU): every row writes (or reads) a freshly opened
# device and checks the device bytes afterwards, the read-back and the
# "disp" the log would give each chunk, as kernel vfio-pci's perm bits and
# writefns decide; each row names the kernel function it comes from.
# Also in 'make check' (meson suite unit).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
. "$top/tests/lib/counted.sh"
# Not among scripts/build.sh's targets (yet): build it, a no-op if current.
ninja -C "$BUILD" tests/qtest/fake-vfio/fake-vfio-config-test >/dev/null
run_counted fake-vfio-config-test 102 \
    "$BUILD/tests/qtest/fake-vfio/fake-vfio-config-test"
