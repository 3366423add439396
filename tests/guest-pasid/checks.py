#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of a run-guest-pasid.sh boot, printed as TAP.

Reads, in the run's directory: console.txt (the guest's serial output,
with the sections tests/guest-pasid/init prints), fake-vfio.jsonl (the
test double's log) and trace.log (QEMU's trace).  Every check is one TAP
line; "# " lines show what the guest printed, QEMU's trace of the bind and
where the PASID DMA's bytes landed.  Exit status 0 when all pass, else 1.
"""

import argparse
import json
import os
import re
import sys

DEV = "0000:01:00.0"
VFIO_DEVICE_ATTACH_PASID = 1 << 0
IOMMU_HWPT_ALLOC_PASID = 1 << 3
# What the module's DMA writes (vpasid_dma_test.c: OFF, LEN)
DMA_OFF = 0x100
DMA_LEN = 0x200
MIN_MODULE_OKS = 24


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, cond, desc):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}")
        return cond

    @staticmethod
    def info(text=""):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}".rstrip())


def section(lines, name):
    out, inside = [], False
    for line in lines:
        if line == f"=== END {name} ===":
            inside = False
        if inside:
            out.append(line)
        if line == f"=== BEGIN {name} ===":
            inside = True
    return out


def result(lines, key):
    for line in lines:
        m = re.fullmatch(rf"=== RESULT {re.escape(key)} (.*) ===", line)
        if m:
            return m.group(1)
    return None


def check_other_domain(t, con, mod, trace, ioctls, dmas, p_att, p_det, pasid2,
                       rid_hwpt, buf_uva):
    """The second PASID, on a guest paging domain of its own: QEMU shadows
    that domain in an IOAS and a PASID-compatible domain of their own,
    attaches the PASID to it, follows the guest's unmap, and destroys both
    when the guest detaches."""
    did = None
    for l in mod:
        m = re.search(rf"PASID entry {pasid2} \(attached to a second paging domain.*DID=(\d+) ", l)
        if m:
            did = int(m.group(1))
    shadow = None
    for l in trace:
        m = re.fullmatch(rf"vtd_pasid_shadow_new {DEV} pasid={pasid2}: shadow of domain (\d+) in ioas=(\d+) hwpt=(\d+)", l)
        if m:
            shadow = tuple(int(x) for x in m.groups())
    sdid, sioas, shwpt = shadow or (None, None, None)
    t.check(shadow is not None and sdid == did,
            f"QEMU trace: vtd_pasid_shadow_new pasid={pasid2}: shadow of domain {sdid}"
            f" (the guest's DID {did}) in ioas={sioas} hwpt={shwpt}")
    alloc = next((e for e in ioctls if e.get("name") == "IOMMU_HWPT_ALLOC"
                  and e.get("out_hwpt_id") == shwpt and e.get("ret") == 0), None)
    t.check(alloc is not None and alloc.get("pt_id") == sioas
            and alloc.get("flags", 0) & IOMMU_HWPT_ALLOC_PASID and shwpt != rid_hwpt,
            f"double: IOMMU_HWPT_ALLOC on ioas {alloc and alloc.get('pt_id')} with flags"
            f" {alloc and hex(alloc.get('flags', 0))} (PASID) made hwpt {shwpt}, not the RID's {rid_hwpt}")
    a2 = [e for e in p_att if e.get("pasid") == pasid2]
    t.check(len(a2) == 1 and a2[0].get("pt_id") == shwpt and a2[0].get("ret") == 0,
            f"double: exactly one PASID attach for PASID {pasid2} ({len(a2)}): pt_id"
            f" {a2[0].get('pt_id') if a2 else None} (the shadow's hwpt {shwpt})")
    t.check(f"vtd_pasid_bind_attach {DEV} pasid={pasid2} pt_id={shwpt} (second-level domain of its own) on PASID-cache invalidation" in trace,
            f"QEMU trace: vtd_pasid_bind_attach {DEV} pasid={pasid2} pt_id={shwpt} (second-level domain of its own)")
    d2 = [e for e in dmas if e.get("pasid_valid") and e.get("pasid") == pasid2]
    done = [e for e in d2 if e.get("status") == "DONE"]
    uvas = [((e.get("segments") or [{}])[0]).get("uva") for e in done]
    t.check(len(done) >= 2 and all(e.get("hwpt") == shwpt and e.get("ioas") == sioas for e in done)
            and None not in uvas and buf_uva not in uvas and len(set(uvas)) == len(uvas),
            f"double: {len(done)} PASID {pasid2} DMAs done through hwpt {shwpt} (ioas {sioas}),"
            f" into host memory other than the DMA buffer's ({', '.join(hex(u or 0) for u in uvas)})")
    t.check(any(l.startswith(f"vtd_pasid_shadow_unmap {DEV} pasid={pasid2} ioas={sioas} iova=") and l.endswith("(0)")
                for l in trace)
            and any(e.get("status") == "UNMAPPED" for e in d2),
            f"the guest's iommu_unmap reached the shadow (vtd_pasid_shadow_unmap) and the next DMA was UNMAPPED")
    det = next((e for e in p_det if e.get("pasid") == pasid2), None)
    destroyed = [e.get("id") for e in ioctls if e.get("name") == "IOMMU_DESTROY" and e.get("ret") == 0
                 and det is not None and e.get("seq", 0) > det["seq"]]
    t.check(det is not None and det.get("ret") == 0 and d2 and d2[-1].get("status") == "NO_ATTACH"
            and shwpt in destroyed and sioas in destroyed
            and any(l == f"vtd_pasid_shadow_free {DEV} pasid={pasid2}: ioas={sioas} freed" for l in trace),
            f"PASID {pasid2} detached ({det and det.get('ret')}), then IOMMU_DESTROY of {destroyed}"
            f" (hwpt {shwpt}, ioas {sioas}), vtd_pasid_shadow_free; its last DMA"
            f" {d2[-1].get('status') if d2 else None}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--qemu-rc", required=True)
    ap.add_argument("--boot-seconds", default="?")
    ap.add_argument("--kernel", default=None)
    a = ap.parse_args()

    con = open(os.path.join(a.out, "console.txt"), errors="replace").read().splitlines()
    trace = open(os.path.join(a.out, "trace.log"), errors="replace").read().splitlines() \
        if os.path.exists(os.path.join(a.out, "trace.log")) else []
    events = []
    with open(os.path.join(a.out, "fake-vfio.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                events.append(json.loads(line))
    t = Tap()

    # ------------------------------------------------------------ boot
    t.check(a.qemu_rc == "0", f"QEMU exited 0 (exit {a.qemu_rc}, boot {a.boot_seconds} s under TCG)")
    t.check(any(l.startswith("=== INIT DONE") for l in con), "guest ran /init to the end")
    kern = next((l.split(": ", 1)[1] for l in con if l.startswith("kernel: ")), None)
    if a.kernel:
        t.check(kern == a.kernel, f"guest kernel {kern} (want {a.kernel})")
    t.check(result(con, "bdf") == DEV, f"guest found the DMA engine device at {result(con, 'bdf')}")
    t.check(result(con, "iommu-group-type") == "DMA",
            f"its IOMMU group's default domain is translated (type {result(con, 'iommu-group-type')}, iommu.passthrough=0)")
    lspci = section(con, "lspci before")
    t.check(any("Capabilities: [ff8 v1] Process Address Space ID (PASID)" in l for l in lspci)
            and any(re.search(r"PASIDCtl: Enable\+", l) for l in lspci),
            "guest lspci: vPASID capability at 0xff8, PASIDCtl: Enable+ (intel-iommu enabled it)")
    t.check(result(con, "insmod-rc") == "0", f"insmod vpasid_dma_test.ko: exit {result(con, 'insmod-rc')}")

    # ---------------------------------------------------------- module
    mod = section(con, "module")
    t.info("guest kernel log of vpasid_dma_test:")
    for l in mod:
        t.info("  " + l)
    oks = 0
    for l in mod:
        m = re.match(r"vpasid-dma: (ok|not ok) - (.*)", l)
        if m:
            oks += m.group(1) == "ok"
            t.check(m.group(1) == "ok", "guest: " + m.group(2))
    done = next((l for l in mod if l.startswith("vpasid-dma: done: ")), "")
    t.check(re.fullmatch(r"vpasid-dma: done: (\d+) ok, 0 not ok", done) is not None
            and oks >= MIN_MODULE_OKS,
            f"guest module finished: '{done[len('vpasid-dma: '):] or 'no summary'}' (at least {MIN_MODULE_OKS} ok)")
    t.check(result(con, "rmmod-rc") == "0" and result(con, "after-rmmod") == "1",
            f"rmmod vpasid_dma_test: exit {result(con, 'rmmod-rc')}, remove ran")

    def mod_int(pattern, base=10):
        for l in mod:
            m = re.search(pattern, l)
            if m:
                return int(m.group(1), base)
        return None

    pasid = mod_int(r"iommu_alloc_global_pasid\(dev\) = (\d+)$")
    pasid2 = mod_int(r"iommu_alloc_global_pasid\(dev\) = (\d+) for the second domain")
    iova = mod_int(r"dma_alloc_coherent: IOVA 0x([0-9a-f]+)", 16)
    gphys = mod_int(r"the buffer's guest phys 0x([0-9a-f]+)", 16)
    t.check(pasid is not None and iova is not None,
            f"guest PASID {pasid}, buffer IOVA {hex(iova) if iova is not None else None}"
            f" (guest phys {hex(gphys) if gphys is not None else None})")
    pasid = -1 if pasid is None else pasid
    iova = -1 if iova is None else iova

    # ---------------------------------------------------- the double's log
    ioctls = [e for e in events if e.get("event") == "ioctl"]
    dmas = [e for e in events if e.get("event") == "dma" and e.get("dev") == DEV]
    allocs = [e for e in ioctls if e.get("name") == "IOMMU_HWPT_ALLOC" and e.get("ret") == 0]
    rid_att = [e for e in ioctls if e.get("name") == "VFIO_DEVICE_ATTACH_IOMMUFD_PT"
               and e.get("dev") == DEV and not e.get("flags", 0) & VFIO_DEVICE_ATTACH_PASID
               and e.get("ret") == 0]
    rid_hwpt = rid_att[-1]["pt_id"] if rid_att else None
    alloc = next((e for e in allocs if e.get("out_hwpt_id") == rid_hwpt), None)
    t.check(alloc is not None and alloc.get("flags", 0) & IOMMU_HWPT_ALLOC_PASID,
            f"double: the RID is attached to hwpt {rid_hwpt}, which IOMMU_HWPT_ALLOC made"
            f" with IOMMU_HWPT_ALLOC_PASID (out_hwpt_id {alloc and alloc.get('out_hwpt_id')},"
            f" flags {alloc and hex(alloc.get('flags', 0))})")

    p_att = [e for e in ioctls if e.get("name") == "VFIO_DEVICE_ATTACH_IOMMUFD_PT"
             and e.get("flags", 0) & VFIO_DEVICE_ATTACH_PASID]
    p_det = [e for e in ioctls if e.get("name") == "VFIO_DEVICE_DETACH_IOMMUFD_PT"
             and e.get("flags", 0) & VFIO_DEVICE_ATTACH_PASID]
    p1 = [e for e in p_att if e.get("pasid") == pasid]
    att = p1[0] if len(p1) == 1 else None
    t.check(att is not None and att.get("dev") == DEV
            and att.get("pt_id") == rid_hwpt and att.get("ret") == 0,
            f"double: exactly one PASID attach for PASID {pasid} ({len(p1)}): VFIO_DEVICE_ATTACH_IOMMUFD_PT"
            f" flags {att and att.get('flags')} pasid {att and att.get('pasid')}"
            f" pt_id {att and att.get('pt_id')} (the RID's hwpt {rid_hwpt}) ret {att and att.get('ret')}")

    rid_dma = next((e for e in dmas if not e.get("pasid_valid") and e.get("iova") == iova + DMA_OFF), None)
    p_dmas = [e for e in dmas if e.get("pasid_valid") and e.get("pasid") == pasid]
    p_ok = next((e for e in p_dmas if e.get("status") == "DONE"), None)
    seg = (p_ok or {}).get("segments") or [{}]
    rseg = (rid_dma or {}).get("segments") or [{}]
    t.check(p_ok is not None and p_ok.get("iova") == iova + DMA_OFF
            and p_ok.get("length") == DMA_LEN and p_ok.get("xferred") == DMA_LEN
            and p_ok.get("hwpt") == rid_hwpt and len(seg) == 1,
            f"double: PASID {pasid} DMA done through hwpt {(p_ok or {}).get('hwpt')}"
            f" (ioas {(p_ok or {}).get('ioas')}): IOVA {hex((p_ok or {}).get('iova', 0))},"
            f" {(p_ok or {}).get('xferred')} bytes, status {(p_ok or {}).get('status')}")
    t.check(rid_dma is not None and rid_dma.get("status") == "DONE" and seg[0].get("uva") is not None
            and seg[0].get("uva") == rseg[0].get("uva"),
            f"double: the PASID DMA wrote the same host memory as the RID DMA to that IOVA"
            f" (uva {hex(seg[0].get('uva', 0))} and {hex(rseg[0].get('uva', 0))}): the guest's buffer")

    det = next((e for e in p_det if e.get("pasid") == pasid), None)
    fault = next((e for e in p_dmas if e.get("seq", 0) > (det or {}).get("seq", 1 << 62)), None)
    t.check(det is not None and det.get("ret") == 0 and p_ok is not None
            and att is not None and det["seq"] > p_ok["seq"] > att["seq"],
            f"double: PASID {pasid} detached after its DMA (VFIO_DEVICE_DETACH_IOMMUFD_PT"
            f" flags {det and det.get('flags')} pasid {det and det.get('pasid')} ret {det and det.get('ret')})")
    t.check(fault is not None and fault.get("status") == "NO_ATTACH" and fault.get("xferred") == 0,
            f"double: PASID {pasid} DMA after the detach: {fault and fault.get('status')}"
            f" (code {fault and hex(fault.get('status_code', 0))}), xferred {fault and fault.get('xferred')}")
    if pasid2 is not None:
        check_other_domain(t, con, mod, trace, ioctls, dmas, p_att, p_det,
                           pasid2, rid_hwpt, (rseg[0] or {}).get("uva"))
    # QEMU's guest RAM is one host mapping: host uva - guest phys is the
    # same for every byte.  Take it from the RID DMA (the buffer's guest
    # phys), then every other completed DMA must have written the guest
    # physical page the module found its pattern in.
    landed = []
    for l in mod:
        m = re.search(r"holds pattern .*guest phys 0x([0-9a-f]+)$", l) or \
            re.search(r"\(guest phys 0x([0-9a-f]+)\) \[0x[0-9a-f]+\.\.0x[0-9a-f]+\) holds pattern", l)
        if m and l.startswith("vpasid-dma: ok - "):
            landed.append(int(m.group(1), 16))
    done_uva = [((e.get("segments") or [{}])[0]).get("uva") for e in dmas if e.get("status") == "DONE"]
    base = done_uva[0] - landed[0] if done_uva and landed and done_uva[0] is not None else None
    t.check(base is not None and len(done_uva) == len(landed) >= 3
            and all(u is not None and u - base == g for u, g in zip(done_uva, landed)),
            f"double vs guest: each of the {len(done_uva)} completed DMAs wrote host memory at"
            f" QEMU's guest-RAM base {hex(base or 0)} + the guest physical address where the"
            f" module found its bytes ({', '.join(hex(g) for g in landed)})")

    net = len([e for e in p_att if e.get("ret") == 0]) - len([e for e in p_det if e.get("ret") == 0])
    t.check(net == 0, f"double: no PASID attachment left at the end ({len(p_att)} attach, {len(p_det)} detach)")

    # ----------------------------------------------------------- QEMU trace
    bind = [l for l in trace if l.startswith(("vtd_pasid_bind_", "iommufd_cdev_pasid_",
                                              "vtd_pasid_shadow_"))]
    t.check(f"vtd_pasid_bind_attach {DEV} pasid={pasid} pt_id={rid_hwpt} (same domain as RID_PASID) on PASID-cache invalidation" in trace,
            f"QEMU trace: vtd_pasid_bind_attach {DEV} pasid={pasid} pt_id={rid_hwpt} (same domain as RID_PASID)")
    t.check(f"iommufd_cdev_pasid_attach {DEV} pasid={pasid} pt_id={rid_hwpt} (0)" in trace
            and f"vtd_pasid_bind_detach {DEV} pasid={pasid} on PASID-cache invalidation" in trace
            and f"iommufd_cdev_pasid_detach {DEV} pasid={pasid} (0)" in trace,
            f"QEMU trace: iommufd_cdev_pasid_attach (0), vtd_pasid_bind_detach and iommufd_cdev_pasid_detach (0) for PASID {pasid}")
    # Nothing the IOMMU reported as a fault in the guest
    dm = section(con, "dmesg")
    bad = [l for l in dm if re.search(r"DMAR: \[DMA (Read|Write)|DRHD: handling fault|PTE (Read|Write) access|\bpasid\b.*\b(fail|error)", l, re.I)]
    t.check(not bad, f"guest dmesg: no DMAR fault or PASID error ({len(bad)} lines)")
    for l in bad:
        t.info("  " + l)

    # ---------------------------------------------------------------- show
    t.info("")
    t.info("QEMU's trace of the bind (vtd_pasid_bind_*, vtd_pasid_shadow_*, iommufd_cdev_pasid_*):")
    for l in bind:
        t.info("  " + l)
    t.info("where the bytes landed (the double's dma log events):")
    for e in dmas:
        s = (e.get("segments") or [{}])[0]
        tag = f"PASID {e.get('pasid')}" if e.get("pasid_valid") else "RID"
        where = (f"hwpt {e.get('hwpt')} ioas {e.get('ioas')} -> host uva {hex(s['uva'])}"
                 if "uva" in s else "no translation")
        t.info(f"  dma_seq {e.get('dma_seq')}: {tag:8} IOVA {hex(e.get('iova', 0))} len {hex(e.get('length', 0))}:"
               f" {e.get('status')} ({hex(e.get('status_code', 0))}), {where}")
    if gphys is not None and p_ok:
        t.info(f"  (the guest's buffer: IOVA {hex(iova)} = guest phys {hex(gphys)}; the DMAs wrote at +{hex(DMA_OFF)})")

    print(f"1..{t.n}")
    print(f"# {t.n - t.failed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
