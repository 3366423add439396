#!/usr/bin/env python3
"""Independent decode of the guest-visible config space with pciutils.

The vPASID qtest saves, for every device profile that gets a synthesized
PASID capability, the guest-visible 4 KiB config space in `lspci -x` dump
format (<name>.lspci) and what it expects (<name>.expect: offset, width,
exec, priv).  Debian's `lspci -F <dump> -vvv`, a reader none of us wrote,
must decode a "Process Address Space ID (PASID)" capability at that offset
with those values, and exactly one of it.
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import tap  # noqa: E402

dump_dir = sys.argv[1]
report = tap.Report()
check = report.check

dumps = sorted(glob.glob(os.path.join(dump_dir, "*.lspci")))
check("the qtest saved dumps to decode", len(dumps) > 0, dump_dir)
for dump in dumps:
    name = os.path.basename(dump)[:-len(".lspci")]
    with open(dump[:-len(".lspci")] + ".expect") as f:
        exp = dict(kv.split("=") for kv in f.read().split())
    out = subprocess.run(["lspci", "-F", dump, "-vvv"], capture_output=True,
                         text=True, check=True).stdout
    caps = re.findall(r"Capabilities: \[([0-9a-f]+) v(\d+)\] "
                      r"Process Address Space ID \(PASID\)\n"
                      r"\s+PASIDCap: Exec([+-]) Priv([+-]), "
                      r"Max PASID Width: ([0-9a-f]+)\n"
                      r"\s+PASIDCtl: Enable([+-]) Exec([+-]) Priv([+-])", out)
    check("%s: lspci decodes exactly one PASID capability" % name,
          len(caps) == 1, "found %d" % len(caps))
    if len(caps) != 1:
        continue
    off, ver, ex, pr, width, en, ctl_ex, ctl_pr = caps[0]
    check("%s: at %s" % (name, exp["offset"]),
          int(off, 16) == int(exp["offset"], 16), "lspci says 0x" + off)
    check("%s: version 1" % name, ver == "1", ver)
    check("%s: Max PASID Width %s" % (name, exp["width"]),
          int(width, 16) == int(exp["width"]), "lspci says 0x" + width)
    check("%s: Exec%s" % (name, "+" if exp["exec"] == "1" else "-"),
          ex == ("+" if exp["exec"] == "1" else "-"))
    check("%s: Priv%s" % (name, "+" if exp["priv"] == "1" else "-"),
          pr == ("+" if exp["priv"] == "1" else "-"))
    check("%s: PASIDCtl all clear after realize" % name,
          (en, ctl_ex, ctl_pr) == ("-", "-", "-"))

sys.exit(report.finish())
