"""What the project's Python checks share about a QEMU whose host devices
are served by the fake-vfio test double: the library, the vIOMMU option,
a machine with one device behind a root port driven over the qtest
protocol, and config-space readers."""

import json
import os

import qmp
import qtestproto

LIB = os.environ.get("FAKE_VFIO_LIB", os.path.join(
    qmp.BUILD, "tests", "qtest", "fake-vfio", "libfake-vfio.so"))
VIOMMU = "intel-iommu,caching-mode=on,x-scalable-mode=on,x-pasid-mode=on"
BDF = "0000:01:00.0"

RP_CFG = qtestproto.ECAM_BASE + ((2 << 3) << 12)    # root port 00:02.0
DEV_CFG = qtestproto.ECAM_BASE + (1 << 20)          # the device, 01:00.0
BAR0 = 0xc0000000                                    # in the port's window


def dword(cfg, off):
    return int.from_bytes(cfg[off:off + 4], "little")


def cap_walk(cfg):
    """("std"|"ext", offset, id) of every capability on @cfg's two chains,
    bounded (a loop or a pointer out of range ends a chain)."""
    caps = []
    if cfg[0x06] & 0x10:                        # Status: Capabilities List
        off, seen = cfg[0x34] & 0xfc, set()
        while 0x40 <= off <= 0xfc and off not in seen:
            seen.add(off)
            caps.append(("std", off, cfg[off]))
            off = cfg[off + 1] & 0xfc
    off, seen = 0x100, set()
    while 0x100 <= off <= 0xffc and off not in seen and len(cfg) > off:
        seen.add(off)
        hdr = dword(cfg, off)
        if hdr in (0, 0xffffffff):
            break
        caps.append(("ext", off, hdr & 0xffff))
        off = hdr >> 20 & 0xffc
    return caps


class FakeVM:
    """One QEMU (qtest accelerator): q35, optionally intel-iommu in PASID
    mode, a pcie-root-port rp1 and the fake device @BDF (id hostdev0) from
    @profile behind it (or on @bus).  @qemu and @lib replace the
    series-built binary and fake-vfio library.  Use as a context
    manager."""

    def __init__(self, tmp, name, profile, viommu, incoming=None,
                 device=True, devopts="", qemu=None, bus="rp1", lib=None):
        self.qt = qtestproto.QTest()
        self.log = os.path.join(tmp, name + ".jsonl")
        args = ["-M", "q35", "-nodefaults", "-display", "none"]
        if viommu:
            args += ["-device", VIOMMU]
        args += ["-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,"
                 "addr=0x2", "-object", "iommufd,id=iommufd0"]
        if device:
            args += ["-device", "vfio-pci,host=%s,iommufd=iommufd0,bus=%s,"
                     "id=hostdev0%s" % (BDF, bus, devopts)]
        args += self.qt.args()
        if incoming:
            args += ["-incoming", incoming]
        self.vm = qmp.QEMU(args, env={"LD_PRELOAD": lib or LIB,
                                      "FAKE_VFIO_PROFILES": profile,
                                      "FAKE_VFIO_LOG": self.log},
                           binary=qemu)

    def __enter__(self):
        self.vm.__enter__()
        self.qt.accept()
        return self

    def __exit__(self, *exc):
        self.vm.close()
        self.qt.close()

    def firmware(self):
        """What firmware would do: ECAM, bus numbers, a memory window,
        BAR0 and memory decoding."""
        qt = self.qt
        qt.enable_ecam()
        qt.set_bridge_bus(2, 1)
        qt.cmd("writel 0x%x 0x%x" % (RP_CFG + 0x20, BAR0 >> 16 | BAR0))
        qt.cmd("writew 0x%x 0x6" % (RP_CFG + 0x04))
        qt.cmd("writel 0x%x 0x%x" % (DEV_CFG + 0x10, BAR0 | 0x4))
        qt.cmd("writel 0x%x 0x0" % (DEV_CFG + 0x14))
        qt.cmd("writew 0x%x 0x6" % (DEV_CFG + 0x04))

    def config(self):
        return self.qt.read_config(1, 0)

    def events(self, name=None):
        """The fake-vfio log's events (all, or those named @name)."""
        out = []
        with open(self.log) as f:
            for line in f:
                e = json.loads(line)
                if name is None or e.get("event") == name:
                    out.append(e)
        return out
