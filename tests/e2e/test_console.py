"""End-to-end: ``libk-tui`` in a pseudo-terminal, typed at like a person would."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


class Terminal:
    """The master side of a pseudo-terminal, read as a stream we can wait on."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = b""

    def expect(self, needle: bytes, timeout: float = 20.0) -> bytes:
        """Everything up to and including ``needle`` (failing after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while needle not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"never saw {needle!r}; the screen had:\n{self.pending.decode()}"
                )
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    self.pending += os.read(self.fd, 4096)
                except OSError:  # EIO while the other side is not (or no longer) open
                    time.sleep(0.05)
        cut = self.pending.index(needle) + len(needle)
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out

    def type(self, keys: bytes) -> None:
        """Type at the terminal."""
        os.write(self.fd, keys)


def test_type_a_command_see_its_output_interrupt_a_job_and_quit() -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real program, as installed
        os.execv(sys.executable, [sys.executable, "-m", "tui.cli"])
    term = Terminal(fd)
    try:
        term.expect(b"root@libk:~# ")
        term.type(b"echo hello from the console\r")
        out = term.expect(b"hello from the console\r\n")
        assert out.startswith(b"echo hello from the console")  # the machine's TTY echoed it
        term.expect(b"root@libk:~# ")
        term.type(b"sleep 100\r")
        term.expect(b"sleep 100\r\n")
        term.type(b"\x03")  # ^C goes to the foreground job, not the shell
        term.expect(b"^C\r\n")
        term.expect(b"root@libk:~# ")
        term.type(b"echo status $?\r")
        term.expect(b"status 130")
        term.type(b"\x1d")  # Ctrl-] powers the machine off
        term.expect(b"machine powered off")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(fd)
