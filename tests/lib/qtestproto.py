"""Minimal client of QEMU's qtest protocol (-qtest unix:PATH -accel qtest):
lets a script read and write guest memory and I/O ports, e.g. to read a
device's guest-visible config space through q35's MMCONFIG like a guest
would, without booting one."""

import os
import socket
import tempfile

from consts import ACCEL_QTEST, ECAM_BASE, MCH_PCIEXBAR, ecam


class QTest:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vpasid-qtest-")
        self.path = os.path.join(self.dir, "qtest.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.sock = None
        self.buf = b""

    def args(self):
        """QEMU's arguments for this reader: the socket, and the qtest
        accelerator (a reader racing TCG and SeaBIOS reads nonsense)."""
        return ["-qtest", "unix:" + self.path] + list(ACCEL_QTEST)

    def accept(self, timeout=30):
        self.listener.settimeout(timeout)
        self.sock, _ = self.listener.accept()
        self.sock.settimeout(timeout)

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self._reply(line)

    def cmds(self, lines):
        """Send @lines at once (QEMU answers them in order) and return
        their replies: fewer round trips than cmd() one by one."""
        self.sock.sendall("".join(line + "\n" for line in lines).encode())
        return [self._reply(line) for line in lines]

    def _reply(self, line):
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(4096)
                if not data:
                    raise OSError("qtest connection closed")
                self.buf += data
            reply, self.buf = self.buf.split(b"\n", 1)
            reply = reply.decode()
            if reply.startswith("IRQ"):
                continue
            if not reply.startswith("OK"):
                raise OSError("qtest: %s -> %s" % (line, reply))
            return reply[2:].strip()

    def outl(self, port, val):
        self.cmd("outl 0x%x 0x%x" % (port, val))

    def readl(self, addr):
        return int(self.cmd("readl 0x%x" % addr), 16)

    def readw(self, addr):
        return int(self.cmd("readw 0x%x" % addr), 16)

    def writew(self, addr, val):
        self.cmd("writew 0x%x 0x%x" % (addr, val))

    def cf8_writel(self, bus, devfn, off, val):
        self.outl(0xcf8, 0x80000000 | bus << 16 | devfn << 8 | off)
        self.outl(0xcfc, val)

    def enable_ecam(self):
        """Program the q35 MCH's PCIEXBAR (256 MiB at ECAM_BASE), as
        firmware would."""
        self.cf8_writel(0, 0, MCH_PCIEXBAR + 4, 0)
        self.cf8_writel(0, 0, MCH_PCIEXBAR, ECAM_BASE | 1)

    def set_bridge_bus(self, slot, bus):
        """Give the bridge (root port, PCIe-to-PCI or PCI-PCI bridge) at
        00:slot.0 secondary/subordinate bus @bus, as firmware would."""
        self.cf8_writel(0, slot << 3, 0x18, bus << 16 | bus << 8)

    def read_config(self, bus, devfn, size=4096):
        """@bus:@devfn's config space through MMCONFIG, dword by dword."""
        base = ecam(bus, devfn)
        out = bytearray()
        for off in range(0, size, 4):
            out += self.readl(base + off).to_bytes(4, "little")
        return bytes(out)

    def close(self):
        if self.sock:
            self.sock.close()
        self.listener.close()
        try:
            os.unlink(self.path)
            os.rmdir(self.dir)
        except OSError:
            pass


def lspci_dump(cfg, bus=1, devfn=0):
    """`lspci -x`-style text of @cfg, readable by `lspci -F`."""
    lines = ["%02x:%02x.%x Device" % (bus, devfn >> 3, devfn & 7)]
    for off in range(0, len(cfg), 16):
        lines.append("%03x: %s" % (off, " ".join("%02x" % b
                                                 for b in cfg[off:off + 16])))
    return "\n".join(lines) + "\n\n"
