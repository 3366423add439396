#!/usr/bin/env python3
"""'make demo': show a synthesized PASID capability on an assigned device.

No host here has an IOMMU or a VFIO device, so a device model stands in for
one: the project's fake-vfio test double (an LD_PRELOAD library built with
the series) serves the VFIO cdev + IOMMUFD uAPI from a device profile made
from a real device's published config-space dump.  QEMU itself is the
series-built qemu-system-x86_64, unmodified.  The guest-visible config space
is read through q35's MMCONFIG with QEMU's qtest protocol (as a guest would
read it), and decoded by Debian's lspci -F, a reader none of us wrote.
"""

import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tests", "lib"))
import consts  # noqa: E402
import qtestproto  # noqa: E402
import vm as vmlib  # noqa: E402

TOP = consts.TOP
PROFILE = os.environ.get("DEMO_PROFILE",
                         os.path.join(consts.PROFILES,
                                      "real-intel-dsa-0b25.profile"))
BOLD, OFF = ("\033[1;32m", "\033[0m") if sys.stdout.isatty() else (">> ", "")


def header(text):
    print("\n== " + text)


def main():
    with vmlib.scratch("vpasid-demo-") as tmp:
        return demo(tmp)


def demo(tmp):
    log = os.path.join(tmp, "fake-vfio.jsonl")
    trace = os.path.join(tmp, "trace.log")
    name = [line.split(":", 1)[1].strip() for line in open(PROFILE)
            if line.startswith("# name:")][0]

    header("What this shows")
    print("A guest behind intel-iommu (scalable mode, PASID) gets an assigned "
          "device whose\nhost IOMMU supports PASID. Stand-in host device "
          "(device model, not hardware):\n  %s\n  profile %s"
          % (name, os.path.relpath(PROFILE, TOP)))

    args = vmlib.machine(consts.VIOMMU_PASID) + vmlib.root_port(1) + \
        vmlib.iommufd() + vmlib.vfio_pci() + [
            "-trace", "vfio_pci_vpasid_*", "-trace",
            "iommufd_cdev_autodomain_*", "-D", trace]
    g = vmlib.VM(args, "qtest", profiles=[PROFILE], fake_log=log)
    header("QEMU command line")
    # what QEMU runs, but for the QMP socket's scratch path
    print("$ " + " ".join(shlex.quote(a) for a in g.vm.args[:-2]
                          + ["-qmp", "unix:...,server=on"]))
    with g:
        qt = g.qt
        qt.enable_ecam()
        qt.set_bridge_bus(consts.RP_SLOT, consts.DEV_BUS)
        cfg = qt.read_config(consts.DEV_BUS, consts.DEV_DEVFN)
        eff = g.vm.cmd("qom-get",
                       path="/machine/peripheral/" + consts.DEV_ID,
                       property="x-vpasid-cap-offset-effective")
        # a guest enables PASID: the write stays in QEMU
        ctl = consts.ecam(consts.DEV_BUS, consts.DEV_DEVFN, eff + 6)
        qt.writew(ctl, 0x0001)
        ctl_back = qt.readw(ctl)
        g.vm.quit()

    header("QEMU's decision (trace events)")
    with open(trace) as f:
        for line in f:
            print("  " + line.split(" ", 1)[-1].rstrip()
                  if line[0].isdigit() else "  " + line.rstrip())
    header("QMP: qom-get hostdev0 x-vpasid-cap-offset-effective")
    print("  %d (0x%x)" % (eff, eff))

    dump = os.path.join(tmp, "guest-config.lspci")
    with open(dump, "w") as f:
        f.write(qtestproto.lspci_dump(cfg))
    header("lspci -F <guest-visible config space> -vvv (pciutils)")
    out = subprocess.run(["lspci", "-F", dump, "-vvv"], capture_output=True,
                         text=True, check=True).stdout
    hit = False
    for line in out.splitlines():
        if "PASID" in line:
            print(BOLD + line + OFF)
            hit = True
        else:
            print(line)
    if not hit:
        print("no PASID capability decoded", file=sys.stderr)
        return 1
    # What reached the device: the test double logs every config write
    writes = [e for e in map(json.loads, open(log))
              if e.get("event") == "config_write"]
    inside = [e for e in writes
              if e["offset"] < eff + 8 and e["offset"] + e["size"] > eff]
    header("Config writes the device received (test double's log)")
    print("  the guest wrote 0x0001 (Enable) to PASID Control at 0x%x and "
          "reads back 0x%04x;\n  %d config writes reached the device, %d of "
          "them in 0x%x-0x%x"
          % (eff + 6, ctl_back, len(writes), len(inside), eff, eff + 7))
    if ctl_back != 0x0001 or inside:
        print("a guest write to the capability reached the device, or did "
              "not stick", file=sys.stderr)
        return 1
    print("\nThe guest sees a PASID capability at 0x%x; the device's own "
          "capabilities are\nunchanged, and guest writes to it never reach "
          "the device." % eff)
    return 0


if __name__ == "__main__":
    sys.exit(main())
