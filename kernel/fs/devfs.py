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
from kernel.dev.driver import node_open
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

    __slots__ = ("driver", "ctty_alias", "device")

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
        self.device: Any = None  # its kernel.dev.driver.Device, if the device model has it

    @property
    def io_cost(self) -> str:
        """Which device latency the cost model charges for I/O on this node."""
        return getattr(self.driver, "io_cost", "")

    @property
    def seekable(self) -> bool:
        return False

    def open(self, t: Any, f: File) -> None:
        if self.device is not None:
            node_open(self, f)
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
    device registered under that number and type, or none (opening it fails with ENXIO).

    Args:
        kind: ``S_IFCHR`` or ``S_IFBLK``.
    """
    from kernel.abi import S_IFBLK
    from kernel.dev.block import BlockNode
    from kernel.dev.driver import BLK, CHR

    found = k.devices.by_devt.get((BLK if kind == S_IFBLK else CHR, dev >> 8, dev & 0xFF))
    node: Inode
    if found is not None and kind == S_IFBLK:
        node = BlockNode(fs, found.disk, mode)
        node.uid, node.gid = uid, gid
    elif found is not None:
        node = CharDevice(fs, found.fops, dev >> 8, dev & 0xFF, mode, uid, gid)
        node.ctty_alias = isinstance(found.fops, TtyAlias)
    else:
        missing = CharDevice(fs, NoDevice(), dev >> 8, dev & 0xFF, mode, uid, gid)
        if kind == S_IFBLK:
            missing.mode = S_IFBLK | mode
        return missing
    node.device = found  # type: ignore[attr-defined]
    return node


class TtyAlias(Driver):
    """/dev/tty: opening it opens the caller's controlling terminal instead."""


class DevFS(FileSystem):
    """The /dev file system."""

    fstype = "devfs"

    def __init__(self, dev: int, kernel: Any) -> None:
        super().__init__(dev, kernel)
        self.root = DirInode(self, 0o755)
        self.console: CharDevice | None = None

    def populate(self) -> None:
        """The nodes that are not devices: links to the caller's fds, and /dev/shm."""
        for n, name in enumerate(("stdin", "stdout", "stderr")):
            self.root.add(name, SymlinkInode(self, f"/proc/self/fd/{n}"))
        self.root.add("fd", SymlinkInode(self, "/proc/self/fd"))
        self.root.add("shm", DirInode(self, 0o1777, 0, 0, self.root, "shm"))  # a tmpfs's


def chrdev_init(k: Any, console_tty: Any) -> None:
    """The standard character devices, registered with the device model (their nodes
    appear in /dev as they register): the ``mem`` class (null, zero, random, urandom:
    drivers/char/mem.c's numbers) and the ``tty`` class (tty, console)."""
    from kernel.dev.driver import Device

    seed = k.info.seed
    for name, fops, minor in (
        ("null", NullDriver(), 3),
        ("zero", ZeroDriver(), 5),
        ("random", RandomDriver(seed), 8),
        ("urandom", RandomDriver(seed ^ 0x5EED), 9),
    ):
        k.devices.device_register(Device(name, cls="mem", devt=(1, minor), fops=fops, mode=0o666))
    tty = Device("tty", cls="tty", devt=(5, 0), fops=TtyAlias(), mode=0o666)
    k.devices.device_register(tty)
    tty.node.ctty_alias = True
    console = Device("console", cls="tty", devt=(5, 1), fops=console_tty, mode=0o620)
    k.devices.device_register(console)
    k.devfs.console = console.node


def open_ctty(t: Any) -> Inode:
    """The console inode of the caller's controlling terminal (for /dev/tty).

    Raises:
        Error: ENXIO if the caller has no controlling terminal.
    """
    tty = t.proc.ctty if t is not None else None
    if tty is None or tty.node is None:
        raise Error(ENXIO)
    return tty.node
