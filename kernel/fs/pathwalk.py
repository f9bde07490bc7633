"""The path walk: from a path to an inode, for one caller.

A walk resolves paths in its caller's mount namespace, from its root directory (the
namespace's, or the one chroot(2) set) and working directory, with its credentials'
search permission on each directory. It follows (mount, inode) pairs, crossing mount
points downwards (the namespace's ``children``) and upwards (each mount's parent), so
``..`` at the root of a bind mount leads to where that mount is mounted, and ``..`` at
the caller's root stays there. ``kernel.fs.vfs`` re-exports :class:`PathWalk`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import EEXIST, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, Error
from kernel.fs.vfs import MAX_SYMLINKS, NAME_MAX, PATH_MAX, DirInode, Inode, require

if TYPE_CHECKING:
    from kernel.fs.mount import MountNamespace
    from kernel.proc import Cred


class PathWalk:
    """Resolves paths for one caller: its mount namespace, root, credentials, working dir.

    A walk made for a process (``proc``) always uses the process's own mount namespace
    and root directory (``chroot``), whatever ``ns`` says; ``ns`` serves callers that
    are no process (the host, boot). Inside, the walk follows (mount, inode) pairs, so
    that ``..`` at the root of a bind mount leads to where that mount is mounted.
    """

    __slots__ = ("ns", "cred", "cwd", "proc", "root", "root_mnt", "cwd_mnt")

    def __init__(
        self, ns: MountNamespace, cred: Cred, cwd: Inode, proc: Any = None, cwd_mnt: Any = None
    ) -> None:
        own = getattr(proc, "mnt_ns", None)
        self.ns = own if own is not None else ns
        self.cred = cred
        self.cwd = cwd
        self.proc = proc
        if cwd_mnt is None and proc is not None and cwd is getattr(proc, "cwd", None):
            cwd_mnt = getattr(proc, "cwd_mnt", None)
        self.cwd_mnt = cwd_mnt  # the mount the working directory was reached through
        fs_root = getattr(proc, "fs_root", None)
        if fs_root is not None:
            self.root_mnt, self.root = fs_root
        else:
            self.root_mnt, self.root = self.ns.root_mount, self.ns.root

    def resolve(self, path: str, *, follow: bool = True) -> Inode:
        """The inode a path names.

        Raises:
            Error: ENOENT, ENOTDIR, EACCES, ELOOP, ENAMETOOLONG.
        """
        return self.resolve_mount(path, follow=follow)[1]

    def resolve_mount(self, path: str, *, follow: bool = True) -> tuple[Any, Inode]:
        """The (mount, inode) pair a path names (mount(2) needs both).

        Raises:
            Error: as :meth:`resolve`.
        """
        mnt, parent, name, must_dir = self._walk(path)
        if name is None:
            return mnt, parent
        cmnt, inode = self._child(mnt, parent, name)
        if inode.is_symlink and (follow or must_dir):
            cmnt, inode = self._follow(mnt, parent, inode, [0])
        if must_dir and not inode.is_dir:
            raise Error(ENOTDIR)
        return cmnt, inode

    def resolve_parent(self, path: str) -> tuple[DirInode, str]:
        """The directory that would hold the last component, and that component.

        ``.`` and ``..`` as the last component (or ``/``) give EINVAL-free results the
        caller must refuse for creation (they return EEXIST there, as Linux does).
        """
        _, parent, name, _ = self._walk(path)
        if name is None:
            raise Error(EEXIST)
        return parent, name  # type: ignore[return-value]

    def _walk(self, path: str) -> tuple[Any, Any, str | None, bool]:
        if not path:
            raise Error(ENOENT)
        if len(path) >= PATH_MAX:
            raise Error(ENAMETOOLONG)
        must_dir = path.endswith("/")
        if path[0] == "/":
            mnt, cur = self.root_mnt, self.root
        else:
            cur = self.cwd
            mnt = self.cwd_mount()
        parts = [p for p in path.split("/") if p and p != "."]
        if not parts:
            return mnt, cur, None, must_dir
        if parts[-1] == "..":
            mnt, cur = self._descend(mnt, cur, parts, [0])
            return mnt, cur, None, must_dir
        mnt, cur = self._descend(mnt, cur, parts[:-1], [0])
        if not cur.is_dir:
            raise Error(ENOTDIR)
        require(cur, self.cred, 1)
        return mnt, cur, parts[-1], must_dir

    def cwd_mount(self) -> Any:
        """The mount of the working directory: the one it was entered through while
        that mount is in this namespace (a bind mount's directory keeps its own path),
        else the first that shows it."""
        mnt = self.cwd_mnt
        if mnt is not None and mnt in self.ns.mounts:
            return mnt
        return self.ns.mount_of(self.cwd)

    def _descend(
        self, mnt: Any, cur: Inode, parts: list[str], links: list[int]
    ) -> tuple[Any, Inode]:
        for name in parts:
            if not cur.is_dir:
                raise Error(ENOTDIR)
            require(cur, self.cred, 1)
            if name == "..":
                mnt, cur = self._up(mnt, cur)
                continue
            nmnt, nxt = self._child(mnt, cur, name)
            if nxt.is_symlink:
                nmnt, nxt = self._follow(mnt, cur, nxt, links)
            mnt, cur = nmnt, nxt
        return mnt, cur

    def _up(self, mnt: Any, cur: Inode) -> tuple[Any, Inode]:
        """``..``: stays at the root (the process's, after chroot), climbs out of a
        mount at its root to where it is mounted."""
        while True:
            if cur is self.root:
                return mnt, cur
            if cur is mnt.root:
                if mnt.parent is None or mnt.mountpoint is None:
                    return mnt, cur
                mnt, cur = mnt.parent, mnt.mountpoint
                continue
            if isinstance(cur, DirInode):
                return mnt, cur.parent
            return mnt, cur

    def _child(self, mnt: Any, directory: Inode, name: str) -> tuple[Any, Inode]:
        if len(name) > NAME_MAX:
            raise Error(ENAMETOOLONG)
        if directory.remote:  # a served directory: the server answers, as the caller
            proc = self.proc
            inode = directory.lookup_as(self.cred, proc.pid if proc is not None else 0, name)
        else:
            inode = directory.lookup(name)
        children = self.ns.children
        while (mnt, inode) in children:
            mnt = children[mnt, inode]
            inode = mnt.root
        return mnt, inode

    def _follow(
        self, mnt: Any, directory: Inode, link: Inode, links: list[int]
    ) -> tuple[Any, Inode]:
        links[0] += 1
        if links[0] > MAX_SYMLINKS:
            raise Error(ELOOP)
        magic = link.follow_for(self.proc)
        if magic is not None:
            return self.ns.mount_of(magic), magic
        target = link.readlink_for(self.proc)
        if not target:
            raise Error(ENOENT)
        if target.startswith("/"):
            mnt, start = self.root_mnt, self.root
        else:
            start = directory
        parts = [p for p in target.split("/") if p and p != "."]
        return self._descend(mnt, start, parts, links) if parts else (mnt, start)

    def path_of(self, inode: Inode, mnt: Any = None) -> str:
        """The absolute path of a directory (seen through ``mnt``, found if not given)
        from this walk's root; ``(unreachable)/…`` when it is not below the root."""
        path = self.path_in(inode, mnt)
        if path is not None:
            return path
        cur: Any = inode
        names: list[str] = []
        while isinstance(cur, DirInode) and cur.parent is not cur and len(names) < 4096:
            names.append(cur.name)
            cur = cur.parent
        return "(unreachable)/" + "/".join(reversed(names))

    def path_in(self, inode: Inode, mnt: Any = None) -> str | None:
        """The path of (``mnt``, ``inode``) from this walk's root, None if it is not
        below the root (another chroot's, a mount out of sight)."""
        if mnt is None:
            mnt = self.ns.mount_of(inode)
        names: list[str] = []
        cur: Any = inode
        for _ in range(4096):
            if cur is self.root:
                return "/" + "/".join(reversed(names))
            if cur is mnt.root:
                if mnt.parent is None or mnt.mountpoint is None:
                    return None
                if mnt.mp_dir is not None:  # a file mount point: its directory and name
                    names.append(mnt.mp_name)
                    mnt, cur = mnt.parent, mnt.mp_dir
                    continue
                mnt, cur = mnt.parent, mnt.mountpoint
                continue
            if not isinstance(cur, DirInode) or cur.parent is cur:
                return None
            names.append(cur.name)
            cur = cur.parent
        return None
