#!/usr/bin/env python3
"""Seed corpus for fuzz-pcie-ext-cap-layout.

Usage: gen-seeds.py OUTDIR [PROFILE_OR_DUMP_DIR...]

Writes one file per seed into OUTDIR:
  * every *.profile / *.txt found in the given directories (default:
    <repo>/profiles and <repo>/../shared/pci-dumps), converted from
    `lspci -xxxx` style lines (`100: 01 00 01 14 ...`, '#' = comment) to a
    raw 4 KiB configuration space (the harness derives kernel vfio-pci's
    view of every input itself, with the fake-vfio double's model);
  * crafted configuration spaces for the walk's and sizing's edge cases;
  * a few inputs with the trailer the harness understands: int64 requested
    offset, uint16 length, then 6-byte records (offset, id, config_len).

Standard library only.
"""

import os
import re
import struct
import sys

CFG = 0x1000
LINE_RE = re.compile(r'^\s*([0-9a-fA-F]+):((?:\s+[0-9a-fA-F]{2})+)\s*$')

# Extended capability IDs
ERR, VC, DSN, PWR, RCLD, RCEC, MFVC, VC9 = 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x09
VNDR, ACS, ARI, ATS, SRIOV, MCAST, PRI = 0x0b, 0x0d, 0x0e, 0x0f, 0x10, 0x12, 0x13
REBAR, DPA, TPH, LTR, SECPCI, PMUX, PASID = 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b
DPC, L1SS, PTM, DVSEC, VF_REBAR, PL_16GT, LMR = 0x1d, 0x1e, 0x1f, 0x23, 0x24, 0x26, 0x27
PL_32GT, DOE, SHADOW, PL_64GT = 0x2a, 0x2e, 0x2d, 0x31

def parse_dump(path):
    """lspci -xxxx text -> 4 KiB bytearray (zero-padded), or None."""
    cfg = bytearray(CFG)
    found = False
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if line.startswith('#'):
                continue
            m = LINE_RE.match(line)
            if not m:
                continue
            off = int(m.group(1), 16)
            data = bytes(int(b, 16) for b in m.group(2).split())
            if off + len(data) > CFG:
                continue
            cfg[off:off + len(data)] = data
            found = True
    return cfg if found else None


def st32(cfg, off, val):
    struct.pack_into('<I', cfg, off, val & 0xffffffff)


def st16(cfg, off, val):
    struct.pack_into('<H', cfg, off, val & 0xffff)


def hdr(cfg, off, cap_id, ver=1, nxt=0):
    st32(cfg, off, (cap_id & 0xffff) | (ver & 0xf) << 16 | (nxt & 0xfff) << 20)


def pcie_cap(cfg, width, pos=0x40):
    """Standard list with a PCI Express capability of the given link width."""
    st16(cfg, 0x06, 0x0010)       # PCI_STATUS_CAP_LIST
    cfg[0x34] = pos
    cfg[pos] = 0x10               # PCI_CAP_ID_EXP
    cfg[pos + 1] = 0
    st32(cfg, pos + 0x0c, (width & 0x3f) << 4)


def trailer(req, length, records=()):
    out = struct.pack('<qH', req, length)
    for off, cap_id, cfg_len in records:
        out += struct.pack('<HHH', off & 0xffff, cap_id & 0xffff,
                           cfg_len & 0xffff)
    return out


def crafted():
    """Yield (name, bytes) pairs."""
    z = lambda: bytearray(CFG)

    yield 'empty', bytes(CFG)
    yield 'short-input', b''

    # Looping chains
    c = z(); hdr(c, 0x100, ARI, 1, 0x140); hdr(c, 0x140, DSN, 1, 0x100)
    yield 'loop-two', c
    c = z(); hdr(c, 0x100, ARI, 1, 0x100)
    yield 'loop-self', c
    c = z(); hdr(c, 0x100, ERR, 2, 0x200); hdr(c, 0x200, SHADOW, 1, 0x300)
    hdr(c, 0x300, PMUX, 1, 0x200)
    yield 'loop-tail', c
    c = z(); hdr(c, 0x100, 0, 0, 0x100)
    yield 'loop-placeholder-self', c

    # Backward pointers, unknown sizes follow address order
    c = z(); hdr(c, 0x100, SHADOW, 1, 0x300); hdr(c, 0x300, ERR, 2, 0x200)
    hdr(c, 0x200, SHADOW, 1, 0)
    yield 'backward-chain', c
    c = z(); hdr(c, 0x100, ERR, 2, 0xf00); hdr(c, 0xf00, PMUX, 1, 0x800)
    hdr(c, 0x800, PMUX, 1, 0x400); hdr(c, 0x400, PMUX, 1, 0x148)
    hdr(c, 0x148, ARI, 1, 0)
    yield 'backward-descending', c

    # Unaligned next pointers (low bits are masked)
    for nxt in (0x142, 0x143, 0x141, 0xffe, 0xffd, 0xff9):
        c = z(); hdr(c, 0x100, ARI, 1, nxt); hdr(c, nxt & 0xffc, ERR, 1, 0)
        yield 'unaligned-next-%03x' % nxt, c

    # Next pointer below 0x100
    for nxt in (0xf0, 0x04, 0xfc, 0x01):
        c = z(); hdr(c, 0x100, ARI, 1, nxt)
        yield 'next-below-100-%03x' % nxt, c
    c = z(); hdr(c, 0x100, ARI, 1, 0x200); hdr(c, 0x200, DSN, 1, 0x40)
    yield 'next-below-100-second', c

    # Next pointers near the end
    for nxt in (0xff8, 0xffc):
        c = z(); hdr(c, 0x100, ARI, 1, nxt); hdr(c, nxt, ARI, 1, 0)
        yield 'next-%03x' % nxt, c

    # All-ones header / all-ones space / all non-zero
    c = z(); st32(c, 0x100, 0xffffffff); hdr(c, 0x200, PASID, 1, 0)
    yield 'ones-header-caps-behind', c
    yield 'ones-everywhere', b'\xff' * CFG
    yield 'ones-ext-space', bytes(0x100) + b'\xff' * (CFG - 0x100)
    yield 'nonzero-01', b'\x01' * CFG
    c = bytearray(b'\x5a' * CFG); st32(c, 0x100, 0xffffffff)
    yield 'nonzero-5a-ones-header', c
    c = z(); hdr(c, 0x100, ERR, 2, 0); c[0x148:] = b'\xff' * (CFG - 0x148)
    yield 'aer-then-ones', c

    # Lengths running past 0xfff (VSEC / DVSEC length fields and friends)
    for off, length in ((0xf00, 0x100), (0xf00, 0x104), (0xf00, 0xfff),
                        (0x100, 0xfff), (0xff8, 0x008), (0xff8, 0x00c),
                        (0xf00, 0), (0x800, 0x004), (0x800, 0x016)):
        c = z()
        if off != 0x100:
            hdr(c, 0x100, ERR, 2, off)
        hdr(c, off, VNDR, 1, 0)
        st32(c, off + 4, length << 20 | 1 << 16 | 0x1234)
        yield 'vsec-%03x-len-%03x' % (off, length), c
    for off, length in ((0xf80, 0x080), (0xf80, 0x084), (0x100, 0xfff),
                        (0xff4, 0x00c), (0x400, 0x008), (0x400, 0x00a)):
        c = z()
        if off != 0x100:
            hdr(c, 0x100, ERR, 2, off)
        hdr(c, off, DVSEC, 1, 0)
        st32(c, off + 4, length << 20 | 0x8086)
        yield 'dvsec-%03x-len-%03x' % (off, length), c
    for nbar in (0, 1, 6, 7):
        c = z(); hdr(c, 0x100, ERR, 2, 0xfe0); hdr(c, 0xfe0, REBAR, 1, 0)
        st32(c, 0xfe0 + 8, nbar << 5)
        yield 'rebar-fe0-nbar-%d' % nbar, c
    c = z(); hdr(c, 0x100, ERR, 2, 0xf00); hdr(c, 0xf00, ACS, 1, 0)
    st16(c, 0xf04, 0x0020)        # egress control, 256-bit vector
    yield 'acs-egress-256', c
    c = z(); hdr(c, 0x100, TPH, 1, 0xff0); hdr(c, 0xff0, TPH, 1, 0)
    st32(c, 0x104, 1 << 9 | 0x7ff << 16); st32(c, 0xff4, 1 << 9 | 5 << 16)
    yield 'tph-st-table-past-end', c
    c = z(); hdr(c, 0x100, DPA, 1, 0xff0); hdr(c, 0xff0, DPA, 1, 0)
    st32(c, 0xff4, 0x1f)
    yield 'dpa-past-end', c
    c = z(); hdr(c, 0x100, DPC, 1, 0xfc0); hdr(c, 0xfc0, DPC, 1, 0)
    st16(c, 0x104, 0x0020 | 0x2000 | 0xf00); st16(c, 0xfc4, 0x0020 | 0x900)
    yield 'dpc-rp-ext-past-end', c
    c = z(); hdr(c, 0x100, RCLD, 1, 0xf00); hdr(c, 0xf00, RCLD, 1, 0)
    st32(c, 0x104, 0xff << 8); st32(c, 0xf04, 0x0f << 8)
    yield 'rcld-links-past-end', c
    c = z(); hdr(c, 0x100, RCEC, 2, 0xff4); hdr(c, 0xff4, RCEC, 2, 0)
    yield 'rcec-v2-at-ff4', c
    for cap_id in (VC, MFVC, VC9):
        c = z(); hdr(c, 0x100, cap_id, 1, 0xe00); hdr(c, 0xe00, cap_id, 1, 0)
        st32(c, 0x104, 7 | 3 << 10); st32(c, 0x108, 0xff << 24 | 4)
        for i in range(8):
            st32(c, 0x110 + i * 12, 0xff << 24 | 0x20)
        st32(c, 0xe04, 1); st32(c, 0xe08, 3 << 24 | 2)
        st32(c, 0xe1c, 6 << 24 | 0x10)
        yield 'vc-%02x-tables' % cap_id, c

    # Per-lane sizes: link width from the standard capability list
    for width in (1, 4, 16, 32, 33, 63):
        c = z(); pcie_cap(c, width)
        hdr(c, 0x100, SECPCI, 1, 0x200); hdr(c, 0x200, PL_16GT, 1, 0x300)
        hdr(c, 0x300, LMR, 1, 0xf80); hdr(c, 0xf80, PL_32GT, 1, 0xfc0)
        hdr(c, 0xfc0, LMR, 1, 0)
        yield 'per-lane-x%d' % width, c
    c = z(); pcie_cap(c, 8); c[0x40] = 0x01; c[0x41] = 0x40
    hdr(c, 0x100, SECPCI, 1, 0)
    yield 'std-cap-list-loop', c
    c = z(); pcie_cap(c, 8, pos=0xf4); hdr(c, 0x100, LMR, 1, 0)
    yield 'pcie-cap-lnkcap-past-100', c

    # ID 0 placeholder heads (kernel vfio-pci)
    c = z(); hdr(c, 0x100, 0, 0, 0x150)
    st32(c, 0x104, 0x00280a1f); st32(c, 0x108, 0x40a0280f); st32(c, 0x10c, 0x28)
    hdr(c, 0x150, ERR, 2, 0)
    yield 'placeholder-head', c
    c = z(); hdr(c, 0x100, 0, 0, 0x110); hdr(c, 0x110, 0, 0, 0x150)
    hdr(c, 0x150, ERR, 2, 0)
    yield 'placeholder-two', c
    c = z(); hdr(c, 0x100, 0, 0, 0x300); hdr(c, 0x200, PTM, 1, 0x300)
    hdr(c, 0x300, ERR, 2, 0)
    yield 'placeholder-scan-splits', c
    c = z(); hdr(c, 0x100, 0, 0, 0)
    st32(c, 0x104, 1)
    yield 'placeholder-alone', c

    # What kernel vfio-pci makes of hidden capabilities (the harness
    # checks its view of every input): hidden first then hidden again,
    # all hidden, a zero-length VSEC first, IDs whose low byte is the
    # map's 0xff / 0xfe, two abutting VSECs, a DVSEC running past 0xfff
    c = z(); hdr(c, 0x100, PTM, 1, 0x200); hdr(c, 0x200, L1SS, 1, 0x300)
    hdr(c, 0x300, ERR, 2, 0)
    yield 'kernel-hidden-first-then-hidden', c
    c = z(); hdr(c, 0x100, PTM, 1, 0xff0); hdr(c, 0xff0, L1SS, 1, 0)
    st32(c, 0xff4, 0x1f)
    yield 'kernel-all-hidden', c
    c = z(); hdr(c, 0x100, VNDR, 1, 0x200); st32(c, 0x104, 0x1234)
    hdr(c, 0x200, PASID, 1, 0x300); hdr(c, 0x300, ARI, 1, 0)
    yield 'kernel-vsec-len-0-first', c
    for cap_id in (0x00ff, 0x01fe, 0xffff):
        c = z(); hdr(c, 0x100, cap_id, 1, 0x200); hdr(c, 0x200, DPC, 1, 0x300)
        hdr(c, 0x300, ATS, 1, 0)
        yield 'kernel-first-id-%04x' % cap_id, c
    c = z(); hdr(c, 0x100, VNDR, 1, 0x110); st32(c, 0x104, 0x010 << 20)
    hdr(c, 0x110, VNDR, 1, 0x200); st32(c, 0x114, 0x010 << 20)
    hdr(c, 0x200, PTM, 1, 0x300); hdr(c, 0x300, LTR, 1, 0)
    yield 'kernel-abutting-vsecs', c
    c = z(); hdr(c, 0x100, ERR, 2, 0xf80); hdr(c, 0xf80, DVSEC, 1, 0)
    st32(c, 0xf84, 0x100 << 20 | 0x8086)
    yield 'kernel-dvsec-past-end', c
    # a kept capability whose last registers are zero: free bytes to the
    # module only if it sizes the capability short
    c = z(); hdr(c, 0x100, ERR, 2, 0xff0); hdr(c, 0xff0, DSN, 1, 0)
    st32(c, 0xff4, 0x12345678)
    yield 'kernel-dsn-zero-tail-at-ff0', c

    # Hidden (unlinked) capabilities the scan must find
    c = z(); pcie_cap(c, 8); hdr(c, 0x100, ARI, 1, 0x154)
    hdr(c, 0x154, ERR, 2, 0); hdr(c, 0x18c, SECPCI, 1, 0)
    yield 'hidden-after-short-aer', c
    c = z(); hdr(c, 0x100, ERR, 2, 0); hdr(c, 0x400, DPC, 1, 0)
    c[0x444:] = b'\xff' * (CFG - 0x444)
    yield 'hidden-dpc', c
    c = z(); hdr(c, 0x100, ERR, 2, 0); hdr(c, 0xffc, ARI, 1, 0)
    yield 'hidden-at-ffc', c
    c = z(); hdr(c, 0x100, ERR, 2, 0); hdr(c, 0x200, MCAST, 1, 0)
    hdr(c, 0x210, PASID, 1, 0)
    yield 'hidden-inside-mcast', c
    c = z(); hdr(c, 0x100, ERR, 2, 0); hdr(c, 0x300, PASID, 3, 0x300)
    hdr(c, 0x400, PASID, 4, 0); hdr(c, 0x500, 0x40, 1, 0)
    hdr(c, 0x600, PASID, 1, 0x602)
    yield 'scan-implausible-headers', c

    # Many tiny capabilities
    c = z()
    for off in range(0x100, 0x1000, 8):
        hdr(c, off, ARI, 1, off + 8 if off + 8 < 0x1000 else 0)
    yield 'many-ari-chain', c
    c = z()
    for off in range(0x100, 0x1000, 4):
        hdr(c, off, PMUX, 1, off + 4 if off + 4 < 0x1000 else 0)
    yield 'every-dword-chain', c
    c = z(); hdr(c, 0x100, ERR, 2, 0)
    for off in range(0x148, 0x1000, 4):
        hdr(c, off, SHADOW, 1, 0)
    yield 'every-dword-scanned', c
    c = z()
    for off in range(0xff8, 0xff, -8):
        hdr(c, off, LTR, 1, off - 8 if off > 0x100 else 0)
    hdr(c, 0x100, LTR, 1, 0xff8)
    yield 'many-ltr-descending', c

    # Inputs exercising the trailer (requested offset, length, records)
    base = z(); hdr(base, 0x100, ERR, 2, 0x148); hdr(base, 0x148, PASID, 1, 0)
    for name, req, length in (('ok-150', 0x150, 8), ('overlap-104', 0x104, 8),
                              ('neg', -1, 8), ('int64-min', -2**63, 8),
                              ('big', 0x10000, 8), ('unaligned', 0x102, 8),
                              ('end', 0xffc, 8), ('fffc', 0xfffc, 64),
                              ('below', 0xf0, 1), ('len-64', 0xfc0, 64),
                              ('len-0', 0x200, 0), ('len-ffff', 0x200, 0xffff)):
        recs = [(0x100, ERR, 0x1000), (0x148, PASID, 0x800),
                (0x100, 0x35, 0x107), (0xfffc, 0xffff, 0x108),
                (0x148, 0, 0x14c), (0xff8, 0x3f, 0)]
        yield 'trailer-' + name, bytes(base) + trailer(req, length, recs)
    c = z(); hdr(c, 0x100, VNDR, 1, 0); st32(c, 0x104, 0x010 << 20)
    yield 'trailer-vsec-truncated', bytes(c) + trailer(
        0x110, 4, [(0x100, VNDR, 0x108), (0x100, VNDR, 0x107),
                   (0x100, VNDR, 0x103), (0x100, VNDR, 0x0ff)])

    # Size functions reading registers past a short config_len
    for cap_id in (VC, RCLD, RCEC, VNDR, ACS, REBAR, DPA, TPH, SECPCI, DPC,
                   DVSEC, PL_16GT, LMR):
        c = z(); pcie_cap(c, 8); hdr(c, 0x100, cap_id, 2, 0)
        st32(c, 0x104, 0x0020 | 0x010 << 20)
        recs = [(0x100, cap_id, n) for n in (0x02, 0x07, 0x35, 0x104, 0x105,
                                             0x106, 0x107, 0x108, 0x10b,
                                             0x10c, 0x1000)]
        yield 'trailer-short-config-%02x' % cap_id, bytes(c) + trailer(
            0x100, 8, recs)


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: gen-seeds.py OUTDIR [DIR...]')
    outdir = sys.argv[1]
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    dirs = sys.argv[2:] or [d for d in (os.path.join(top, 'profiles'),
                                        os.path.join(top, '..', 'shared',
                                                     'pci-dumps'))
                            if os.path.isdir(d)]
    os.makedirs(outdir, exist_ok=True)
    count = 0

    def write(name, data):
        nonlocal count
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(bytes(data))
        count += 1

    for d in dirs:
        if not os.path.isdir(d):
            print('gen-seeds: %s: no such directory, skipped' % d,
                  file=sys.stderr)
            continue
        tag = os.path.basename(os.path.normpath(d))
        for name in sorted(os.listdir(d)):
            if not name.endswith(('.profile', '.txt')):
                continue
            cfg = parse_dump(os.path.join(d, name))
            if cfg is None:
                continue
            stem = '%s-%s' % (tag, name.rsplit('.', 1)[0])
            write('dump-%s' % stem, cfg)

    for name, data in crafted():
        write('crafted-%s' % name, data)
    print('gen-seeds: wrote %d seeds to %s' % (count, outdir))


if __name__ == '__main__':
    main()
