#!/bin/sh
# Build and run the libFuzzer target for hw/pci/pcie_ext_cap_layout.c
#
#   ./run-fuzz.sh            build, replay regressions/, fuzz for 60 s
#
# Environment (all optional):
#   BUILD_DIR       build, corpus and artifacts   (default: <this dir>/build)
#   SECONDS_BUDGET  -max_total_time for the fuzzing run       (default: 60)
#   QEMU_SRC        QEMU source tree               (default: <repo>/work/qemu)
#   QEMU_BUILD      its meson build dir, for generated headers and
#                   libqemuutil.a                  (default: $QEMU_SRC/build)
#   MODULE_SRC      the module to fuzz  (default: $QEMU_SRC/hw/pci/pcie_ext_cap_layout.c)
#   KVIEW_SRC       kernel vfio-pci's view of config space, the model the
#                   fake-vfio double serves; the harness also runs the
#                   layout on that view
#                   (default: $QEMU_SRC/tests/qtest/fake-vfio/kernel-view.c)
#   CC              compiler                                  (default: clang)
#   NICE            niceness of the fuzzing run, '' = none    (default: 10)
#   KEEP_GOING      1 = fuzz even if a regression input still fails
#   USE_SEEDS       0 = fuzz from the (possibly empty) corpus alone, without
#                   the generated seeds                        (default: 1)
#   FUZZ_ARGS       extra libFuzzer arguments
#   REGRESSIONS_DIR crash inputs to replay and keep (default: <this dir>/regressions)
#
# Exit status: 0 if no regression input and no fuzzing input crashed,
# 1 on any crash (new crash inputs are copied to regressions/), 2 on a
# build or setup error.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$(CDPATH= cd -- "$HERE/../.." && pwd)/work/fuzz}
SECONDS_BUDGET=${SECONDS_BUDGET:-60}
QEMU_SRC=${QEMU_SRC:-$(CDPATH= cd -- "$HERE/../.." && pwd)/work/qemu}
QEMU_BUILD=${QEMU_BUILD:-$QEMU_SRC/build}
MODULE_SRC=${MODULE_SRC:-$QEMU_SRC/hw/pci/pcie_ext_cap_layout.c}
KVIEW_SRC=${KVIEW_SRC:-$QEMU_SRC/tests/qtest/fake-vfio/kernel-view.c}
CC=${CC:-clang}
NICE=${NICE-10}
KEEP_GOING=${KEEP_GOING:-0}
USE_SEEDS=${USE_SEEDS:-1}
FUZZ_ARGS=${FUZZ_ARGS:-}
REGRESSIONS=${REGRESSIONS_DIR:-$HERE/regressions}

# 4 KiB config + int64 offset + uint16 length + 16 records of 6 bytes
MAX_LEN=4202

die() {
    echo "run-fuzz: $*" >&2
    exit 2
}

mkdir -p "$BUILD_DIR" "$BUILD_DIR/corpus" "$BUILD_DIR/artifacts" \
         "$REGRESSIONS" || die "cannot create directories"

# ---- build -----------------------------------------------------------------
command -v "$CC" >/dev/null 2>&1 ||
    die "$CC not found (apt-get install -y clang libclang-rt-14-dev)"
[ -f "$MODULE_SRC" ] || die "$MODULE_SRC: not found"
[ -f "$KVIEW_SRC" ] ||
    die "$KVIEW_SRC: not found (a tree with tests/qtest/fake-vfio/kernel-view.c)"
[ -f "$QEMU_BUILD/config-host.h" ] ||
    die "$QEMU_BUILD: not a configured QEMU build directory"
[ -f "$QEMU_BUILD/libqemuutil.a" ] ||
    die "$QEMU_BUILD/libqemuutil.a not found (build QEMU first)"
GLIB_CFLAGS=$(pkg-config --cflags glib-2.0 2>/dev/null) ||
    GLIB_CFLAGS="-I/usr/include/glib-2.0 -I/usr/lib/x86_64-linux-gnu/glib-2.0/include"
GLIB_LIBS=$(pkg-config --libs glib-2.0 2>/dev/null) || GLIB_LIBS=-lglib-2.0

SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# The harness gets ASan/UBSan but no coverage instrumentation: its
# brute-force loops would otherwise dominate the run time (comparison
# tracing) and feed libFuzzer coverage of the checker, not of the module.
HARNESS_SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# Include paths and defines of tests/unit/test-pcie-ext-cap-layout.c in
# compile_commands.json, minus gcc-only warning and hardening flags.
CFLAGS="-std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall
 -I$QEMU_BUILD -I$QEMU_BUILD/qapi -I$QEMU_BUILD/trace -I$QEMU_BUILD/ui
 $GLIB_CFLAGS
 -isystem $QEMU_SRC/linux-headers -isystem $QEMU_BUILD/linux-headers
 -iquote $QEMU_BUILD -iquote $QEMU_SRC -iquote $QEMU_SRC/include
 -iquote $QEMU_SRC/host/include/x86_64 -iquote $QEMU_SRC/host/include/generic
 -iquote $QEMU_SRC/tcg/i386
 -mcx16 -msse2 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE
 -fno-strict-aliasing -fno-common -fwrapv"
FUZZER=$BUILD_DIR/fuzz-pcie-ext-cap-layout

echo "run-fuzz: building $FUZZER"
echo "run-fuzz:   module $MODULE_SRC"
echo "run-fuzz:   kernel view $KVIEW_SRC"
# The kernel-view model is checked code like the harness: sanitizers, no
# coverage feedback (libFuzzer should chase the module's branches).
# shellcheck disable=SC2086,SC2015  # flag lists split on purpose; A && B || die
$CC $CFLAGS $SAN -DMODULE_SRC="\"$MODULE_SRC\"" -c "$HERE/module-wrap.c" \
    -o "$BUILD_DIR/pcie_ext_cap_layout.o" &&
$CC $CFLAGS $HARNESS_SAN -c "$KVIEW_SRC" -o "$BUILD_DIR/kernel-view.o" &&
$CC $CFLAGS $HARNESS_SAN -c "$HERE/fuzz-pcie-ext-cap-layout.c" \
    -o "$BUILD_DIR/fuzz-pcie-ext-cap-layout.o" &&
$CC $SAN "$BUILD_DIR/fuzz-pcie-ext-cap-layout.o" \
    "$BUILD_DIR/pcie_ext_cap_layout.o" "$BUILD_DIR/kernel-view.o" \
    -Wl,--start-group "$QEMU_BUILD/libqemuutil.a" -lm -pthread $GLIB_LIBS \
    -Wl,--end-group -o "$FUZZER" || die "build failed"

# ---- seeds -----------------------------------------------------------------
rm -rf "$BUILD_DIR/seeds"
SEED_DIRS=
if [ "$USE_SEEDS" != 0 ]; then
    python3 "$HERE/gen-seeds.py" "$BUILD_DIR/seeds" ||
        die "seed generation failed"
    SEED_DIRS=$BUILD_DIR/seeds
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:quarantine_size_mb=64}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# ---- replay regressions ----------------------------------------------------
failed=0
replayed=0
for f in "$REGRESSIONS"/*; do
    [ -f "$f" ] || continue
    replayed=$((replayed + 1))
    if ! "$FUZZER" "$f" >"$BUILD_DIR/replay.log" 2>&1; then
        failed=$((failed + 1))
        echo "run-fuzz: REGRESSION FAILS: $f"
        grep -E 'INVARIANT FAILED|ERROR: (AddressSanitizer|libFuzzer)|runtime error' \
            "$BUILD_DIR/replay.log" | head -n 3 | sed 's/^/run-fuzz:     /'
    fi
done
echo "run-fuzz: replayed $replayed regression input(s), $failed failing"
if [ "$failed" -ne 0 ] && [ "$KEEP_GOING" != 1 ]; then
    echo "run-fuzz: not fuzzing while regressions fail (KEEP_GOING=1 to fuzz anyway)"
    exit 1
fi

# ---- fuzz ------------------------------------------------------------------
rm -f "$BUILD_DIR"/artifacts/*
LOG=$BUILD_DIR/fuzz.log
echo "run-fuzz: fuzzing for ${SECONDS_BUDGET}s (log: $LOG)"
set --
if [ -n "$NICE" ] && command -v nice >/dev/null 2>&1; then
    set -- nice -n "$NICE"
fi
# shellcheck disable=SC2086
"$@" "$FUZZER" -max_total_time="$SECONDS_BUDGET" -print_final_stats=1 \
    -max_len=$MAX_LEN -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$BUILD_DIR/artifacts/" $FUZZ_ARGS \
    "$BUILD_DIR/corpus" $SEED_DIRS >"$LOG" 2>&1
rc=$?

found=0
for a in "$BUILD_DIR"/artifacts/*; do
    [ -f "$a" ] || continue
    found=$((found + 1))
    cp "$a" "$REGRESSIONS/" && echo "run-fuzz: NEW CRASH kept as $REGRESSIONS/$(basename "$a")"
done
grep -E 'INVARIANT FAILED|ERROR: (AddressSanitizer|libFuzzer)|runtime error|SUMMARY' \
    "$LOG" | head -n 5 | sed 's/^/run-fuzz:   /'

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -n 1)
new=$(sed -n 's/^stat::new_units_added: *//p' "$LOG" | tail -n 1)
cov=$(grep -E '^#[0-9]+' "$LOG" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/p')
echo "run-fuzz: executions: ${execs:-?}  exec/s: ${rate:-?}  new units: ${new:-?}  ${cov}"
echo "run-fuzz: findings: $found new crash input(s), $failed failing regression(s)"

if [ "$found" -ne 0 ] || [ "$failed" -ne 0 ]; then
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "run-fuzz: libFuzzer exited with status $rc" >&2
    tail -n 20 "$LOG" >&2
    exit 1
fi
exit 0
