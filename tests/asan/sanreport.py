#!/usr/bin/env python3
"""Sanitizer reports of the ASan/UBSan build: find them, parse LeakSanitizer
reports, apply the suppressions policy.  Stdlib only.

    sanreport.py lint            check tests/asan/lsan.supp against the policy
    sanreport.py scan DIR...     print every sanitizer report in DIR/* (the
                                 ASAN_LOG_DIR files) and the suppressions
                                 that matched; exit 1 if there is a report

Policy (README "Sanitizers and endurance"): a leak of stock QEMU at exit may
be suppressed, one commented entry per leak; no leak whose allocation stack
goes through the series' code or the code it changes (hw/vfio/, hw/pci/pcie*,
hw/i386/intel_iommu.c, backends/iommufd.c, host_iommu_device, fake-vfio)
may be.  LSan suppresses a leak if any frame matches an entry, so lint()
refuses entries that could name such code, and tests/endurance/hotplug.py
runs once with no suppressions and checks with protected() that every leak
the file would hide is a stock one.
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SUPP = os.path.join(HERE, "lsan.supp")

# Source paths (substrings of a frame's file) and function-name prefixes of
# the code whose leaks must never be suppressed.
PROTECTED_PATHS = ("hw/vfio/", "hw/pci/pcie", "hw/i386/intel_iommu",
                   "backends/iommufd", "host_iommu_device",
                   "tests/qtest/fake-vfio/", "tests/qtest/vfio-")
PROTECTED_FUNCS = ("vfio_", "iommufd_", "vtd_", "host_iommu_device",
                   "pcie_", "pci_device_get_viommu", "fv_")
# Functions every allocation goes through: an entry naming one would hide
# any leak, ours included.
GENERIC_FUNCS = re.compile(
    r"^\^?(malloc|calloc|realloc|free|strdup|strndup|memalign|posix_memalign"
    r"|aligned_alloc|g_(try_)?(malloc|malloc0|realloc|new|new0|renew|memdup|"
    r"memdup2|strdup|strndup|strdup_printf|strdupv|slice_alloc|slice_alloc0)"
    r"(_n)?|g_ptr_array_.*|g_array_.*|g_hash_table_.*|g_string_.*|g_list_.*"
    r"|g_slist_.*|object_new.*|qdev_new.*|type_new|qemu_memalign"
    r"|qemu_try_memalign|main|qemu_main_loop|qemu_default_main"
    r"|qmp_device_add|qdev_device_add.*|device_set_realized|object_property_.*"
    r"|call_rcu_thread|qemu_thread_start|start_thread|aio_.*|g_main_.*)\$?$")
# Words an entry of lsan.supp must not contain (it would match the above).
FORBIDDEN_IN_SUPP = ("vfio", "iommufd", "intel_iommu", "vtd", "pcie",
                     "host_iommu", "viommu", "fv_", "hw/pci", "hw/i386")

# A report: lines that start one, whatever the tool.
REPORT_RE = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
    r"|runtime error:"
    r"|Sanitizer:DEADLYSIGNAL"
    r"|SUMMARY: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)"
    r"|ASan runtime does not come first"
    r"|Can't parse suppression|failed to read suppressions")
LEAK_RE = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) "
                     r"object\(s\) allocated from:")
FRAME_RE = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+(?: in (\S+))?\s*(.*)$")
SUPP_USED_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s*$")


def sanitizer_env(top=TOP, log_dir=None):
    """The variables tests/asan/env.sh exports."""
    env = dict(os.environ, top=top)
    env.pop("ASAN_LOG_DIR", None)
    if log_dir:
        env["ASAN_LOG_DIR"] = log_dir
    out = subprocess.run(
        ["sh", "-c", '. "$top/tests/asan/env.sh" && '
         'printf "%s\\n" "$ASAN_OPTIONS" "$LSAN_OPTIONS" "$UBSAN_OPTIONS"'],
        env=env, capture_output=True, text=True, check=True).stdout
    a, l, u = out.splitlines()[:3]
    return {"ASAN_OPTIONS": a, "LSAN_OPTIONS": l, "UBSAN_OPTIONS": u}


def asan_runtime(binary):
    """Path of the ASan runtime @binary is linked with (ldd)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*(libasan\.so\.\d+) => (\S+)", line)
        if m:
            return m.group(2)
    raise RuntimeError("%s is not linked with libasan" % binary)


def has_report(text):
    return any(REPORT_RE.search(line) for line in text.splitlines())


def report_lines(text):
    return [line for line in text.splitlines() if REPORT_RE.search(line)]


class Frame:
    def __init__(self, func, loc):
        self.func = func or ""
        loc = loc.strip()
        m = re.match(r"^\((.*)\+0x[0-9a-f]+\)$", loc)
        self.module = m.group(1) if m else ""
        self.file = "" if m else loc

    def __str__(self):
        return "%s %s" % (self.func or "?", self.file or self.module)


class Leak:
    def __init__(self, kind, size, count):
        self.kind = kind
        self.size = size
        self.count = count
        self.frames = []

    def text(self):
        return "%s leak of %d byte(s) in %d object(s):\n%s" % (
            self.kind, self.size, self.count,
            "\n".join("    #%d %s" % (i, f) for i, f in
                      enumerate(self.frames)))


def parse_leaks(text):
    """The leaks LeakSanitizer reported in @text."""
    leaks = []
    cur = None
    for line in text.splitlines():
        m = LEAK_RE.match(line.strip())
        if m:
            cur = Leak(m.group(1), int(m.group(2)), int(m.group(3)))
            leaks.append(cur)
            continue
        if cur is not None:
            f = FRAME_RE.match(line)
            if f:
                cur.frames.append(Frame(f.group(2), f.group(3)))
            elif line.strip():
                cur = None
    return leaks


def parse_suppressions_used(text):
    """{template: (count, bytes)} from LSan's "Suppressions used" table(s),
    summed over every table in @text (one per process)."""
    used = {}
    inside = False
    for line in text.splitlines():
        if "Suppressions used:" in line:
            inside = True
            continue
        if inside:
            if line.startswith("----") or not line.strip():
                inside = False
                continue
            m = SUPP_USED_RE.match(line)
            if m:
                c, b = used.get(m.group(3), (0, 0))
                used[m.group(3)] = (c + int(m.group(1)), b + int(m.group(2)))
    return used


def read_supp(path=SUPP):
    """[(line number, type, pattern, comment lines above)]"""
    entries = []
    comment = []
    for n, line in enumerate(open(path), 1):
        s = line.strip()
        if not s:
            comment = []
        elif s.startswith("#"):
            comment.append(s)
        else:
            typ, _, pat = s.partition(":")
            entries.append((n, typ, pat, comment))
            comment = []
    return entries


def lint(path=SUPP):
    """Problems of the suppressions file, [] if it follows the policy."""
    problems = []
    for n, typ, pat, comment in read_supp(path):
        where = "%s:%d" % (os.path.relpath(path, TOP), n)
        if typ != "leak":
            problems.append("%s: only leak: entries belong here" % where)
        if not re.fullmatch(r"\^?[A-Za-z_][A-Za-z0-9_]*\$?", pat):
            problems.append("%s: %r: an entry names one function (no "
                            "wildcard, file or library)" % (where, pat))
        if GENERIC_FUNCS.match(pat):
            problems.append("%s: %r is on every allocation's or hot-plug's "
                            "path; name the function that leaks" % (where, pat))
        if any(w in pat.lower() for w in FORBIDDEN_IN_SUPP):
            problems.append("%s: %r names code whose leaks must not be "
                            "suppressed" % (where, pat))
        if not comment:
            problems.append("%s: %r has no comment explaining it"
                            % (where, pat))
    return problems


def _pattern_re(pat):
    anchored_start = pat.startswith("^")
    anchored_end = pat.endswith("$")
    core = pat[1 if anchored_start else 0:-1 if anchored_end else None]
    rx = ".*".join(re.escape(p) for p in core.split("*"))
    return re.compile(("^" if anchored_start else "") + rx +
                      ("$" if anchored_end else ""))


def matching_entry(leak, entries):
    """The suppression pattern LSan would apply to @leak (any frame's
    function, file or module matches), or None."""
    for _, typ, pat, _ in entries:
        if typ != "leak":
            continue
        rx = _pattern_re(pat)
        for f in leak.frames:
            if any(s and rx.search(s) for s in (f.func, f.file, f.module)):
                return pat
    return None


def protected(leak):
    """The first frame of @leak in code whose leaks must not be suppressed,
    or None."""
    for f in leak.frames:
        if any(p in f.file for p in PROTECTED_PATHS) or \
           any(f.func.startswith(p) for p in PROTECTED_FUNCS):
            return f
    return None


def scan(dirs):
    """Print every report found in the files of @dirs; return their count."""
    n = 0
    used = {}
    quiet = 0
    for d in dirs:
        if not os.path.isdir(d):
            # No directory is no evidence: the runs wrote nowhere we read
            print("---- report directory %s does not exist" % d)
            n += 1
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            text = open(path, errors="replace").read()
            for k, v in parse_suppressions_used(text).items():
                c, b = used.get(k, (0, 0))
                used[k] = (c + v[0], b + v[1])
            if has_report(text):
                n += 1
                print("---- sanitizer report %s" % path)
                print(text.rstrip())
            elif all(l.strip() == "" or "WARNING: ASan doesn't fully support"
                     " makecontext/swapcontext" in l
                     for l in text.splitlines()):
                # QEMU's coroutines; ASan's fiber annotations cover them
                quiet += 1
            elif "Suppressions used:" not in text:
                print("---- sanitizer output (no report) %s" % path)
                print(text.rstrip())
    if quiet:
        print("%d process(es) printed only ASan's makecontext/swapcontext "
              "warning" % quiet)
    for k, (c, b) in sorted(used.items()):
        print("suppressed (stock QEMU, tests/asan/lsan.supp): %s: "
              "%d leak(s), %d byte(s) over all processes" % (k, c, b))
    return n


def main(argv):
    if argv[1:2] == ["lint"]:
        problems = lint()
        for p in problems:
            print("lsan.supp: " + p)
        print("lsan.supp: %d entries, %d problem(s)"
              % (len(read_supp()), len(problems)))
        return 1 if problems else 0
    if argv[1:2] == ["scan"] and len(argv) > 2:
        n = scan(argv[2:])
        print("sanitizer reports: %d" % n)
        return 1 if n else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
