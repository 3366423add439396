#!/bin/sh
# Live migration with the fake-vfio device's VFIO migration uAPI: a plain
# migration (no vIOMMU) carries config space and device state; behind a
# vIOMMU QEMU 10.2 refuses to migrate the vPASID device with its exact
# message and the source keeps running (tests/migration/migrate.py).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
exec /usr/bin/python3 "$top/tests/migration/migrate.py"
