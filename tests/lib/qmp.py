"""Minimal QMP client and QEMU launcher for the project's tests (stdlib
only).  Checks start QEMU through tests/lib/vm.py, which builds the command
line; this module runs the process and talks QMP."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from consts import BUILD, QEMU_BIN, TOP, WORK  # noqa: F401 (re-exported)


class QMPError(Exception):
    pass


class QEMU:
    """A QEMU process (@binary, default QEMU_BIN) with a QMP socket.  Use as
    a context manager.  Its scratch directory (QMP socket, QEMU's stderr)
    is removed when the process is closed; stderr_text() still works
    afterwards."""

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
        self.stderr = None
        self._stderr_fd = None
        self._stderr_saved = ""
        self.running_at_failure = False
        self.buf = b""
        self.events = []

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            # still running: it hangs (or is slow), rather than failed
            self.running_at_failure = self.proc is not None and \
                self.proc.poll() is None
            self.close()
            raise
        return self

    def _start(self):
        path = os.path.join(self.dir, "stderr")
        self.stderr = open(path, "w")
        # a descriptor of our own to read it with, also after close()
        self._stderr_fd = os.open(path, os.O_RDONLY)
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
                self.sock = None
                if time.time() > deadline:
                    raise QMPError("QMP socket never appeared")
                time.sleep(0.05)
        self.sock.settimeout(self.timeout)
        greeting = self._recv()
        if "QMP" not in greeting:
            raise QMPError("bad greeting %r" % greeting)
        self.cmd("qmp_capabilities")

    def __exit__(self, *exc):
        self.close()

    def stderr_text(self):
        """Everything QEMU wrote to stdout and stderr so far."""
        if self._stderr_fd is None:
            return self._stderr_saved
        if self.stderr and not self.stderr.closed:
            self.stderr.flush()
        size = os.fstat(self._stderr_fd).st_size
        return os.pread(self._stderr_fd, size, 0).decode(errors="replace")

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
        """Kill QEMU if it still runs and remove the scratch directory
        (idempotent)."""
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._stderr_fd is not None:
            self._stderr_saved = self.stderr_text()
            os.close(self._stderr_fd)
            self._stderr_fd = None
        if self.stderr:
            self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
