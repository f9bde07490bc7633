"""System calls on a process's view of the file tree: unshare, setns, chroot.

``unshare(CLONE_NEWNS)`` gives the caller a copy of its mount namespace; ``setns(fd,
nstype)`` moves it into the namespace of a descriptor open on /proc/<pid>/ns/mnt (its
root and working directory become that namespace's root, as on Linux); ``chroot(path)``
makes a directory the root of its path walks and of its children's (``..`` there stays
there). All three are root's only: EPERM otherwise, as Linux without user namespaces
(CAP_SYS_ADMIN, CAP_SYS_CHROOT). The namespaces themselves are ``kernel.fs.mount``'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import CLONE_NEWNS, EINVAL, ENOTDIR, EPERM, Error
from kernel.fs.mount import enter_copy, namespace, switch_namespace
from kernel.sysfile import walker

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread


def sys_unshare(k: Kernel, t: Thread, flags: int) -> int:
    proc = t.proc
    if flags & ~CLONE_NEWNS:
        raise Error(EINVAL)
    if not flags:
        return 0
    if not proc.cred.is_root:
        raise Error(EPERM)
    ns = namespace(proc, k.root_ns)
    ns.ids.sweep()
    new = enter_copy(proc, ns)
    k.log(f"unshare: pid {proc.pid} in mnt:[{new.ino}]")
    return 0


def sys_setns(k: Kernel, t: Thread, fd: int, nstype: int) -> int:
    proc = t.proc
    f = proc.fds.get(fd)
    if nstype not in (0, CLONE_NEWNS):
        raise Error(EINVAL)
    ns = getattr(f.inode, "mnt_ns", None)
    if ns is None or ns.freed:
        raise Error(EINVAL)  # not a mount namespace's file (or its processes are gone)
    if not proc.cred.is_root:
        raise Error(EPERM)
    switch_namespace(proc, ns)
    proc.chroot(None)
    proc.chdir(ns.root, ns.root_mount)
    return 0


def sys_chroot(k: Kernel, t: Thread, path: str) -> int:
    walk = walker(k, t)
    mnt, directory = walk.resolve_mount(path)
    if not directory.is_dir:
        raise Error(ENOTDIR)
    if not t.proc.cred.is_root:
        raise Error(EPERM)
    t.proc.chroot((mnt, directory))
    return 0
