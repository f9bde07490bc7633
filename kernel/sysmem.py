"""System calls on memory: mmap and friends, brk, memfd, prctl, the MMU view, limits.

Thin handlers: they find the file or process an argument names, check permissions,
and call ``kernel.mm.mmap`` (the address-space surgery), ``kernel.mm.futex`` or the
resource-limit rules here. Errors are Linux's errno values for the same mistakes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EBADF,
    EFAULT,
    EINVAL,
    ENODEV,
    EPERM,
    ESRCH,
    MAP_ANONYMOUS,
    MAP_SHARED,
    MFD_ALLOW_SEALING,
    MFD_CLOEXEC,
    MMU,
    O_ACCMODE,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    PR_GET_NAME,
    PR_SET_NAME,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    RLIM_INFINITY,
    RLIM_NLIMITS,
    RLIMIT_NOFILE,
    RLIMIT_STACK,
    RUSAGE_CHILDREN,
    RUSAGE_SELF,
    RUSAGE_THREAD,
    Error,
    Rusage,
)
from kernel.fs.file import File
from kernel.fs.vfs import FileInode
from kernel.mm import madvise, mremap
from kernel.mm import mmap as vmops
from kernel.proc import ALIVE, ZOMBIE

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc import Process
    from kernel.thread import Thread

MFD_NAME_MAX = 249


def sys_mmap(
    k: Kernel, t: Thread, addr: int, length: int, prot: int, flags: int, fd: int, offset: int
) -> int:
    mm = t.proc.mm
    if flags & MAP_ANONYMOUS:
        return vmops.do_mmap(mm, addr, length, prot, flags)
    f = t.proc.fds.get(fd)
    inode = f.inode
    if not isinstance(inode, FileInode):
        source = getattr(inode, "mmap_cache", None)
        if source is None:
            raise Error(ENODEV)
        return _map_device(mm, t, f, source(t, f), addr, length, prot, flags, offset)
    if f.flags & O_ACCMODE == O_WRONLY:
        raise Error(EACCES)
    return vmops.do_mmap(
        mm,
        addr,
        length,
        prot,
        flags,
        cache=inode.cache,
        inode=inode,
        writable_file=f.flags & O_ACCMODE == O_RDWR,
        pgoff_bytes=offset,
        name=f.path,
        dev=inode.fs.dev,
        ino=inode.ino,
    )


def _map_device(
    mm: Any,
    t: Thread,
    f: Any,
    cache: Any,
    addr: int,
    length: int,
    prot: int,
    flags: int,
    offset: int,
) -> int:
    """mmap of a device's memory (a claimed block device's queue): shared only."""
    if not flags & MAP_SHARED:
        raise Error(EINVAL)
    inode = f.inode
    start = vmops.do_mmap(
        mm,
        addr,
        length,
        prot,
        flags,
        cache=cache,
        inode=inode,
        pgoff_bytes=offset,
        name=f.path,
        dev=inode.fs.dev,
        ino=inode.ino,
    )
    inode.mapped(mm, start, offset // mm.page_size, -(-length // mm.page_size))
    return start


def sys_munmap(k: Kernel, t: Thread, addr: int, length: int) -> int:
    vmops.do_munmap(t.proc.mm, addr, length)
    return 0


def sys_mprotect(k: Kernel, t: Thread, addr: int, length: int, prot: int) -> int:
    vmops.do_mprotect(t.proc.mm, addr, length, prot)
    return 0


def sys_mremap(
    k: Kernel, t: Thread, old_addr: int, old_len: int, new_len: int, flags: int, new_addr: int
) -> int:
    return mremap.do_mremap(t.proc.mm, old_addr, old_len, new_len, flags, new_addr)


def sys_madvise(k: Kernel, t: Thread, addr: int, length: int, advice: int) -> int:
    madvise.do_madvise(t.proc.mm, addr, length, advice)
    return 0


def sys_brk(k: Kernel, t: Thread, addr: int) -> int:
    return vmops.do_brk(t.proc.mm, addr)


def sys_mincore(k: Kernel, t: Thread, addr: int, length: int) -> bytes:
    return madvise.do_mincore(t.proc.mm, addr, length)


def sys_msync(k: Kernel, t: Thread, addr: int, length: int, flags: int) -> int:
    madvise.do_msync(t.proc.mm, addr, length, flags)
    return 0


def shm_fs(k: Kernel) -> Any:
    """The kernel's internal tmpfs that holds memfds (Linux's shm_mnt)."""
    fs = getattr(k, "_shm_fs", None)
    if fs is None:
        from kernel.fs.tmpfs import TmpFS

        fs = k._shm_fs = TmpFS(k._next_dev, k, k.frames, 0o1777)
        k._next_dev += 1
    return fs


def sys_memfd_create(k: Kernel, t: Thread, name: str, flags: int) -> int:
    if name is None:
        raise Error(EINVAL)
    if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING) or len(name.encode()) > MFD_NAME_MAX:
        raise Error(EINVAL)
    proc = t.proc
    inode = FileInode(shm_fs(k), 0o777, proc.cred.euid, proc.cred.egid)
    inode.nlink = 0
    f = File(inode, O_RDWR, f"/memfd:{name} (deleted)")
    inode.open(t, f)
    try:
        return proc.fds.install(f, cloexec=bool(flags & MFD_CLOEXEC))
    except Error:
        f.refs = 1
        f.put()
        raise


def sys_prctl(k: Kernel, t: Thread, option: int, arg2: int, arg3: int, arg4: int, arg5: Any) -> Any:
    if option == PR_SET_VMA:
        if arg2 != PR_SET_VMA_ANON_NAME or arg3 < 0 or arg4 < 0:
            raise Error(EINVAL)
        if arg5 is not None and type(arg5) is not str:
            raise Error(EINVAL)
        madvise.set_anon_name(t.proc.mm, arg3, arg4, arg5)
        return 0
    if option == PR_SET_NAME:
        if type(arg5) is not str:
            raise Error(EINVAL)
        name = arg5[:15]
        if t.is_main:
            t.proc.comm = name
        t.name = name
        return 0
    if option == PR_GET_NAME:
        return (t.name if not t.is_main else t.proc.comm) or t.proc.comm
    raise Error(EINVAL)


def sys_mmu(k: Kernel, t: Thread) -> MMU:
    return t.proc.mm.view


# ------------------------------------------------------------------ resource limits
NR_OPEN = 1024 * 1024  # /proc/sys/fs/nr_open: no RLIMIT_NOFILE may be set above it


def _check_resource(resource: int) -> None:
    if not 0 <= resource < RLIM_NLIMITS:
        raise Error(EINVAL)


def set_limit(
    k: Kernel, caller: Process, target: Process, resource: int, soft: int, hard: int
) -> None:
    """Apply a new limit as Linux's do_prlimit does.

    Checked in Linux's order: the resource, soft <= hard, RLIMIT_NOFILE's hard limit
    against the system's maximum (``fs.nr_open``), then raising a hard limit, which
    takes root (CAP_SYS_RESOURCE). A new RLIMIT_NOFILE takes effect on the next
    descriptor allocated (open ones stay open), a new RLIMIT_STACK on the next stack
    growth.

    Raises:
        Error: EINVAL (unknown resource, soft above hard, a value that is not an
            unsigned 64-bit number), EPERM (NOFILE above the maximum, raising a hard
            limit without root).
    """
    _check_resource(resource)
    if not 0 <= soft <= RLIM_INFINITY or not 0 <= hard <= RLIM_INFINITY or soft > hard:
        raise Error(EINVAL)
    if resource == RLIMIT_NOFILE and hard > NR_OPEN:
        raise Error(EPERM)
    if hard > target.rlimits[resource][1] and not caller.cred.is_root:
        raise Error(EPERM)
    target.rlimits[resource] = [soft, hard]
    if resource == RLIMIT_NOFILE:
        target.fds.limit = soft
    elif resource == RLIMIT_STACK:
        target.mm.stack_limit = min(soft, 1 << 40)


def sys_getrlimit(k: Kernel, t: Thread, resource: int) -> tuple[int, int]:
    _check_resource(resource)
    soft, hard = t.proc.rlimits[resource]
    return (soft, hard)


def sys_setrlimit(k: Kernel, t: Thread, resource: int, soft: int, hard: int) -> int:
    set_limit(k, t.proc, t.proc, resource, soft, hard)
    return 0


def _prlimit_target(k: Kernel, caller: Process, pid: int) -> Process:
    """The process prlimit names (0: the caller; a thread id names its process), if
    the caller may change its limits: the caller's real ids must match the target's
    real and effective ids (Linux's check_prlimit_permission), or be root's.

    Raises:
        Error: ESRCH (no such process), EPERM.
    """
    if pid == 0:
        return caller
    thread = k.procs.threads.get(pid) if pid > 0 else None
    target = thread.proc if thread is not None else None
    if target is None or target.state not in (ALIVE, ZOMBIE):
        raise Error(ESRCH)
    if target is not caller:
        c, tc = caller.cred, target.cred
        same = c.uid == tc.uid == tc.euid and c.gid == tc.gid == tc.egid
        if not same and not c.is_root:
            raise Error(EPERM)
    return target


def sys_prlimit(k: Kernel, t: Thread, pid: int, resource: int, new: Any) -> tuple[int, int]:
    # Linux's order: read the new limits (EFAULT), find the process (ESRCH), check
    # permission (EPERM), then the resource and values (EINVAL).
    if new is not None and (
        not isinstance(new, tuple | list) or len(new) != 2 or not all(type(x) is int for x in new)
    ):
        raise Error(EFAULT)
    caller = t.proc
    target = _prlimit_target(k, caller, pid)
    _check_resource(resource)
    soft, hard = target.rlimits[resource]
    if new is not None:
        set_limit(k, caller, target, resource, new[0], new[1])
    return (soft, hard)


def sys_getrusage(k: Kernel, t: Thread, who: int) -> Rusage:
    proc = t.proc
    kb = k.frames.page_size // 1024
    if who == RUSAGE_SELF:
        threads = proc.threads
        return Rusage(
            proc.utime + sum(x.utime for x in threads),
            proc.stime + sum(x.stime for x in threads),
            proc.mm.hiwater_rss * kb,
            proc.mm.minflt,
            proc.mm.majflt,
            proc.nvcsw + sum(x.nvcsw for x in threads),
            proc.nivcsw + sum(x.nivcsw for x in threads),
        )
    if who == RUSAGE_CHILDREN:
        return Rusage(
            proc.cutime,
            proc.cstime,
            proc.cmaxrss,
            proc.cminflt,
            proc.cmajflt,
            proc.cnvcsw,
            proc.cnivcsw,
        )
    if who == RUSAGE_THREAD:
        return Rusage(t.utime, t.stime, proc.mm.hiwater_rss * kb, 0, 0, t.nvcsw, t.nivcsw)
    raise Error(EINVAL)


__all__ = [name for name in dir() if name.startswith("sys_")] + ["set_limit", "shm_fs"]
del O_RDONLY, EBADF
