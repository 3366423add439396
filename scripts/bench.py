#!/usr/bin/env python3
"""'make bench': figures, printed, never asserted.

1. ioctls by type that QEMU issues to realize one vfio-pci device and ten,
   counted from the fake-vfio log (q35 + intel-iommu in PASID mode, each
   device behind its own pcie-root-port, QEMU started with -S and quit).
   --qemu PATH runs the same against another binary (e.g. stock 10.2.2)
   for comparison.
2. Realize time with x-vpasid-cap-offset=auto vs off, measured in one run
   (alternating, median of N starts of QEMU to QMP-ready and quit).
3. Guest boot to decoded capability: the Linux guest of tests/guest/
   (TCG), seconds from QEMU's start to the kernel running /init and to the
   guest's lspci of the vPASID device, per firmware (--no-guest skips).
4. Migration downtime of the migratable fake device (no vIOMMU: QEMU 10.2
   does not migrate a vfio-pci device behind one, so none with vPASID),
   as query-migrate reports it, over --mig-runs migrations.
5. Guest PASID binding (intel-iommu data path): the ioctls of one PASID
   attach and detach per kind of guest entry (same domain as RID_PASID,
   a second-level domain of its own, pass-through), and the time from
   the guest's PASID-cache invalidation to the host attach, from the
   perf case of tests/qtest/vfio-pasid-bind-test (-m perf).
"""

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tests", "lib"))
import consts  # noqa: E402
import vm as vmlib  # noqa: E402

PROFILE = os.path.join(consts.PROFILES, "synthetic-minimal.profile")


def run(qemu, ndev, dev_extra="", log=None):
    # -accel tcg (vm.VM names it): QEMU's default may be KVM, whose
    # kvm-vfio device refuses the test double's file descriptors.
    args = vmlib.machine(consts.VIOMMU_PASID) + ["-S"] + vmlib.iommufd()
    for i in range(1, ndev + 1):
        args += vmlib.root_port(i) + vmlib.vfio_pci(
            consts.host_bdf(i), bus="rp%d" % i, dev_id=None, opts=dev_extra)
    t0 = time.monotonic()
    with vmlib.VM(args, "tcg", binary=qemu, profiles=[PROFILE] * ndev,
                  fake_log=log) as g:
        g.vm.quit()
    return time.monotonic() - t0


def ioctl_counts(qemu, ndev):
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as f:
        run(qemu, ndev, log=f.name)
        counts = collections.Counter()
        for line in open(f.name):
            e = json.loads(line)
            if e.get("event") == "ioctl":
                counts[e["name"]] += 1
        return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", action="append", default=[],
                    metavar="LABEL=PATH",
                    help="another binary to count ioctls of (repeatable)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--mig-runs", type=int, default=10)
    ap.add_argument("--no-guest", action="store_true",
                    help="skip the guest boot figure (needs the guest "
                    "packages, ~20 s per firmware)")
    opts = ap.parse_args()
    binaries = [("series", consts.QEMU_BIN)] + [
        tuple(q.split("=", 1)) for q in opts.qemu]

    print("== ioctls per realize (fake-vfio log; q35 + intel-iommu PASID "
          "mode; -S, quit)")
    table = {}
    for label, qemu in binaries:
        for n in (1, 10):
            table[(label, n)] = ioctl_counts(qemu, n)
    names = sorted(set().union(*[c.keys() for c in table.values()]))
    cols = [(label, n) for label, _ in binaries for n in (1, 10)]
    print("%-34s" % "ioctl" + "".join("%14s" % ("%s x%d" % (label[:9], n))
                                      for label, n in cols))
    for name in names:
        print("%-34s" % name + "".join("%14d" % table[c][name] for c in cols))
    print("%-34s" % "total" + "".join("%14d" % sum(table[c].values())
                                      for c in cols))

    print("\n== realize time, x-vpasid-cap-offset=auto vs off "
          "(QEMU start to QMP quit, 1 device, %d runs each, alternating)"
          % opts.runs)
    auto, off = [], []
    run(consts.QEMU_BIN, 1)                   # warm the page cache
    for _ in range(opts.runs):
        auto.append(run(consts.QEMU_BIN, 1, ",x-vpasid-cap-offset=auto"))
        off.append(run(consts.QEMU_BIN, 1, ",x-vpasid-cap-offset=off"))
    ma, mo = statistics.median(auto), statistics.median(off)
    print("auto: median %.1f ms (min %.1f)" % (ma * 1e3, min(auto) * 1e3))
    print("off:  median %.1f ms (min %.1f)" % (mo * 1e3, min(off) * 1e3))
    print("ratio auto/off: %.3f" % (ma / mo))

    if not opts.no_guest:
        guest_boot()
    migration_downtime(opts.mig_runs)
    pasid_binding()
    return 0


def pasid_binding():
    print("\n== guest PASID binding (qtest VT-d driver, fake-vfio log; "
          "time from the PASID-cache invalidation to the double's attach)")
    env = dict(os.environ, QTEST_QEMU_BINARY=consts.QEMU_BIN,
               QTEST_FAKE_VFIO_LIB=consts.FAKE_VFIO_LIB,
               QTEST_VFIO_PROFILES=consts.PROFILES)
    out = subprocess.run(
        [os.path.join(consts.BUILD, "tests", "qtest",
                      "vfio-pasid-bind-test"),
         "-m", "perf", "--verbose", "-p", "/x86_64/vfio-pasid-bind/bench"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600, check=False)
    lines = [ln[len("# bench: "):] for ln in out.stdout.splitlines()
             if ln.startswith("# bench: ")]
    if out.returncode or not lines:
        print(out.stdout[-2000:])
        raise SystemExit("vfio-pasid-bind-test -m perf failed")
    print("\n".join(lines))


def guest_boot():
    print("\n== guest boot to decoded capability (Linux guest, TCG; "
          "seconds from QEMU start)")
    script = os.path.join(consts.TOP, "tests", "guest", "run-guest.sh")
    for fw in ("seabios", "ovmf"):
        with vmlib.scratch("vpasid-bench-guest-") as out:
            rc, marks = guest_run(script, out, fw)
        init = next((t for t, w in marks if "INIT START" in w), None)
        dev = next((t for t, w in marks if "=== DEVICE pasid" in w), None)
        print("%-8s /init runs at %s s, lspci of the vPASID device at %s s, "
              "checks %s" % (fw, init, dev, "passed" if rc == 0
                             else "FAILED (rc %d)" % rc))


def guest_run(script, out, fw):
    args = ["sh", script, "--out", out] + (["--ovmf"] if fw == "ovmf"
                                           else [])
    rc = subprocess.run(args, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    marks = []
    try:
        with open(os.path.join(out, "timeline.txt")) as f:
            for line in f:
                t, _, what = line.strip().partition(" ")
                try:
                    marks.append((float(t), what))
                except ValueError:      # "start 0.00", "exit 17.3"
                    pass
    except OSError:
        pass
    return rc, marks


def migration_downtime(runs):
    sys.path.insert(0, os.path.join(consts.TOP, "tests", "migration"))
    import migrate  # noqa: E402

    print("\n== migration downtime (migratable fake device, no vIOMMU, "
          "qtest accelerator, 128 MiB RAM, UNIX socket; %d runs)" % runs)
    with vmlib.scratch("vpasid-bench-mig-") as tmp:
        down, total = migration_runs(migrate, tmp, runs)
    if down:
        print("downtime: median %s ms (min %s, max %s); total time median "
              "%s ms" % (statistics.median(down), min(down), max(down),
                         statistics.median(total)))


def migration_runs(migrate, tmp, runs):
    down, total = [], []
    for i in range(runs):
        sock = os.path.join(tmp, "m%d.sock" % i)
        with migrate.Guest(tmp, "s%d" % i, False) as src, \
                migrate.Guest(tmp, "d%d" % i, False, "unix:" + sock) as dst:
            src.firmware()
            src.vm.cmd("migrate", uri="unix:" + sock)
            st = migrate.wait_migration(src.vm)
            if st.get("status") != "completed":
                print("run %d: %s" % (i, st.get("status")))
                continue
            down.append(st["downtime"])
            total.append(st["total-time"])
            src.vm.quit()
            dst.vm.quit()
    return down, total


if __name__ == "__main__":
    sys.exit(main())
