"""sysfs: /sys, the kernel's devices as a tree of small files, generated when opened.

Mounted on /sys at boot whenever the image mounts /proc (``kernel.fs.fsinit``), and by
``mount -t sysfs``. For now it holds what Linux tools read about block devices:

- ``/sys/block/<dev>/``: ``stat`` (block/genhd.c's part_stat_show: 17 counters, each
  ``%8u``, one space apart), ``inflight`` (reads and writes on the device now), ``size``
  (512-byte sectors), ``dev`` (``major:minor``), ``ro``, ``removable`` and ``queue/``
  (``logical_block_size``, ``hw_sector_size``, ``nr_requests`` — the device's depth —
  and ``rotational``);
- ``/sys/dev/block/<major:minor>``: a symlink to ``../../block/<dev>``;
- ``/sys/kernel/``: empty.

How it is built: the whole tree is one description, :meth:`SysFS.tree`, made of nested
dicts — a ``dict`` is a directory, :class:`Entries` a directory whose entries are
computed at each lookup (devices come and go), :class:`Link` a symlink, and any other
callable an attribute file whose text it returns when the file is opened. Nodes are
procfs's (``ProcDir``, ``ProcFile``), made on demand, with inode numbers that depend only
on their paths. Issue #11 (kobjects, modules) grows this into the device tree: each
kobject becomes a directory of attribute generators, each subsystem (``block``,
``class/…``, ``bus/…``, ``module/…``) an :class:`Entries` over its registered objects,
and ``/sys/devices`` the tree the other directories link into.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from kernel.abi import EACCES, O_ACCMODE, Error
from kernel.dev.block import BLOCK_MAJOR, READ, SECTOR, BlockDevice
from kernel.fs.procfs import ProcDir, ProcFile
from kernel.fs.vfs import FileSystem, Inode, SymlinkInode

if TYPE_CHECKING:
    from kernel.kernel import Kernel


@dataclass(frozen=True, slots=True)
class Link:
    """A symbolic link in the tree."""

    target: str


@dataclass(frozen=True, slots=True)
class Entries:
    """A directory whose entries ``fn()`` computes at each lookup."""

    fn: Callable[[], dict[str, Node]]


@dataclass(frozen=True, slots=True)
class Store:
    """A writable attribute: ``show()`` gives its text; ``store(t, text)`` takes each
    write(2) as kernfs hands it to a driver (the text as written, a trailing newline
    included) and raises :class:`Error` (EINVAL for a value it does not take). ``mode``
    is root's: others' opens for writing fail with EACCES in the permission check."""

    show: Callable[[], str]
    store: Callable[[Any, str], None]
    mode: int = 0o644


Node = Union[Callable[[], str], Link, Entries, Store, dict[str, "Node"]]  # noqa: UP007


class _Fresh(dict):
    """A lookup cache that keeps nothing (an :class:`Entries` directory's names change)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class Attr(ProcFile):
    """A read-only attribute: opening it for writing is EACCES, as kernfs's open says."""

    __slots__ = ()

    def open(self, t: Any, f: Any) -> None:
        if f.flags & O_ACCMODE:
            raise Error(EACCES)
        super().open(t, f)


def disk_stat(fields: list[int]) -> str:
    """``/sys/block/<dev>/stat``: the 17 numbers of /proc/diskstats, each ``%8u``."""
    return " ".join(f"{v:8d}" for v in fields) + "\n"


def _putter(spec: Store) -> Callable[[Any, Any, bytes], int]:
    def put(t: Any, f: Any, data: bytes) -> int:
        spec.store(t, data.decode(errors="replace"))
        return len(data)

    return put


class SysFS(FileSystem):
    """The /sys file system of one kernel."""

    fstype = "sysfs"

    def __init__(self, dev: int, kernel: Kernel) -> None:
        super().__init__(dev, kernel)
        self.k = kernel
        self.born = kernel.now()  # every node's times: sysfs has none of its own
        self._inos: dict[int, str] = {}  # inode number -> path (to settle collisions)
        self.root = self._dir("", self.tree())  # type: ignore[assignment]

    # ------------------------------------------------------------------ the tree
    def tree(self) -> dict[str, Node]:
        """What /sys holds (see the module docstring)."""
        return {
            "block": Entries(self._block),
            "dev": {"block": Entries(self._dev_block)},
            "kernel": {},
        }

    def _devices(self) -> list[BlockDevice]:
        return sorted(getattr(self.k, "block", {}).values(), key=lambda d: d.minor)

    def _block(self) -> dict[str, Node]:
        return {d.name: self._disk(d) for d in self._devices()}

    def _dev_block(self) -> dict[str, Node]:
        return {f"{BLOCK_MAJOR}:{d.minor}": Link(f"../../block/{d.name}") for d in self._devices()}

    def _disk(self, d: BlockDevice) -> dict[str, Node]:
        """One disk's directory, as block/genhd.c's and blk-sysfs.c's attributes."""

        def inflight() -> str:
            reads = sum(1 for r in d.inflight if r.op == READ)
            return f"{reads:8d} {len(d.inflight) - reads:8d}\n"

        return {
            "dev": lambda: f"{BLOCK_MAJOR}:{d.minor}\n",
            "size": lambda: f"{d.size // SECTOR}\n",
            "ro": lambda: "0\n",
            "removable": lambda: "0\n",
            "stat": lambda: disk_stat(d.stats.fields(self.k.now())),
            "inflight": inflight,
            "queue": {
                "logical_block_size": lambda: f"{SECTOR}\n",
                "hw_sector_size": lambda: f"{SECTOR}\n",
                "nr_requests": lambda: f"{d.costs.depth}\n",
                "rotational": lambda: "0\n",
            },
        }

    # ------------------------------------------------------------------ nodes
    def _ino(self, path: str) -> int:
        """An inode number that depends only on ``path`` (CRC-32; a rare collision
        moves to the next free number, in the order the paths are first seen)."""
        ino = 2 + zlib.crc32(path.encode()) if path else 1
        while self._inos.setdefault(ino, path) != path:
            ino += 1
        return ino

    def _node(self, path: str, spec: Node) -> Inode:
        if isinstance(spec, Link):
            node: Inode = SymlinkInode(self, spec.target)
        elif isinstance(spec, (dict, Entries)):
            node = self._dir(path, spec)
        elif isinstance(spec, Store):
            node = ProcFile(self, spec.show, spec.mode, put=_putter(spec))
        else:
            node = Attr(self, spec)
        node.ino = self._ino(path)
        node.atime = node.mtime = node.ctime = self.born
        return node

    def _dir(self, path: str, spec: dict[str, Node] | Entries) -> ProcDir:
        entries: Callable[[], dict[str, Node]] = (
            spec.fn if isinstance(spec, Entries) else lambda: spec  # type: ignore[union-attr]
        )

        def lookup(name: str) -> Inode | None:
            child = entries().get(name)
            return None if child is None else self._node(f"{path}/{name}", child)

        d = ProcDir(self, None, "", lambda: list(entries()), lookup, 0o755)
        if isinstance(spec, Entries):
            d.cache = _Fresh()
        if not path:
            d.ino = 1
            d.atime = d.mtime = d.ctime = self.born
        return d
