#!/bin/sh
# The series under AddressSanitizer (+ LeakSanitizer) and UBSan: builds
# work/qemu/build-asan (scripts/build-asan.sh), runs both vfio qtests (every
# case; meson suite qtest-x86_64) and the hot-plug endurance test
# (tests/endurance/hotplug.py, 100 cycles) under it.  Fails on any
# sanitizer report: tests/asan/env.sh sets the options (halt_on_error,
# detect_leaks, suppressions tests/asan/lsan.supp) and sends every report to
# a file that tests/asan/sanreport.py scans.  'make check-asan' runs this.
#
# Measured on the 2-core machine (another job busy on one core): ASan build
# cold (empty ccache) 18 min, no-op 2-3 s; the two qtests under ASan 35 s
# wall (plain build 17 s); endurance 100 cycles about 10 s, fault injection 20 s; the
# whole step about 1 min after the build (66 s measured).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/common.sh"
: "${ASAN_BUILD:=$WORK/build-asan}"
export ASAN_BUILD

t=$(date +%s)
sh "$top/scripts/build-asan.sh"
say "asan: build $(($(date +%s) - t))s"

/usr/bin/python3 "$top/tests/asan/sanreport.py" lint

# --- the vfio qtests
reports="$top/work/logs/asan-reports"
dumps=$(mktemp -d "${TMPDIR:-/tmp}/vpasid-asan-dumps.XXXXXX")
rm -rf "$reports"
mkdir -p "$reports"
ASAN_LOG_DIR=$reports
. "$top/tests/asan/env.sh"
# The qtests start QEMU as `sh -c "exec qemu ..."` with LD_PRELOAD set to
# the fake-vfio library alone (tests/qtest/vfio-fake-util.c); the library is
# built with the sanitizers, so the ASan runtime comes in as its dependency,
# after it, and ASan's start-up check would stop sh and QEMU.  The check
# guards against a preloaded library's malloc/free bypassing ASan's: the
# fake-vfio library defines none (it exports only the file/ioctl entry
# points of fake-vfio.map, which chain to ASan's interceptors with
# RTLD_NEXT), and QEMU's own DT_NEEDED list starts with libasan, so every
# allocation is ASan's.  hotplug.py, which starts QEMU itself, puts the
# runtime first in LD_PRELOAD instead and keeps the check on.
ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
export QTEST_VFIO_PROFILES="$top/profiles"
export QTEST_VFIO_DUMP_DIR="$dumps"
# Every case must run: a skipped one would hide a missing profile or
# library.  (Under ASan these runs used to hit a stock QEMU race in the
# hot-plug cycles: the first patch of the series fixes it, so a failure
# here is a failure.)
qtests="qtest-x86_64/vfio-iommufd-test qtest-x86_64/vfio-vpasid-test
    qtest-x86_64/vfio-dma-test qtest-x86_64/vfio-pasid-bind-test"
testlog="$ASAN_BUILD/meson-logs/testlog.txt"
t=$(date +%s)
rc=0
# shellcheck disable=SC2086
meson test -C "$ASAN_BUILD" --no-rebuild --print-errorlogs \
    --timeout-multiplier 5 $qtests || rc=1
cp "$testlog" "$top/work/logs/asan-qtest-testlog.txt"
cases=$(grep -cE '^ok [0-9]+ ' "$testlog" || true)
if grep -E '^(ok|not ok) .*# SKIP|^1\.\.0$' "$testlog"; then
    err "asan: qtest cases were skipped, or a qtest planned none"
    rc=1
fi
if [ "$cases" -lt 221 ]; then
    err "asan: $cases qtest cases passed, at least 221 (30 + 166 + 8 + 17) expected"
    rc=1
fi
say "asan: qtests $(($(date +%s) - t))s, $cases cases ok"
rm -rf "$dumps"
if ! /usr/bin/python3 "$top/tests/asan/sanreport.py" scan "$reports"; then
    rc=1
fi
unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS ASAN_LOG_DIR

# --- hot-plug endurance
t=$(date +%s)
/usr/bin/python3 "$top/tests/endurance/hotplug.py" --cycles "${ENDURANCE_CYCLES:-100}" || rc=1
say "asan: endurance $(($(date +%s) - t))s"

# --- the endurance test can fail: each injected fault must be caught
t=$(date +%s)
for fault in fd leak leak-suppressed; do
    if /usr/bin/python3 "$top/tests/endurance/hotplug.py" --cycles 5 \
        --fault "$fault" >"$top/work/logs/asan-endurance-fault-$fault.log" 2>&1; then
        err "asan: endurance test passed with --fault $fault"
        rc=1
    else
        say "asan: endurance test catches --fault $fault:" \
            "$(grep '^not ok' "$top/work/logs/asan-endurance-fault-$fault.log" |
               cut -c8-60 | tr '\n' ';')"
    fi
done
say "asan: endurance fault injection $(($(date +%s) - t))s"
exit "$rc"
