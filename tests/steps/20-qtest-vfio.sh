#!/bin/sh
# The series' qtests (meson suite qtest-x86_64) against the fake-vfio test
# double, with the project's device profiles, then an independent decode of
# the saved guest-visible config spaces by pciutils' lspci.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
dumps="$top/work/lspci-dumps"
rm -rf "$dumps"
mkdir -p "$dumps"
export QTEST_VFIO_PROFILES="$top/profiles"
export QTEST_VFIO_DUMP_DIR="$dumps"
meson test -C "$BUILD" --no-rebuild --print-errorlogs \
    qtest-x86_64/vfio-iommufd-test qtest-x86_64/vfio-vpasid-test
/usr/bin/python3 "$top/tests/lspci_decode.py" "$dumps"
