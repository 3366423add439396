#!/bin/sh
# Configure (once) and build the work tree: qemu-system-x86_64 plus the
# test binaries the project's checks use.  Incremental: ninja rebuilds only
# what changed; configure reruns only when the options below change.
#
#   scripts/build.sh [SRC [BUILDDIR]]   (defaults: $WORK, $BUILD)
#   EXTRA_CONFIGURE_OPTS="..."          appended to the configure options
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

# Keep in sync with README.md ("Build configuration").
CONFIGURE_OPTS="--target-list=x86_64-softmmu
    --disable-install-blobs --disable-download --disable-docs
    --python=/usr/bin/python3
    --without-default-features --enable-kvm --enable-tcg --enable-fdt=system
    --firmwarepath=/usr/share/seabios:/usr/share/qemu"
# Extra options on top (scripts/build-asan.sh passes the sanitizers); they
# are part of the configure identity below, so changing them reconfigures.
CONFIGURE_OPTS="$CONFIGURE_OPTS ${EXTRA_CONFIGURE_OPTS:-}"

# Targets built by 'make': the emulator and the test binaries the project's
# checks run (the bisect build passes its own list through BUILD_TARGETS).
# A test target that does not exist yet at some patch is skipped.
TARGETS="qemu-system-x86_64
    tests/unit/test-pcie-ext-cap-layout tests/unit/test-vpasid-abi
    tests/unit/test-string-input-visitor
    tests/qtest/fake-vfio/libfake-vfio.so
    tests/qtest/fake-vfio/fake-vfio-uapi-test
    tests/qtest/fake-vfio/fake-vfio-config-test
    tests/qtest/vfio-iommufd-test tests/qtest/vfio-vpasid-test
    tests/qtest/vfio-dma-test tests/qtest/vtd-qdriver-test
    tests/qtest/vfio-pasid-bind-test"
if [ "${BUILD_TARGETS+set}" = set ]; then
    TARGETS="qemu-system-x86_64 $BUILD_TARGETS"
fi

# ccache's compiler links come first in PATH when present: the per-patch
# bisect build then mostly hits the cache (configure writes plain 'cc').
# Paths are hashed relative to the project, so another clone of it (CI's)
# or the bisect work tree hits the same cache entries.
if [ -d /usr/lib/ccache ] && [ "${CCACHE_DISABLE:-0}" != 1 ]; then
    PATH=/usr/lib/ccache:$PATH
    CCACHE_BASEDIR=$top/work
    CCACHE_NOHASHDIR=1
    export PATH CCACHE_BASEDIR CCACHE_NOHASHDIR
fi

src=${1:-$WORK}
bld=${2:-$BUILD}
mkdir -p "$bld"
opts_id=$(echo $CONFIGURE_OPTS | sha256sum | cut -d' ' -f1)
if [ ! -f "$bld/build.ninja" ] || [ "$(cat "$bld/.vpasid-configure" 2>/dev/null)" != "$opts_id" ]; then
    say "build: configure in $bld"
    # shellcheck disable=SC2086
    (cd "$bld" && "$src/configure" $CONFIGURE_OPTS >"$bld/vpasid-configure.log" 2>&1) || {
        tail -n 30 "$bld/vpasid-configure.log" >&2
        err "configure failed; full log in $bld/vpasid-configure.log"
        exit 1
    }
    echo "$opts_id" >"$bld/.vpasid-configure"
fi
# Drop targets this tree does not have (e.g. before the tests' patch)
# Regenerate first: after a checkout of an older commit (the bisect work
# tree going back to the first patch) build.ninja still lists targets that
# no longer exist there.
ninja -C "$bld" build.ninja >"$bld/vpasid-regen.log" 2>&1 || true
have=""
for t in $TARGETS; do
    if ninja -C "$bld" -t query "$t" >/dev/null 2>&1; then
        have="$have $t"
    fi
done
TARGETS=$have
say "build: ninja$TARGETS"
# shellcheck disable=SC2086
if ! ninja -C "$bld" $TARGETS >"$bld/vpasid-ninja.log" 2>&1; then
    grep -v '^\[[0-9]*/[0-9]*\] ' "$bld/vpasid-ninja.log" | tail -n 40 >&2
    err "build failed; full log in $bld/vpasid-ninja.log"
    exit 1
fi
say "build: $(grep -c '^\[' "$bld/vpasid-ninja.log" || true) build steps ran"

# An uninstalled QEMU looks for firmware relative to its build tree
# (qemu-bundle/<firmwarepath>); point that at Debian's SeaBIOS.
mkdir -p "$bld/qemu-bundle/usr/share/seabios"
for f in /usr/share/seabios/*; do
    ln -sf "$f" "$bld/qemu-bundle/usr/share/seabios/"
done
