"""One way to start QEMU in the project's Python checks.

The command line is built from pieces: machine() (q35 and, optionally, a
vIOMMU), root_port(), iommufd(), vfio_pci(); VM runs it with an explicit
accelerator ("qtest", with a qtest-protocol reader attached, or "tcg"), the
fake-vfio test double preloaded with the given profiles, and any QEMU
binary (default: the series-built one, consts.QEMU_BIN).  FakeVM is the
common case: the device of one profile behind root port rp1.

Every scratch directory a VM makes is removed when it closes, also when
it fails to start; scratch() gives a check its own, removed on exit
(VPASID_KEEP_TMP=1 keeps it and says where)."""

import contextlib
import json
import os
import sys
import tempfile

import consts
import qmp
import qtestproto


# --- the command line

def machine(viommu=None):
    """q35 without default devices or display, and @viommu (a -device
    string such as consts.VIOMMU_PASID) if given."""
    return list(consts.MACHINE) + (["-device", viommu] if viommu else [])


def root_port(n=1, bus="pcie.0"):
    """pcie-root-port rp<n>, chassis <n>, at slot RP_SLOT + n - 1 of @bus
    (rp1 is 00:02.0)."""
    return ["-device", "pcie-root-port,id=rp%d,bus=%s,chassis=%d,addr=0x%x"
            % (n, bus, n, consts.RP_SLOT + n - 1)]


def iommufd(obj_id=consts.IOMMUFD_ID):
    return ["-object", "iommufd,id=%s" % obj_id]


def vfio_pci(host=consts.BDF, bus=consts.RP_ID, dev_id=consts.DEV_ID,
             iommufd_id=consts.IOMMUFD_ID, addr=None, opts=""):
    """vfio-pci for fake host device @host over iommufd.  @dev_id None
    gives no id; @opts (",prop=value...") is appended as is."""
    s = "vfio-pci,host=%s,iommufd=%s,bus=%s" % (host, iommufd_id, bus)
    if addr is not None:
        s += ",addr=%s" % addr
    if dev_id:
        s += ",id=%s" % dev_id
    return ["-device", s + opts]


# --- running it

class VM:
    """A QEMU process (@binary) with QMP (.vm, a qmp.QEMU) and, for
    @accel "qtest", a qtest-protocol reader (.qt).  @args: the command line
    without accelerator (see machine()).  With @profiles (a list of profile
    paths) the fake-vfio library (@lib, after the libraries in @preload)
    serves them and logs to @fake_log (default: nowhere).  Use as a context
    manager."""

    def __init__(self, args, accel, binary=None, profiles=None,
                 fake_log=None, lib=None, preload=(), env=None, timeout=60):
        if accel not in ("qtest", "tcg"):
            raise ValueError("accel must be qtest or tcg, not %r" % accel)
        self.qt = qtestproto.QTest() if accel == "qtest" else None
        args = list(args) + (self.qt.args() if self.qt
                             else list(consts.ACCEL_TCG))
        env = dict(env or {})
        if profiles is not None:
            env.update({
                "LD_PRELOAD": ":".join(list(preload) +
                                       [lib or consts.FAKE_VFIO_LIB]),
                "FAKE_VFIO_PROFILES": ":".join(profiles),
                "FAKE_VFIO_LOG": fake_log or os.devnull})
        self.log = fake_log
        self.vm = qmp.QEMU(args, env=env, binary=binary, timeout=timeout)

    def __enter__(self):
        try:
            self.vm.__enter__()
            if self.qt:
                self.qt.accept()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.vm.close()
        if self.qt:
            self.qt.close()

    def events(self, name=None):
        """The fake-vfio log's events (all, or those named @name)."""
        out = []
        with open(self.log) as f:
            for line in f:
                e = json.loads(line)
                if name is None or e.get("event") == name:
                    out.append(e)
        return out


class FakeVM(VM):
    """One QEMU (qtest accelerator): q35, optionally intel-iommu in PASID
    mode, a pcie-root-port rp1 and the fake device consts.BDF (id hostdev0)
    from @profile behind it (or on @bus); its fake-vfio log is
    @tmp/@name.jsonl.  @qemu and @lib replace the series-built binary and
    fake-vfio library."""

    def __init__(self, tmp, name, profile, viommu, incoming=None,
                 device=True, devopts="", qemu=None, bus=consts.RP_ID,
                 lib=None):
        args = machine(consts.VIOMMU_PASID if viommu else None) + \
            root_port(1) + iommufd()
        if device:
            args += vfio_pci(bus=bus, opts=devopts)
        if incoming:
            args += ["-incoming", incoming]
        super().__init__(args, "qtest", binary=qemu, profiles=[profile],
                         fake_log=os.path.join(tmp, name + ".jsonl"),
                         lib=lib)

    def firmware(self):
        """What firmware would do: ECAM, bus numbers, a memory window,
        BAR0 and memory decoding."""
        qt = self.qt
        bar0 = consts.BAR0
        qt.enable_ecam()
        qt.set_bridge_bus(consts.RP_SLOT, consts.DEV_BUS)
        qt.cmd("writel 0x%x 0x%x" % (consts.RP_CFG + 0x20, bar0 >> 16 | bar0))
        qt.cmd("writew 0x%x 0x6" % (consts.RP_CFG + 0x04))
        qt.cmd("writel 0x%x 0x%x" % (consts.DEV_CFG + 0x10, bar0 | 0x4))
        qt.cmd("writel 0x%x 0x0" % (consts.DEV_CFG + 0x14))
        qt.cmd("writew 0x%x 0x6" % (consts.DEV_CFG + 0x04))

    def config(self):
        return self.qt.read_config(consts.DEV_BUS, consts.DEV_DEVFN)


@contextlib.contextmanager
def scratch(prefix):
    """A scratch directory, removed on exit whatever happens (kept, and
    named on stderr, with VPASID_KEEP_TMP=1)."""
    if os.environ.get("VPASID_KEEP_TMP") == "1":
        path = tempfile.mkdtemp(prefix=prefix)
        print("# kept scratch directory %s" % path, file=sys.stderr)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        yield path
