"""Pipes and FIFOs: a bounded byte buffer between a writer end and a reader end.

Reads block while the pipe is empty and a writer remains, and return end-of-file once
every writer has gone. Writes block while the pipe is full (back-pressure at 64 KiB),
writes of at most PIPE_BUF bytes are atomic, and a write with no reader left fails with
EPIPE (the system-call layer then sends SIGPIPE).

A FIFO (:class:`FifoInode`, made by mknod(2) with ``S_IFIFO``) is a pipe with a name in
a directory. Opening one is where it differs, as on Linux (fs/pipe.c's fifo_open): a
reader waits until a writer opens it and a writer until a reader does (``O_RDWR``
never waits); with ``O_NONBLOCK`` a reader does not wait and a writer with no reader
fails with ENXIO. The buffer's bytes are dropped when its last end closes.
"""

from __future__ import annotations

from typing import Any

from kernel.abi import (
    ENXIO,
    EPIPE,
    O_ACCMODE,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    POLLERR,
    POLLHUP,
    POLLIN,
    POLLOUT,
    S_IFIFO,
    Error,
)
from kernel.fs.file import File
from kernel.fs.vfs import FileSystem, Inode, WouldBlock
from kernel.thread import Sleep, WaitQueue

PIPE_CAPACITY = 64 * 1024
PIPE_BUF = 4096


class PipeInode(Inode):
    """The shared buffer of a pipe (anonymous, or a FIFO's while it is open)."""

    __slots__ = ("buf", "readers", "writers", "read_wait", "write_wait", "_rsleep", "_wsleep")

    io_cost = "pipe"

    def __init__(self, fs: FileSystem, mode: int = 0o600, uid: int = 0, gid: int = 0) -> None:
        super().__init__(fs, S_IFIFO | mode, uid, gid)
        self.buf = bytearray()
        self.readers = 0
        self.writers = 0
        self.read_wait = WaitQueue("pipe_read")
        self.write_wait = WaitQueue("pipe_write")
        self._rsleep = Sleep((self.read_wait,), None, "pipe_read")
        self._wsleep = Sleep((self.write_wait,), None, "pipe_write")

    @property
    def size(self) -> int:
        return len(self.buf)

    def _wake(self, queue: WaitQueue) -> None:
        if queue:
            self.fs.kernel.wake_all(queue)

    @property
    def seekable(self) -> bool:
        return False

    def open(self, t: Any, f: File) -> None:
        acc = f.flags & O_ACCMODE
        if acc in (O_RDONLY, O_RDWR):
            self.readers += 1
        if acc in (O_WRONLY, O_RDWR):
            self.writers += 1

    def release(self, f: File) -> None:
        acc = f.flags & O_ACCMODE
        if acc in (O_RDONLY, O_RDWR):
            self.readers -= 1
            if self.readers == 0:
                self._wake(self.write_wait)
        if acc in (O_WRONLY, O_RDWR):
            self.writers -= 1
            if self.writers == 0:
                self._wake(self.read_wait)

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        acc = f.flags & O_ACCMODE
        ev = 0
        if acc in (O_RDONLY, O_RDWR):
            if self.buf:
                ev |= POLLIN
            if self.writers == 0:
                ev |= POLLHUP
        if acc in (O_WRONLY, O_RDWR):
            if self.readers == 0:
                ev |= POLLERR
            elif PIPE_CAPACITY - len(self.buf) >= PIPE_BUF:
                ev |= POLLOUT
        return ev, (self.read_wait, self.write_wait)

    def read(self, t: Any, f: File, count: int) -> bytes:
        buf = self.buf
        if not buf:
            if self.writers == 0:
                return b""
            raise WouldBlock(self._rsleep)
        if count >= len(buf):
            data = bytes(buf)
            buf.clear()
        else:
            data = bytes(buf[:count])
            del buf[:count]
        self._wake(self.write_wait)
        return data

    def write(self, t: Any, f: File, data: bytes) -> int:
        if self.readers == 0:
            raise Error(EPIPE)
        space = PIPE_CAPACITY - len(self.buf)
        n = len(data)
        if space <= 0 or (n <= PIPE_BUF and space < n):
            raise WouldBlock(self._wsleep)
        if n > space:
            n = space
            data = data[:space]
        self.buf += data
        self._wake(self.read_wait)
        return n


class FifoInode(PipeInode):
    """A named pipe: lives in a directory of its file system; see the module docstring.

    ``r_opens`` and ``w_opens`` count the opens ever made of each end, so an opener that
    waits for the other end is released by any open of it, even one already closed
    again by the time the waiter runs (Linux's r_counter and w_counter).
    """

    __slots__ = ("r_opens", "w_opens", "open_wait", "_osleep")

    def __init__(self, fs: FileSystem, mode: int = 0o644, uid: int = 0, gid: int = 0) -> None:
        super().__init__(fs, mode & 0o7777, uid, gid)
        self.r_opens = 0
        self.w_opens = 0
        self.open_wait = WaitQueue("fifo_open")
        self._osleep = Sleep((self.open_wait,), None, "pipe_wait")

    @property
    def size(self) -> int:
        return 0  # (stat shows a FIFO's size as 0 on Linux, whatever it holds)

    def open(self, t: Any, f: File) -> None:
        acc = f.flags & O_ACCMODE
        if acc in (O_RDONLY, O_RDWR):
            self.r_opens += 1
        if acc in (O_WRONLY, O_RDWR):
            self.w_opens += 1
        super().open(t, f)
        self._wake(self.open_wait)

    def release(self, f: File) -> None:
        super().release(f)
        if self.readers == 0 and self.writers == 0:
            self.buf.clear()

    def open_now(self, f: File) -> None:
        """The open rule for an opener that cannot wait (a spawn's redirection, a
        ring's open): O_NONBLOCK's, whatever the flags.

        Raises:
            Error: ENXIO for a writer with no reader.
        """
        for _ in self.wait_open(f, nonblock=True):
            pass

    def wait_open(self, f: File, *, nonblock: bool = False) -> Any:
        """The kernel half of a blocking open (a generator, for ``yield from``): wait
        for the other end as the module docstring says (``nonblock``: as O_NONBLOCK
        would, whatever the flags, for an open that cannot wait).

        Raises:
            Error: ENXIO for a non-blocking writer with no reader; EINTR from the wait.
        """
        acc = f.flags & O_ACCMODE
        nonblock = nonblock or bool(f.flags & O_NONBLOCK)
        if acc == O_RDWR:
            return
        if acc == O_RDONLY:
            if nonblock:
                return
            seen = self.w_opens
            while self.writers == 0 and self.w_opens == seen:
                yield self._osleep
            return
        if self.readers == 0 and nonblock:
            raise Error(ENXIO)
        seen = self.r_opens
        while self.readers == 0 and self.r_opens == seen:
            yield self._osleep


class PipeFS(FileSystem):
    """The anonymous file system that holds pipe inodes (``pipe:[ino]``)."""

    fstype = "pipefs"
