"""sysfs: /sys, the device model's kobjects as directories of small files.

Mounted on /sys at boot unless the image says ``sysfs: false`` (``kernel.fs.fsinit``),
and by ``mount -t sysfs``. The tree is ``k.devices`` (``kernel.dev.driver``): each
kobject a directory, its attributes files, its links symlinks with relative targets.
What Linux tools read is where Linux has it: ``/sys/devices`` (platform/, virtual/,
system/cpu/), ``/sys/class/<class>/<dev>`` and ``/sys/bus/<bus>/{devices,drivers}``
(links into /sys/devices), ``/sys/block/<disk>`` (with genhd's ``stat``, ``size``,
``inflight``, ``queue/``), ``/sys/dev/{char,block}/MAJ:MIN``, ``/sys/module`` and
``/sys/kernel``. ``man 5 sysfs`` lists them.

How a directory is described: a ``dict`` is a directory, :class:`Entries` a directory
whose entries are computed at each lookup (devices come and go), a :class:`KObject` the
directory of its attributes, links and children, :class:`Link` a symlink, :class:`Store`
a writable attribute and any other callable a read-only attribute whose text it returns
when the file is opened. Nodes are procfs's (``ProcDir``, ``ProcFile``), made on
demand, with inode numbers that depend only on their paths.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Union

from kernel.abi import EACCES, O_ACCMODE, O_WRONLY, Error
from kernel.dev.kobject import KObject, relative
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
    is root's: others' opens for writing fail with EACCES in the permission check.
    Without ``show`` it is write-only (``bind``): opening it for reading is EACCES even
    for root, as kernfs's open says."""

    show: Callable[[], str] | None
    store: Callable[[Any, str], None]
    mode: int = 0o644


Node = Union[Callable[[], str], Link, Entries, Store, KObject, dict[str, "Node"]]  # noqa: UP007


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


def kobject_entries(kobj: KObject) -> dict[str, Node]:
    """A kobject's directory: its attributes, its links (relative paths, as
    sysfs_create_link makes them) and its children."""
    out: dict[str, Any] = {k: v for k, v in kobj.attrs.items() if not k.startswith("_")}
    for name, target in kobj.links.items():
        out[name] = Link(relative(kobj, target))
    out.update(kobj.children)
    return out


class WriteOnly(ProcFile):
    """A write-only attribute: opening it for reading is EACCES (kernfs: no show)."""

    __slots__ = ()

    def open(self, t: Any, f: Any) -> None:
        if f.flags & O_ACCMODE != O_WRONLY:
            raise Error(EACCES)
        super().open(t, f)


def _nothing() -> str:
    return ""


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
    def tree(self) -> Entries:
        """What /sys holds: the device model's kobjects (see the module docstring)."""
        return Entries(lambda: kobject_entries(self.k.devices.root))

    # ------------------------------------------------------------------ nodes
    def _ino(self, path: str) -> int:
        """An inode number that depends only on ``path`` (CRC-32; a rare collision
        moves to the next free number, in the order the paths are first seen)."""
        ino = 2 + zlib.crc32(path.encode()) if path else 1
        while self._inos.setdefault(ino, path) != path:
            ino += 1
        return ino

    def _node(self, path: str, spec: Node) -> Inode:
        if isinstance(spec, KObject):
            spec = Entries(partial(kobject_entries, spec))
        if isinstance(spec, Link):
            node: Inode = SymlinkInode(self, spec.target)
        elif isinstance(spec, (dict, Entries)):
            node = self._dir(path, spec)
        elif isinstance(spec, Store) and spec.show is None:
            node = WriteOnly(self, _nothing, spec.mode, put=_putter(spec))
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
