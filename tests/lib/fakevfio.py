"""What the project's Python checks share about devices served by the
fake-vfio test double: config-space readers (dword, cap_walk) and device
profiles (Profile: read one, change host keys or config bytes, write a
copy).  Starting QEMU with the double is tests/lib/vm.py's job."""

import re


def dword(cfg, off):
    return int.from_bytes(cfg[off:off + 4], "little")


def cap_walk(cfg):
    """("std"|"ext", offset, id) of every capability on @cfg's two chains,
    bounded (a loop or a pointer out of range ends a chain)."""
    caps = []
    if cfg[0x06] & 0x10:                        # Status: Capabilities List
        off, seen = cfg[0x34] & 0xfc, set()
        while 0x40 <= off <= 0xfc and off not in seen:
            seen.add(off)
            caps.append(("std", off, cfg[off]))
            off = cfg[off + 1] & 0xfc
    off, seen = 0x100, set()
    while 0x100 <= off <= 0xffc and off not in seen and len(cfg) > off:
        seen.add(off)
        hdr = dword(cfg, off)
        if hdr in (0, 0xffffffff):
            break
        caps.append(("ext", off, hdr & 0xffff))
        off = hdr >> 20 & 0xffc
    return caps


_KEY_RE = re.compile(r"^#\s*([A-Za-z0-9_.]+)\s*:\s*(.*?)\s*$")
_HEX_RE = re.compile(r"^([0-9a-fA-F]{2,3}):((?:\s+[0-9a-fA-F]{2}){16})\s*$")


class Profile:
    """A device profile (profiles/*.profile): its "# key: value" lines
    (.keys) and the config space its lspci -xxxx lines give (.cfg, 4 KiB,
    zero where no line is; .labels: the line offsets present).  write()
    saves a copy with changed keys and bytes, every other line as is."""

    def __init__(self, path):
        self.path = path
        with open(path) as f:
            self.lines = f.read().splitlines()
        self.keys = {}
        self.cfg = bytearray(4096)
        self.labels = set()
        for line in self.lines:
            m = _KEY_RE.match(line.strip())
            if m:
                self.keys.setdefault(m.group(1), m.group(2))
                continue
            m = _HEX_RE.match(line.strip())
            if m:
                off = int(m.group(1), 16)
                self.cfg[off:off + 16] = bytes(int(b, 16) for b in
                                               m.group(2).split())
                self.labels.add(off)

    def write(self, path, keys=None):
        """Write this profile to @path with @keys (name -> value) replacing
        or adding key lines, and the hex lines from .cfg."""
        keys = dict(keys or {})
        out = []
        for line in self.lines:
            m = _KEY_RE.match(line.strip())
            if m and m.group(1) in keys:
                out.append("# %s: %s" % (m.group(1), keys.pop(m.group(1))))
                continue
            m = _HEX_RE.match(line.strip())
            if m:
                off = int(m.group(1), 16)
                out.append("%s: %s" % (m.group(1), " ".join(
                    "%02x" % b for b in self.cfg[off:off + 16])))
                continue
            out.append(line)
        # keys the original lacks go after its first line
        out[1:1] = ["# %s: %s" % kv for kv in sorted(keys.items())]
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
        return path
