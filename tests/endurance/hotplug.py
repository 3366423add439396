#!/usr/bin/env python3
"""Hot-plug endurance of a vPASID-capable vfio-pci device under the
ASan/UBSan build (work/qemu/build-asan, scripts/build-asan.sh).

q35 + intel-iommu (scalable mode, PASID) + iommufd + a pcie-root-port; the
device is the fake-vfio test double serving profiles/synthetic-minimal.profile
(host PASID width 20: QEMU synthesizes a PASID capability at 0xff8, where
the device's own PASID capability is, hidden by the kernel).  One
cycle is: QMP device_add vfio-pci on the root port, device_del, system_reset
(completes the unplug without a guest), wait for DEVICE_DELETED.

The hot-plugged device is the only vfio device, so each cycle also tears
down and rebuilds the last VFIOAddressSpace: that is the case in which stock
QEMU 10.2.2 could abort in resettable_container_child_foreach() (fixed by
the series' first patch).  --anchor keeps a second, cold-plugged vfio-pci
device (own iommufd object) on pcie.0 for the whole run instead.

Runs, each a fresh QEMU with leak checking on:
  1. 1 cycle, 2. CYCLES cycles (default 100), both with tests/asan/lsan.supp;
  3. 1 cycle with no suppressions, to check the suppressions policy on
     every leak QEMU has at exit (tests/asan/sanreport.py).
Asserts:
  (a) no ASan/LSan/UBSan report on QEMU's stderr, exit status 0; the leaks
      the suppressions hide are the same (count and bytes, per entry) after
      1 and after CYCLES cycles, so a per-cycle leak shows even if an entry
      hid it; every leak at exit is matched by an entry and none goes
      through the series' code or the code it changes;
  (b) QEMU's open fds (/proc/PID/fd, counted after the unplug) are the same
      after cycle 1 and after the last cycle, and the test double's log
      balances after every device_del: each /dev/iommu and VFIO device cdev
      "open" has its "release" (the iommufd backend object opens /dev/iommu
      for its first user and closes it after the last);
  (c) the 4 KiB guest-visible config space, read through q35's MMCONFIG
      over the qtest protocol, is byte for byte the same in cycle 1 and in
      the last cycle, and has the PASID capability header at the offset QOM
      reports as x-vpasid-cap-offset-effective (the same in every cycle).
Prints its figures and ends with "N passed, N failed".

    tests/endurance/hotplug.py [--cycles N] [--profile FILE]
                               [--fault fd|leak|leak-suppressed]

--fault preloads tests/endurance/fault-inject.c (built on the fly) to make
QEMU keep a device fd open or leak memory on every hot-plug: the run must
fail (README "Sanitizers and endurance").
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.path.insert(0, os.path.join(TOP, "tests", "asan"))
import consts  # noqa: E402
import fakevfio  # noqa: E402
import qmp  # noqa: E402
import sanreport  # noqa: E402
import tap  # noqa: E402
import vm as vmlib  # noqa: E402

ASAN_BUILD = os.environ.get("ASAN_BUILD", os.path.join(consts.WORK,
                                                       "build-asan"))
QEMU = os.path.join(ASAN_BUILD, "qemu-system-x86_64")
FAKE_LIB = os.path.join(ASAN_BUILD, "tests", "qtest", "fake-vfio",
                        "libfake-vfio.so")
PROFILE = os.path.join(consts.PROFILES, "synthetic-minimal.profile")

RP_SLOT, DEV_BUS, DEV_DEVFN = consts.RP_SLOT, consts.DEV_BUS, consts.DEV_DEVFN
PCI_EXT_CAP_ID_PASID = 0x1b
DEV_ID = "hp"


class Run:
    """Figures of one QEMU run."""

    def __init__(self):
        self.fds = {}           # cycle -> fds after the unplug
        self.fds_plugged = {}   # cycle -> fds while plugged
        self.rss = {}           # cycle -> VmRSS kB after the unplug
        self.cfg = {}           # cycle -> 4 KiB config space
        self.eff = set()        # x-vpasid-cap-offset-effective values
        self.unbalanced = []    # (cycle, detail)
        self.stderr = ""
        self.status = None
        self.seconds = 0.0
        self.iommufd_open = None
        self.vfio_open = None
        self.cycle = 0


class FakeLog:
    """Reads the fake-vfio JSONL log as it grows."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.partial = b""
        self.open = {"vfio": 0, "iommufd": 0}
        self.release = {"vfio": 0, "iommufd": 0}

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return
        self.pos += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            ev = json.loads(line)
            kind = ev.get("kind") if ev.get("event") == "open" else \
                ev.get("fdkind") if ev.get("event") == "release" else None
            if kind not in self.open:
                continue
            if ev["event"] == "open" and ev.get("ret", -1) >= 0:
                self.open[kind] += 1
            elif ev["event"] == "release":
                self.release[kind] += 1

    def held(self, kind):
        return self.open[kind] - self.release[kind]


def count_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_event(vm, name, device, timeout=60):
    deadline = time.time() + timeout
    while True:
        for i, ev in enumerate(vm.events):
            if ev["event"] == name and \
               ev.get("data", {}).get("device") == device:
                del vm.events[i]
                return ev
        if time.time() > deadline:
            raise qmp.QMPError("no %s event for %s" % (name, device))
        resp = vm._recv()
        if "event" in resp:
            vm.events.append(resp)


def build_fault_lib(tmp):
    src = os.path.join(HERE, "fault-inject.c")
    lib = os.path.join(tmp, "fault-inject.so")
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-g",
                    "-fno-omit-frame-pointer", "-o", lib, src, "-ldl"],
                   check=True)
    return lib


def own_hidden_pasid(cfg):
    """Offset of the PASID capability in the raw extended chain of @cfg
    unless it is the first one (bounded walk), or None."""
    off, seen = 0x100, set()
    while 0x100 <= off <= 0xff8 and off not in seen:
        seen.add(off)
        hdr = fakevfio.dword(cfg, off)
        if hdr & 0xffff == PCI_EXT_CAP_ID_PASID:
            return off if off != 0x100 else None
        off = (hdr >> 20) & 0xffc
    return None


def run_qemu(cycles, profile, supp, tmp, fault_lib=None, fault=None,
             anchor=False):
    """One QEMU, @cycles hot-plug cycles; returns a Run."""
    r = Run()
    log_path = os.path.join(tmp, "fake-vfio-%d-%s.jsonl" % (
        cycles, "supp" if supp else "nosupp"))
    env = sanreport.sanitizer_env(TOP)
    # full allocation stacks: the policy check looks at every frame
    env["ASAN_OPTIONS"] += ":fast_unwind_on_malloc=0"
    if supp is None:
        env["LSAN_OPTIONS"] = "print_suppressions=1"
    else:
        env["LSAN_OPTIONS"] = env["LSAN_OPTIONS"].replace(
            "suppressions=" + sanreport.SUPP, "suppressions=" + supp)
    # The ASan runtime first, then the test double (README: it must be the
    # first library in the process; QEMU is exec'd directly, no shell).
    preload = [sanreport.asan_runtime(QEMU)]
    if fault_lib:
        preload.append(fault_lib)
        env["HOTPLUG_FAULT"] = fault
    args = vmlib.machine(consts.VIOMMU_PASID) + vmlib.root_port(1) + \
        vmlib.iommufd() + ["-qtest-log", "/dev/null"]
    if anchor:
        args += vmlib.iommufd("iommufd1") + vmlib.vfio_pci(
            consts.host_bdf(2), bus="pcie.0", addr="0x3", dev_id="anchor",
            iommufd_id="iommufd1")
    g = vmlib.VM(args, "qtest", binary=QEMU,
                 profiles=[profile] * (2 if anchor else 1),
                 fake_log=log_path, lib=FAKE_LIB, preload=preload, env=env,
                 timeout=120)
    vm, qt = g.vm, g.qt
    fakelog = FakeLog(log_path)
    t0 = time.time()
    try:
        with g:
            pid = vm.proc.pid
            fakelog.poll()
            r.iommufd_open = fakelog.held("iommufd")
            r.vfio_open = fakelog.held("vfio")
            for c in range(1, cycles + 1):
                r.cycle = c
                vm.cmd("device_add", driver="vfio-pci", id=DEV_ID,
                       host=consts.BDF, iommufd=consts.IOMMUFD_ID,
                       bus=consts.RP_ID)
                r.eff.add(vm.cmd("qom-get",
                                 path="/machine/peripheral/" + DEV_ID,
                                 property="x-vpasid-cap-offset-effective"))
                if c in (1, cycles):
                    # system_reset cleared the MCH and the root port
                    qt.enable_ecam()
                    qt.set_bridge_bus(RP_SLOT, DEV_BUS)
                    r.cfg[c] = qt.read_config(DEV_BUS, DEV_DEVFN)
                    r.fds_plugged[c] = count_fds(pid)
                vm.cmd("device_del", id=DEV_ID)
                vm.cmd("system_reset")
                wait_event(vm, "DEVICE_DELETED", DEV_ID)
                # the device's fds are closed when it is finalized
                deadline = time.time() + (2 if not r.unbalanced else 0.2)
                while True:
                    fakelog.poll()
                    vfio = fakelog.held("vfio")
                    iommufd = fakelog.held("iommufd")
                    if (vfio == r.vfio_open and iommufd == r.iommufd_open) \
                       or time.time() > deadline:
                        break
                    time.sleep(0.01)
                if vfio != r.vfio_open or iommufd != r.iommufd_open:
                    r.unbalanced.append(
                        (c, "open fds (open events - release events): "
                         "vfio cdev %d, /dev/iommu %d; %d and %d before "
                         "the first device_add" % (
                             vfio, iommufd, r.vfio_open, r.iommufd_open)))
                if c in (1, cycles):
                    r.fds[c] = count_fds(pid)
                    r.rss[c] = rss_kb(pid)
            r.seconds = time.time() - t0
            r.status = vm.quit()
            r.stderr = vm.stderr_text()
    except (qmp.QMPError, OSError) as e:
        r.seconds = time.time() - t0
        r.stderr = vm.stderr_text() if vm.proc else ""
        r.stderr += "\nhotplug.py: in cycle %d: %s" % (r.cycle, e)
        r.status = vm.proc.returncode if vm.proc else None
    finally:
        g.close()
    return r


def show_report(text, head=50, tail=15):
    lines = text.rstrip().splitlines()
    if len(lines) > head + tail:
        lines = lines[:head] + ["... (%d lines)" % (len(lines) - head - tail)] \
            + lines[-tail:]
    for line in lines:
        print("#   " + line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--profile", default=PROFILE)
    ap.add_argument("--fault", choices=("fd", "leak", "leak-suppressed"))
    ap.add_argument("--anchor", action="store_true",
                    help="keep a cold-plugged second vfio device, so the "
                    "hot-plugged one is never the last")
    opts = ap.parse_args()
    for f in (QEMU, FAKE_LIB):
        if not os.path.exists(f):
            print("missing %s: run scripts/build-asan.sh" % f)
            return 1
    with vmlib.scratch("vpasid-endurance-") as tmp:
        return endurance(opts, tmp)


def endurance(opts, tmp):
    n = opts.cycles
    rep = tap.Report()
    supp = sanreport.SUPP
    fault_lib = None
    if opts.fault:
        fault_lib = build_fault_lib(tmp)
        print("# fault injection: HOTPLUG_FAULT=%s (this run must fail)"
              % opts.fault)
        if opts.fault == "leak-suppressed":
            supp = os.path.join(tmp, "lsan.supp")
            with open(supp, "w") as f:
                f.write(open(sanreport.SUPP).read() +
                        "\n# fault injection\nleak:"
                        "hotplug_fault_suppressed_leak\n")

    problems = sanreport.lint()
    rep.check("tests/asan/lsan.supp follows the suppressions policy",
              not problems, "; ".join(problems))

    runs = {}
    for cycles in (1, n):
        r = runs[cycles] = run_qemu(cycles, opts.profile, supp, tmp,
                                    fault_lib, opts.fault, opts.anchor)
        print("# run: %d cycle(s) in %.1f s (%.0f ms/cycle), exit status "
              "%s" % (cycles, r.seconds, 1000 * r.seconds / cycles,
                      r.status))
        bad = sanreport.has_report(r.stderr)
        rep.check("%d cycle(s): QEMU exits 0, no ASan/LSan/UBSan report"
                  % cycles, r.status == 0 and not bad,
                  "exit status %s" % r.status)
        if bad or r.status != 0:
            show_report(r.stderr)
    policy = run_qemu(1, opts.profile, None, tmp, fault_lib, opts.fault,
                      opts.anchor)

    # (a) suppressed leaks do not grow with the cycles
    used1 = sanreport.parse_suppressions_used(runs[1].stderr)
    usedn = sanreport.parse_suppressions_used(runs[n].stderr)
    for k in sorted(set(used1) | set(usedn)):
        print("# suppressed at exit: %s: 1 cycle %s, %d cycles %s "
              "(leaks, bytes)" % (k, used1.get(k), n, usedn.get(k)))
    rep.check("suppressed leaks identical after 1 and %d cycles" % n,
              used1 == usedn, "1: %s, %d: %s" % (used1, n, usedn))
    leaks = sanreport.parse_leaks(policy.stderr)
    entries = sanreport.read_supp(supp)
    unmatched = [lk for lk in leaks
                 if not sanreport.matching_entry(lk, entries)]
    prot = [(lk, sanreport.protected(lk)) for lk in leaks
            if sanreport.protected(lk)]
    other = [line for line in sanreport.report_lines(policy.stderr)
             if "LeakSanitizer" not in line and "leaked in" not in line]
    print("# leaks at exit with no suppressions (1 cycle): %d, %d bytes"
          % (len(leaks), sum(lk.size for lk in leaks)))
    rep.check("every leak at exit is a known stock leak (an entry of "
              "lsan.supp matches)", not unmatched and not other,
              "%d unmatched" % len(unmatched))
    rep.check("no leak at exit goes through the series' code or the code "
              "it changes", not prot,
              "; ".join("%s (%d bytes)" % (f, lk.size) for lk, f in prot))
    for lk in unmatched[:5] + [lk for lk, _ in prot][:5]:
        show_report(lk.text(), 30)

    # (b) file descriptors
    r = runs[n]
    print("# QEMU fds after unplug: cycle 1 %s, cycle %d %s; while plugged "
          "%s, %s; VmRSS kB %s, %s" % (
              r.fds.get(1), n, r.fds.get(n), r.fds_plugged.get(1),
              r.fds_plugged.get(n), r.rss.get(1), r.rss.get(n)))
    rep.check("QEMU's open fds equal after cycle 1 and cycle %d" % n,
              r.fds.get(1) is not None and r.fds.get(1) == r.fds.get(n),
              "%s vs %s" % (r.fds.get(1), r.fds.get(n)))
    for run in (runs[1], r):
        for c, detail in run.unbalanced[:3]:
            print("# cycle %d: %s" % (c, detail))
    rep.check("fake-vfio log: /dev/iommu and device cdev opens and "
              "releases balance after every device_del (%d cycles)" % n,
              not r.unbalanced and not runs[1].unbalanced and
              r.iommufd_open == (1 if opts.anchor else 0) and
              r.vfio_open == (1 if opts.anchor else 0) and
              len(r.fds) == (2 if n > 1 else 1),
              "%d unbalanced cycle(s), iommufd held %s"
              % (len(r.unbalanced), r.iommufd_open))

    # (c) guest view
    eff = sorted(r.eff)
    print("# x-vpasid-cap-offset-effective: %s"
          % ", ".join("0x%x" % e for e in eff))
    c1, cn = r.cfg.get(1), r.cfg.get(n)
    diff = [i for i in range(4096) if c1 and cn and c1[i] != cn[i]]
    rep.check("guest-visible config space identical in cycle 1 and "
              "cycle %d (4096 bytes)" % n,
              c1 is not None and cn is not None and len(c1) == 4096 and
              c1 == cn, "%d bytes differ, first at %s" % (
                  len(diff), "0x%x" % diff[0] if diff else "-"))
    # Where auto must put it, from the profile alone: the device's own
    # PASID capability that the kernel hides (not the first one, which
    # becomes an ID 0 placeholder) - design 2.4 rule b
    want = own_hidden_pasid(fakevfio.Profile(opts.profile).cfg)
    ok = len(eff) == 1 and c1 is not None and 0x100 <= eff[0] <= 0xffc
    hdr = fakevfio.dword(c1, eff[0]) if ok else 0
    rep.check("PASID capability header at 0x%x (the device's own hidden "
              "PASID capability, from the profile) in every cycle"
              % (want or 0),
              ok and want is not None and eff == [want] and
              hdr & 0xffff == PCI_EXT_CAP_ID_PASID,
              "offsets %s, header 0x%08x" % (eff, hdr))
    print("# figures: cycles=%d fds=%s/%s seconds=%.1f (1-cycle run %.1f s)"
          % (n, r.fds.get(1), r.fds.get(n), r.seconds, runs[1].seconds))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
