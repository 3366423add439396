# Sanitizer runtime options for everything run under the ASan/UBSan build
# (work/qemu/build-asan): 'make check-asan', tests/steps/60-asan.sh and
# tests/endurance/hotplug.py.  Sourced (POSIX sh) with $top set to the
# project; tests/asan/sanreport.py reads it back for Python.
#
#   ASAN_LOG_DIR   if set, every sanitizer report goes to a file
#                  $ASAN_LOG_DIR/<tool>.<pid> instead of stderr (the qtests
#                  capture and delete QEMU's stderr in some cases; a file is
#                  never lost); tests/asan/sanreport.py scan reads them.
#
# ASan: any error is fatal (halt_on_error=1); leaks are checked at every
# process exit (detect_leaks=1) and make the process exit non-zero;
# the leak suppressions are tests/asan/lsan.supp (one commented entry per
# leak of stock QEMU at exit, see there).  print_suppressions=1 prints which
# suppressions matched and how many bytes each hid, so growth with the
# number of hot-plug cycles stays visible.
# detect_stack_use_after_return is left off: QEMU's coroutines switch stacks.
# Allocation stacks use ASan's fast (frame pointer) unwinder, which stops at
# the first frame built without one (QEMU is built with -O2): enough to find
# and read a leak; tests/endurance/hotplug.py adds fast_unwind_on_malloc=0
# (full stacks, about 3x slower) for its check of the suppressions policy.
ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
ASAN_OPTIONS="$ASAN_OPTIONS:print_summary=1"
LSAN_OPTIONS="suppressions=$top/tests/asan/lsan.supp:print_suppressions=1"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1"
if [ -n "${ASAN_LOG_DIR:-}" ]; then
    ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$ASAN_LOG_DIR/asan"
    UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$ASAN_LOG_DIR/ubsan"
fi
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
