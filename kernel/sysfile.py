"""System calls on files: open, read, write, descriptors, attributes (names and the
working directory are in ``kernel.sysnamei``).

Thin handlers over the VFS (``kernel.fs``): resolve the path for the caller, check
permissions, call the inode. Blocking calls (read, write) are generators that yield a
Sleep when the file would block, and are resumed when woken.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EAGAIN,
    EBADF,
    EEXIST,
    EINVAL,
    EISDIR,
    ELOOP,
    ENOENT,
    ENOTDIR,
    EPERM,
    ESPIPE,
    F_DUPFD,
    F_GETFD,
    F_GETFL,
    F_SETFD,
    F_SETFL,
    FD_CLOEXEC,
    O_ACCMODE,
    O_APPEND,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECTORY,
    O_EXCL,
    O_NOFOLLOW,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
    UTIME_NOW,
    UTIME_OMIT,
    Dirent,
    Error,
    Stat,
)
from kernel.fs.devfs import open_ctty
from kernel.fs.file import File
from kernel.fs.pipe import FifoInode, PipeInode
from kernel.fs.vfs import DirInode, Inode, PathWalk, WouldBlock, permitted, require
from kernel.writeloop import write_loop

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.thread import Thread

MAX_IO = 1 << 20
DIRENT_BATCH = 1024


def walker(k: Kernel, t: Thread) -> PathWalk:
    """A path walk for the calling thread's process."""
    proc = t.proc
    return PathWalk(k.root_ns, proc.cred, proc.cwd, proc)


def absolute(walk: PathWalk, path: str) -> str:
    """``path`` made absolute and lexically normalised (for /proc/<pid>/fd and getcwd)."""
    if not path.startswith("/"):
        path = walk.path_of(walk.cwd).rstrip("/") + "/" + path
    out: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
        else:
            out.append(part)
    return "/" + "/".join(out)


def open_file(
    k: Kernel,
    t: Thread | None,
    walk: PathWalk,
    path: str,
    flags: int,
    mode: int,
    umask: int,
    _links: int = 0,
) -> File:
    """Open ``path`` as open(2) does, returning a new open file description.

    Raises:
        Error: ENOENT, EEXIST, EISDIR, ENOTDIR, EACCES, ELOOP, ...
    """
    acc = flags & O_ACCMODE
    if acc == O_ACCMODE:
        raise Error(EINVAL)
    cred = walk.cred
    inode: Inode
    if flags & O_CREAT:
        if path.endswith("/"):
            raise Error(EISDIR)
        parent, name = walk.resolve_parent(path)
        try:
            inode = walk.resolve(path, follow=not flags & (O_EXCL | O_NOFOLLOW))
        except Error as err:
            if err.errno != ENOENT:
                raise
            dangling = parent.children.get(name) if isinstance(parent, DirInode) else None
            if dangling is not None and dangling.is_symlink and not flags & (O_EXCL | O_NOFOLLOW):
                # O_CREAT through a dangling symlink creates its target, as on Linux.
                if _links >= 40:
                    raise Error(ELOOP) from None
                target = dangling.readlink_for(walk.proc)
                if not target.startswith("/"):  # relative to the link's directory
                    head, slash, _ = path.rstrip("/").rpartition("/")
                    if slash:
                        target = f"{head}/{target}"
                return open_file(k, t, walk, target, flags, mode, umask, _links + 1)
            require(parent, cred, 3)
            if name in ("..", "."):
                raise Error(EISDIR) from None
            inode = parent.make_child("file", name, mode & ~umask & 0o7777, cred.euid, cred.egid)
        else:
            if flags & O_EXCL:
                raise Error(EEXIST)
    else:
        inode = walk.resolve(path, follow=not flags & O_NOFOLLOW)
    if inode.is_symlink and flags & O_NOFOLLOW:
        raise Error(ELOOP)
    if getattr(inode, "ctty_alias", False):
        inode = open_ctty(t)
    if inode.is_dir:
        if acc != O_RDONLY or flags & O_TRUNC:
            raise Error(EISDIR)
    elif flags & O_DIRECTORY:
        raise Error(ENOTDIR)
    want = (4 if acc in (O_RDONLY, O_RDWR) else 0) | (2 if acc in (O_WRONLY, O_RDWR) else 0)
    if not permitted(inode, cred, want):
        raise Error(EACCES)
    if flags & O_TRUNC and acc != O_RDONLY and not inode.is_dir:
        try:
            inode.truncate(0)
        except Error as err:
            if err.errno != EINVAL:
                raise
    f = File(inode, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC), absolute(walk, path))
    f.cred = cred
    f.opener = walk.proc.pid if walk.proc is not None else 0
    inode.open(t, f)
    return f


# ------------------------------------------------------------------ descriptors


def sys_open(k: Kernel, t: Thread, path: str, flags: int, mode: int) -> Any:
    proc = t.proc
    if proc.tables is not None:  # a served file table (kernel.systable, man 7 objects)
        from kernel.syscall import until_answered
        from kernel.systable import open_through

        fd = yield from open_through(k, t, path, flags, mode)
        if fd is not None:
            return fd
        # (it slept for the table's server: a walk that must wait for another server
        # waits here, the call cannot start over from its entry)
        f = yield from until_answered(open_file, k, t, walker(k, t), path, flags, mode, proc.umask)
    else:
        f = open_file(k, t, walker(k, t), path, flags, mode, proc.umask)
    wait_open = getattr(f.inode, "wait_open", None)
    if wait_open is not None:  # a FIFO's other end, a served path's server
        try:
            yield from wait_open(f)
        except BaseException:
            f.refs = 1
            f.put()
            raise
    return _install(proc, f, flags)


def open_nowait(k: Kernel, t: Thread, path: str, flags: int, mode: int) -> int:
    """open(2) for a caller that cannot wait (a ring's open): a FIFO opens as with
    O_NONBLOCK (a writer with no reader: ENXIO)."""
    proc = t.proc
    f = open_file(k, t, walker(k, t), path, flags, mode, proc.umask)
    if isinstance(f.inode, FifoInode):
        try:
            f.inode.open_now(f)
        except Error:
            f.refs = 1
            f.put()
            raise
    return _install(proc, f, flags)


def _install(proc: Any, f: File, flags: int) -> int:
    try:
        return proc.fds.install(f, cloexec=bool(flags & O_CLOEXEC))
    except Error:
        f.refs = 1
        f.put()
        raise


def sys_close(k: Kernel, t: Thread, fd: int) -> int:
    t.proc.fds.close(fd)
    return 0


def _charge(k: Kernel, inode: Inode) -> None:
    cost = k.io_costs.get(getattr(inode, "io_cost", ""), 0)
    if cost:
        k.charge(cost)


def sys_read(k: Kernel, t: Thread, fd: int, count: int) -> Any:
    t.proc.syscr += 1  # counted whatever the outcome, as Linux's inc_syscr
    f = t.proc.fds.get(fd)
    if f.flags & O_ACCMODE == O_WRONLY:
        raise Error(EBADF)
    inode = f.inode
    count = min(count, MAX_IO)
    while True:
        try:
            data = inode.read(t, f, count)
        except WouldBlock as wb:
            if f.flags & O_NONBLOCK:
                raise Error(EAGAIN) from None
            yield wb.sleep
            continue
        _charge(k, inode)
        t.proc.rchar += len(data)
        return data


def sys_write(k: Kernel, t: Thread, fd: int, data: bytes) -> Any:
    t.proc.syscw += 1  # counted whatever the outcome, as Linux's inc_syscw
    f = t.proc.fds.get(fd)
    if f.flags & O_ACCMODE == O_RDONLY:
        raise Error(EBADF)
    inode = f.inode
    view = memoryview(data)

    def step(done: int) -> int:
        return inode.write(t, f, bytes(view[done:]) if done else data)

    cost = k.io_costs.get(getattr(inode, "io_cost", ""), 0)
    return (yield from write_loop(k, t, f, step, len(data), cost=cost))


def sys_lseek(k: Kernel, t: Thread, fd: int, offset: int, whence: int) -> int:
    f = t.proc.fds.get(fd)
    inode = f.inode
    if not inode.seekable:
        raise Error(ESPIPE)
    if whence == SEEK_SET:
        pos = offset
    elif whence == SEEK_CUR:
        pos = f.pos + offset
    elif whence == SEEK_END:
        pos = inode.size + offset
    else:
        raise Error(EINVAL)
    if pos < 0:
        raise Error(EINVAL)
    f.pos = pos
    if isinstance(inode, DirInode):
        inode.rewind(f)  # (rewinddir, seekdir)
    return pos


def sys_getdents(k: Kernel, t: Thread, fd: int) -> list[Dirent]:
    f = t.proc.fds.get(fd)
    inode = f.inode
    if not inode.is_dir:
        raise Error(ENOTDIR)
    if inode.remote:  # a served directory: READDIR from its server's offsets
        return inode.getdents(t, f)  # type: ignore[attr-defined]
    if f.private is None or f.pos == 0:
        parent = k.root_ns.parent_of(inode)
        f.private = [
            Dirent(inode.ino, inode.dtype(), "."),
            Dirent(parent.ino, parent.dtype(), ".."),
        ] + [
            Dirent(ino, dtype, name)
            for ino, dtype, name in inode.dirents()  # type: ignore[attr-defined]
        ]
    batch = f.private[f.pos : f.pos + DIRENT_BATCH]
    f.pos += len(batch)
    if not t.observer:
        inode.atime = k.now()
    return batch


def sys_dup(k: Kernel, t: Thread, fd: int) -> int:
    fds = t.proc.fds
    return fds.install(fds.get(fd))


def sys_dup2(k: Kernel, t: Thread, oldfd: int, newfd: int) -> int:
    fds = t.proc.fds
    f = fds.get(oldfd)
    if newfd >= fds.limit:
        raise Error(EBADF)
    if oldfd != newfd:
        fds.install(f, fd=newfd)
    return newfd


def sys_fcntl(k: Kernel, t: Thread, fd: int, cmd: int, arg: int) -> int:
    fds = t.proc.fds
    f = fds.get(fd)
    if cmd == F_DUPFD:
        if not 0 <= arg < fds.limit:
            raise Error(EINVAL)
        return fds.install(f, fd=fds.lowest_free(arg))
    if cmd == F_GETFD:
        return FD_CLOEXEC if fd in fds.cloexec else 0
    if cmd == F_SETFD:
        if arg & FD_CLOEXEC:
            fds.cloexec.add(fd)
        else:
            fds.cloexec.discard(fd)
        return 0
    if cmd == F_GETFL:
        return f.flags
    if cmd == F_SETFL:
        f.flags = (f.flags & ~(O_APPEND | O_NONBLOCK)) | (arg & (O_APPEND | O_NONBLOCK))
        return 0
    raise Error(EINVAL)


def sys_pipe(k: Kernel, t: Thread, flags: int) -> tuple[int, int]:
    cred = t.proc.cred
    inode = PipeInode(k.pipefs, 0o600, cred.euid, cred.egid)
    name = f"pipe:[{inode.ino}]"
    extra = flags & O_NONBLOCK
    r = File(inode, O_RDONLY | extra, name)
    w = File(inode, O_WRONLY | extra, name)
    inode.open(t, r)
    inode.open(t, w)
    fds = t.proc.fds
    cloexec = bool(flags & O_CLOEXEC)
    rfd = fds.install(r, cloexec=cloexec)
    try:
        wfd = fds.install(w, cloexec=cloexec)
    except Error:
        fds.close(rfd)
        w.refs = 1
        w.put()
        raise
    return rfd, wfd


def sys_ioctl(k: Kernel, t: Thread, fd: int, request: int, arg: Any) -> Any:
    f = t.proc.fds.get(fd)
    return f.inode.ioctl(t, f, request, arg)


# ------------------------------------------------------------------ attributes


def sys_stat(k: Kernel, t: Thread, path: str) -> Stat:
    return walker(k, t).resolve(path).stat_for(t)


def sys_lstat(k: Kernel, t: Thread, path: str) -> Stat:
    return walker(k, t).resolve(path, follow=False).stat_for(t)


def sys_fstat(k: Kernel, t: Thread, fd: int) -> Stat:
    return t.proc.fds.get(fd).inode.stat_for(t)


def sys_access(k: Kernel, t: Thread, path: str, mode: int) -> int:
    inode = walker(k, t).resolve(path)
    if mode & 7 and not permitted(inode, t.proc.cred, mode & 7, real=True):
        raise Error(EACCES)
    return 0


def sys_chmod(k: Kernel, t: Thread, path: str, mode: int) -> int:
    inode = walker(k, t).resolve(path)
    cred = t.proc.cred
    if cred.euid not in (0, inode.uid):
        raise Error(EPERM)
    inode.check_chmod()
    inode.check_setattr()
    inode.mode = (inode.mode & ~0o7777) | (mode & 0o7777)
    inode.ctime = k.now()
    return 0


def sys_chown(k: Kernel, t: Thread, path: str, uid: int, gid: int) -> int:
    return _chown(k, t, walker(k, t).resolve(path), uid, gid)


def sys_lchown(k: Kernel, t: Thread, path: str, uid: int, gid: int) -> int:
    return _chown(k, t, walker(k, t).resolve(path, follow=False), uid, gid)


def _chown(k: Kernel, t: Thread, inode: Inode, uid: int, gid: int) -> int:
    cred = t.proc.cred
    if not cred.is_root:
        owner_ok = cred.euid == inode.uid and uid in (-1, inode.uid)
        group_ok = gid == -1 or gid == cred.egid or gid in cred.groups
        if not (owner_ok and group_ok):
            raise Error(EPERM)
    inode.check_setattr()
    if uid != -1:
        inode.uid = uid
    if gid != -1:
        inode.gid = gid
    inode.ctime = k.now()
    return 0


def sys_umask(k: Kernel, t: Thread, mask: int) -> int:
    old = t.proc.umask
    t.proc.umask = mask & 0o777
    return old


def sys_utimens(k: Kernel, t: Thread, path: str, atime: int, mtime: int) -> int:
    # Times are ns of virtual time since boot, so a date before boot is negative; only
    # UTIME_NOW (-1) and UTIME_OMIT (-2) are special, as their tv_nsec values are in Linux.
    inode = walker(k, t).resolve(path)
    cred = t.proc.cred
    explicit = any(v not in (UTIME_NOW, UTIME_OMIT) for v in (atime, mtime))
    if cred.euid not in (0, inode.uid) and (explicit or not permitted(inode, cred, 2)):
        raise Error(EPERM if explicit else EACCES)
    inode.check_setattr()
    now = k.now()
    if atime != UTIME_OMIT:
        inode.atime = now if atime == UTIME_NOW else atime
    if mtime != UTIME_OMIT:
        inode.mtime = now if mtime == UTIME_NOW else mtime
    inode.ctime = now
    return 0


def sys_truncate(k: Kernel, t: Thread, path: str, length: int) -> int:
    inode = walker(k, t).resolve(path)
    if inode.is_dir:
        raise Error(EISDIR)
    require(inode, t.proc.cred, 2)
    inode.truncate(length)
    return 0


def sys_ftruncate(k: Kernel, t: Thread, fd: int, length: int) -> int:
    f = t.proc.fds.get(fd)
    if f.flags & O_ACCMODE == O_RDONLY:
        raise Error(EINVAL)
    f.inode.truncate(length)
    return 0
