#!/bin/sh
# Show that the harness's invariants can fail: build the fuzzer against
# broken copies of the module (the real file is never touched) and report
# how quickly each is caught, with and without the seed corpus.
#
#   ./mutation-test.sh [MUTANT...]       (default: all mutants below)
#
# Environment: SECONDS_BUDGET per run (default 60), QEMU_SRC, BUILD_ROOT
# (default <this dir>/build/mutation).

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
QEMU_SRC=${QEMU_SRC:-$(CDPATH= cd -- "$(dirname "$0")/../.." && pwd)/work/qemu}
MODULE=$QEMU_SRC/hw/pci/pcie_ext_cap_layout.c
BUILD_ROOT=${BUILD_ROOT:-$HERE/build/mutation}
SECONDS_BUDGET=${SECONDS_BUDGET:-60}
export SECONDS_BUDGET QEMU_SRC

mkdir -p "$BUILD_ROOT" || exit 2

# name, then a Python (old, new) replacement applied exactly once
make_mutant() {
    python3 - "$MODULE" "$BUILD_ROOT/$1.c" "$1" <<'EOF'
import sys
src = open(sys.argv[1]).read()
muts = {
    'find-free-no-zero-check': (
        '            ok = !config[b];\n',
        '            (void)config[b];\n'),
    'walk-no-loop-stop': (
        '        if (is_header[next / 4]) {',
        '        if (0 && is_header[next / 4]) {'),
    'find-free-skips-top-slot': (
        '    offset = ROUND_DOWN(hi - len, 4);',
        '    offset = ROUND_DOWN(hi - len, 4) - 4;'),
    'overlap-off-by-one': (
        'if (offset < (uint64_t)r->offset + r->size && r->offset < end) {',
        'if (offset < (uint64_t)r->offset + r->size - 1 && r->offset < end) {'),
    'size-not-rounded': (
        '    *size = ROUND_UP(raw, 4);',
        '    *size = raw;'),
    'scan-ignores-covered': (
        '        if (is_header[offset / 4] || covered[offset / 4] ||',
        '        if (is_header[offset / 4] ||'),
}
old, new = muts[sys.argv[3]]
if src.count(old) != 1:
    sys.exit('mutant %s: pattern not found exactly once' % sys.argv[3])
open(sys.argv[2], 'w').write(src.replace(old, new))
EOF
}

[ $# -gt 0 ] || set -- find-free-no-zero-check walk-no-loop-stop \
    find-free-skips-top-slot overlap-off-by-one size-not-rounded \
    scan-ignores-covered

for m in "$@"; do
    make_mutant "$m" || exit 2
    for seeds in 1 0; do
        dir=$BUILD_ROOT/$m-seeds$seeds
        rm -rf "$dir"
        start=$(date +%s)
        BUILD_DIR=$dir REGRESSIONS_DIR=$dir/regressions USE_SEEDS=$seeds \
            MODULE_SRC=$BUILD_ROOT/$m.c "$HERE/run-fuzz.sh" >"$dir.log" 2>&1
        rc=$?
        end=$(date +%s)
        crash=$(grep -m1 -E 'INVARIANT FAILED|ERROR: AddressSanitizer|runtime error' \
                "$dir/fuzz.log" 2>/dev/null | cut -c1-110)
        execs=$(sed -n 's/^run-fuzz: executions: \([0-9?]*\).*/\1/p' "$dir.log")
        if [ "$rc" = 1 ]; then verdict=KILLED; else verdict=SURVIVED; fi
        printf '%-26s seeds=%s %-8s %3ss execs=%s\n    %s\n' "$m" "$seeds" \
            "$verdict" "$((end - start))" "${execs:-?}" "${crash:-no crash}"
    done
done
