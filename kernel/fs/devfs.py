"""devfs: /dev, the device nodes.

Character devices are inodes whose operations go to a driver: ``null`` (discards
writes, reads end-of-file), ``zero`` (endless zero bytes), ``random`` and ``urandom``
(a generator seeded from the machine file, so runs repeat exactly), ``console`` (the
console TTY) and ``tty`` (whatever the caller's controlling terminal is).
"""

from __future__ import annotations

import random
from typing import Any

from kernel.abi import ENXIO, S_IFCHR, Error
from kernel.fs.file import File
from kernel.fs.vfs import DirInode, FileSystem, Inode, SymlinkInode


class Driver:
    """What a character device does; the default is a device that does nothing."""

    io_cost = ""

    def open(self, t: Any, f: File) -> None:
        """A new open file description."""

    def release(self, f: File) -> None:
        """The last descriptor of a description closed."""

    def read(self, t: Any, f: File, count: int) -> bytes:
        """Read up to count bytes."""
        return b""

    def write(self, t: Any, f: File, data: bytes) -> int:
        """Write bytes; return how many were taken."""
        return len(data)

    def ioctl(self, t: Any, f: File, request: int, arg: Any) -> Any:
        """Device control."""
        from kernel.abi import ENOTTY

        raise Error(ENOTTY)


class NullDriver(Driver):
    """/dev/null."""


class ZeroDriver(Driver):
    """/dev/zero."""

    def read(self, t: Any, f: File, count: int) -> bytes:
        return bytes(min(count, 1 << 20))


class RandomDriver(Driver):
    """/dev/random and /dev/urandom: seeded, so the same machine gives the same bytes."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def read(self, t: Any, f: File, count: int) -> bytes:
        return self.rng.randbytes(min(count, 1 << 20))


class CharDevice(Inode):
    """A character-device node."""

    __slots__ = ("driver", "ctty_alias")

    def __init__(
        self,
        fs: FileSystem,
        driver: Any,
        major: int,
        minor: int,
        mode: int = 0o666,
        uid: int = 0,
        gid: int = 0,
    ) -> None:
        super().__init__(fs, S_IFCHR | mode, uid, gid)
        self.driver = driver
        self.rdev = (major << 8) | minor
        self.ctty_alias = False

    @property
    def io_cost(self) -> str:
        """Which device latency the cost model charges for I/O on this node."""
        return getattr(self.driver, "io_cost", "")

    @property
    def seekable(self) -> bool:
        return False

    def open(self, t: Any, f: File) -> None:
        self.driver.open(t, f)

    def release(self, f: File) -> None:
        self.driver.release(f)

    def read(self, t: Any, f: File, count: int) -> bytes:
        return self.driver.read(t, f, count)

    def write(self, t: Any, f: File, data: bytes) -> int:
        return self.driver.write(t, f, data)

    def ioctl(self, t: Any, f: File, request: int, arg: Any) -> Any:
        return self.driver.ioctl(t, f, request, arg)

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        poll = getattr(self.driver, "poll", None)
        return poll(f) if poll is not None else super().poll(f)


class NoDevice(Driver):
    """The driver of a device node whose number no device has: opening it is ENXIO."""

    def open(self, t: Any, f: File) -> None:
        raise Error(ENXIO)


def device_node(
    k: Any, fs: FileSystem, kind: int, dev: int, mode: int, uid: int, gid: int
) -> Inode:
    """A new device node (mknod) in ``fs`` for device number ``dev``: it reaches the
    device /dev has under that number and type, or none (opening it fails with ENXIO).

    Args:
        kind: ``S_IFCHR`` or ``S_IFBLK``.
    """
    from kernel.abi import S_IFBLK, S_IFMT
    from kernel.dev.block import BlockNode

    for node in k.devfs.root.children.values():
        if node.rdev != dev or node.mode & S_IFMT != kind:
            continue
        if isinstance(node, CharDevice):
            copy = CharDevice(fs, node.driver, dev >> 8, dev & 0xFF, mode, uid, gid)
            copy.ctty_alias = node.ctty_alias
            return copy
        if isinstance(node, BlockNode):
            block = BlockNode(fs, node.dev, mode)
            block.uid, block.gid = uid, gid
            return block
    missing = CharDevice(fs, NoDevice(), dev >> 8, dev & 0xFF, mode, uid, gid)
    if kind == S_IFBLK:
        missing.mode = S_IFBLK | mode
    return missing


class TtyAlias(Driver):
    """/dev/tty: opening it opens the caller's controlling terminal instead."""


class DevFS(FileSystem):
    """The /dev file system."""

    fstype = "devfs"

    def __init__(self, dev: int, kernel: Any) -> None:
        super().__init__(dev, kernel)
        self.root = DirInode(self, 0o755)
        self.console: CharDevice | None = None

    def add_device(
        self, name: str, driver: Any, major: int, minor: int, mode: int = 0o666, gid: int = 0
    ) -> CharDevice:
        """Create ``/dev/<name>``."""
        node = CharDevice(self, driver, major, minor, mode, 0, gid)
        self.root.add(name, node)
        return node

    def populate(self, seed: int, console_tty: Any) -> None:
        """Create the standard nodes."""
        self.add_device("null", NullDriver(), 1, 3)
        self.add_device("zero", ZeroDriver(), 1, 5)
        self.add_device("random", RandomDriver(seed), 1, 8)
        self.add_device("urandom", RandomDriver(seed ^ 0x5EED), 1, 9)
        self.console = self.add_device("console", console_tty, 5, 1, 0o620)
        tty = self.add_device("tty", TtyAlias(), 5, 0)
        tty.ctty_alias = True
        for n, name in enumerate(("stdin", "stdout", "stderr")):
            self.root.add(name, SymlinkInode(self, f"/proc/self/fd/{n}"))
        self.root.add("fd", SymlinkInode(self, "/proc/self/fd"))
        self.root.add("shm", DirInode(self, 0o1777, 0, 0, self.root, "shm"))  # a tmpfs's


def open_ctty(t: Any) -> Inode:
    """The console inode of the caller's controlling terminal (for /dev/tty).

    Raises:
        Error: ENXIO if the caller has no controlling terminal.
    """
    tty = t.proc.ctty if t is not None else None
    if tty is None or tty.node is None:
        raise Error(ENXIO)
    return tty.node
