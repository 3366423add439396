#!/usr/bin/env python3
"""Live migration of a vfio-pci device served by the fake-vfio test double.

Two series-built QEMU processes on this machine, a UNIX socket between
them.  The device (profiles/synthetic-minimal-migratable.profile) has the
VFIO migration uAPI v2 (STOP_COPY) and IOMMU dirty tracking; its state is
BAR0's first page.  The guest-visible config space is read and written
through q35's MMCONFIG with the qtest protocol, as a guest would.

1. No vIOMMU (so no vPASID capability): the migration completes, the target
   shows the same 4 KiB config space the source guest left, the value the
   guest wrote to BAR0 arrives through the device's data fd, and the device
   went through the uAPI's states in the kernel's order on both sides.
2. intel-iommu in PASID mode: the device gets its vPASID capability, the
   guest enables PASID; QEMU 10.2 refuses to migrate any vfio-pci device
   behind a vIOMMU (hw/vfio/migration.c, vfio_migration_realize()).  The
   exact blocker message is asserted, and the source keeps running with the
   capability and the guest's control bits untouched.
3. The same with enable-migration=on: the device cannot be realized, with
   QEMU's exact message, and the VM is unaffected.
4. With a test-only variant build that lacks that blocker (MIGTEST_QEMU,
   made by scripts/variant-build.sh; never shipped), behind intel-iommu
   with the return path on: a target with the vPASID capability at the
   same offset resumes with the source's 4 KiB config space and PASID
   Control; a target at another offset, with none (off, or no extended
   capabilities at all), with another host PASID width, or a target with
   one when the source has none, fails with the vPASID subsection's exact
   error (never the PCI core's "Bad config data"), and the source runs on.

Prints the migration downtime QEMU measured (a figure, not asserted) and
ends with "N passed, N failed".
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
import consts  # noqa: E402
import fakevfio  # noqa: E402
import qmp  # noqa: E402
import vm  # noqa: E402
from tap import Report  # noqa: E402

PROFILE = os.path.join(consts.PROFILES,
                       "synthetic-minimal-migratable.profile")
BDF = consts.BDF
BLOCKER = BDF + ": Migration is currently not supported with vIOMMU enabled"
DEV_CFG = consts.DEV_CFG
BAR0 = consts.BAR0
MAGIC = 0xcafef00d
dw = fakevfio.dword

# The profile: AER at 0x100 only, so auto placement takes the last dword
# slot (design 2.4); the host reports PASID width 20 with EXEC, no PRIV.
PASID_AT = 0xff8
PASID_HDR = 0x1b | 1 << 16              # ID 0x1b, version 1, next 0
PASID_CAP = 20 << 8 | 1 << 1            # width 20, Exec Supported


def Guest(tmp, name, viommu, incoming=None, device=True, devopts="",
          qemu=None, profile=PROFILE):
    """The fake migratable device behind rp1 (vm.FakeVM)."""
    return vm.FakeVM(tmp, name, profile, viommu, incoming, device, devopts,
                     qemu=qemu)


def variant_profile(tmp, name, width=None, no_ext_caps=False):
    """A copy of PROFILE whose host reports PASID width @width, or whose
    device has no extended capability at all (and a host without PASID)."""
    out = []
    for line in open(PROFILE):
        if width is not None and line.startswith("# iommu.max_pasid_log2:"):
            line = "# iommu.max_pasid_log2: %d\n" % width
        if no_ext_caps:
            # no PASID capability either, so a host reports no PASID
            if line.startswith("# iommu.max_pasid_log2:"):
                line = "# iommu.max_pasid_log2: 0\n"
            if line.startswith("# iommu.pasid_exec:"):
                line = "# iommu.pasid_exec: no\n"
            if line[:4] in ("100:", "110:", "120:", "ff0:"):
                continue
        out.append(line)
    path = os.path.join(tmp, name + ".profile")
    with open(path, "w") as f:
        f.writelines(out)
    return path


def wait_exit(qemu, timeout=30):
    deadline = time.time() + timeout
    while qemu.proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    return qemu.proc.poll()


def stderr_of(qemu):
    return qemu.stderr_text()


def mig_arcs(g):
    """(from, to, arcs, data_fd?, ret) of every MIG_DEVICE_STATE set in
    @g's fake-vfio log."""
    return [(e["mig_from"], e["mig_to"], e["arcs"], "data_fd" in e,
             e["ret"]) for e in g.events("ioctl")
            if e.get("feature_name") == "MIG_DEVICE_STATE" and
            "mig_from" in e]


def wait_migration(qemu, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = qemu.cmd("query-migrate")
        if st.get("status") in ("completed", "failed", "cancelled"):
            return st
        time.sleep(0.05)
    return qemu.cmd("query-migrate")


def wait_status(qemu, want, timeout=30):
    deadline = time.time() + timeout
    st = None
    while time.time() < deadline:
        st = qemu.cmd("query-status")["status"]
        if st == want:
            break
        time.sleep(0.05)
    return st


def case_plain(r, tmp):
    sock = os.path.join(tmp, "plain.sock")
    with Guest(tmp, "plain-src", False) as src, \
            Guest(tmp, "plain-dst", False, "unix:" + sock) as dst:
        src.firmware()
        src.qt.cmd("writel 0x%x 0x%x" % (BAR0 + 0x10, MAGIC))
        before = src.config()
        r.check("plain: no vPASID without a vIOMMU",
                not any(cid == 0x1b for kind, _, cid in
                        fakevfio.cap_walk(before) if kind == "ext"),
                str(fakevfio.cap_walk(before)))
        src.vm.cmd("migrate", uri="unix:" + sock)
        st = wait_migration(src.vm)
        r.check("plain: migration completed", st.get("status") == "completed",
                json.dumps(st))
        r.check("plain: target running",
                wait_status(dst.vm, "running") == "running")
        r.check("plain: source postmigrate",
                src.vm.cmd("query-status")["status"] == "postmigrate")
        after = dst.config()
        r.check("plain: target config space == source's (4 KiB)",
                after == before,
                "first difference at 0x%x" % next(
                    (i for i in range(4096) if after[i] != before[i]), -1))
        got = dst.qt.readl(BAR0 + 0x10)
        r.check("plain: BAR0 register arrived through the data fd",
                got == MAGIC, "0x%x" % got)
        saves = src.events("mig_save")
        loads = dst.events("mig_load")
        r.check("plain: one state saved, one loaded, same size, no error",
                len(saves) == 1 and len(loads) == 1 and
                saves[0]["bytes"] == loads[0]["bytes"] and
                "error" not in loads[0], "%s %s" % (saves, loads))
        # vfio_vmstate_change / vfio_save_complete_precopy / load: the
        # kernel FSM's arcs, no P2P states on a STOP_COPY-only device
        want_src = [("RUNNING", "STOP", "STOP", False, 0),
                    ("STOP", "STOP_COPY", "STOP_COPY", True, 0),
                    ("STOP_COPY", "STOP", "STOP", False, 0)]
        want_dst = [("RUNNING", "RESUMING", "STOP,RESUMING", True, 0),
                    ("RESUMING", "RUNNING", "STOP,RUNNING", False, 0)]
        r.check("plain: source device states", mig_arcs(src) == want_src,
                str(mig_arcs(src)))
        r.check("plain: target device states", mig_arcs(dst) == want_dst,
                str(mig_arcs(dst)))
        print("# figure: migration downtime %s ms, total %s ms, device "
              "state %s bytes (qtest accelerator, 128 MiB RAM, no vIOMMU)"
              % (st.get("downtime"), st.get("total-time"),
                 st.get("vfio", {}).get("transferred")))
        src.vm.quit()
        dst.vm.quit()


def case_viommu(r, tmp):
    sock = os.path.join(tmp, "viommu.sock")
    with Guest(tmp, "viommu-src", True) as src, \
            Guest(tmp, "viommu-dst", True, "unix:" + sock) as dst:
        src.firmware()
        cfg = src.config()
        r.check("vIOMMU: vPASID header at 0x%x" % PASID_AT,
                dw(cfg, PASID_AT) == PASID_HDR, "0x%08x" % dw(cfg, PASID_AT))
        r.check("vIOMMU: PASID Capability width 20, Exec+, Priv-; Control 0",
                dw(cfg, PASID_AT + 4) == PASID_CAP, "0x%08x"
                % dw(cfg, PASID_AT + 4))
        # the guest enables PASID and tries Priv (unsupported: stays clear)
        src.qt.cmd("writew 0x%x 0x5" % (DEV_CFG + PASID_AT + 6))
        before = src.config()
        r.check("vIOMMU: guest's Control write kept Enable, dropped Priv",
                dw(before, PASID_AT + 4) == PASID_CAP | 0x1 << 16,
                "0x%08x" % dw(before, PASID_AT + 4))
        resp = src.vm.cmd_raw("migrate", uri="unix:" + sock)
        desc = resp.get("error", {}).get("desc")
        r.check("vIOMMU: migrate refused with QEMU 10.2's blocker message",
                desc == BLOCKER, repr(resp))
        st = src.vm.cmd("query-migrate")
        r.check("vIOMMU: query-migrate lists the blocker",
                st.get("blocked-reasons") == [BLOCKER], json.dumps(st))
        r.check("vIOMMU: source keeps running",
                src.vm.cmd("query-status")["status"] == "running")
        after = src.config()
        r.check("vIOMMU: guest view unchanged, PASID still enabled",
                after == before)
        r.check("vIOMMU: the device never left RUNNING", mig_arcs(src) == [],
                str(mig_arcs(src)))
        writes = [e for e in src.events("config_write")
                  if e["offset"] + e["size"] > PASID_AT and
                  e["offset"] < PASID_AT + 8]
        r.check("vIOMMU: no config write reached the device in the vPASID "
                "bytes", writes == [], str(writes))
        r.check("vIOMMU: target still waiting for a stream",
                dst.vm.cmd("query-status")["status"] == "inmigrate")
        src.vm.quit()


def case_enable_on(r, tmp):
    with Guest(tmp, "on", True, device=False) as g:
        g.firmware()
        resp = g.vm.cmd_raw("device_add", driver="vfio-pci", host=BDF,
                            iommufd=consts.IOMMUFD_ID, bus=consts.RP_ID,
                            id=consts.DEV_ID,
                            **{"enable-migration": "on"})
        desc = resp.get("error", {}).get("desc")
        r.check("enable-migration=on behind a vIOMMU: device_add fails "
                "with QEMU's message",
                desc == "vfio %s: %s" % (BDF, BLOCKER), repr(resp))
        r.check("enable-migration=on: VM keeps running, no device",
                g.vm.cmd("query-status")["status"] == "running" and
                g.qt.readl(DEV_CFG) == 0xffffffff)
        g.vm.quit()


# Behind intel-iommu, with a test-only variant build that lacks QEMU 10.2's
# vIOMMU migration blocker (scripts/variant-build.sh; never shipped): what
# the vPASID migration subsection does.  Each case: (name, source
# x-vpasid-cap-offset, target options, target profile kind, the target's
# error or None for a completed migration).
MISMATCH = [
    ("same offset", "", "", None, None),
    ("other offset", "", ",x-vpasid-cap-offset=0xff0", None,
     "vfio %s: the source's vPASID capability is at 0xff8, this device's at"
     " 0xff0 (x-vpasid-cap-offset must give 0xff8 here)" % BDF),
    ("target off", "", ",x-vpasid-cap-offset=off", None,
     "vfio %s: the source's vPASID capability is at 0xff8, this device has"
     " none (x-vpasid-cap-offset must give 0xff8 here)" % BDF),
    ("other width", "", "", "width16",
     "vfio %s: vPASID capability at 0xff8: the source's reads 0x1402 (width"
     " 20), this device's 0x1002 (width 16): the hosts' PASID support"
     " differs (x-vpasid-cap-offset=off on both sides migrates without it)"
     % BDF),
    ("target without extended capabilities", "", "", "noext",
     "vfio %s: the source's vPASID capability is at 0xff8, this device has"
     " none (x-vpasid-cap-offset must give 0xff8 here)" % BDF),
    ("source off", ",x-vpasid-cap-offset=off", "", None,
     "vfio %s: the source has no vPASID capability, this device has one at"
     " 0xff8 (x-vpasid-cap-offset must be off here)" % BDF),
]


def case_vpasid_migration(r, tmp, qemu):
    for i, (name, src_opts, dst_opts, kind, error) in enumerate(MISMATCH):
        sock = os.path.join(tmp, "vp%d.sock" % i)
        profile = PROFILE
        if kind == "width16":
            profile = variant_profile(tmp, "width16", width=16)
        elif kind == "noext":
            profile = variant_profile(tmp, "noext", no_ext_caps=True)
        with Guest(tmp, "vp%d-src" % i, True, devopts=src_opts,
                   qemu=qemu) as src, \
                Guest(tmp, "vp%d-dst" % i, True, "unix:" + sock,
                      devopts=dst_opts, qemu=qemu, profile=profile) as dst:
            src.firmware()
            if not src_opts:
                # the guest enables PASID
                src.qt.cmd("writew 0x%x 0x1" % (DEV_CFG + PASID_AT + 6))
            before = src.config()
            # With a return path the source learns that the target failed
            # to load (without one a precopy source reports "completed").
            for side in (src.vm, dst.vm):
                side.cmd("migrate-set-capabilities", capabilities=[
                    {"capability": "return-path", "state": True}])
            src.vm.cmd("migrate", uri="unix:" + sock)
            st = wait_migration(src.vm)
            if error is None:
                r.check("vPASID %s: migration completed" % name,
                        st.get("status") == "completed", json.dumps(st))
                r.check("vPASID %s: target running" % name,
                        wait_status(dst.vm, "running") == "running")
                after = dst.config()
                r.check("vPASID %s: target's vPASID = source's, PASID "
                        "Control Enable as the guest set it" % name,
                        after[PASID_AT:PASID_AT + 8] ==
                        before[PASID_AT:PASID_AT + 8] and
                        dw(after, PASID_AT + 4) == PASID_CAP | 1 << 16,
                        "0x%08x" % dw(after, PASID_AT + 4))
                r.check("vPASID %s: target config space == source's" % name,
                        after == before)
                dst.vm.quit()
            else:
                r.check("vPASID %s: migration failed" % name,
                        st.get("status") == "failed", json.dumps(st))
                rc = wait_exit(dst.vm)
                err = stderr_of(dst.vm)
                r.check("vPASID %s: the target says why, and stops" % name,
                        rc == 1 and error in err and
                        "Bad config data" not in err, "rc=%s: %s" % (rc, err))
                r.check("vPASID %s: source keeps running" % name,
                        wait_status(src.vm, "running") == "running")
            src.vm.quit()


def main():
    r = Report()
    if not os.path.exists(consts.FAKE_VFIO_LIB):
        print("not ok - %s missing (build first)" % consts.FAKE_VFIO_LIB)
        return 1
    with vm.scratch("vpasid-migrate-") as tmp:
        for case in (case_plain, case_viommu, case_enable_on):
            try:
                case(r, tmp)
            except (qmp.QMPError, OSError) as e:
                r.check(case.__name__, False, str(e))
        variant = os.environ.get("MIGTEST_QEMU")
        if not variant or not os.access(variant, os.X_OK):
            r.check("vPASID migration: MIGTEST_QEMU names the variant build"
                    " without the vIOMMU blocker", False, repr(variant))
        else:
            try:
                case_vpasid_migration(r, tmp, variant)
            except (qmp.QMPError, OSError) as e:
                r.check("case_vpasid_migration", False, str(e))
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
