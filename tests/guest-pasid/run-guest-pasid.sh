#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# End-to-end data-path test: a real Debian Linux guest (bookworm-backports'
# 6.12 kernel, busybox initramfs, TCG, q35 + intel-iommu in scalable and
# PASID mode with caching-mode=on) drives the fake-vfio double's DMA engine
# on an assigned device (synthetic-minimal + "# fake.dma: bar0 0x1000")
# from a kernel module built here against that kernel's headers:
#   (a) DMA without PASID into a DMA-coherent buffer,
#   (b) iommu_attach_device_pasid() of the device's own DMA domain to a
#       global PASID, then the same DMA tagged with that PASID,
#   (c) detach: the same DMA faults (0x81) and writes nothing,
#   (d) a second PASID on a separate paging domain that maps the same IOVA
#       to another page: QEMU shadows that domain in an IOAS of its own, the
#       DMA lands in that page (also for a page mapped while attached), an
#       unmapped IOVA faults (0x82), and after the detach 0x81.
# The host then checks the double's log (exactly one PASID attach, to the
# RID's hwpt; the PASID DMA's translation; the detach; the second PASID's
# shadow IOAS and domain, made and destroyed) and QEMU's trace.
#
#   run-guest-pasid.sh [--out DIR]
#
# Output is TAP on stdout (with "# " lines showing the guest's lines,
# QEMU's trace of the attach and where the bytes landed); progress goes to
# stderr.  Exit status: 0 all checks passed, 1 a check failed, 2 setup or
# boot error, 77 QEMU or the double not built.
#
# Environment:
#   GP_ROOT      project root (default: two levels above this script)
#   GP_QEMU      QEMU binary (default: $GP_ROOT/work/qemu/build/qemu-system-x86_64)
#   GP_CACHE     download/extract cache (default: $VPASID_CACHE/guest-pasid,
#                i.e. ~/.cache/vpasid-series/guest-pasid)
#   GP_TIMEOUT   seconds for the boot (default: 300)
#   GP_TRACE     more QEMU trace event patterns for trace.log (e.g.
#                "vtd_inv_desc_* vtd_page_walk*")
#   GP_EETLP=0   do not advertise End-End TLP Prefix in the device's
#                Device Capabilities 2 (then Linux cannot enable PASID;
#                see README.md)
#   GP_RELOCK=1  re-resolve package versions (kernel from
#                $GP_KERNEL_SUITE, default bookworm-backports; the rest from
#                $GP_SUITE, default bookworm) and rewrite packages.lock
#
# Packages come from Debian through apt (apt-get download + dpkg-deb -x),
# never installed; only the module's host build tools (gcc-12, make) are
# installed with apt-get when missing.

set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=${GP_ROOT:-$(CDPATH='' cd -- "$here/../.." && pwd)}
qemu=${GP_QEMU:-$root/work/qemu/build/qemu-system-x86_64}
fvlib=${FAKE_VFIO_LIB:-$root/work/qemu/build/tests/qtest/fake-vfio/libfake-vfio.so}
vcache=${VPASID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpasid-series}
cache=${GP_CACHE:-$vcache/guest-pasid}
timeout_s=${GP_TIMEOUT:-300}
lock=$here/packages.lock
out=$root/work/guest-pasid

log() { printf '[guest-pasid] %s\n' "$*" >&2; }
die() { printf '[guest-pasid] ERROR: %s\n' "$*" >&2; exit 2; }
. "$here/../lib/initramfs.sh"

while [ $# -gt 0 ]; do
    case $1 in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done

for f in "$qemu" "$fvlib"; do
    if [ ! -e "$f" ]; then
        log "SKIP: not built: $f"
        echo "1..0 # SKIP not built: $f"
        exit 77
    fi
done
[ -x "$root/tools/fake-vfio-run" ] || die "missing $root/tools/fake-vfio-run"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
t_start=$(now)

apt_get() {
    # The cache is root-owned: let apt download as root without the _apt
    # sandbox warning.
    apt-get -q -o APT::Sandbox::User=root "$@"
}

# ------------------------------------------------------- host build tools
#
# The module is built with the compiler the kernel was built with (the
# headers' Makefile names x86_64-linux-gnu-gcc-12) and make.  Installed
# only when missing, after an apt-get update; a rerun installs nothing.

ensure_host_tools() {
    missing=
    command -v x86_64-linux-gnu-gcc-12 >/dev/null 2>&1 || missing="$missing gcc-12"
    command -v make >/dev/null 2>&1 || missing="$missing make"
    [ -z "$missing" ] && return 0
    log "installing the module's build tools:$missing"
    apt_get update >&2 || die "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt_get install -y --no-install-recommends $missing >&2 ||
        die "apt-get install$missing failed"
}

# ---------------------------------------------------------------- packages
#
# packages.lock: "<package> <version> <sha256 of the .deb>" per line.

GP_KERNEL_SUITE=${GP_KERNEL_SUITE:-bookworm-backports}
GP_SUITE=${GP_SUITE:-bookworm}
PKGS_BASE="busybox-static pciutils libpci3 libkmod2 libc6 zlib1g libudev1
           libzstd1 liblzma5 libssl3 qemu-system-data seabios"

candidate() {  # candidate PKG SUITE
    apt-cache madison "$1" 2>/dev/null |
        awk -F'|' -v s=" $2/main " 'index($3, s) { gsub(/ /, "", $2); print $2; exit }'
}

relock() {
    log "resolving package versions from apt ($GP_KERNEL_SUITE for the kernel, $GP_SUITE for the rest)"
    kv=$(candidate linux-image-amd64 "$GP_KERNEL_SUITE")
    [ -n "$kv" ] || die "no linux-image-amd64 in $GP_KERNEL_SUITE (apt-get update?)"
    kimg=$(apt-cache show "linux-image-amd64=$kv" |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-amd64\).*/\1/p' | head -n 1)
    abi=${kimg#linux-image-}
    abi=${abi%-amd64}
    tmp=$lock.tmp
    : >"$tmp"
    for p in "$kimg" "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
             "linux-kbuild-$abi"; do
        v=$(candidate "$p" "$GP_KERNEL_SUITE")
        [ -n "$v" ] || die "no apt candidate for $p in $GP_KERNEL_SUITE"
        echo "$p $v -" >>"$tmp"
    done
    for p in $PKGS_BASE; do
        v=$(candidate "$p" "$GP_SUITE")
        [ -n "$v" ] || die "no apt candidate for $p in $GP_SUITE"
        echo "$p $v -" >>"$tmp"
    done
    mv "$tmp" "$lock"
}

deb_of() {  # deb_of DIR PKG VERSION -> a .deb of that version in DIR
    ls "$1/$2"_*.deb 2>/dev/null | while read -r c; do
        [ "$(dpkg-deb -f "$c" Version)" = "$3" ] && echo "$c"; done | head -n 1
}

fetch() {  # fetch PKG... (names from the lock) -> .deb paths
    mkdir -p "$cache/debs"
    for p in "$@"; do
        line=$(awk -v p="$p" '$1 == p' "$lock")
        [ -n "$line" ] || die "$p not in $lock"
        set -- $line
        v=$2 sum=$3
        f=$(deb_of "$cache/debs" "$p" "$v")
        if [ -z "$f" ]; then
            # tests/guest downloads the same base packages: reuse its copy
            # when it is the pinned file.
            g=$(deb_of "$vcache/guest/debs" "$p" "$v")
            if [ -n "$g" ] && [ "$(sha256sum "$g" | cut -d' ' -f1)" = "$sum" ]; then
                cp "$g" "$cache/debs/"
            else
                log "apt-get download $p=$v"
                (cd "$cache/debs" && apt_get download "$p=$v" >&2) ||
                    die "cannot download $p=$v (pinned in $lock); the archive may have dropped it: rerun with GP_RELOCK=1 (after apt-get update)"
            fi
            f=$(deb_of "$cache/debs" "$p" "$v")
            [ -n "$f" ] || die "download of $p=$v produced no .deb"
        fi
        got=$(sha256sum "$f" | cut -d' ' -f1)
        if [ "$sum" = - ]; then
            awk -v p="$p" -v s="$got" '$1 == p { $3 = s } { print }' "$lock" >"$lock.tmp"
            mv "$lock.tmp" "$lock"
        elif [ "$got" != "$sum" ]; then
            die "SHA-256 mismatch for $f: got $got, $lock pins $sum"
        fi
        echo "$f"
    done
}

ensure_host_tools
if [ ! -f "$lock" ] || [ "${GP_RELOCK:-0}" = 1 ]; then
    relock
fi
kpkg=$(awk '$1 ~ /^linux-image-/ { print $1 }' "$lock")
[ -n "$kpkg" ] || die "no linux-image in $lock"
krel=${kpkg#linux-image-}
debs=$(fetch $(awk '{ print $1 }' "$lock"))

# ----------------------------------------------- extract, headers, initramfs

x=$cache/extract
stamp=$(printf '%s\n' "$debs" | sort | xargs sha256sum | sha256sum | cut -c1-16)
if [ "$(cat "$cache/stamp" 2>/dev/null)" != "$stamp" ]; then
    log "extracting packages"
    rm -rf "$x" "$cache/initramfs-base" "$cache/stamp"
    # shellcheck disable=SC2086
    extract_debs "$x" $debs
    # The headers' Makefile includes the -common tree by its absolute
    # installed path: point it at the extracted one.
    hmk=$x/usr/src/linux-headers-$krel/Makefile
    [ -f "$hmk" ] || die "no $hmk in the headers package"
    sed -i "s|^include /usr/src/|include $x/usr/src/|" "$hmk"

    log "building the base initramfs tree"
    ir=$cache/initramfs-base
    initramfs_base "$x" "$ir"
    echo "$stamp" >"$cache/stamp"
fi
kernel=$x/boot/vmlinuz-$krel
[ -f "$kernel" ] || die "no $kernel"
hdr=$x/usr/src/linux-headers-$krel

rm -rf "$out"
mkdir -p "$out"

# ---------------------------------------------------------- guest module

log "building vpasid_dma_test.ko against linux-headers-$krel"
mkdir -p "$out/module"
cp "$here/module/Kbuild" "$here/module/vpasid_dma_test.c" "$out/module/"
# No BTF for the module: it needs pahole, and loading does not need BTF.
if ! make -C "$hdr" M="$out/module" CONFIG_DEBUG_INFO_BTF_MODULES= \
        >"$out/module-build.log" 2>&1; then
    sed 's/^/[guest-pasid]   /' "$out/module-build.log" >&2
    die "module build failed"
fi
ko=$out/module/vpasid_dma_test.ko
vermagic=$(tr '\0' '\n' <"$ko" | sed -n 's/^vermagic=//p' | head -n 1)
case $vermagic in
"$krel "*) ;;
*) die "module vermagic '$vermagic' does not match kernel $krel" ;;
esac

ir=$out/initramfs-root
cp -a "$cache/initramfs-base" "$ir"
cp "$ko" "$ir/vpasid_dma_test.ko"
cp "$here/init" "$ir/init"
chmod 755 "$ir/init"
(cd "$ir" && find . | LC_ALL=C sort |
    "$x/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -1 >"$out/initramfs.gz"
rm -rf "$ir"

# -------------------------------------------------------------- profile
#
# synthetic-minimal with the double's DMA engine in BAR0 at 0x1000 (the
# page between the BAR's start and its MSI-X table at 0x2000).  Linux
# enables PASID on a device only when the path to it carries End-End TLP
# Prefixes (pci_enable_pasid(): eetlp_prefix_path); QEMU's root port
# advertises them, synthetic-minimal's Device Capabilities 2 (0x94) does
# not: set Extended Fmt Field and End-End TLP Prefix Supported (bits 20
# and 21, byte 0x96 = 0x30) as a PASID-capable device has them.

profile=$out/synthetic-minimal-dma.profile
awk -v eetlp="${GP_EETLP:-1}" '
    /^# name: / { print "# name: synthetic-minimal-dma"; next }
    /^# bar0: / { print "# fake.dma: bar0 0x1000" }
    /^90: / && eetlp == 1 { $8 = "30" }
    { print }' "$root/profiles/synthetic-minimal.profile" >"$profile"
grep -q '^# fake.dma: bar0 0x1000$' "$profile" || die "profile: no fake.dma line"
if [ "${GP_EETLP:-1}" = 1 ]; then
    [ "$(awk '/^90: / { print $8 }' "$profile")" = 30 ] ||
        die "profile: Device Capabilities 2 byte 0x96 not set (did synthetic-minimal's layout change?)"
fi

# -------------------------------------------------------------------- boot

console=$out/console.log
fvlog=$out/fake-vfio.jsonl
trace=$out/trace.log
bios_dir=$x/usr/share/seabios
rom_dir=$x/usr/share/qemu
dev_id=1b36:00f1

set -- \
    -M q35 -accel tcg -cpu max -m 1G -smp 1 -nodefaults -no-reboot \
    -display none -serial stdio -monitor none \
    -L "$rom_dir" -L "$bios_dir" \
    -device intel-iommu,caching-mode=on,x-scalable-mode=on,x-pasid-mode=on \
    -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x2 \
    -object iommufd,id=iommufd0 \
    -device vfio-pci,host=0000:01:00.0,iommufd=iommufd0,bus=rp1,id=dma0 \
    -trace "enable=vtd_pasid_bind_*,file=$trace" \
    -trace "enable=iommufd_cdev_pasid_*,file=$trace" \
    -trace "enable=vtd_pasid_shadow_*,file=$trace" \
    -trace "enable=vtd_inv_desc_pasid_cache_*,file=$trace" \
    -kernel "$kernel" -initrd "$out/initramfs.gz" \
    -append "console=ttyS0 intel_iommu=on,sm_on iommu.passthrough=0 panic=-1 loglevel=4 vpasid.dev=$dev_id"
for ev in ${GP_TRACE:-}; do
    set -- "$@" -trace "enable=$ev,file=$trace"
done

printf '%s\n' "FAKE_VFIO_LIB=$fvlib $root/tools/fake-vfio-run --log $fvlog --qemu $qemu --profile $profile -- $*" \
    >"$out/command.txt"

log "booting $krel (TCG, timeout ${timeout_s}s); console: $console"
t0=$(now)
set +e
timeout -k 5 "$timeout_s" env FAKE_VFIO_LIB="$fvlib" "$root/tools/fake-vfio-run" \
    --log "$fvlog" --qemu "$qemu" --profile "$profile" -- "$@" \
    </dev/null >"$console" 2>"$out/qemu.stderr"
qrc=$?
set -e
t1=$(now)
echo "$qrc" >"$out/qemu.rc"
log "QEMU finished after $(elapsed "$t0" "$t1") s (exit $qrc)"
tr -d '\r' <"$console" >"$out/console.txt"
[ -s "$out/console.txt" ] || { sed 's/^/[guest-pasid]   /' "$out/qemu.stderr" >&2; die "no console output"; }

# ------------------------------------------------------------------ checks

rc=0
/usr/bin/python3 "$here/checks.py" --out "$out" --qemu-rc "$qrc" \
    --kernel "$krel" --boot-seconds "$(elapsed "$t0" "$t1")" || rc=$?
log "artifacts in $out; wall time $(elapsed "$t_start" "$(now)") s"
exit "$rc"
