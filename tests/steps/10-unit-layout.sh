#!/bin/sh
# Unit tests of the pure extended-capability layout helpers, including the
# real devices' dumps in ../shared/pci-dumps when they are there.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
dumps="$top/../shared/pci-dumps"
if [ -d "$dumps" ]; then
    export QEMU_TEST_PCI_DUMP_DIR="$dumps"
fi
. "$top/tests/lib/counted.sh"
run_counted test-pcie-ext-cap-layout 29 \
    "$BUILD/tests/unit/test-pcie-ext-cap-layout" --tap
# The uAPI and vIOMMU flag values, as literals; the string input visitor's
# alternates (the series' patch 2)
run_counted test-vpasid-abi 5 "$BUILD/tests/unit/test-vpasid-abi" --tap
run_counted test-string-input-visitor 9 \
    "$BUILD/tests/unit/test-string-input-visitor" --tap
