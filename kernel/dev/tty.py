"""The console TTY and its line discipline.

Input arrives from the front end (``feed``); output leaves to it (``drain``). Between
them is the line discipline: in canonical mode input is edited a line at a time (erase,
kill, word-erase, end-of-file) and echoed; with ISIG the interrupt, quit and suspend
characters become SIGINT, SIGQUIT and SIGTSTP for the foreground process group; in raw
mode bytes pass straight to the reader. The TTY also keeps the job-control state: its
session and its foreground process group, and stops background readers with SIGTTIN.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    ECHO,
    ECHOCTL,
    ECHOE,
    ECHOK,
    EINVAL,
    EIO,
    ENOTTY,
    EPERM,
    ICANON,
    ICRNL,
    ISIG,
    ONLCR,
    OPOST,
    POLLHUP,
    POLLIN,
    POLLOUT,
    SIG_IGN,
    SIGINT,
    SIGQUIT,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    SIGWINCH,
    TCGETS,
    TCSETS,
    TCSETSF,
    TCSETSW,
    TIOCGPGRP,
    TIOCGWINSZ,
    TIOCNOTTY,
    TIOCSCTTY,
    TIOCSPGRP,
    TIOCSWINSZ,
    VEOF,
    VERASE,
    VINTR,
    VKILL,
    VQUIT,
    VSUSP,
    VWERASE,
    Error,
    Termios,
    Winsize,
)
from kernel.thread import Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.kernel import Kernel
    from kernel.thread import Thread

OUTPUT_CAPACITY = 256 * 1024
_EOF = b""


class Tty:
    """A terminal: line discipline, termios, window size, session and foreground group.

    Attributes:
        name: the device name (``console``).
        termios: current attributes.
        winsize: rows and columns.
        sid: the session this is the controlling terminal of (None: none).
        pgrp: the foreground process group.
        hungup: the front end has closed the input side for good.
    """

    io_cost = "tty"

    def __init__(self, kernel: Kernel, name: str = "console") -> None:
        self.kernel = kernel
        self.node: Any = None  # the /dev inode, set when devfs creates it
        self.name = name
        self.termios = Termios()
        self.winsize = Winsize()
        self.sid: int | None = None
        self.pgrp: int | None = None
        self.hungup = False
        self._line = bytearray()  # the line being edited (canonical mode)
        self._ready: deque[bytes] = deque()  # input readers may take; b"" = end of file
        self._out = bytearray()
        self.read_wait = WaitQueue("tty_read")
        self.write_wait = WaitQueue("tty_write")
        self._rsleep = Sleep((self.read_wait,), None, "tty_read")
        self._wsleep = Sleep((self.write_wait,), None, "tty_write")

    # ------------------------------------------------------------------ front end side
    def feed(self, data: bytes) -> None:
        """Type ``data`` at the terminal (from the front end)."""
        for byte in data:
            self._input_byte(byte)
        if self._ready and self.read_wait:
            self.kernel.wake_all(self.read_wait)

    def drain(self) -> bytes:
        """Take everything the machine has written to the terminal."""
        if not self._out:
            return b""
        data = bytes(self._out)
        self._out.clear()
        if self.write_wait:
            self.kernel.wake_all(self.write_wait)
        return data

    def hangup(self) -> None:
        """The front end will type no more: readers get end-of-file from now on."""
        self.hungup = True
        if self.read_wait:
            self.kernel.wake_all(self.read_wait)

    @property
    def pending_output(self) -> int:
        """Bytes written by the machine and not yet drained."""
        return len(self._out)

    @property
    def waiting_for_input(self) -> bool:
        """Is some thread blocked reading this terminal?"""
        return bool(self.read_wait)

    # ------------------------------------------------------------------ line discipline
    def _echo(self, data: bytes) -> None:
        self._out += data

    def _echo_char(self, byte: int) -> None:
        lflag = self.termios.lflag
        if not lflag & ECHO:
            return
        if byte < 32 and byte not in (9, 10) and lflag & ECHOCTL:
            self._echo(b"^" + bytes([byte + 64]))
        elif byte == 10:
            self._echo(b"\r\n" if self.termios.oflag & ONLCR else b"\n")
        else:
            self._echo(bytes([byte]))

    def _input_byte(self, byte: int) -> None:
        t = self.termios
        cc = t.cc
        lflag = t.lflag
        if byte == 13 and t.iflag & ICRNL:
            byte = 10
        if lflag & ISIG:
            sig = {cc[VINTR]: SIGINT, cc[VQUIT]: SIGQUIT, cc[VSUSP]: SIGTSTP}.get(byte)
            if sig is not None:
                self._line.clear()
                if sig != SIGTSTP:
                    self._ready.clear()
                self._echo_char(byte)
                if lflag & ECHO:
                    self._echo(b"\r\n")
                if self.pgrp is not None:
                    self.kernel.signal_group(self.pgrp, sig)
                return
        if not lflag & ICANON:
            self._ready.append(bytes([byte]))
            self._echo_char(byte)
            return
        line = self._line
        if byte in (cc[VERASE], 8):
            if line:
                line.pop()
                if lflag & ECHO and lflag & ECHOE:
                    self._echo(b"\b \b")
            return
        if byte == cc[VKILL]:
            if lflag & ECHO and lflag & ECHOK:
                self._echo(b"\b \b" * len(line))
            line.clear()
            return
        if byte == cc[VWERASE]:
            while line and line[-1] in b" \t":
                line.pop()
                self._echo(b"\b \b" if lflag & ECHO else b"")
            while line and line[-1] not in b" \t":
                line.pop()
                self._echo(b"\b \b" if lflag & ECHO else b"")
            return
        if byte == cc[VEOF]:
            self._ready.append(bytes(line))  # empty line == end of file for the reader
            line.clear()
            return
        line.append(byte)
        self._echo_char(byte)
        if byte == 10:
            self._ready.append(bytes(line))
            line.clear()

    # ------------------------------------------------------------------ device side
    def open(self, t: Thread | None, f: File) -> None:
        """A session leader without a terminal that opens this one acquires it."""
        from kernel.abi import O_NOCTTY

        if t is None or f.flags & O_NOCTTY:
            return
        proc = t.proc
        free = self.sid is None or not self.kernel.session_alive(self.sid)
        if proc.pid == proc.sid and proc.ctty is None and free:
            self.acquire(proc)

    def release(self, f: File) -> None:
        """Nothing to do when a description of the terminal closes."""

    def _job_control(self, t: Thread, sig: int) -> None:
        """Stop a background process group that touches the terminal."""
        proc = t.proc
        if proc.ctty is not self or self.pgrp is None or proc.pgid == self.pgrp:
            return
        if proc.sigdisp.get(sig) == SIG_IGN:
            if sig == SIGTTIN:
                raise Error(EIO)
            return
        self.kernel.signal_group(proc.pgid, sig)
        if sig == SIGTTIN:
            from kernel.fs.vfs import WouldBlock

            raise WouldBlock(self._rsleep)

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        """Read input; blocks until a line (canonical) or a byte (raw) is ready."""
        from kernel.fs.vfs import WouldBlock

        if t is not None:
            self._job_control(t, SIGTTIN)
        ready = self._ready
        if not ready:
            if self.hungup:
                return _EOF
            raise WouldBlock(self._rsleep)
        if not self.termios.lflag & ICANON:
            out = bytearray()
            while ready and len(out) < count:
                out += ready.popleft()
            return bytes(out)
        chunk = ready.popleft()
        if len(chunk) > count:
            ready.appendleft(chunk[count:])
            chunk = chunk[:count]
        return chunk

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        """POLLIN when input is ready (or the line hung up), POLLOUT when output fits."""
        ev = 0
        if self._ready:
            ev |= POLLIN
        if self.hungup:
            ev |= POLLIN | POLLHUP
        if len(self._out) < OUTPUT_CAPACITY:
            ev |= POLLOUT
        return ev, (self.read_wait, self.write_wait)

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        """Write output; blocks while the front end has not drained enough."""
        from kernel.fs.vfs import WouldBlock

        space = OUTPUT_CAPACITY - len(self._out)
        if space <= 0:
            raise WouldBlock(self._wsleep)
        data = data[:space]
        n = len(data)
        if self.termios.oflag & OPOST and self.termios.oflag & ONLCR and b"\n" in data:
            data = data.replace(b"\n", b"\r\n")
        self._out += data
        return n

    def ioctl(self, t: Thread | None, f: File, request: int, arg: Any) -> Any:
        """Terminal control: termios, window size, foreground group, controlling tty."""
        if request == TCGETS:
            return self.termios.copy()
        if request in (TCSETS, TCSETSW, TCSETSF):
            if not _valid_termios(arg, self.termios):
                raise Error(EINVAL)
            if request == TCSETSF:
                self._ready.clear()
                self._line.clear()
            old_canon = self.termios.lflag & ICANON
            self.termios = arg.copy()
            if old_canon and not arg.lflag & ICANON and self._line:
                self._ready.append(bytes(self._line))
                self._line.clear()
            return 0
        if request == TIOCGWINSZ:
            return self.winsize
        if request == TIOCSWINSZ:
            if not isinstance(arg, Winsize):
                raise Error(EINVAL)
            changed = arg != self.winsize
            self.winsize = arg
            if changed and self.pgrp is not None:
                self.kernel.signal_group(self.pgrp, SIGWINCH)
            return 0
        if request == TIOCGPGRP:
            if t is not None and t.proc.ctty is not self:
                raise Error(ENOTTY)
            return self.pgrp if self.pgrp is not None else 0
        if request == TIOCSPGRP:
            return self._set_pgrp(t, arg)
        if request == TIOCSCTTY:
            return self.acquire(t.proc) if t is not None else 0
        if request == TIOCNOTTY:
            if t is not None and t.proc.ctty is self:
                t.proc.ctty = None
            return 0
        raise Error(EINVAL)

    def _set_pgrp(self, t: Thread | None, pgid: Any) -> int:
        if not isinstance(pgid, int) or pgid <= 0:
            raise Error(EINVAL)
        if t is not None:
            proc = t.proc
            if proc.ctty is not self or proc.sid != self.sid:
                raise Error(ENOTTY)
            if not self.kernel.procs.session_has_group(proc.sid, pgid):
                raise Error(EPERM)
            if (
                self.pgrp is not None
                and proc.pgid != self.pgrp
                and proc.sigdisp.get(SIGTTOU) != SIG_IGN
            ):
                self.kernel.signal_group(proc.pgid, SIGTTOU)
        self.pgrp = pgid
        return 0

    def acquire(self, proc: Any) -> int:
        """Make this the controlling terminal of ``proc``'s session (it must lead it)."""
        if proc.pid != proc.sid:
            raise Error(EPERM)
        if self.sid is not None and self.sid != proc.sid and self.kernel.session_alive(self.sid):
            raise Error(EPERM)
        self.sid = proc.sid
        self.pgrp = proc.pgid
        proc.ctty = self
        return 0

    def session_ended(self, sid: int) -> None:
        """The session leader exited: forget the session (the group gets SIGHUP)."""
        if self.sid == sid:
            self.sid = None
            self.pgrp = None


def _valid_termios(arg: Any, current: Termios) -> bool:
    """A Termios whose flags are ints and whose control characters are all bytes."""
    if not isinstance(arg, Termios):
        return False
    flags_ok = all(type(x) is int and x >= 0 for x in (arg.iflag, arg.oflag, arg.lflag))
    cc = arg.cc
    return (
        flags_ok
        and isinstance(cc, dict)
        and set(current.cc) <= set(cc)
        and all(type(v) is int and 0 <= v < 256 for v in cc.values())
    )
