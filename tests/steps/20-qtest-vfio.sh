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
    qtest-x86_64/vfio-iommufd-test qtest-x86_64/vfio-vpasid-test \
    qtest-x86_64/vfio-dma-test qtest-x86_64/vtd-qdriver-test \
    qtest-x86_64/vfio-pasid-bind-test
# meson counts a qtest that skipped everything (no fake-vfio library, no
# profiles) as SKIP, and one planning "1..0" as OK: neither may pass here.
/usr/bin/python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, re, sys
want = {"vfio-iommufd-test": 30, "vfio-vpasid-test": 166,
        "vfio-dma-test": 8, "vtd-qdriver-test": 28,
        "vfio-pasid-bind-test": 17}
seen = {}
for line in open(sys.argv[1]):
    t = json.loads(line)
    name = t["name"].rsplit("/", 1)[-1]
    if name in want:
        out = t["stdout"]
        seen[name] = (t["result"], len(re.findall(r"(?m)^ok ", out)),
                      len(re.findall(r"(?mi)^(not )?ok .*# skip|^1\.\.0\b",
                                     out)))
bad = 0
for name, least in want.items():
    result, n, skips = seen.get(name, ("missing", 0, 0))
    if result != "OK" or skips or n < least:
        print("not ok - %s: %s, %d cases passed (at least %d), %d skipped"
              % (name, result, n, least, skips))
        bad += 1
    else:
        print("ok - %s: %d cases passed, none skipped (at least %d)"
              % (name, n, least))
sys.exit(1 if bad else 0)
PY
/usr/bin/python3 "$top/tests/lspci_decode.py" "$dumps"
