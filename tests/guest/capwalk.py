#!/usr/bin/env python3
"""capwalk.py CONSOLE BDF: the guest's own capability walk (its lspci -vvv
in the "lspci initial BDF" section of the serial console) lists exactly the
capabilities found by walking the raw config space the guest read from
sysfs ("config BDF" section, od -Ax -tx1 output), standard and extended,
and no two of them overlap a header.  Prints both lists; exit 1 on a
difference."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "lib"))
import fakevfio  # noqa: E402


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


def main():
    con, bdf = sys.argv[1], sys.argv[2]
    lines = [line.rstrip("\r\n") for line in open(con, errors="replace")]
    cfg = config_bytes(section(lines, "config " + bdf))
    raw = fakevfio.cap_walk(cfg)
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
