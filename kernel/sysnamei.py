"""System calls on names: mkdir, mknod, rmdir, unlink, rename, link, symlink, readlink, and
the working directory (chdir, fchdir, getcwd) — Linux's fs/namei.c and the cwd calls.

Thin handlers over the VFS, like ``kernel.sysfile``'s: resolve the parent directory
for the caller, check permissions, change the directory's entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    EBUSY,
    EEXIST,
    EINVAL,
    EISDIR,
    ENOENT,
    ENOTDIR,
    ENOTEMPTY,
    EPERM,
    EXDEV,
    S_IFBLK,
    S_IFCHR,
    S_IFIFO,
    S_IFMT,
    S_IFREG,
    Error,
)
from kernel.fs.vfs import DirInode, Inode, PathWalk, may_delete, require
from kernel.sysfile import walker

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread


# ------------------------------------------------------------------ names


def _parent(k: Kernel, t: Thread, path: str) -> tuple[DirInode, str, PathWalk]:
    walk = walker(k, t)
    parent, name = walk.resolve_parent(path.rstrip("/") or "/")
    return parent, name, walk


def sys_mkdir(k: Kernel, t: Thread, path: str, mode: int) -> int:
    parent, name, _ = _parent(k, t, path)
    if name in (".", ".."):
        raise Error(EEXIST)
    if name in parent.children:
        raise Error(EEXIST)
    cred = t.proc.cred
    require(parent, cred, 3)
    parent.make_child("dir", name, mode & ~t.proc.umask & 0o7777, cred.euid, cred.egid)
    return 0


def sys_mknod(k: Kernel, t: Thread, path: str, mode: int, dev: int) -> int:
    """mknod(2): a FIFO (``S_IFIFO``), a regular file (``S_IFREG`` or no type), or, for
    root, a character or block device node numbered ``dev`` (``major << 8 | minor``):
    it reaches the driver of the device with that number, or fails to open with ENXIO
    when there is none, as on Linux."""
    kind = mode & S_IFMT
    if kind not in (0, S_IFREG, S_IFIFO, S_IFCHR, S_IFBLK):
        raise Error(EPERM if kind == 0o040000 else EINVAL)  # (directories: mkdir)
    parent, name, _ = _parent(k, t, path)
    if name in (".", "..") or name in parent.children:
        raise Error(EEXIST)
    cred = t.proc.cred
    if kind in (S_IFCHR, S_IFBLK) and cred.euid != 0:
        raise Error(EPERM)
    require(parent, cred, 3)
    perm = mode & ~t.proc.umask & 0o7777
    if kind == S_IFIFO:
        parent.make_child("fifo", name, perm, cred.euid, cred.egid)
    elif kind in (0, S_IFREG):
        parent.make_child("file", name, perm, cred.euid, cred.egid)
    else:
        from kernel.fs.devfs import device_node

        parent.check_new(name)
        parent.add(name, device_node(k, parent.fs, kind, dev, perm, cred.euid, cred.egid))
    return 0


def sys_rmdir(k: Kernel, t: Thread, path: str) -> int:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last == ".":
        raise Error(EINVAL)
    if last == "..":
        raise Error(ENOTEMPTY)
    parent, name, walk = _parent(k, t, path)
    if name == ".":
        raise Error(EINVAL)
    if name == "..":
        raise Error(ENOTEMPTY)
    victim = parent.lookup(name)
    if not victim.is_dir:
        raise Error(ENOTDIR)
    if victim in k.root_ns.mounted_on or victim is k.root_ns.root:
        raise Error(EBUSY)
    may_delete(parent, victim, t.proc.cred)
    victim.check_empty()  # type: ignore[attr-defined]
    parent.remove(name)
    return 0


def sys_unlink(k: Kernel, t: Thread, path: str) -> int:
    parent, name, _ = _parent(k, t, path)
    if path.endswith("/"):
        raise Error(ENOTDIR if not parent.lookup(name).is_dir else EISDIR)
    victim = parent.lookup(name)
    if victim.is_dir:
        raise Error(EISDIR)
    may_delete(parent, victim, t.proc.cred)
    parent.remove(name)
    return 0


def sys_rename(k: Kernel, t: Thread, old: str, new: str) -> int:
    oparent, oname, walk = _parent(k, t, old)
    nparent, nname, _ = _parent(k, t, new)
    if oname in (".", "..") or nname in (".", ".."):
        raise Error(EINVAL if oname == "." or nname == "." else EBUSY)
    src = oparent.lookup(oname)
    cred = t.proc.cred
    may_delete(oparent, src, cred)
    require(nparent, cred, 3)
    if src.fs is not nparent.fs:
        raise Error(EXDEV)
    oparent.check_rename()
    nparent.check_rename()
    if src.is_dir:
        anc: Inode = nparent
        while True:
            if anc is src:
                raise Error(EINVAL)
            up = k.root_ns.parent_of(anc)
            if up is anc:
                break
            anc = up
    existing = nparent.children.get(nname)
    if existing is src:
        return 0
    if existing is not None:
        if existing.is_dir and not src.is_dir:
            raise Error(EISDIR)
        if src.is_dir and not existing.is_dir:
            raise Error(ENOTDIR)
        if existing.is_dir:
            existing.check_empty()  # type: ignore[attr-defined]
            if existing in k.root_ns.mounted_on:
                raise Error(EBUSY)
        may_delete(nparent, existing, cred)
        nparent.remove(nname)
    if src in k.root_ns.mounted_on:
        raise Error(EBUSY)
    del oparent.children[oname]
    if src.is_dir:
        oparent.nlink -= 1
    oparent.touch()
    if src.is_dir:
        nparent.add(nname, src)
    else:
        nparent.check_new(nname)
        nparent.children[nname] = src
        nparent.touch()
    src.ctime = k.now()
    return 0


def sys_link(k: Kernel, t: Thread, old: str, new: str) -> int:
    walk = walker(k, t)
    src = walk.resolve(old, follow=False)
    if src.is_dir:
        raise Error(EPERM)
    parent, name = walk.resolve_parent(new)
    if src.fs is not parent.fs:
        raise Error(EXDEV)
    require(parent, t.proc.cred, 3)
    parent.check_new(name)
    parent.children[name] = src
    src.nlink += 1
    src.ctime = k.now()
    parent.touch()
    return 0


def sys_symlink(k: Kernel, t: Thread, target: str, linkpath: str) -> int:
    parent, name, _ = _parent(k, t, linkpath)
    if not target:
        raise Error(ENOENT)
    cred = t.proc.cred
    require(parent, cred, 3)
    parent.make_child("symlink", name, 0o777, cred.euid, cred.egid, target=target)
    return 0


def sys_readlink(k: Kernel, t: Thread, path: str) -> str:
    return walker(k, t).resolve(path, follow=False).readlink_for(t.proc)


def sys_chdir(k: Kernel, t: Thread, path: str) -> int:
    mnt, inode = walker(k, t).resolve_mount(path)
    if not inode.is_dir:
        raise Error(ENOTDIR)
    require(inode, t.proc.cred, 1)
    t.proc.chdir(inode, mnt)  # the mount too: a bind mount's path is its own
    return 0


def sys_fchdir(k: Kernel, t: Thread, fd: int) -> int:
    inode = t.proc.fds.get(fd).inode
    if not inode.is_dir:
        raise Error(ENOTDIR)
    require(inode, t.proc.cred, 1)
    t.proc.chdir(inode, None)  # (an open file keeps no mount here)
    return 0


def sys_getcwd(k: Kernel, t: Thread) -> str:
    walk = walker(k, t)
    return walk.path_of(walk.cwd, walk.cwd_mount())
