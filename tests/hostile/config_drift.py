#!/usr/bin/env python3
"""A device whose config space reads differently every time (issue 6).

profiles/synthetic-minimal-config-drift.profile: the device of
synthetic-minimal (AER at 0x100 and nothing else in extended config space;
host PASID width 20 + EXEC) whose bytes 0x100-0xfff change from one read to
the next in the test double (the first read returns the dump, each later
one the dump XOR the number of earlier reads).

Defined behaviour: QEMU reads config space once at realize and decides
the vPASID capability from that copy, so the capability lands where it
would for the steady device (0xff8, the last dword slot: design 2.4) and
stays there; the guest reads the emulated capability and chain link
unchanged on every read while the device's own bytes (AER's ID) drift.
Ends with "N passed, N failed".
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
import consts  # noqa: E402
import fakevfio  # noqa: E402
import vm  # noqa: E402
from tap import Report  # noqa: E402

PROFILE = os.path.join(consts.PROFILES,
                       "synthetic-minimal-config-drift.profile")
PASID_AT = 0xff8
PASID_HDR = 0x1b | 1 << 16              # ID 0x1b, version 1, next 0
PASID_CAP = 20 << 8 | 1 << 1            # width 20, Exec Supported
AER_HDR = 0x0001 | 1 << 16              # AER, version 1
dw = fakevfio.dword


def main():
    r = Report()
    with vm.scratch("vpasid-drift-") as tmp, \
            vm.FakeVM(tmp, "drift", PROFILE, viommu=True) as g:
        qt = g.qt
        qt.enable_ecam()
        qt.set_bridge_bus(consts.RP_SLOT, consts.DEV_BUS)
        eff = g.vm.cmd("qom-get", path="/machine/peripheral/" + consts.DEV_ID,
                       property="x-vpasid-cap-offset-effective")
        r.check("placed at 0x%x as for the steady device" % PASID_AT,
                eff == PASID_AT, "0x%x" % eff)
        reads = [qt.read_config(consts.DEV_BUS, consts.DEV_DEVFN)
                 for _ in range(3)]
        for i, cfg in enumerate(reads):
            r.check("read %d: vPASID header and capability unchanged" % i,
                    (dw(cfg, PASID_AT), dw(cfg, PASID_AT + 4)) ==
                    (PASID_HDR, PASID_CAP),
                    "0x%08x 0x%08x" % (dw(cfg, PASID_AT),
                                       dw(cfg, PASID_AT + 4)))
            r.check("read %d: AER's next pointer links 0x%x" % (i, PASID_AT),
                    dw(cfg, 0x100) >> 20 == PASID_AT,
                    "0x%08x" % dw(cfg, 0x100))
        for i, cfg in enumerate(reads):
            r.check("read %d: AER header as QEMU emulates it" % i,
                    dw(cfg, 0x100) & 0xfffff == AER_HDR,
                    "0x%08x" % dw(cfg, 0x100))
        status = [dw(cfg, 0x104) for cfg in reads]
        r.check("the device's own bytes drift between reads (AER "
                "Uncorrectable Error Status: %s)"
                % ", ".join("0x%08x" % v for v in status),
                len(set(status)) == 3)
        r.check("VM running",
                g.vm.cmd("query-status")["status"] == "running")
        g.vm.quit()
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
