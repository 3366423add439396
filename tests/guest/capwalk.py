#!/usr/bin/env python3
"""capwalk.py CONSOLE BDF: the guest's own capability walk (its lspci -vvv
in the "lspci initial BDF" section of the serial console) lists exactly the
capabilities found by walking the raw config space the guest read from
sysfs ("config BDF" section, od -Ax -tx1 output), standard and extended,
and no two of them overlap a header.  Prints both lists; exit 1 on a
difference."""

import re
import sys


def section(lines, name):
    out, inside = [], False
    for line in lines:
        if line == "=== END %s ===" % name:
            break
        if inside:
            out.append(line)
        if line == "=== BEGIN %s ===" % name:
            inside = True
    return out


def config_bytes(lines):
    cfg = bytearray(4096)
    for line in lines:
        parts = line.split()
        if len(parts) < 2:
            continue
        base = int(parts[0], 16)
        for i, b in enumerate(parts[1:]):
            if base + i < len(cfg):
                cfg[base + i] = int(b, 16)
    return bytes(cfg)


def walk(cfg):
    caps = []
    if cfg[0x06] & 0x10:                        # Status: Capabilities List
        off, seen = cfg[0x34] & 0xfc, set()
        while 0x40 <= off <= 0xfc and off not in seen and len(seen) < 48:
            seen.add(off)
            caps.append(("std", off, cfg[off]))
            off = cfg[off + 1] & 0xfc
    off, seen = 0x100, set()
    while 0x100 <= off <= 0xffc and off not in seen and len(seen) < 1024:
        seen.add(off)
        hdr = int.from_bytes(cfg[off:off + 4], "little")
        if hdr in (0, 0xffffffff):
            break
        caps.append(("ext", off, hdr & 0xffff))
        off = hdr >> 20 & 0xffc
    return caps


def main():
    con, bdf = sys.argv[1], sys.argv[2]
    lines = [line.rstrip("\r\n") for line in open(con, errors="replace")]
    cfg = config_bytes(section(lines, "config " + bdf))
    raw = walk(cfg)
    listed = []
    for line in section(lines, "lspci initial " + bdf):
        m = re.match(r"\s*Capabilities: \[([0-9a-f]+)( v\d+)?\]", line)
        if m and "<access denied>" not in line:
            listed.append(int(m.group(1), 16))
    want = [off for _, off, _ in raw]
    print("raw walk: " + " ".join("%s:%x(id %x)" % c for c in raw))
    print("lspci:    " + " ".join("%x" % o for o in listed))
    if not raw or sorted(want) != sorted(listed):
        print("MISMATCH")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
