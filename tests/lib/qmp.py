"""Minimal QMP client and QEMU launcher for the project's tests (stdlib only)."""

import json
import os
import socket
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.environ.get("WORK", os.path.join(TOP, "work", "qemu"))
BUILD = os.environ.get("BUILD", os.path.join(WORK, "build"))
QEMU_BIN = os.environ.get("QEMU", os.path.join(BUILD, "qemu-system-x86_64"))


class QMPError(Exception):
    pass


class QEMU:
    """A QEMU process with a QMP socket.  Use as a context manager."""

    def __init__(self, args, env=None, wrapper=None, timeout=60,
                 binary=None):
        self.dir = tempfile.mkdtemp(prefix="vpasid-qmp-")
        self.sock_path = os.path.join(self.dir, "qmp.sock")
        self.args = list(wrapper or []) + [binary or QEMU_BIN] + list(args) + [
            "-qmp", "unix:%s,server=on,wait=on" % self.sock_path]
        self.env = dict(os.environ, **(env or {}))
        self.timeout = timeout
        self.proc = None
        self.sock = None
        self.buf = b""
        self.events = []

    def __enter__(self):
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(self.args, env=self.env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.stderr, stderr=self.stderr)
        deadline = time.time() + self.timeout
        while True:
            if self.proc.poll() is not None:
                raise QMPError("QEMU exited with %d before QMP was up: %s"
                               % (self.proc.returncode, self.stderr_text()))
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(self.sock_path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise QMPError("QMP socket never appeared")
                time.sleep(0.05)
        self.sock.settimeout(self.timeout)
        greeting = self._recv()
        if "QMP" not in greeting:
            raise QMPError("bad greeting %r" % greeting)
        self.cmd("qmp_capabilities")
        return self

    def __exit__(self, *exc):
        self.close()

    def stderr_text(self):
        self.stderr.flush()
        with open(self.stderr.name) as f:
            return f.read()

    def _recv(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise QMPError("QMP connection closed: " + self.stderr_text())
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd_raw(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            resp = self._recv()
            if "event" in resp:
                self.events.append(resp)
                continue
            return resp

    def cmd(self, name, **args):
        resp = self.cmd_raw(name, **args)
        if "error" in resp:
            raise QMPError("%s: %s" % (name, resp["error"]["desc"]))
        return resp["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})

    def quit(self):
        try:
            self.cmd_raw("quit")
        except (QMPError, OSError):
            pass
        return self.wait()

    def wait(self):
        try:
            return self.proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise QMPError("QEMU did not exit")

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
