#!/usr/bin/env python3
"""Smoke test of the series-built emulator: it starts q35 with intel-iommu,
answers QMP, quits cleanly, and describes vfio-pci's properties."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import consts  # noqa: E402
import tap  # noqa: E402
import vm  # noqa: E402

report = tap.Report()
check = report.check


with open(os.path.join(consts.WORK, "VERSION")) as f:
    want = f.read().strip()

with vm.VM(vm.machine(consts.VIOMMU_PLAIN) + ["-S"], "tcg") as g:
    v = g.vm.cmd("query-version")["qemu"]
    got = "%d.%d.%d" % (v["major"], v["minor"], v["micro"])
    check("query-version reports the base's version %s" % want, got == want, got)
    rc = g.vm.quit()
    check("quit: QEMU exits with status 0", rc == 0, "exit %s" % rc)

out = subprocess.run([consts.QEMU_BIN, "-device", "vfio-pci,help"],
                     capture_output=True, text=True, timeout=60)
check("-device vfio-pci,help exits 0", out.returncode == 0, out.stderr)
lines = out.stdout.splitlines()
check("help starts with the device's property header",
      lines[:1] == ["vfio-pci options:"], repr(lines[:1]))
for prop in ("host=<str>", "iommufd=<link<iommufd>>", "sysfsdev=<str>",
             "x-msix-relocation=<OffAutoPCIBAR>"):
    check("help lists %s" % prop,
          any(line.strip().startswith(prop) for line in lines))

sys.exit(report.finish())
