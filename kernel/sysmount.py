"""System calls on mounts: mount, umount, statfs.

Every process shares the machine's one mount namespace for now (``k.root_ns``); the
calls take it from the walk so that per-process namespaces (``unshare -m``) change
nothing here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import EBUSY, EINVAL, ENODEV, ENOTDIR, EPERM, Error, StatFs
from kernel.fs.fsinit import make_fs
from kernel.fs.tmpfs import TmpFS
from kernel.fs.vfs import FileSystem
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
    opts = ["ro" if flags & 1 else "rw"]
    for item in (data or "").split(","):
        item = item.strip()
        if item and item not in ("rw", "ro"):
            opts.append(item)
    return tuple(opts)


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
    kind = FSTYPES.get(fstype or "")
    if kind is None:
        raise Error(ENODEV)
    walk = walker(k, t)
    at = walk.resolve(target)
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
    path = walk.path_of(at)
    k.root_ns.mount(fs, at, source or "none", path, _options(flags, data))
    k.log(f"mount: {fs.fstype} on {path} by pid {t.proc.pid}")
    return 0


def _busy(k: Kernel, fs: FileSystem) -> bool:
    for proc in k.procs.procs.values():
        if proc.cwd.fs is fs:
            return True
        if any(f.inode.fs is fs for f in proc.fds.files.values()):
            return True
    return False


def sys_umount(k: Kernel, t: Thread, target: str) -> int:
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    root = walker(k, t).resolve(target)
    ns = k.root_ns
    m = ns.by_root.get(root)
    if m is None or m is ns.root_mount:
        raise Error(EINVAL)
    if _busy(k, m.fs):
        raise Error(EBUSY)
    ns.umount(root)
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
