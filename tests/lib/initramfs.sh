# SPDX-License-Identifier: GPL-2.0-or-later
#
# The guest tests' common initramfs: busybox-static, lspci and setpci with
# the shared libraries they load, all from extracted Debian packages.
#
#   . tests/lib/initramfs.sh
#   extract_debs X DEB...  unpack the packages into X
#   initramfs_base X IR    X: the extracted packages' root, IR: the tree
#
# The caller defines die(); it adds its own /init and packs the tree.

# Of a linux-image package only the kernel: the tests need no packaged
# module (intel-iommu, the PCIe ports and the 8250 console are built in),
# which saves ~400 MB and 20 s.
extract_debs() {
    _x=$1
    shift
    mkdir -p "$_x"
    for _f in "$@"; do
        case ${_f##*/} in
        linux-image-*)
            dpkg-deb --fsys-tarfile "$_f" |
                (cd "$_x" && tar -x --wildcards './boot/vmlinuz-*')
            ;;
        *)
            dpkg-deb -x "$_f" "$_x"
            ;;
        esac
    done
}

initramfs_base() {
    _x=$1
    _ir=$2
    mkdir -p "$_ir/bin" "$_ir/sbin" "$_ir/usr/bin" "$_ir/usr/sbin" \
             "$_ir/lib64" "$_ir/lib/x86_64-linux-gnu" "$_ir/proc" \
             "$_ir/sys" "$_ir/dev" "$_ir/tmp" "$_ir/run"
    cp "$_x/bin/busybox" "$_ir/bin/busybox"
    ln -s busybox "$_ir/bin/sh"
    for _b in lspci setpci; do
        _bp=$(ls "$_x/usr/bin/$_b" "$_x/bin/$_b" "$_x/sbin/$_b" \
                 "$_x/usr/sbin/$_b" 2>/dev/null | head -n 1)
        [ -n "$_bp" ] || die "$_b not found in the pciutils package"
        cp "$_bp" "$_ir/usr/bin/$_b"
    done
    # Shared libraries: ask the packaged ld.so which files the binaries
    # load from the extracted tree.
    _ldso=$_x/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
    [ -f "$_ldso" ] || die "ld.so not found in libc6"
    _libpath=$_x/lib/x86_64-linux-gnu:$_x/usr/lib/x86_64-linux-gnu
    for _b in lspci setpci; do
        "$_ldso" --library-path "$_libpath" --list "$_ir/usr/bin/$_b" |
            awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
    done | sort -u | while read -r _lib; do
        case $_lib in
        "$_x"/*) ;;
        *) die "library resolved outside the extracted packages: $_lib" ;;
        esac
        cp -L "$_lib" "$_ir/lib/x86_64-linux-gnu/"
    done
    cp -L "$_ldso" "$_ir/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
        "$_ir/lib64/ld-linux-x86-64.so.2"
}
