#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# End-to-end guest test of the synthesized PCIe PASID capability.
#
# Boots a real Debian Linux kernel with a busybox + pciutils initramfs under
# the series-built QEMU (TCG, q35, intel-iommu in scalable/PASID mode) with
# two fake vfio-pci devices served by the fake-vfio LD_PRELOAD test double:
#   rp1: 0000:01:00.0  real-intel-dsa-0b25          host PASID width 20, priv
#   rp2: 0000:02:00.0  synthetic-minimal-nopasid-host  host without PASID
# and checks what the guest's lspci/setpci see (see check_results below).
#
#   run-guest.sh [--ovmf] [--out DIR]
#
# Environment:
#   GUEST_ROOT     project root (default: two levels above this script)
#   GUEST_QEMU     QEMU binary (default: $GUEST_ROOT/work/qemu/build/qemu-system-x86_64)
#   GUEST_CACHE    download/extract cache (default: $VPASID_CACHE/guest,
#                  i.e. ~/.cache/vpasid-series/guest)
#   GUEST_TIMEOUT  seconds for the boot (default: 120)
#   GUEST_PASID_DEV_OPTS  appended to the DSA's -device vfio-pci options
#                  (e.g. ",x-vpasid-cap-offset=0x300"; with
#                  GUEST_EXPECT_OFFSET=300 and GUEST_EXPECT_RULE=x-vpasid-cap-offset,
#                  the offset and the trace's rule the checks expect)
#   GUEST_RELOCK=1 re-resolve package versions from $GUEST_SUITE/main (default
#                  bookworm; see candidate() for why) and
#                  rewrite packages.lock (otherwise the lock is followed)
#
# Packages come from Debian through apt (apt-get download + dpkg-deb -x),
# never installed on the host. Exit status: 0 pass, 1 check failed,
# 2 setup/boot error, 77 skipped (no QEMU/fake-vfio build).

set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=${GUEST_ROOT:-$(CDPATH='' cd -- "$here/../.." && pwd)}
qemu=${GUEST_QEMU:-$root/work/qemu/build/qemu-system-x86_64}
cache=${GUEST_CACHE:-${VPASID_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpasid-series}/guest}
timeout_s=${GUEST_TIMEOUT:-120}
lock=$here/packages.lock
out=
firmware=seabios

log() { printf '[run-guest] %s\n' "$*" >&2; }
die() { printf '[run-guest] ERROR: %s\n' "$*" >&2; exit 2; }
. "$here/../lib/initramfs.sh"

while [ $# -gt 0 ]; do
    case $1 in
    --ovmf) firmware=ovmf; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
: "${out:=$root/work/guest/$firmware}"

if [ ! -x "$qemu" ]; then
    log "SKIP: QEMU not built: $qemu"
    exit 77
fi
[ -x "$root/tools/fake-vfio-run" ] || die "missing $root/tools/fake-vfio-run"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# ---------------------------------------------------------------- packages
#
# packages.lock: "<package> <version> <sha256 of the .deb>" per line. The
# kernel's linux-image-<abi>-amd64 is named explicitly (resolved from the
# linux-image-amd64 meta package when relocking).

PKGS_BASE="busybox-static pciutils libpci3 libkmod2 libc6 zlib1g libudev1
           libzstd1 liblzma5 libssl3 qemu-system-data seabios"
PKGS_OVMF="ovmf"

apt_get() {
    # Cache dir is root-owned: let apt download as root without the
    # _apt sandbox warning.
    apt-get -q -o APT::Sandbox::User=root "$@"
}

# Versions come from the release suite alone (bookworm/main), never from
# -security, -updates or -backports: a clean Debian 12 root (debootstrap)
# has only that suite, the security archive drops superseded versions
# within weeks, and bookworm's main no longer changes now that it is in
# LTS.  (The 2026-11 lock had a -security kernel; make check-fresh failed.)
GUEST_SUITE=${GUEST_SUITE:-bookworm}

candidate() {
    apt-cache madison "$1" 2>/dev/null |
        awk -F'|' -v s=" $GUEST_SUITE/main " 'index($3, s) { gsub(/ /, "", $2); print $2; exit }'
}

kernel_pkg() {
    v=$(candidate linux-image-amd64)
    [ -n "$v" ] && [ "$v" != "(none)" ] || return 1
    apt-cache show "linux-image-amd64=$v" |
        sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-amd64\).*/\1/p' | head -n 1
}

deb_file() {  # deb_file PKG VERSION -> file name apt-get download writes
    # apt escapes ':' in the epoch as %3a.
    printf '%s_%s_amd64.deb\n' "$1" "$(echo "$2" | sed 's/:/%3a/g')"
}

relock() {
    log "resolving package versions from apt candidates"
    k=$(kernel_pkg) || die "cannot resolve linux-image-amd64 (apt-get update?)"
    tmp=$lock.tmp
    : >"$tmp"
    for p in $k $PKGS_BASE $PKGS_OVMF; do
        v=$(candidate "$p")
        [ -n "$v" ] && [ "$v" != "(none)" ] || die "no apt candidate for $p"
        echo "$p $v -" >>"$tmp"
    done
    mv "$tmp" "$lock"
}

fetch() {  # fetch PKG... (names from the lock)
    mkdir -p "$cache/debs"
    for p in "$@"; do
        line=$(awk -v p="$p" '$1 == p' "$lock")
        [ -n "$line" ] || die "$p not in $lock"
        set -- $line
        v=$2 sum=$3
        f=$(ls "$cache/debs/$p"_*_*.deb 2>/dev/null | while read -r c; do
                [ "$(dpkg-deb -f "$c" Version)" = "$v" ] && echo "$c"; done | head -n 1)
        if [ -z "$f" ]; then
            log "apt-get download $p=$v"
            if ! (cd "$cache/debs" && apt_get download "$p=$v" >&2); then
                die "cannot download $p=$v (pinned in $lock); the mirror may have dropped it: rerun with GUEST_RELOCK=1 (after apt-get update)"
            fi
            f=$(ls "$cache/debs/$p"_*_*.deb | while read -r c; do
                    [ "$(dpkg-deb -f "$c" Version)" = "$v" ] && echo "$c"; done | head -n 1)
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

[ ! -f "$lock" ] || [ "${GUEST_RELOCK:-0}" = 1 ] && relock

kpkg=$(awk '$1 ~ /^linux-image-/ { print $1 }' "$lock")
[ -n "$kpkg" ] || die "no linux-image in $lock"
need="$kpkg $PKGS_BASE $PKGS_OVMF"  # one set for both firmwares: one cache stamp
debs=$(fetch $need)

# ------------------------------------------------------ extract + initramfs

x=$cache/extract
stamp=$(printf '%s\n' "$debs" | sort | xargs sha256sum | sha256sum | cut -c1-16)
stamp=$stamp-$(sha256sum "$here/init" | cut -c1-16)
if [ "$(cat "$cache/stamp" 2>/dev/null)" != "$stamp" ]; then
    log "extracting packages"
    rm -rf "$x" "$cache/initramfs.gz" "$cache/stamp"
    # shellcheck disable=SC2086
    extract_debs "$x" $debs

    log "building initramfs"
    ir=$cache/initramfs-root
    rm -rf "$ir"
    initramfs_base "$x" "$ir"
    cp "$here/init" "$ir/init"
    chmod 755 "$ir/init"
    (cd "$ir" && find . | LC_ALL=C sort |
        "$x/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) |
        gzip -9 >"$cache/initramfs.gz.tmp"
    mv "$cache/initramfs.gz.tmp" "$cache/initramfs.gz"
    echo "$stamp" >"$cache/stamp"
fi
kernel=$(ls "$x"/boot/vmlinuz-* | head -n 1)
[ -f "$kernel" ] || die "no kernel in $x/boot"
log "kernel: ${kernel##*/}, initramfs $(wc -c <"$cache/initramfs.gz") bytes"

# -------------------------------------------------------------------- boot

rm -rf "$out"
mkdir -p "$out"
console=$out/console.log
fvlog=$out/fake-vfio.jsonl
trace=$out/trace.log
timeline=$out/timeline.txt

# Firmware and option ROM search path: SeaBIOS and the x86 option ROMs
# (linuxboot_dma.bin, kvmvapic.bin) from Debian's seabios/qemu-system-data
# packages; the +ds build ships none.
bios_dir=$x/usr/share/seabios
rom_dir=$x/usr/share/qemu
fw_args="-L $rom_dir -L $bios_dir"
if [ "$firmware" = ovmf ]; then
    code=$x/usr/share/OVMF/OVMF_CODE_4M.fd
    vars_t=$x/usr/share/OVMF/OVMF_VARS_4M.fd
    [ -f "$code" ] || die "no OVMF_CODE_4M.fd in the ovmf package"
    cp "$vars_t" "$out/OVMF_VARS.fd"
    fw_args="$fw_args -drive if=pflash,format=raw,unit=0,readonly=on,file=$code"
    fw_args="$fw_args -drive if=pflash,format=raw,unit=1,file=$out/OVMF_VARS.fd"
fi

pasid_id=8086:0b25     # real-intel-dsa-0b25.profile
nopasid_id=1b36:00e1   # synthetic-minimal-nopasid-host.profile
exec_id=1b36:00f1      # synthetic-minimal.profile (host PASID 20 + EXEC)

set -- \
    -M q35 -accel tcg -cpu max -m 512 -smp 1 -nodefaults -no-reboot \
    -display none -serial stdio -monitor none \
    $fw_args \
    -device intel-iommu,caching-mode=on,x-scalable-mode=on,x-pasid-mode=on,intremap=on \
    -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x2 \
    -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x3 \
    -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x4 \
    -object iommufd,id=iommufd0 \
    -device vfio-pci,host=0000:01:00.0,iommufd=iommufd0,bus=rp1,id=pasid0"${GUEST_PASID_DEV_OPTS:-}" \
    -device vfio-pci,host=0000:02:00.0,iommufd=iommufd0,bus=rp2,id=nopasid0 \
    -device vfio-pci,host=0000:03:00.0,iommufd=iommufd0,bus=rp3,id=exec0 \
    -trace "enable=vfio_pci_vpasid_*,file=$trace" \
    -trace "enable=iommufd_cdev_autodomain_*,file=$trace" \
    -kernel "$kernel" -initrd "$cache/initramfs.gz" \
    -append "console=ttyS0 intel_iommu=on,sm_on panic=-1 loglevel=4 vpasid.pasid=$pasid_id vpasid.nopasid=$nopasid_id vpasid.exec=$exec_id"

printf '%s\n' "$root/tools/fake-vfio-run --log $fvlog --qemu $qemu \
--profile $root/profiles/real-intel-dsa-0b25.profile \
--profile $root/profiles/synthetic-minimal-nopasid-host.profile \
--profile $root/profiles/synthetic-minimal.profile -- $*" >"$out/command.txt"

log "booting ($firmware, timeout ${timeout_s}s); console: $console"
t0=$(now)
echo "start 0.00" >"$timeline"
set +e
{
    timeout -k 5 "$timeout_s" "$root/tools/fake-vfio-run" --log "$fvlog" \
        --qemu "$qemu" \
        --profile "$root/profiles/real-intel-dsa-0b25.profile" \
        --profile "$root/profiles/synthetic-minimal-nopasid-host.profile" \
        --profile "$root/profiles/synthetic-minimal.profile" \
        -- "$@" </dev/null 2>"$out/qemu.stderr"
    echo $? >"$out/qemu.rc"
} |
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$console"
        case $line in
        *"=== INIT START"*|*"=== DEVICE "*|*"=== INIT DONE"*|*"Run /init"*)
            printf '%s %s\n' "$(elapsed "$t0" "$(now)")" \
                "$(printf '%s' "$line" | tr -d '\r' | cut -c1-60)" >>"$timeline"
            ;;
        esac
    done
qrc=$(cat "$out/qemu.rc" 2>/dev/null || echo "?")
set -e
t1=$(now)
echo "exit $(elapsed "$t0" "$t1")" >>"$timeline"
log "QEMU finished after $(elapsed "$t0" "$t1") s"
sed 's/^/[run-guest]   /' "$timeline" >&2

# ------------------------------------------------------------------ checks

tr -d '\r' <"$console" >"$out/console.txt"
con=$out/console.txt
fails=0
pass() { printf '[run-guest] PASS: %s\n' "$*" >&2; }
fail() { printf '[run-guest] FAIL: %s\n' "$*" >&2; fails=$((fails + 1)); }
check() {  # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then pass "$d"; else fail "$d"; fi
}

section() {  # section NAME -> lines between "=== BEGIN NAME ===" and END
    awk -v b="=== BEGIN $1 ===" -v e="=== END $1 ===" \
        '$0 == e { p = 0 } p { print } $0 == b { p = 1 }' "$con"
}
result() {  # result KEY -> value of "=== RESULT KEY value ==="
    sed -n "s/^=== RESULT $1 \\(.*\\) ===\$/\\1/p" "$con" | head -n 1
}
has() { grep -q -F -- "$2" "$1"; }
in_section() { section "$1" | grep -q -F -- "$2"; }
eq() { [ "$1" = "$2" ]; }

pbdf=0000:01:00.0
nbdf=0000:02:00.0
ebdf=0000:03:00.0
# DSA: its own PASID capability's offset, by the device table (design 2.4
# rule a; the kernel hides the capability, its bytes stay readable).
expect_off=${GUEST_EXPECT_OFFSET:-230}
expect_rule=${GUEST_EXPECT_RULE:-device table}

check "QEMU exited 0 (rc=$qrc)" eq "$qrc" 0
check "guest reached /init" has "$con" "=== INIT START"
check "guest finished /init" has "$con" "=== INIT DONE"

# Where QEMU put the capability (trace event of the series).
qoff=$(sed -n "s/.*vfio_pci_vpasid_add $pbdf: vPASID capability at 0x\\([0-9a-f]*\\) (.*/\\1/p" "$trace" | head -n 1)
qrule=$(sed -n "s/.*vfio_pci_vpasid_add $pbdf: vPASID capability at 0x[0-9a-f]* (\\([^)]*\\)).*/\\1/p" "$trace" | head -n 1)
check "QEMU synthesized vPASID on $pbdf at 0x${qoff:-none} (expected 0x$expect_off)" eq "$qoff" "$expect_off"
check "QEMU's rule for $pbdf: ${qrule:-none} (expected $expect_rule)" eq "$qrule" "$expect_rule"
check "QEMU skipped vPASID on $nbdf" has "$trace" "vfio_pci_vpasid_skip $nbdf"

check "guest lspci: PASID capability at [$qoff v1] on $pbdf" \
    in_section "lspci initial $pbdf" "Capabilities: [$qoff v1] Process Address Space ID (PASID)"
check "guest lspci: PASIDCap: Exec- Priv+, Max PASID Width: 14" \
    in_section "lspci initial $pbdf" "PASIDCap: Exec- Priv+, Max PASID Width: 14"
check "guest config walk finds PASID at $qoff" eq "$(result pasid-offset)" "lspci=$qoff walk=$qoff"
check "guest sees $nbdf" has "$con" "=== BEGIN lspci initial $nbdf ==="
check "guest lspci: no PASID capability on $nbdf" \
    eval '! section "lspci initial $nbdf" | grep -q "Process Address Space ID"'
check "guest config walk finds no PASID on $nbdf" eq "$(result nopasid-walk)" "offset="

# The EXEC-capable device (synthetic-minimal: AER at 0x100 only, so the
# last dword slot, 0xff8): Exec+ decoded, and Enable + Exec stick.
eoff=$(sed -n "s/.*vfio_pci_vpasid_add $ebdf: vPASID capability at 0x\([0-9a-f]*\) (.*/\1/p" "$trace" | head -n 1)
check "QEMU synthesized vPASID on $ebdf at 0x${eoff:-none} (expected 0xff8)" eq "$eoff" ff8
check "guest lspci: [ff8 v1] PASID with PASIDCap: Exec+ Priv-, Max PASID Width: 14 on $ebdf" eval \
    'in_section "lspci initial $ebdf" "Capabilities: [ff8 v1] Process Address Space ID (PASID)" &&
     in_section "lspci initial $ebdf" "PASIDCap: Exec+ Priv-, Max PASID Width: 14"'
check "guest config walk finds PASID at ff8 on $ebdf" eq "$(result exec-offset)" "lspci=ff8 walk=ff8"
check "setpci ffff on $ebdf -> ctl 0003, lspci Enable+ Exec+ Priv-" eval \
    '[ "$(result exec-ctl-after-all-ones)" = 0003 ] &&
     in_section "lspci all-ones $ebdf" "PASIDCtl: Enable+ Exec+ Priv-"'

# The guest's own capability walk (lspci) lists exactly what the raw config
# space the guest read holds, for every device.
for b in $pbdf $nbdf $ebdf; do
    check "guest lspci lists exactly the capabilities in $b's config space" \
        eval '/usr/bin/python3 "$here/capwalk.py" "$con" "$b" >"$out/capwalk-$b.txt"'
    sed 's/^/[run-guest]   /' "$out/capwalk-$b.txt" >&2
done

# No PCI or IOMMU error from the guest kernel about these devices.
kerr=$(section dmesg | grep -i -E '0000:0[123]:00\.0|DMAR|iommu|pasid' |
    grep -i -E '\b(errors?|fail(s|ed|ure)?|faults?|invalid|corrupt(ed)?|can.t|cannot|bug)\b' |
    grep -v -F 'AMD IOMMUv2 functionality not available on this system - This is not a bug.' || true)
check "guest dmesg: no PCI/IOMMU error for the devices" eval '[ -z "$kerr" ]'
[ -z "$kerr" ] || printf '%s\n' "$kerr" | sed 's/^/[run-guest]   dmesg: /' >&2
check "guest dmesg: the devices joined IOMMU groups" eval \
    '[ "$(section dmesg | grep -c -E "pci 0000:0[123]:00\.0: Adding to iommu group")" -eq 3 ]'

# check_ctl NAME RESULT-KEY WANT SECTION LSPCI-LINE: the guest read PASID
# Control as WANT, and its lspci in SECTION decoded it as LSPCI-LINE.
check_ctl() {
    check "$1" eval "[ \"\$(result $2)\" = $3 ] &&
        in_section \"$4 \$pbdf\" \"$5\""
}

echo "[run-guest] PASID control as the guest kernel left it: $(result ctl-initial)" >&2
check_ctl "setpci 0000 -> ctl 0000, lspci Enable-" ctl-after-disable 0000 \
    "lspci disabled" "PASIDCtl: Enable- Exec- Priv-"
check_ctl "setpci 0001 -> ctl 0001, lspci Enable+" ctl-after-enable 0001 \
    "lspci enabled" "PASIDCtl: Enable+ Exec- Priv-"
check_ctl "setpci ffff -> ctl 0005: Exec (unsupported) and reserved bits stay clear" \
    ctl-after-all-ones 0005 "lspci all-ones" "PASIDCtl: Enable+ Exec- Priv+"
sr=$(result ctl-after-sysfs-reset)
check "sysfs reset: ok, ctl ${sr:-?} (0000, or the kernel's restore of $(result ctl-initial))" eval \
    '[ "$(result sysfs-reset)" = ok ] &&
     { [ "$sr" = 0000 ] || [ "$sr" = "$(result ctl-initial)" ]; }'
check_ctl "raw FLR (DevCtl bit 15) clears ctl: $(result ctl-before-flr) -> $(result ctl-after-flr), lspci Enable-" \
    ctl-after-flr 0000 "lspci after-flr" "PASIDCtl: Enable- Exec- Priv-"
check_ctl "secondary bus reset from $(result sbr-port) clears ctl: $(result ctl-before-sbr) -> $(result ctl-after-sbr)" \
    ctl-after-sbr 0000 "lspci after-sbr" "PASIDCtl: Enable- Exec- Priv-"

# No guest write to the synthesized bytes may reach the (fake) device.
leaks=$(awk -v dev="$pbdf" -v lo=$((0x${qoff:-$expect_off})) '
    /"event":"config_write"/ && index($0, "\"dev\":\"" dev "\"") {
        o = $0; sub(/.*"offset":/, "", o); sub(/[^0-9].*/, "", o)
        s = $0; sub(/.*"size":/, "", s); sub(/[^0-9].*/, "", s)
        if (o + s > lo && o < lo + 8) print
    }' "$fvlog")
nw=$(grep -c '"event":"config_write".*"dev":"'"$pbdf"'"' "$fvlog" || true)
check "fake-vfio: $nw config writes on $pbdf, none in [0x${qoff:-$expect_off}, +8)" eval \
    '[ "$nw" -gt 0 ] && [ -z "$leaks" ]'
[ -z "$leaks" ] || printf '%s\n' "$leaks" | sed 's/^/[run-guest]   leaked: /' >&2

log "artifacts in $out"
if [ "$fails" -ne 0 ]; then
    log "$fails check(s) failed"
    exit 1
fi
log "all checks passed"
