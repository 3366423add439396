#!/bin/sh
# Build the work tree a second time with AddressSanitizer (+ LeakSanitizer)
# and UndefinedBehaviorSanitizer, into work/qemu/build-asan (ASAN_BUILD
# overrides): scripts/build.sh with the same configure options plus
# --enable-asan --enable-ubsan, and only what 'make check-asan' runs:
# qemu-system-x86_64, the fake-vfio test double and the two vfio qtests.
# Incremental like build.sh; ccache is used the same way (objects built with
# the sanitizers are separate cache entries).  The sanitizer runtimes
# (libasan8, libubsan1) come with gcc (build-essential, scripts/apt-setup.sh).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

: "${ASAN_BUILD:=$WORK/build-asan}"

for rt in libasan.so libubsan.so; do
    case $(gcc -print-file-name=$rt) in
    /*) ;;
    *)
        err "gcc has no $rt; install build-essential (scripts/apt-setup.sh)"
        exit 1
        ;;
    esac
done

# keep the build directory out of the work tree's git status
exclude="$WORK/.git/info/exclude"
case $ASAN_BUILD in
"$WORK"/*)
    if [ -f "$exclude" ] &&
       ! grep -qxF "/${ASAN_BUILD#"$WORK"/}/" "$exclude"; then
        echo "/${ASAN_BUILD#"$WORK"/}/" >>"$exclude"
    fi
    ;;
esac

EXTRA_CONFIGURE_OPTS="--enable-asan --enable-ubsan" \
BUILD_TARGETS="tests/qtest/fake-vfio/libfake-vfio.so
    tests/qtest/vfio-iommufd-test tests/qtest/vfio-vpasid-test
    tests/qtest/vfio-dma-test tests/qtest/vfio-pasid-bind-test" \
    exec sh "$top/scripts/build.sh" "$WORK" "$ASAN_BUILD"
