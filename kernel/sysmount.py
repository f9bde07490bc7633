"""System calls on mounts: mount (new mounts, bind mounts, propagation), umount, statfs.

Each works in the caller's mount namespace (``Process.mnt_ns``, reached through the
path walk); ``kernel.sysns`` has unshare, setns and chroot. Only root mounts and
unmounts (EPERM otherwise, as Linux without user namespaces).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    EBUSY,
    EINVAL,
    ENODEV,
    ENOTDIR,
    EPERM,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_SHARED,
    Error,
    StatFs,
)
from kernel.fs.fsinit import make_fs
from kernel.fs.mount import Mount, MountNamespace, rel_path
from kernel.fs.tmpfs import TmpFS
from kernel.fs.vfs import PathWalk
from kernel.proc import Cred
from kernel.sysfile import walker

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

#: mount(2)'s type names (and the names images use) -> make_fs's.
FSTYPES = {
    "tmpfs": "tmpfs",
    "proc": "procfs",
    "procfs": "procfs",
    "devtmpfs": "devfs",
    "devfs": "devfs",  # (the name machine images use)
    "sysfs": "sysfs",
}


def _options(flags: int, data: str | None) -> tuple[str, ...]:
    opts = ["ro" if flags & MS_RDONLY else "rw"]
    for bit, name in ((MS_NOSUID, "nosuid"), (MS_NODEV, "nodev"), (MS_NOEXEC, "noexec")):
        if flags & bit:
            opts.append(name)
    for item in (data or "").split(","):
        item = item.strip()
        if item and item not in opts and item not in ("rw", "ro"):
            opts.append(item)
    return tuple(opts)


def ns_path(ns: MountNamespace, mnt: Mount, inode: object) -> str:
    """The path of (mnt, inode) from the namespace's root (a Mount's ``target``)."""
    return PathWalk(ns, Cred(), ns.root).path_of(inode, mnt)  # type: ignore[arg-type]


def sys_mount(
    k: Kernel,
    t: Thread,
    source: str | None,
    target: str,
    fstype: str | None,
    flags: int,
    data: str | None,
) -> int:
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    walk = walker(k, t)
    ns = walk.ns
    if flags & (MS_SHARED | MS_PRIVATE):
        if flags & MS_SHARED and flags & MS_PRIVATE:
            raise Error(EINVAL)
        mnt, at = walk.resolve_mount(target)
        if at is not mnt.root:
            raise Error(EINVAL)  # not a mount point
        ns.set_propagation(mnt, bool(flags & MS_SHARED), bool(flags & MS_REC))
        return 0
    if flags & MS_BIND:
        return _bind(k, t, walk, source, target, flags)
    kind = FSTYPES.get(fstype or "")
    if kind is None:
        raise Error(ENODEV)
    mnt, at = walk.resolve_mount(target)
    if not at.is_dir:
        raise Error(ENOTDIR)
    fs = make_fs(k, kind)
    if isinstance(fs, TmpFS):
        for item in (data or "").split(","):
            name, _, value = item.partition("=")
            if name.strip() == "mode":
                try:
                    fs.root.mode = (fs.root.mode & ~0o7777) | (int(value, 8) & 0o7777)
                except ValueError:
                    raise Error(EINVAL)
    path = ns_path(ns, mnt, at)
    ns.add(Mount(fs, source or "none", path, _options(flags, data)), mnt, at)
    k.log(f"mount: {fs.fstype} on {path} by pid {t.proc.pid}")
    return 0


def _bind(k: Kernel, t: Thread, walk: PathWalk, source: str | None, target: str, flags: int) -> int:
    """mount(2) with MS_BIND: ``source`` (a directory or file) shown at ``target`` too."""
    if not source:
        raise Error(EINVAL)
    smnt, inode = walk.resolve_mount(source)
    mnt, at = walk.resolve_mount(target)
    if inode.is_dir != at.is_dir:
        raise Error(ENOTDIR)
    root_path = None
    if not inode.is_dir:  # a file: its path inside the source mount, by its directory
        root_path = ""
        if inode is not smnt.root:
            parent, name = walk.resolve_parent(source)
            rel = rel_path(parent, smnt.root)
            root_path = (rel + "/" if rel else "") + name
    where = None
    if at.is_dir:
        path = ns_path(walk.ns, mnt, at)
    else:  # a file: named by its directory
        where = walk.resolve_parent(target)
        path = ns_path(walk.ns, walk.ns.mount_of(where[0]), where[0]).rstrip("/")
        path += "/" + where[1]
    walk.ns.bind(smnt, inode, mnt, at, path, bool(flags & MS_REC), root_path, where)
    k.log(f"mount: bind {source} on {path} by pid {t.proc.pid}")
    return 0


def _busy(k: Kernel, ns: MountNamespace, m: Mount) -> bool:
    """Whether a process works in ``m`` (its working directory or root entered through
    it) or, when ``m`` is its file system's only mount here, uses the file system at all
    (open files do not record the mount they were opened through)."""
    fs = m.fs
    only = sum(1 for x in ns.mounts if x.fs is fs) == 1
    for proc in k.procs.procs.values():
        if proc.mnt_ns is not ns and not (proc.mnt_ns is None and ns is k.root_ns):
            continue
        if proc.cwd_mnt is m or (proc.fs_root is not None and proc.fs_root[0] is m):
            return True
        if only and proc.cwd.fs is fs:
            return True
        if only and any(f.inode.fs is fs for f in proc.fds.files.values()):
            return True
    return False


def sys_umount(k: Kernel, t: Thread, target: str) -> int:
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    walk = walker(k, t)
    ns = walk.ns
    m, root = walk.resolve_mount(target)
    if root is not m.root or m is ns.root_mount or m is walk.root_mnt:
        raise Error(EINVAL)
    if _busy(k, ns, m):
        raise Error(EBUSY)
    ns.umount(m)
    k.log(f"umount: {m.fs.fstype} from {m.target}")
    return 0


def sys_statfs(k: Kernel, t: Thread, path: str) -> StatFs:
    fs = walker(k, t).resolve(path).fs
    if isinstance(fs, TmpFS) and fs.frames is not None:
        frames = fs.frames
        free = frames.free
        used_inodes = fs._next_ino - 1
        return StatFs(
            fs.fstype,
            frames.page_size,
            fs.pages + free,
            free,
            free,
            used_inodes + free,
            free,
        )
    return StatFs(fs.fstype, 4096, 0, 0, 0, 0, 0)
