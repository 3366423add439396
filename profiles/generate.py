#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Generate the fake-vfio device profiles in this directory.

The *.profile files are checked in as plain data; this script only exists
so that the synthetic ones can be regenerated or extended reproducibly.

  profiles/generate.py [--dumps DIR] [--out DIR] [--check]

Synthetic profiles are built from Python descriptions below.  Real-device
profiles are derived from the lspci -xxxx dumps in shared/pci-dumps: the
dump's comment lines are kept, its "Source:" line becomes the profile's
"# source:" key, and BAR sizes come from the table REAL_DEVICES (checked
against the BAR registers' type and alignment bits and the MSI-X table /
PBA location).  With --check nothing is written; the script verifies that
the checked-in files match what it would generate.
"""

import argparse
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DUMPS = os.path.normpath(os.path.join(HERE, "..", "..", "shared",
                                              "pci-dumps"))


class Cfg:
    """A 4 KiB (or 256 B) config space under construction."""

    def __init__(self, size=4096):
        self.size = size
        self.b = bytearray(size)

    def w8(self, off, v):
        self.b[off] = v & 0xff

    def w16(self, off, v):
        struct.pack_into("<H", self.b, off, v & 0xffff)

    def w32(self, off, v):
        struct.pack_into("<I", self.b, off, v & 0xffffffff)

    def r16(self, off):
        return struct.unpack_from("<H", self.b, off)[0]

    def r32(self, off):
        return struct.unpack_from("<I", self.b, off)[0]

    def header(self, vendor, device, cls, rev=0, svendor=None, sdevice=0,
               command=0x0006, status=0x0010, pin=1):
        self.w16(0x00, vendor)
        self.w16(0x02, device)
        self.w16(0x04, command)
        self.w16(0x06, status)
        self.w8(0x08, rev)
        self.w8(0x09, cls & 0xff)
        self.w8(0x0a, (cls >> 8) & 0xff)
        self.w8(0x0b, (cls >> 16) & 0xff)
        self.w16(0x2c, vendor if svendor is None else svendor)
        self.w16(0x2e, sdevice)
        self.w8(0x3d, pin)
        self.w8(0x3c, 0xff)

    def bar(self, n, addr, kind, prefetch=False):
        if kind == "io":
            self.w32(0x10 + 4 * n, (addr & ~3) | 1)
            return
        flags = (0x4 if kind == "mem64" else 0) | (0x8 if prefetch else 0)
        self.w32(0x10 + 4 * n, (addr & 0xfffffff0) | flags)
        if kind == "mem64":
            self.w32(0x14 + 4 * n, addr >> 32)

    def std_caps(self, caps):
        """caps: list of (offset, id, body bytes after the 2 header bytes)"""
        self.w8(0x34, caps[0][0] if caps else 0)
        for i, (off, cid, body) in enumerate(caps):
            nxt = caps[i + 1][0] if i + 1 < len(caps) else 0
            self.w8(off, cid)
            self.w8(off + 1, nxt)
            self.b[off + 2:off + 2 + len(body)] = body

    def ecap(self, off, cid, ver, nxt, body=b""):
        self.w32(off, cid | (ver << 16) | (nxt << 20))
        self.b[off + 4:off + 4 + len(body)] = body

    def lines(self):
        out = []
        for off in range(0, self.size, 16):
            label = "%02x" % off if off < 0x100 else "%03x" % off
            out.append("%s: %s" % (label, " ".join("%02x" % x for x in
                                                   self.b[off:off + 16])))
        return out


def le16(v):
    return struct.pack("<H", v)


def le32(v):
    return struct.pack("<I", v)


# --------------------------------------------------------- building blocks

def pm_cap(no_soft_reset=True):
    # PMC: version 3, PMCSR: D0, No_Soft_Reset as given
    return le16(0x0003) + le16(0x0008 if no_soft_reset else 0x0000) + \
        b"\x00\x00"


def msix_cap(nvec, bir, table_off, pba_off):
    return le16(nvec - 1) + le32(table_off | bir) + le32(pba_off | bir)


def msi_cap64():
    # 64-bit, per-vector masking, 1 vector
    return le16(0x0180) + bytes(20)


def pcie_cap_endpoint(flr=True):
    devcap = 0x00008021 | (0x10000000 if flr else 0)   # RBER, ext tag, 256B
    body = le16(0x0002)                  # version 2, endpoint
    body += le32(devcap) + le16(0x2810) + le16(0x0000)      # DEVCAP/CTL/STA
    body += le32(0x00400c41) + le16(0x0000) + le16(0x1041)  # LNKCAP/CTL/STA
    body += le32(0) + le16(0) + le16(0)                     # SLTCAP/CTL/STA
    body += le16(0) + le16(0) + le32(0)                     # RTCTL/CAP/STA
    body += le32(0x00000010) + le16(0) + le16(0)            # DEVCAP2/CTL2
    body += le32(0x0000000e) + le16(0x0002) + le16(0)       # LNKCAP2/CTL2
    return body


def aer_body():
    # uncorrectable status/mask/severity, correctable status/mask, AERCC
    return le32(0) + le32(0) + le32(0x00462030) + le32(0) + le32(0x00002000) \
        + le32(0x000000a0) + bytes(16)


def dsn_body(serial):
    return struct.pack("<Q", serial)


def pasid_body(width, exec_=True, priv=False, enabled=True):
    """PASID Capability and Control registers.  A host IOMMU driver that
    does PASID enables it at probe with every feature the capability
    offers (Intel, SMMUv3: pci_enable_pasid(pci_pasid_features())), and
    the kernel reports EXEC/PRIV from Control: @enabled = False models a
    host IOMMU without PASID support, which never touches Control."""
    cap = (width << 8) | (2 if exec_ else 0) | (4 if priv else 0)
    ctl = (1 | (2 if exec_ else 0) | (4 if priv else 0)) if enabled else 0
    return le16(cap) + le16(ctl)


def sriov_body():
    body = bytearray(0x3c)
    struct.pack_into("<I", body, 0x00, 0x00000002)   # SRIOV_CAP: ARI capable
    struct.pack_into("<H", body, 0x04, 0x0000)       # CTRL
    struct.pack_into("<H", body, 0x08, 8)            # INITIAL_VF
    struct.pack_into("<H", body, 0x0a, 8)            # TOTAL_VF
    struct.pack_into("<H", body, 0x10, 0x80)         # VF_OFFSET
    struct.pack_into("<H", body, 0x12, 0x02)         # VF_STRIDE
    struct.pack_into("<H", body, 0x16, 0x00f2)       # VF_DID
    struct.pack_into("<I", body, 0x18, 0x00000553)   # SUP_PGSIZE
    struct.pack_into("<I", body, 0x1c, 0x00000001)   # SYS_PGSIZE
    struct.pack_into("<I", body, 0x20, 0x0000000c)   # VF BAR0 mem64 pref
    return bytes(body)


def common_endpoint(cfg, device, pin=1, flr=True):
    """vendor 1b36 test endpoint: BAR0 16K mem64, PM, MSI-X(8), PCIe v2"""
    cfg.header(0x1b36, device, 0x088000, rev=1, sdevice=0x1100, pin=pin)
    cfg.bar(0, 0xfe000000, "mem64")
    cfg.std_caps([
        (0x40, 0x01, pm_cap()),
        (0x50, 0x11, msix_cap(8, 0, 0x2000, 0x3000)),
        (0x70, 0x10, pcie_cap_endpoint(flr=flr)),
    ])


STD_BARS = ["bar0: 0x4000 mem64"]

def host(**kw):
    keys = {
        "max_pasid_log2": "20", "pasid_exec": "yes", "pasid_priv": "no",
        "hwpt_alloc_pasid": "accept", "dirty_tracking": "no",
    }
    expose = kw.pop("expose_pasid", "no")
    hwtype = kw.pop("hw_info_type", None)
    migration = kw.pop("migration", None)
    drift = kw.pop("config_drift", None)
    impossible = kw.pop("impossible_host", None)
    keys.update({k: str(v) for k, v in kw.items()})
    return ["iommu.%s: %s" % (k, keys[k]) for k in
            ("max_pasid_log2", "pasid_exec", "pasid_priv",
             "hwpt_alloc_pasid", "dirty_tracking")] + \
        ["vfio.expose_pasid: %s" % expose] + \
        (["iommu.hw_info_type: %s" % hwtype] if hwtype else []) + \
        (["vfio.migration: %s" % migration] if migration else []) + \
        (["vfio.config_drift: %s" % drift] if drift else []) + \
        (["fake.impossible_host: %s" % impossible] if impossible else [])


# ------------------------------------------------------ synthetic profiles

def p_minimal(priv=False, enabled=True):
    """AER at 0x100 and the device's PASID capability in the last 8 bytes,
    which the kernel hides (unlinks) from QEMU."""
    c = Cfg()
    common_endpoint(c, 0x00f1)
    c.ecap(0x100, 0x0001, 1, 0xff8, aer_body())
    c.ecap(0xff8, 0x001b, 1, 0, pasid_body(20, True, priv, enabled))
    return c


def p_vsec_to_end():
    c = Cfg()
    common_endpoint(c, 0x00f2)
    c.ecap(0x100, 0x0001, 1, 0x140, aer_body())
    c.ecap(0x140, 0x0003, 1, 0x7f8, dsn_body(0x0011223344556677))
    c.ecap(0x7f8, 0x001b, 1, 0x800, pasid_body(20))        # hidden
    vsec_len = 0x800                      # 0x800 + 0x800 - 1 = 0xfff
    body = le32(0x0001 | (1 << 16) | (vsec_len << 20))
    # a few vendor registers inside, the rest zero (zero is not "free")
    body += le32(0xcafe0001) + le32(0x00000000) + le32(0x12345678)
    c.ecap(0x800, 0x000b, 1, 0, body)
    c.w32(0xff0, 0x00000001)              # a register near the very end
    return c


def p_no_ext_caps():
    c = Cfg()
    common_endpoint(c, 0x00f3)
    # The PASID capability is the only one: the kernel hides it as a
    # placeholder and, with no capability left, serves 0 at 0x100
    c.ecap(0x100, 0x001b, 1, 0, pasid_body(20))
    return c


def p_sriov_ari():
    c = Cfg()
    common_endpoint(c, 0x00f4)
    c.ecap(0x100, 0x0001, 2, 0x148, aer_body())
    c.ecap(0x148, 0x000e, 1, 0x150, le16(0x0000) + le16(0x0000))   # ARI
    c.ecap(0x150, 0x0010, 1, 0x190, sriov_body())                  # SR-IOV
    c.ecap(0x190, 0x001b, 1, 0, pasid_body(20))                    # hidden
    return c


def p_backwards_chain():
    c = Cfg()
    common_endpoint(c, 0x00f5)
    c.ecap(0x100, 0x0001, 1, 0x300, aer_body())
    c.ecap(0x300, 0x0003, 1, 0x200, dsn_body(0x8877665544332211))
    c.ecap(0x200, 0x0018, 1, 0x400, le16(0x1003) + le16(0x1003))   # LTR
    c.ecap(0x400, 0x001b, 1, 0, pasid_body(20))                    # hidden
    return c


def p_looping_chain():
    c = Cfg()
    common_endpoint(c, 0x00f6)
    c.ecap(0x100, 0x0001, 1, 0x180, aer_body())
    c.ecap(0x180, 0x001b, 1, 0x140, pasid_body(20))                # hidden
    c.ecap(0x140, 0x0003, 1, 0x100, dsn_body(0x0102030405060708))  # loops
    return c


def p_conventional():
    c = Cfg(256)
    c.header(0x1b36, 0x00f7, 0x088000, rev=1, sdevice=0x1100)
    c.bar(0, 0xfe000000, "mem32")
    c.std_caps([
        (0x40, 0x01, pm_cap()),
        (0x50, 0x05, msi_cap64()),
    ])
    return c


def p_hidden_first_pasid():
    c = Cfg()
    common_endpoint(c, 0x00f8)
    c.ecap(0x100, 0x001b, 1, 0x200, pasid_body(20, exec_=True))
    c.ecap(0x200, 0x0001, 1, 0x300, aer_body())
    c.ecap(0x300, 0x001f, 1, 0, le32(0x00000407) + le32(0))        # PTM
    return c


def p_pasid_exposed():
    c = Cfg()
    common_endpoint(c, 0x00f9)
    c.ecap(0x100, 0x0001, 1, 0x148, aer_body())
    c.ecap(0x148, 0x001b, 1, 0, pasid_body(20, exec_=True))
    return c


def p_hidden_regs_at_end():
    c = Cfg()
    common_endpoint(c, 0x00fa)
    # PASID first: hidden as a placeholder, so auto cannot reuse it
    c.ecap(0x100, 0x001b, 1, 0x200, pasid_body(20))
    c.ecap(0x200, 0x0001, 1, 0, aer_body())
    # vendor registers in the gap the kernel passes through raw
    c.w32(0xff8, 0x5a5a0001)
    c.w32(0xffc, 0x00000080)
    return c


def p_hidden_cap_at_end():
    c = Cfg()
    common_endpoint(c, 0x00fb)
    c.ecap(0x100, 0x001b, 1, 0x200, pasid_body(20))        # placeholder
    c.ecap(0x200, 0x0001, 1, 0xf00, aer_body())
    # L1 PM Substates (hidden by vfio-pci) whose registers read zero, then
    # a DPC capability (hidden too) ending at 0xfff
    c.ecap(0xf00, 0x001e, 1, 0xfa0, le32(0) + le32(0) + le32(0))
    c.ecap(0xfa0, 0x001d, 1, 0, bytes(0x40))
    return c


SYNTHETIC = [
    ("synthetic-minimal", p_minimal, None, [
        "Minimal synthetic PCIe endpoint: PM, MSI-X (8 vectors in BAR0),",
        "PCIe v2 cap with FLR, AER at 0x100 and the device's own PASID",
        "capability (width 20, EXEC, enabled by the host) at 0xff8, which",
        "the kernel hides from QEMU.  Host IOMMU reports PASID width 20 with",
        "EXEC.  Baseline for vPASID tests: auto reuses the device's own",
        "PASID offset, 0xff8.",
    ], host(), STD_BARS),
    ("synthetic-minimal-nopasid-host", lambda: p_minimal(enabled=False),
     0x00e1, [
        "Same device as synthetic-minimal, but the host IOMMU has no PASID",
        "support: it never enabled PASID on the device and reports",
        "out_max_pasid_log2 = 0.  QEMU must not synthesize a PASID",
        "capability nor set IOMMU_HWPT_ALLOC_PASID.",
     ], host(max_pasid_log2=0, pasid_exec="no"), STD_BARS),
    ("synthetic-minimal-hwpt-reject", p_minimal, 0x00e2, [
        "Same device as synthetic-minimal; the host reports PASID 20 + EXEC",
        "but IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID fails with",
        "EOPNOTSUPP (exercises QEMU's fallback).",
    ], host(hwpt_alloc_pasid="reject"), STD_BARS),
    ("synthetic-minimal-exec-priv-dirty", lambda: p_minimal(priv=True),
     0x00e3, [
        "Same device as synthetic-minimal but its PASID capability offers",
        "EXEC and PRIV, both enabled by the host; the host reports PASID 20",
        "with EXEC and PRIV and IOMMU dirty tracking (HWPT allocated with",
        "IOMMU_HWPT_ALLOC_DIRTY_TRACKING).",
     ], host(pasid_priv="yes", dirty_tracking="yes"), STD_BARS),
    ("synthetic-minimal-hwinfo-none", p_minimal, 0x00e4, [
        "Same device as synthetic-minimal behind an IOMMU driver without",
        "hw_info: IOMMU_GET_HW_INFO answers type NONE with no data (uses",
        "the optional iommu.hw_info_type extension key).  PASID width 20.",
    ], host(hw_info_type="none"), STD_BARS),
    ("synthetic-minimal-migratable", p_minimal, 0x00e5, [
        "Same device as synthetic-minimal with the VFIO migration uAPI",
        "(STOP_COPY; the device's state is BAR0's first page) and IOMMU",
        "dirty tracking, so QEMU can migrate it.  PASID width 20 + EXEC.",
    ], host(dirty_tracking="yes", migration="stop_copy"), STD_BARS),
    ("synthetic-minimal-config-drift", p_minimal, 0x00e6, [
        "ROBUSTNESS: same device as synthetic-minimal, but its extended",
        "config space (0x100-0xfff) reads differently every time: the",
        "first read returns the dump, each later one the dump XOR the",
        "number of earlier reads.  QEMU must decide from one snapshot.",
    ], host(config_drift="0x100-0xfff"), STD_BARS),
    ("synthetic-vsec-to-end", p_vsec_to_end, None, [
        "AER at 0x100 -> DSN at 0x140 -> PASID at 0x7f8 (hidden by the",
        "kernel) -> Vendor-Specific (VSEC) at 0x800 whose length field",
        "(0x800) makes it reach 0xfff.  Nothing above 0x800 is free; auto",
        "reuses the device's own PASID offset below the VSEC (0x7f8).",
    ], host(), STD_BARS),
    ("synthetic-no-ext-caps", p_no_ext_caps, None, [
        "PCIe endpoint whose only extended capability, PASID at 0x100, is",
        "hidden by the kernel: with no capability left it serves 0 at",
        "0x100, so QEMU sees no extended capabilities (the PASID registers",
        "at 0x104 still read raw).  A synthesized capability must become a",
        "valid chain head at 0x100's next pointer.",
    ], host(), STD_BARS),
    ("synthetic-sriov-ari", p_sriov_ari, None, [
        "PF-like endpoint: AER 0x100 -> ARI 0x148 -> SR-IOV 0x150 (64 bytes,",
        "to 0x18f) -> PASID 0x190 (hidden by the kernel).  The kernel",
        "exposes ARI and SR-IOV; QEMU hides them from the guest, but their",
        "ranges stay occupied.",
    ], host(), STD_BARS),
    ("synthetic-backwards-chain", p_backwards_chain, None, [
        "Extended chain that does not run in address order:",
        "AER 0x100 -> DSN 0x300 -> LTR 0x200 -> PASID 0x400 (hidden) -> end.",
    ], host(), STD_BARS),
    ("synthetic-looping-chain", p_looping_chain, None, [
        "ROBUSTNESS ONLY: the extended chain loops, AER 0x100 -> PASID 0x180",
        "-> DSN 0x140 -> back to 0x100.  The kernel unlinks the PASID",
        "capability and passes the AER/DSN loop through unchanged (its own",
        "walk is bounded); the host finds PASID before the loop.",
    ], host(), STD_BARS),
    ("synthetic-conventional-pci", p_conventional, None, [
        "Conventional PCI function: 256-byte config space (dump stops at",
        "0xff), no PCIe capability, PM + 64-bit MSI, BAR0 mem32.  No",
        "extended config space, so no vPASID whatever the host says.",
    ], host(impossible_host="a conventional function has no PASID "
            "capability, so a real host reports width 0; this one claims "
            "20 to show that QEMU still adds nothing"),
     ["bar0: 0x1000 mem32"]),
    ("synthetic-hidden-first-pasid", p_hidden_first_pasid, None, [
        "Physical PASID capability FIRST at 0x100 (hidden by vfio-pci: QEMU",
        "sees a placeholder header ID 0 / version 0 with next = 0x200),",
        "then AER 0x200, then PTM 0x300 (hidden, unlinked).  Host PASID 20.",
    ], host(), STD_BARS),
    ("synthetic-pasid-exposed", p_pasid_exposed, None, [
        "AER 0x100 -> PASID 0x148.  vfio.expose_pasid: yes simulates a",
        "future kernel that passes the physical PASID capability through:",
        "QEMU must use it and never add a second one.",
    ], host(expose_pasid="yes"), STD_BARS),
    ("synthetic-hidden-regs-at-end", p_hidden_regs_at_end, None, [
        "PASID first at 0x100 (hidden as a placeholder, so not reusable),",
        "AER at 0x200, and non-zero vendor registers at 0xff8-0xfff in a",
        "gap the kernel passes through raw: auto placement must not use",
        "0xff8 (the zero check), and must pick 0xff0.",
    ], host(), STD_BARS),
    ("synthetic-hidden-cap-at-end", p_hidden_cap_at_end, None, [
        "PASID 0x100 (placeholder) -> AER 0x200 -> L1 PM Substates 0xf00 ->",
        "DPC 0xfa0 (to 0xfdf).  L1SS and DPC are hidden by vfio-pci",
        "(unlinked) yet still readable at their offsets; their registers",
        "read zero here, so only the header scan keeps auto placement off",
        "them.",
    ], host(), STD_BARS),
]


# --------------------------------------------------------- real profiles

# BAR sizes: from the well-known sizes of these parts, verified below
# against the BAR register type bits, the address alignment in the dump
# and the MSI-X table/PBA location.  iommu.*: the kernel reports
# out_max_pasid_log2 > 0 only for devices with a PASID capability, with
# EXEC/PRIV from the bits the host enabled in its control register.
REAL_DEVICES = {
    "intel-82576-10c9-sriov-pf": {
        "bars": ["bar0: 0x20000 mem32", "bar1: 0x400000 mem32",
                 "bar2: 0x20 io", "bar3: 0x4000 mem32"],
        "note": "82576 (10c9): 128K CSR, 4M flash, 32-byte I/O, 16K MSI-X",
    },
    "intel-dsa-0b25": {
        "bars": ["bar0: 0x10000 mem64 prefetch",
                 "bar2: 0x20000 mem64 prefetch"],
        "note": "DSA: 64K MMIO registers, 128K WQ portals",
    },
    "intel-jhl6240-thunderbolt3-nhi": {
        "bars": ["bar0: 0x40000 mem32", "bar1: 0x1000 mem32"],
        "note": "Alpine Ridge NHI: 256K MMIO, 4K MSI-X",
    },
    "intel-skylake-igpu": {
        "bars": ["bar0: 0x1000000 mem64", "bar2: 0x10000000 mem64 prefetch",
                 "bar4: 0x40 io"],
        "note": "Skylake GT: 16M GTTMMADR, 256M aperture, 64-byte I/O",
    },
    "intel-wireless-7265-095a": {
        "bars": ["bar0: 0x2000 mem64"],
        "note": "7265: 8K MMIO",
    },
    "kingston-kc3000-nvme": {
        "bars": ["bar0: 0x4000 mem64"],
        "note": "NVMe: 16K registers incl. MSI-X table/PBA",
    },
    "mellanox-connectx3-pro": {
        "bars": ["bar0: 0x100000 mem32", "bar2: 0x2000000 mem32"],
        "note": "ConnectX-3 Pro: 1M ICM/registers, 32M UAR (the dump's BAR "
                "registers carry 32-bit type bits)",
    },
    "micron-3400-nvme": {
        "bars": ["bar0: 0x4000 mem64"],
        "note": "NVMe: 16K registers incl. MSI-X table/PBA",
    },
    "myricom-myri10g": {
        "bars": ["bar0: 0x1000000 mem64 prefetch", "bar2: 0x100000 mem64"],
        "note": "Myri-10G: 16M SRAM window, 1M registers incl. MSI-X",
    },
    "realtek-rtl8125": {
        "bars": ["bar0: 0x100 io", "bar2: 0x10000 mem64",
                 "bar4: 0x4000 mem64"],
        "note": "RTL8125: 256-byte I/O, 64K MMIO, 16K MSI-X",
    },
}

HEX_RE = re.compile(r"^([0-9a-fA-F]{2,3}):((?: [0-9a-fA-F]{2}){16})\s*$")


def parse_dump(path):
    comments, lines = [], []
    cfg = bytearray(4096)
    maxoff = 0
    for raw in open(path, encoding="utf-8"):
        raw = raw.rstrip("\n")
        if raw.startswith("#"):
            comments.append(raw)
            continue
        m = HEX_RE.match(raw)
        if not m:
            if raw.strip():
                raise SystemExit("%s: unexpected line %r" % (path, raw))
            continue
        off = int(m.group(1), 16)
        cfg[off:off + 16] = bytes(int(x, 16) for x in m.group(2).split())
        maxoff = max(maxoff, off)
        lines.append(raw)
    return comments, lines, cfg, (4096 if maxoff >= 0x100 else 256)


def find_cap(cfg, cid):
    if not cfg[0x06] & 0x10:
        return 0
    pos, ttl = cfg[0x34], 48
    while pos >= 0x40 and ttl:
        if cfg[pos] == cid:
            return pos
        pos, ttl = cfg[pos + 1], ttl - 1
    return 0


def find_ecap(cfg, cid):
    pos, ttl = 0x100, 960
    while pos >= 0x100 and ttl:
        h = struct.unpack_from("<I", cfg, pos)[0]
        if h & 0xffff == cid:
            return pos
        pos, ttl = (h >> 20) & 0xffc, ttl - 1
    return 0


def parse_bar_line(line):
    m = re.match(r"bar(\d): (0x[0-9a-f]+) (mem32|mem64|io)( prefetch)?$",
                 line)
    return int(m.group(1)), int(m.group(2), 16), m.group(3), bool(m.group(4))


def check_bars(name, cfg, bars):
    sizes = {}
    for line in bars:
        n, size, kind, pref = parse_bar_line(line)
        reg = struct.unpack_from("<I", cfg, 0x10 + 4 * n)[0]
        if kind == "io":
            assert reg & 1, "%s bar%d: dump says memory" % (name, n)
            addr = reg & ~3
        else:
            assert not reg & 1, "%s bar%d: dump says io" % (name, n)
            assert bool(reg & 4) == (kind == "mem64"), \
                "%s bar%d: 32/64-bit mismatch" % (name, n)
            assert bool(reg & 8) == pref, \
                "%s bar%d: prefetch mismatch" % (name, n)
            addr = reg & ~0xf
            if kind == "mem64":
                addr |= struct.unpack_from("<I", cfg, 0x14 + 4 * n)[0] << 32
        assert addr and addr % size == 0, \
            "%s bar%d: address 0x%x not aligned to 0x%x" % (name, n, addr,
                                                           size)
        sizes[n] = size
    msix = find_cap(cfg, 0x11)
    if msix:
        nvec = (struct.unpack_from("<H", cfg, msix + 2)[0] & 0x7ff) + 1
        table = struct.unpack_from("<I", cfg, msix + 4)[0]
        pba = struct.unpack_from("<I", cfg, msix + 8)[0]
        for what, reg, length in (("table", table, nvec * 16),
                                  ("PBA", pba, (nvec + 63) // 64 * 8)):
            bir, off = reg & 7, reg & ~7
            assert bir in sizes and off + length <= sizes[bir], \
                "%s: MSI-X %s outside BAR%d" % (name, what, bir)


def real_profile(dumps, base):
    path = os.path.join(dumps, base + ".txt")
    comments, lines, cfg, size = parse_dump(path)
    info = REAL_DEVICES[base]
    check_bars(base, cfg, info["bars"])
    desc = comments[0].lstrip("# ").strip() if comments else base
    source = None
    kept = []
    for c in comments:
        m = re.match(r"#\s*Source:\s*(.*)$", c)
        if m:
            source = m.group(1)
        else:
            kept.append(c)
    if not source:
        raise SystemExit("%s: no Source: line" % path)
    pasid = find_ecap(cfg, 0x1b) if size > 256 else 0
    if pasid:
        cap = struct.unpack_from("<H", cfg, pasid + 4)[0]
        ctl = struct.unpack_from("<H", cfg, pasid + 6)[0]
        width = min((cap >> 8) & 0x1f, 20)
        hostkw = dict(max_pasid_log2=width,
                      pasid_exec="yes" if ctl & 2 else "no",
                      pasid_priv="yes" if ctl & 4 else "no")
        why = ("device has a PASID capability at 0x%x (width %d, control "
               "0x%04x): the host reports that width and the EXEC/PRIV bits "
               "it enabled" % (pasid, (cap >> 8) & 0x1f, ctl))
    else:
        hostkw = dict(max_pasid_log2=0, pasid_exec="no", pasid_priv="no")
        why = ("device has no PASID capability: the host reports "
               "out_max_pasid_log2 = 0")
    out = ["# name: %s" % desc, "# source: %s" % source,
           "# Real device dump (shared/pci-dumps/%s.txt)." % base,
           "# BARs: %s." % info["note"],
           "# Host IOMMU: %s." % why]
    out += ["# " + h for h in host(**hostkw)]
    out += ["# " + b for b in info["bars"]]
    out += ["#", "# --- comment lines of the original dump ---"] + kept
    out += lines
    return "\n".join(out) + "\n"


def synthetic_profile(name, builder, devid, purpose, hostlines, bars):
    cfg = builder()
    if devid is not None:
        cfg.w16(0x02, devid)
    out = ["# name: %s" % name,
           "# source: synthetic, generated by profiles/generate.py"]
    out += ["# Purpose: " + purpose[0]] + ["#   " + p for p in purpose[1:]]
    out += ["# " + h for h in hostlines]
    out += ["# " + b for b in bars]
    out += cfg.lines()
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dumps", default=DEFAULT_DUMPS)
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--check", action="store_true",
                    help="verify the checked-in profiles, write nothing")
    args = ap.parse_args()

    files = {}
    for name, builder, devid, purpose, hostlines, bars in SYNTHETIC:
        files[name + ".profile"] = synthetic_profile(name, builder, devid,
                                                     purpose, hostlines, bars)
    if os.path.isdir(args.dumps):
        for base in sorted(REAL_DEVICES):
            files["real-" + base + ".profile"] = real_profile(args.dumps, base)
    else:
        print("note: %s not found, real-device profiles skipped" % args.dumps,
              file=sys.stderr)

    bad = 0
    for fname, text in sorted(files.items()):
        path = os.path.join(args.out, fname)
        if args.check:
            try:
                cur = open(path, encoding="utf-8").read()
            except OSError:
                cur = None
            if cur != text:
                print("differs: %s" % path)
                bad += 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if args.check:
        print("%d profiles checked, %d differ" % (len(files), bad))
        return 1 if bad else 0
    print("wrote %d profiles to %s" % (len(files), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
