"""Mounts and mount namespaces.

A mount puts a directory (or file) of a file system — its root, or any directory of it
for a bind mount — over a directory of another mount (its mount point). Mounts have ids
(Linux's: from 21 up, unique in the machine), a parent mount, and a propagation type:
private, or shared with a peer group (a mount or unmount under a shared mount happens
under each of its peers too, as Linux's MS_SHARED).

A mount namespace is a tree of mounts with one root; every process points at one
(``Process.mnt_ns``) and counts as one of its users; ``unshare -m`` gives a process a
copy (new mount records for the same file systems and mount points), and a namespace
no process uses any more (and no descriptor holds open, as Linux's nsfs) is freed.
The path walk (``kernel.fs.vfs.PathWalk``) follows (mount, inode) pairs: it crosses
mount points downwards with ``children`` and upwards through each mount's parent.
:class:`NsTable` is the machine-wide part: the id counters and the live namespaces (by
their /proc/<pid>/ns/mnt inode number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernel.abi import EBUSY, EINVAL, ENOTDIR, MS_PRIVATE, MS_SHARED, Error
from kernel.fs.vfs import DirInode, FileSystem, Inode

FIRST_MNT_ID = 21  # Linux's first ids go to its internal mounts
INIT_MNT_NS_INO = 4026531840  # the initial mount namespace's nsfs inode number
TAKEN_NS_INOS = frozenset({4026531992})  # the initial net namespace's


class NsTable:
    """Machine-wide mount bookkeeping: id counters and the live namespaces."""

    def __init__(self) -> None:
        self.next_mnt_id = FIRST_MNT_ID
        self.next_group = 1
        self.next_ino = INIT_MNT_NS_INO
        self.live: dict[int, MountNamespace] = {}
        #: inode -> a mount over it, in any namespace (rmdir and rename: EBUSY).
        self.mounted_on: dict[Inode, Mount] = {}

    def unmounted(self, at: Inode) -> None:
        """A mount over ``at`` went: forget ``at`` unless another mount is over it."""
        for ns in self.live.values():
            for m in reversed(ns.mounts):
                if m.mountpoint is at:
                    self.mounted_on[at] = m
                    return
        self.mounted_on.pop(at, None)

    def mnt_id(self) -> int:
        """A fresh mount id."""
        n = self.next_mnt_id
        self.next_mnt_id += 1
        return n

    def group(self) -> int:
        """A fresh peer-group id (``shared:N`` in mountinfo)."""
        n = self.next_group
        self.next_group += 1
        return n

    def ns_ino(self) -> int:
        """A fresh namespace inode number."""
        while self.next_ino in TAKEN_NS_INOS:
            self.next_ino += 1
        n = self.next_ino
        self.next_ino += 1
        return n

    def sweep(self) -> None:
        """Drop the users that are no longer alive, freeing namespaces left unused (a
        safety net: exit releases its namespace itself when the kernel calls
        :func:`release`)."""
        from kernel.proc import ALIVE

        for ns in list(self.live.values()):
            if ns.initial:
                continue
            for proc in [p for p in ns.users if p.state != ALIVE]:
                ns.drop(proc)


@dataclass(slots=True, eq=False)
class Mount:
    """One mount: ``root`` (a directory or file of ``fs``) shown over ``mountpoint``
    (an inode of ``parent``'s file system); ``root_path`` is ``root``'s path inside
    ``fs`` (mountinfo's fourth field), ``shared`` its peer group (0: private)."""

    fs: FileSystem
    source: str
    target: str
    options: tuple[str, ...] = ("rw",)
    mountpoint: Inode | None = None
    parent: Mount | None = None
    root_dir: Inode | None = None
    root_path: str = "/"
    mnt_id: int = 0
    shared: int = 0
    master: int = 0
    mp_dir: Inode | None = None  # a file mount point's directory and name (a file has
    mp_name: str = ""  # no parent of its own to find its path by)

    @property
    def root(self) -> Any:
        """The directory (or file) the mount shows: the file system's root unless it is
        a bind mount of something inside it."""
        return self.root_dir if self.root_dir is not None else self.fs.root

    def clone(self) -> Mount:
        """A new record for the same file system, root and options (no id, no place)."""
        return Mount(
            self.fs,
            self.source,
            self.target,
            self.options,
            root_dir=self.root_dir,
            root_path=self.root_path,
            shared=self.shared,
            master=self.master,
            mp_dir=self.mp_dir,
            mp_name=self.mp_name,
        )


@dataclass(slots=True, eq=False)
class MountNamespace:
    """A tree of mounts with a root, shared by the processes in ``users``.

    ``children`` maps (parent mount, mount-point inode) to the mount on top there;
    ``mounted_on`` (inode -> a mount over it, in any namespace: a directory that is a
    mount point anywhere cannot be removed) and ``by_root`` (inode -> the first mount
    showing it) answer the inode-only questions of rmdir and rename.
    """

    root_mount: Mount
    table: NsTable | None = None
    mounts: list[Mount] = field(default_factory=list)
    children: dict[tuple[Mount, Inode], Mount] = field(default_factory=dict)
    by_root: dict[Inode, Mount] = field(default_factory=dict)
    users: set[Any] = field(default_factory=set)
    ino: int = 0
    holds: int = 0
    nsfs: Any = None  # its /proc/<pid>/ns/mnt inode, made when first followed
    initial: bool = False
    freed: bool = False

    def __post_init__(self) -> None:
        if self.table is None:
            self.table = NsTable()
            self.initial = True  # the machine's first namespace lives as long as it
        self.ino = self.table.ns_ino()
        self.table.live[self.ino] = self
        if not self.root_mount.mnt_id:
            self.root_mount.mnt_id = self.table.mnt_id()
        self.mounts.append(self.root_mount)
        self.by_root[self.root_mount.root] = self.root_mount

    @property
    def root(self) -> Any:
        """The namespace's root directory."""
        return self.root_mount.root

    @property
    def mounted_on(self) -> dict[Inode, Mount]:
        """Inode -> a mount over it, in any namespace of the machine."""
        return self.ids.mounted_on

    @property
    def ids(self) -> NsTable:
        """The machine-wide table (always set after construction)."""
        assert self.table is not None
        return self.table

    # ------------------------------------------------------------------ users
    def use(self, proc: Any) -> None:
        """Count ``proc`` as a user (the initial namespace, never freed, counts none)."""
        if not self.initial:
            self.users.add(proc)

    def drop(self, proc: Any) -> None:
        """``proc`` no longer uses this namespace; the last user frees it."""
        self.users.discard(proc)
        self._maybe_free()

    def hold(self, n: int) -> None:
        """An open descriptor on its /proc/<pid>/ns/mnt (``n`` 1) or one fewer (-1):
        as on Linux, an open one keeps the namespace alive for setns(2)."""
        self.holds += n
        self._maybe_free()

    def _maybe_free(self) -> None:
        if not self.users and not self.holds and not self.initial and not self.freed:
            self.freed = True
            self.ids.live.pop(self.ino, None)
            points = [m.mountpoint for m in self.mounts if m.mountpoint is not None]
            self.mounts.clear()
            self.children.clear()
            self.by_root.clear()
            for at in points:
                self.ids.unmounted(at)

    # ------------------------------------------------------------------ finding mounts
    def mount_of(self, inode: Inode) -> Mount:
        """The mount an inode is seen through when the caller has only the inode (a
        working directory, a magic link): the first mount of its file system whose
        root is the inode or one of its ancestors."""
        found = [m for m in self.mounts if m.fs is inode.fs]
        if len(found) == 1:
            return found[0]
        for m in found:
            if under(inode, m.root):
                return m
        return found[0] if found else self.root_mount

    def top(self, mnt: Mount, inode: Inode) -> tuple[Mount, Inode]:
        """What is seen at (mnt, inode): the topmost mount over it, if any."""
        children = self.children
        while (mnt, inode) in children:
            mnt = children[mnt, inode]
            inode = mnt.root
        return mnt, inode

    def parent_of(self, inode: Inode) -> Inode:
        """Where ``..`` leads from a directory, crossing mount points upwards."""
        mnt = self.mount_of(inode)
        while inode is mnt.root and mnt.parent is not None and mnt.mountpoint is not None:
            inode, mnt = mnt.mountpoint, mnt.parent
        if inode is self.root or inode is mnt.root:
            return inode
        return inode.parent if isinstance(inode, DirInode) else inode

    def peers(self, m: Mount) -> list[Mount]:
        """The other mounts of ``m``'s peer group, in every live namespace."""
        if not m.shared:
            return []
        return [
            x
            for ns in list(self.ids.live.values())
            for x in ns.mounts
            if x.shared == m.shared and x is not m
        ]

    def namespace_of(self, m: Mount) -> MountNamespace | None:
        """The live namespace that holds ``m``."""
        for ns in self.ids.live.values():
            if any(x is m for x in ns.mounts):
                return ns
        return None

    # ------------------------------------------------------------------ changing the tree
    def _attach(self, m: Mount, parent: Mount, at: Inode) -> Mount:
        if not m.mnt_id:
            m.mnt_id = self.ids.mnt_id()
        m.parent, m.mountpoint = parent, at
        self.children[parent, at] = m
        self.mounted_on[at] = m
        self.by_root.setdefault(m.root, m)
        self.mounts.append(m)
        return m

    def mount(
        self,
        fs: FileSystem,
        at: Inode,
        source: str,
        target: str,
        options: tuple[str, ...] = ("rw",),
        *,
        parent: Mount | None = None,
    ) -> Mount:
        """Mount ``fs`` over ``at`` (seen through ``parent``; found from the inode if
        not given), and under each peer of a shared parent.

        Raises:
            Error: ENOTDIR if ``at`` is not a directory.
        """
        if not at.is_dir:
            raise Error(ENOTDIR)
        return self.add(Mount(fs, source, target, options), parent, at)

    def add(self, m: Mount, parent: Mount | None, at: Inode) -> Mount:
        """Put the new mount ``m`` over ``at``, stacked on whatever is there, and
        propagate it to the peers of a shared parent (``m`` becomes shared then, with
        the copies as its peers, as Linux's new mounts under a shared mount)."""
        parent, at = self.top(parent or self.mount_of(at), at)
        if parent.shared and not m.shared:
            m.shared = self.ids.group()
        self._attach(m, parent, at)
        for peer in self.peers(parent):
            ns = self.namespace_of(peer)
            if ns is None or not under(at, peer.root):
                continue
            p, where = ns.top(peer, at)
            copy = m.clone()
            copy.target = m.target
            ns._attach(copy, p, where)
        return m

    def bind(
        self,
        src: Mount,
        inode: Inode,
        parent: Mount,
        at: Inode,
        target: str,
        rec: bool,
        root_path: str | None = None,
        where: tuple[Inode, str] | None = None,
    ) -> Mount:
        """Mount ``inode`` (seen through ``src``) over ``at`` too: a bind mount; with
        ``rec``, the mounts under it come along (``mount --rbind``). For files:
        ``root_path``, ``inode``'s path inside ``src``, and ``where``, the directory
        and name of ``at`` (a directory's are found)."""
        m = src.clone()
        m.mp_dir, m.mp_name = where if where is not None else (None, "")
        m.root_dir = inode
        rel = rel_path(inode, src.root) if root_path is None else root_path.strip("/")
        m.root_path = _join(src.root_path, rel)
        m.target = target
        self.add(m, parent, at)
        if rec:
            self._copy_under(src, inode, m)
        return m

    def _copy_under(self, src: Mount, inode: Inode, into: Mount) -> None:
        for (p, where), child in list(self.children.items()):
            if p is src and under(where, inode):
                copy = child.clone()
                copy.target = _join(into.target, rel_path(where, inode))
                self._attach(copy, into, where)
                self._copy_under(child, child.root, copy)

    def umount(self, m: Mount) -> Mount:
        """Unmount ``m``, and its copies under the peers of a shared parent.

        Raises:
            Error: EINVAL for the root mount or a mount not here, EBUSY if something
                is mounted on it.
        """
        if m is self.root_mount or not any(x is m for x in self.mounts):
            raise Error(EINVAL)
        if any(x.parent is m for x in self.mounts):
            raise Error(EBUSY)
        parent = m.parent
        self._detach(m)
        if parent is not None and m.mountpoint is not None:
            for peer in self.peers(parent):
                ns = self.namespace_of(peer)
                copy = ns.children.get((peer, m.mountpoint)) if ns is not None else None
                if (
                    ns is not None
                    and copy is not None
                    and copy.fs is m.fs
                    and not any(x.parent is copy for x in ns.mounts)
                ):
                    ns._detach(copy)
        return m

    def _detach(self, m: Mount) -> None:
        self.mounts.remove(m)
        if m.parent is not None and m.mountpoint is not None:
            self.children.pop((m.parent, m.mountpoint), None)
            self.ids.unmounted(m.mountpoint)
        if self.by_root.get(m.root) is m:
            del self.by_root[m.root]
            for x in self.mounts:
                if x.root is m.root:
                    self.by_root[m.root] = x
                    break

    def set_propagation(self, m: Mount, shared: bool, rec: bool) -> None:
        """MS_SHARED (a new peer group unless already shared) or MS_PRIVATE, for ``m``
        and with ``rec`` every mount under it."""
        targets = [m]
        if rec:
            targets += [x for x in self.mounts if x is not m and self.below(x, m)]
        for x in targets:
            if shared:
                if not x.shared:
                    x.shared = self.ids.group()
            else:
                x.shared = x.master = 0

    def below(self, x: Mount, m: Mount) -> bool:
        """Is ``x`` mounted somewhere under ``m``?"""
        p = x.parent
        while p is not None:
            if p is m:
                return True
            p = p.parent
        return False

    def copy(self, propagation: str = "unchanged") -> tuple[MountNamespace, dict[Mount, Mount]]:
        """A new namespace with a copy of every mount (peers of the originals if these
        are shared, as CLONE_NEWNS makes them), then made ``private`` or ``shared``
        throughout if asked; and the map from each mount to its copy."""
        new: dict[Mount, Mount] = {}
        root = self.root_mount.clone()
        root.mountpoint = None
        ns = MountNamespace(root, self.table)
        new[self.root_mount] = root
        for m in self.mounts:
            if m is self.root_mount or m.parent is None or m.mountpoint is None:
                continue
            c = m.clone()
            new[m] = c
            ns._attach(c, new[m.parent], m.mountpoint)
        for c in ns.mounts if propagation != "unchanged" else ():
            c.master = 0
            if propagation == "private":
                c.shared = 0
            elif not c.shared:
                c.shared = self.ids.group()
        return ns, new


def under(inode: Inode, ancestor: Inode) -> bool:
    """Is ``inode`` ``ancestor`` or inside it (by directory parents)?"""
    cur: Any = inode
    for _ in range(4096):
        if cur is ancestor:
            return True
        if not isinstance(cur, DirInode) or cur.parent is cur:
            return False
        cur = cur.parent
    return False


def rel_path(inode: Inode, ancestor: Inode) -> str:
    """``inode``'s path below ``ancestor`` (``""`` for the same inode); a file's name
    comes from its directory's entries."""
    names: list[str] = []
    cur: Any = inode
    if not isinstance(cur, DirInode):
        return ""
    while cur is not ancestor and cur.parent is not cur:
        names.append(cur.name)
        cur = cur.parent
    return "/".join(reversed(names))


def _join(base: str, rel: str) -> str:
    if not rel:
        return base
    return base.rstrip("/") + "/" + rel


def namespace(proc: Any, default: MountNamespace) -> MountNamespace:
    """The mount namespace of ``proc`` (``default`` for none)."""
    ns = getattr(proc, "mnt_ns", None)
    return ns if ns is not None else default


def release(proc: Any) -> None:
    """An exiting process stops using its namespace (kernel.exit calls this)."""
    ns = getattr(proc, "mnt_ns", None)
    if ns is not None:
        ns.drop(proc)


def switch_namespace(proc: Any, ns: MountNamespace) -> None:
    """Make ``ns`` the namespace of ``proc``, releasing its old one."""
    old = getattr(proc, "mnt_ns", None)
    proc.mnt_ns = ns
    ns.use(proc)
    if old is not None and old is not ns:
        old.drop(proc)


def enter_copy(proc: Any, ns: MountNamespace, propagation: int = 0) -> MountNamespace:
    """Give ``proc`` a copy of ``ns`` (CLONE_NEWNS), its mounts made private or shared
    by ``propagation`` (MS_PRIVATE, MS_SHARED; 0 keeps them); a chroot'ed root moves
    to the copy of its mount."""
    kind = {MS_PRIVATE: "private", MS_SHARED: "shared"}.get(propagation, "unchanged")
    new, mapping = ns.copy(kind)
    if proc.fs_root is not None:
        m, d = proc.fs_root
        proc.fs_root = (mapping.get(m, new.root_mount), d)
    proc.cwd_mnt = mapping.get(proc.cwd_mnt)
    switch_namespace(proc, new)
    return new
