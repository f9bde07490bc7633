"""Open files: open file descriptions and per-process descriptor tables.

An open file description (:class:`File`) is what open() creates: an inode, an offset,
status flags, and a reference count shared by every descriptor that dup()s it and by
every process that inherits it. A :class:`FdTable` maps small integers to descriptions
with a close-on-exec flag each.
"""

from __future__ import annotations

from typing import Any

from kernel.abi import EBADF, EMFILE, Error
from kernel.fs.vfs import Inode

FD_MAX = 1024


class File:
    """An open file description."""

    __slots__ = ("inode", "flags", "pos", "path", "refs", "private", "owner", "cred", "opener")

    def __init__(self, inode: Inode, flags: int, path: str) -> None:
        self.inode = inode
        self.flags = flags
        self.pos = 0
        self.path = path
        self.refs = 0
        self.private: Any = None
        self.owner: Any = None  # the module a device node's open holds (kernel.dev.driver)
        self.cred: Any = None  # who opened it (Linux's f_cred), set by open_file
        self.opener = 0  # the pid of the process that opened it (0: the kernel)

    def get(self) -> File:
        """Take a reference."""
        self.refs += 1
        return self

    def put(self) -> None:
        """Drop a reference; the last one releases the inode's open state."""
        self.refs -= 1
        if self.refs == 0:
            self.inode.release(self)
            if self.owner is not None:
                self.owner.put()
                self.owner = None


class FdTable:
    """A process's file descriptors: fd -> (File, close-on-exec)."""

    __slots__ = ("files", "cloexec", "limit")

    def __init__(self) -> None:
        self.files: dict[int, File] = {}
        self.cloexec: set[int] = set()
        self.limit = FD_MAX  # RLIMIT_NOFILE's soft limit

    def get(self, fd: int) -> File:
        """The description behind ``fd``.

        Raises:
            Error: EBADF if it is not open.
        """
        try:
            return self.files[fd]
        except KeyError:
            raise Error(EBADF) from None

    def lowest_free(self, start: int = 0) -> int:
        """The lowest unused descriptor number >= start.

        Raises:
            Error: EMFILE if the table is full.
        """
        fd = start
        files = self.files
        while fd in files:
            fd += 1
        if fd >= self.limit:
            raise Error(EMFILE)
        return fd

    def install(self, f: File, *, cloexec: bool = False, fd: int | None = None) -> int:
        """Put ``f`` at the lowest free descriptor (or at ``fd``) and return it."""
        if fd is None:
            fd = self.lowest_free()
        elif fd >= self.limit:
            raise Error(EBADF)
        elif fd in self.files:
            self.close(fd)
        self.files[fd] = f.get()
        if cloexec:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)
        return fd

    def close(self, fd: int) -> None:
        """Close ``fd``.

        Raises:
            Error: EBADF if it is not open.
        """
        f = self.files.pop(fd, None)
        if f is None:
            raise Error(EBADF)
        self.cloexec.discard(fd)
        f.put()

    def close_all(self) -> None:
        """Close everything (the process is exiting)."""
        files, self.files = self.files, {}
        self.cloexec.clear()
        for f in files.values():
            f.put()

    def copy(self) -> FdTable:
        """A duplicate table, close-on-exec flags included (what fork would give)."""
        child = FdTable()
        child.limit = self.limit
        for fd, f in self.files.items():
            child.files[fd] = f.get()
        child.cloexec = set(self.cloexec)
        return child

    def close_on_exec(self) -> None:
        """Close every descriptor marked close-on-exec (the program is starting)."""
        for fd in sorted(self.cloexec):
            if fd in self.files:
                self.close(fd)
        self.cloexec.clear()
