#!/bin/sh
# A device whose config space changes between reads: QEMU places the vPASID
# capability from one snapshot and the guest's view of it never moves
# (tests/hostile/config_drift.py).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/counted.sh"
run_min_passed config_drift.py 12 /usr/bin/python3 "$top/tests/hostile/config_drift.py"
