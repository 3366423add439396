#!/usr/bin/env python3
"""Stock, byte for byte (design 2.2): when any condition for the vPASID
capability fails, the guest sees exactly what stock QEMU 10.2.2 shows.

For every device profile in profiles/ and every failing condition below,
the series-built QEMU and stock QEMU (the base commit alone, built by
scripts/stock-build.sh) run with the same command line (q35, -accel qtest,
-object iommufd, vfio-pci iommufd=...) and the same fake-vfio library (the
series' test double; it serves the profile as kernel vfio-pci would).  Like
firmware, the check enables MMCONFIG and gives the bridges bus numbers,
then reads through MMCONFIG, on each binary:

  view    the device's 4 KiB guest-visible config space;
  masks   for each dword, in order: save it, write all-ones, read it back
          (the value recorded), write the saved value back;
  after   the 4 KiB again, after that sweep;
  writes  the config writes that reached the device (the double's log,
          offset/size/value, from start-up to the end of the sweep).

Any difference between the two binaries in any of them fails the case,
naming the profile, the condition and every differing offset with both
values.  The series must also report x-vpasid-cap-offset-effective 0, and
the device must be visible (its vendor ID at 0x00), so two empty views
never pass.

Conditions (each alone fails; everything else as in the series' good case:
intel-iommu in PASID mode, the device behind pcie-root-port rp1, the
profile's host PASID support):
  host-no-pasid          the profile's host reports max_pasid_log2 0 (and
                         no EXEC/PRIV): a copy of the profile
  viommu-no-pasid        -device intel-iommu,caching-mode=on
  no-viommu              no vIOMMU
  off                    x-vpasid-cap-offset=off (series only: stock has
                         no such property; the only difference between the
                         two command lines)
  legacy-endpoint-root   the device on pcie.0 with its PCI Express
                         capability's type set to Legacy Endpoint (a copy
                         of the profile); QEMU hides the capability there.
                         A profile without one (conventional PCI) goes on
                         pcie.0 as it is.
  pcie-pci-bridge        behind a pcie-pci-bridge (conventional bus)
  pci-bridge             behind a pci-bridge on pcie.0 (conventional bus)
  physical-pasid-exposed only profiles whose physical chain exposes PASID
                         (vfio.expose_pasid: yes); listed per profile.

Bits the sweep does not set (the same on both binaries; the masks of these
bits are therefore not compared, their values are):
  PCI Express Device Control bit 15, Initiate Function Level Reset: the
      write resets the device (QEMU passes it to the kernel, the series
      also resets its emulated registers), which is an action, not a
      register, and would make the rest of the sweep read a reset device.
  Advanced Features Control bit 0, Initiate FLR: the same, for AF.
Nothing else is excluded: Command, Status, BARs, the ROM BAR, MSI/MSI-X
Message Control (enables included), power management and every extended
byte are swept like the rest; the saved value is written back at once.

Stock cannot run a profile at all where it has a known bug the series
fixes (KNOWN_STOCK_FAILURES): such a case passes only if stock really
fails as described and the series realizes the device, and says so.

    tests/stock/stock_view.py [--series QEMU] [--stock QEMU] [--lib LIB]
        [--profiles DIR] [--only SUBSTR] [--conditions a,b] [-j N]

TAP output, one line per (profile, condition); "N passed, N failed" last.
"""

import argparse
import concurrent.futures
import glob
import hashlib
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
import consts  # noqa: E402
import fakevfio  # noqa: E402
import qmp  # noqa: E402
import tap  # noqa: E402
import vm  # noqa: E402

STOCK_QEMU = os.environ.get("STOCK_QEMU", os.path.join(
    consts.TOP, "work", "stock", "build", "qemu-system-x86_64"))

PCI_CAP_ID_EXP = 0x10
PCI_CAP_ID_AF = 0x13
PCI_EXP_TYPE_LEG_END = 0x1
BRIDGE_SLOT = 5         # pcie-pci-bridge / pci-bridge br0 at 00:05.0 ...
BRIDGE_DEV_SLOT = 1     # ... with the device at 01:01.0 behind it
ROOT_BUS_SLOT = 4       # the device at 00:04.0 on pcie.0
TIMEOUT = 30            # seconds for QEMU to come up (a hang is a failure)
MAX_SHOWN = 48          # differing offsets printed per vector

# Where stock QEMU cannot run a profile: (profile, condition or None for
# every condition) -> (what stock does, where, what the series does:
# "realizes" (without a vPASID capability) or "hangs" (like stock)).
# A listed case passes only if both binaries do exactly that; the set-up
# timeout tells a hang from a slow start (a healthy one takes < 1 s).
LOOP = "synthetic-looping-chain"
KNOWN_STOCK_FAILURES = {
    (LOOP, None): (
        "hangs", "vfio_add_ext_cap(), which follows the looping extended "
        "chain without bound (hw/vfio/pci.c; the series' 'vfio/pci: bound "
        "the extended capability walk' fixes it)", "realizes"),
    # Behind a conventional bridge vfio-pci leaves the device's chain
    # unedited and the PCI core's ARI lookup loops on it in stock; the
    # series' 'pcie: bound pcie_find_capability_list()' fixes it.
    (LOOP, "pcie-pci-bridge"): (
        "hangs", "pci_qdev_realize() -> pcie_find_capability(ARI), which "
        "follows the device's looping chain without bound (hw/pci/pcie.c)",
        "realizes"),
    (LOOP, "pci-bridge"): (
        "hangs", "pci_qdev_realize() -> pcie_find_capability(ARI), which "
        "follows the device's looping chain without bound (hw/pci/pcie.c)",
        "realizes"),
}
HANG_TIMEOUT = 5        # seconds before a listed hang counts as one


class Setup:
    """One set-up, the same for both binaries: @command(opts) gives the
    command line (without the accelerator) with vfio-pci options @opts
    (@series_opts for the series, none for stock), @profile the profile
    to serve, @bus/@devfn where the device is, @bridge_slot the bridge on
    bus 0 to give bus @bus (None: the device is on bus 0)."""

    def __init__(self, command, profile, bus, devfn, bridge_slot,
                 series_opts=""):
        self.command = command
        self.profile = profile
        self.bus = bus
        self.devfn = devfn
        self.bridge_slot = bridge_slot
        self.series_opts = series_opts


def behind_root_port(profile, viommu, series_opts=""):
    """The series' usual topology: the device behind root port rp1."""
    def command(opts):
        return vm.machine(viommu) + vm.root_port(1) + vm.iommufd() + \
            vm.vfio_pci(bus=consts.RP_ID, opts=opts)
    return Setup(command, profile, consts.DEV_BUS, consts.DEV_DEVFN,
                 consts.RP_SLOT, series_opts)


def behind_bridge(profile, bridge):
    """The device on the conventional bus of @bridge (a -device driver
    and its options) on pcie.0."""
    def command(opts):
        return vm.machine(consts.VIOMMU_PASID) + [
            "-device", "%s,id=br0,bus=pcie.0,addr=0x%x"
            % (bridge, BRIDGE_SLOT)] + vm.iommufd() + \
            vm.vfio_pci(bus="br0", addr="0x%x" % BRIDGE_DEV_SLOT, opts=opts)
    return Setup(command, profile, 1, BRIDGE_DEV_SLOT << 3, BRIDGE_SLOT)


def on_root_bus(profile):
    """The device directly on pcie.0."""
    def command(opts):
        return vm.machine(consts.VIOMMU_PASID) + vm.iommufd() + \
            vm.vfio_pci(bus="pcie.0", addr="0x%x" % ROOT_BUS_SLOT, opts=opts)
    return Setup(command, profile, 0, ROOT_BUS_SLOT << 3, None)


def cond_host_no_pasid(prof, tmp):
    path = os.path.join(tmp, "host-no-pasid.profile")
    prof.write(path, {"iommu.max_pasid_log2": "0", "iommu.pasid_exec": "no",
                      "iommu.pasid_priv": "no"})
    return behind_root_port(path, consts.VIOMMU_PASID), \
        "max_pasid_log2 %s -> 0" % prof.keys.get("iommu.max_pasid_log2", "-")


def cond_viommu_no_pasid(prof, tmp):
    return behind_root_port(prof.path, consts.VIOMMU_NOPASID), None


def cond_no_viommu(prof, tmp):
    return behind_root_port(prof.path, None), None


def cond_off(prof, tmp):
    return behind_root_port(prof.path, consts.VIOMMU_PASID,
                            ",x-vpasid-cap-offset=off"), None


def cond_legacy_endpoint_root(prof, tmp):
    exp = [off for kind, off, cid in fakevfio.cap_walk(prof.cfg)
           if kind == "std" and cid == PCI_CAP_ID_EXP]
    if not exp:
        return on_root_bus(prof.path), "no PCI Express capability: on " \
            "pcie.0 as it is"
    flags = exp[0] + 2
    old = prof.cfg[flags] >> 4 & 0xf
    copy = fakevfio.Profile(prof.path)
    copy.cfg[flags] = (copy.cfg[flags] & 0x0f) | PCI_EXP_TYPE_LEG_END << 4
    path = copy.write(os.path.join(tmp, "legacy-endpoint.profile"))
    return on_root_bus(path), "PCIe type %d -> 1 at 0x%x" % (old, flags)


def cond_pcie_pci_bridge(prof, tmp):
    return behind_bridge(prof.path, "pcie-pci-bridge"), None


def cond_pci_bridge(prof, tmp):
    return behind_bridge(prof.path, "pci-bridge,chassis_nr=1"), None


def cond_exposed(prof, tmp):
    if prof.keys.get("vfio.expose_pasid") != "yes":
        return None, None
    return behind_root_port(prof.path, consts.VIOMMU_PASID), None


CONDITIONS = [
    ("host-no-pasid", cond_host_no_pasid),
    ("viommu-no-pasid", cond_viommu_no_pasid),
    ("no-viommu", cond_no_viommu),
    ("off", cond_off),
    ("legacy-endpoint-root", cond_legacy_endpoint_root),
    ("pcie-pci-bridge", cond_pcie_pci_bridge),
    ("pci-bridge", cond_pci_bridge),
    ("physical-pasid-exposed", cond_exposed),
]


def probe_plan(view):
    """{dword offset: (value to write, [excluded bit names])} for the dwords
    whose probe is not all-ones, from @view's capability chain."""
    plan = {}
    for kind, off, cid in fakevfio.cap_walk(view):
        if kind != "std":
            continue
        if cid == PCI_CAP_ID_EXP:
            plan[off + 8] = (0xffffffff & ~(1 << 15),
                             ["PCIe Device Control Initiate FLR"])
        elif cid == PCI_CAP_ID_AF:
            plan[off + 4] = (0xffffffff & ~1, ["AF Control Initiate FLR"])
    return plan


class Observation:
    def __init__(self):
        self.view = self.masks = self.after = None
        self.writes = []
        self.eff = None
        self.error = None
        self.hung = False
        self.stderr = ""


def observe(binary, setup, series, lib, plan=None, timeout=TIMEOUT):
    """Run @binary with @setup; return an Observation (and the plan used)."""
    ob = Observation()
    opts = setup.series_opts if series else ""
    with vm.scratch("vpasid-stock-") as tmp:
        log = os.path.join(tmp, "fake-vfio.jsonl")
        g = vm.VM(setup.command(opts) + ["-qtest-log", "/dev/null"], "qtest",
                  binary=binary, profiles=[setup.profile], fake_log=log,
                  lib=lib, timeout=timeout)
        try:
            g.__enter__()
            qt = g.qt
            qt.enable_ecam()
            if setup.bridge_slot is not None:
                qt.set_bridge_bus(setup.bridge_slot, setup.bus)
            base = consts.ecam(setup.bus, setup.devfn)
            ob.view = qt.read_config(setup.bus, setup.devfn)
            if plan is None:
                plan = probe_plan(ob.view)
            masks = bytearray()
            for off in range(0, 4096, 4):
                saved = qt.readl(base + off)
                probe = plan.get(off, (0xffffffff, []))[0]
                r = qt.cmds(["writel 0x%x 0x%x" % (base + off, probe),
                             "readl 0x%x" % (base + off),
                             "writel 0x%x 0x%x" % (base + off, saved)])
                masks += int(r[1], 16).to_bytes(4, "little")
            ob.masks = bytes(masks)
            ob.after = qt.read_config(setup.bus, setup.devfn)
            if series:
                ob.eff = g.vm.cmd("qom-get",
                                  path="/machine/peripheral/" +
                                  consts.DEV_ID,
                                  property="x-vpasid-cap-offset-"
                                  "effective")
            st = g.vm.cmd("query-status")["status"]
            if st != "running":
                ob.error = "VM status %s after the sweep" % st
            ob.writes = [(e["offset"], e["size"], e["value"])
                         for e in g.events("config_write")]
            g.vm.quit()
        except (qmp.QMPError, OSError) as e:
            ob.error = "%s: %s" % (type(e).__name__, e)
            # still running after the timeout: a hang, not a crash
            ob.hung = g.vm.running_at_failure or (
                g.vm.proc is not None and g.vm.proc.poll() is None)
        finally:
            g.close()
            ob.stderr = g.vm.stderr_text()
    return ob, plan


def byte_diffs(a, b):
    return [i for i in range(max(len(a), len(b)))
            if i >= len(a) or i >= len(b) or a[i] != b[i]]


def write_diffs(a, b):
    """Human lines for where two config-write sequences part."""
    if a == b:
        return []
    i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]),
             min(len(a), len(b)))
    fmt = lambda w: "0x%03x/%d=0x%x" % w if w else "(none)"  # noqa: E731
    out = ["writes reaching the device: series %d, stock %d; first "
           "difference at #%d: series %s, stock %s"
           % (len(a), len(b), i, fmt(a[i] if i < len(a) else None),
              fmt(b[i] if i < len(b) else None))]
    return out


def compare(ser, sto, vendor):
    """[] if @ser and @sto agree, else lines naming every difference."""
    out = []
    for name in ("view", "masks", "after"):
        a, b = getattr(ser, name), getattr(sto, name)
        d = byte_diffs(a, b)
        if d:
            out.append("%s: %d byte(s) differ" % (name, len(d)))
            for i in d[:MAX_SHOWN]:
                out.append("  %s 0x%03x: series 0x%02x stock 0x%02x"
                           % (name, i, a[i], b[i]))
            if len(d) > MAX_SHOWN:
                out.append("  ... %d more" % (len(d) - MAX_SHOWN))
    out += write_diffs(ser.writes, sto.writes)
    if ser.eff != 0:
        out.append("series: x-vpasid-cap-offset-effective %r, not 0"
                   % ser.eff)
    got = int.from_bytes(sto.view[0:2], "little")
    if got != vendor or vendor in (0, 0xffff):
        out.append("the device is not visible: vendor ID 0x%04x at 0x00, "
                   "the profile's is 0x%04x" % (got, vendor))
    return out


def run_case(opts, prof, cond_name, cond_fn):
    """(name, ok, detail lines) of one (profile, condition); None if the
    condition does not apply to the profile."""
    pname = os.path.basename(prof.path)[:-len(".profile")]
    name = "%s / %s" % (pname, cond_name)
    with vm.scratch("vpasid-stock-case-") as tmp:
        setup, note = cond_fn(prof, tmp)
        if setup is None:
            return None
        if note:
            name += " (%s)" % note
        known = KNOWN_STOCK_FAILURES.get((pname, cond_name)) or \
            KNOWN_STOCK_FAILURES.get((pname, None))
        timeout = HANG_TIMEOUT if known else TIMEOUT
        t0 = time.time()
        sto, plan = observe(opts.stock, setup, False, opts.lib,
                            timeout=timeout)
        ser, _ = observe(opts.series, setup, True, opts.lib, plan,
                         timeout=timeout)
        secs = time.time() - t0
    if known:
        what, where, series_does = known
        assert what == "hangs"
        if series_does == "realizes":
            ser_ok = ser.error is None and ser.eff == 0
            does = "the series realizes it without a vPASID capability"
        else:
            ser_ok = ser.hung
            does = "the series hangs the same way (a bug: design 2.4)"
        ok = sto.hung and ser_ok
        lines = [] if ok else [
            "listed: stock %s, series %s" % (what, series_does),
            "stock: %s (hung: %s)" % (sto.error, sto.hung),
            "series: %s (hung: %s), x-vpasid-cap-offset-effective %r"
            % (ser.error, ser.hung, ser.eff)]
        return (name + ": stock cannot run it: it %s in %s; %s"
                % (what, where, does), ok, lines)
    if sto.error or ser.error:
        lines = []
        for label, ob in (("stock", sto), ("series", ser)):
            if ob.error:
                lines.append("%s failed: %s" % (label, ob.error))
                lines += ["  " + x for x in ob.stderr.splitlines()[-8:]]
        return name, False, lines
    lines = compare(ser, sto, int.from_bytes(prof.cfg[0:2], "little"))
    excluded = sorted("0x%03x: %s" % (off, ", ".join(why))
                      for off, (_, why) in plan.items())
    detail = "view, masks, after equal (4096 bytes each), %d writes " \
        "reaching the device equal%s; %.1f s" % (
            len(sto.writes), "; not swept: " + "; ".join(excluded)
            if excluded else "", secs)
    return name + ": " + detail if not lines else name, not lines, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--series", default=consts.QEMU_BIN)
    ap.add_argument("--stock", default=STOCK_QEMU)
    ap.add_argument("--lib", default=consts.FAKE_VFIO_LIB)
    ap.add_argument("--profiles", default=consts.PROFILES)
    ap.add_argument("--only", help="profiles whose name contains this")
    ap.add_argument("--conditions", help="comma-separated subset")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    opts = ap.parse_args()

    for f in (opts.series, opts.stock, opts.lib):
        if not os.access(f, os.R_OK):
            print("1..1\nnot ok - missing %s (scripts/stock-build.sh, "
                  "make)" % f)
            return 1
    paths = sorted(glob.glob(os.path.join(opts.profiles, "*.profile")))
    if opts.only:
        paths = [p for p in paths if opts.only in os.path.basename(p)]
    conds = CONDITIONS
    if opts.conditions:
        want = opts.conditions.split(",")
        unknown = set(want) - {c for c, _ in CONDITIONS}
        if unknown:
            ap.error("unknown condition(s): %s" % ", ".join(sorted(unknown)))
        conds = [c for c in CONDITIONS if c[0] in want]
    if not paths:
        print("1..1\nnot ok - no profiles in %s" % opts.profiles)
        return 1
    profiles = [fakevfio.Profile(p) for p in paths]
    jobs = [(prof, c, fn) for prof in profiles for c, fn in conds]
    t0 = time.time()
    with vm.scratch("vpasid-stock-bin-") as bindir:
        # Run copies: the shared build may relink the originals meanwhile.
        for attr in ("series", "stock", "lib"):
            src = getattr(opts, attr)
            dst = os.path.join(bindir, attr, os.path.basename(src))
            os.mkdir(os.path.dirname(dst))
            shutil.copy2(src, dst)
            with open(dst, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()[:16]
            print("# %-6s %s (sha256 %s...)" % (attr, src, digest))
            setattr(opts, attr, dst)
        print("# %d profiles x %d conditions" % (len(profiles), len(conds)))
        with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as ex:
            results = list(ex.map(lambda j: run_case(opts, *j), jobs))
    ran = [r for r in results if r is not None]
    na = [(os.path.basename(p.path), c) for (p, c, _), r in
          zip(jobs, results) if r is None]
    print("1..%d" % len(ran))
    report = tap.Report()
    for name, ok, lines in ran:
        report.check(name, ok, "differs from stock" if lines else "")
        for line in lines:
            print("# " + line)
    by_cond = {}
    for prof, c in na:
        by_cond.setdefault(c, []).append(prof[:-len(".profile")])
    for c, names in sorted(by_cond.items()):
        print("# %s applies to %d of %d profiles; not to: %s"
              % (c, len(profiles) - len(names), len(profiles),
                 ", ".join(names)))
    print("# %d cases in %.1f s" % (len(ran), time.time() - t0))
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
