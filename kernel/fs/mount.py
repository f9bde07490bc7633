"""Mounts and mount namespaces.

A mount puts the root of a file system over a directory (its mount point). A mount
namespace is a set of mounts with one root; every process points at one, so that a
process can later get mounts of its own (``unshare -m``). The path walk asks the
namespace to cross mount points downwards (``mounted_on``) and upwards (``parent_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import EBUSY, EINVAL, Error
from kernel.fs.vfs import DirInode, FileSystem, Inode


@dataclass(slots=True, eq=False)
class Mount:
    """One mounted file system."""

    fs: FileSystem
    source: str
    target: str
    options: tuple[str, ...] = ("rw",)
    mountpoint: Inode | None = None

    @property
    def root(self) -> DirInode:
        """The root directory of the mounted file system."""
        return self.fs.root


@dataclass(slots=True, eq=False)
class MountNamespace:
    """A set of mounts with a root, shared by the processes that use it."""

    root_mount: Mount
    mounts: list[Mount] = field(default_factory=list)
    mounted_on: dict[Inode, Mount] = field(default_factory=dict)
    by_root: dict[Inode, Mount] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mounts.append(self.root_mount)
        self.by_root[self.root_mount.root] = self.root_mount

    @property
    def root(self) -> DirInode:
        """The namespace's root directory."""
        return self.root_mount.root

    def mount(
        self,
        fs: FileSystem,
        at: Inode,
        source: str,
        target: str,
        options: tuple[str, ...] = ("rw",),
    ) -> Mount:
        """Mount ``fs`` over the directory ``at``.

        Raises:
            Error: ENOTDIR-like EINVAL if ``at`` is not a directory, EBUSY if the file
                system is already mounted here.
        """
        if not at.is_dir:
            from kernel.abi import ENOTDIR

            raise Error(ENOTDIR)
        if fs.root in self.by_root:
            raise Error(EBUSY)
        m = Mount(fs, source, target, options, at)
        # Stacked mounts: the new one covers whatever is visible at ``at`` now.
        self.mounted_on[at] = m
        self.by_root[fs.root] = m
        self.mounts.append(m)
        return m

    def umount(self, root: Inode) -> Mount:
        """Unmount the file system whose root is ``root``.

        Raises:
            Error: EINVAL if nothing is mounted there, EBUSY if something is mounted on it.
        """
        m = self.by_root.get(root)
        if m is None or m is self.root_mount:
            raise Error(EINVAL)
        if any(
            x.mountpoint is not None and self._inside(x.mountpoint, m)
            for x in self.mounts
            if x is not m
        ):
            raise Error(EBUSY)
        self.mounts.remove(m)
        del self.by_root[root]
        if m.mountpoint is not None:
            del self.mounted_on[m.mountpoint]
        return m

    def _inside(self, inode: Inode, m: Mount) -> bool:
        return inode.fs is m.fs

    def parent_of(self, inode: Inode) -> Inode:
        """Where ``..`` leads from a directory, crossing mount points upwards."""
        while True:
            if inode is self.root:
                return inode
            m = self.by_root.get(inode)
            if m is not None and m.mountpoint is not None:
                inode = m.mountpoint
                continue
            if isinstance(inode, DirInode):
                return inode.parent
            return inode
