"""The virtual file system: inodes, permission checks and the path walk (the last in
``kernel.fs.pathwalk``, re-exported here).

Every file system (tmpfs, devfs, procfs, pipes) builds its files from the inode classes
here. A directory knows its parent and its name, so the working directory can be turned
back into a path; mount points are crossed through the caller's mount namespace
(``kernel.fs.mount``), in both directions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    DT_CHR,
    DT_DIR,
    DT_FIFO,
    DT_LNK,
    DT_REG,
    DT_SOCK,
    DT_UNKNOWN,
    EACCES,
    EEXIST,
    EINVAL,
    EISDIR,
    ENAMETOOLONG,
    ENOENT,
    ENOTDIR,
    ENOTEMPTY,
    EPERM,
    S_IFCHR,
    S_IFDIR,
    S_IFIFO,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    S_IFSOCK,
    Error,
    Stat,
)

if TYPE_CHECKING:
    from kernel.fs.file import File
    from kernel.fs.pathwalk import PathWalk  # noqa: F401 - for type checkers
    from kernel.proc import Cred
    from kernel.thread import Thread

MAX_SYMLINKS = 40
PATH_MAX = 4096
NAME_MAX = 255


class FileSystem:
    """A mounted file-system instance (a superblock): its type, device number, inodes."""

    fstype = "none"
    nodev = True

    def __init__(self, dev: int, kernel: Any) -> None:
        self.dev = dev
        self.kernel = kernel  # anything with now() -> ns and wake_all(queue)
        self.clock = kernel.now
        self._next_ino = 1
        self.frames: Any = None  # the frame allocator of a file system in memory
        self.pages = 0  # frames its files' page caches hold
        self.root: DirInode

    def next_ino(self) -> int:
        """A fresh inode number in this file system."""
        ino = self._next_ino
        self._next_ino += 1
        return ino


class Inode:
    """A file of any type. Subclasses add the type's operations."""

    __slots__ = ("fs", "ino", "mode", "uid", "gid", "nlink", "atime", "mtime", "ctime", "rdev")

    #: Does a process answer for this node (a served path)? Then the path walk looks
    #: names up with :meth:`lookup_as` (the caller's credentials go with the question),
    #: and stat, getdents and attribute changes go through the node's own methods.
    remote = False

    def check_chmod(self) -> None:
        """Refuse a change of permission bits (procfs: Linux's proc_setattr, EPERM)."""

    def hold(self, n: int) -> None:
        """A process's working directory or root moved onto (``n`` = 1) or off (-1) this
        directory. A served directory is not forgotten while held (Linux's cwd and root
        pin their dentries); a local one needs nothing."""

    def __init__(self, fs: FileSystem, mode: int, uid: int = 0, gid: int = 0) -> None:
        self.fs = fs
        self.ino = fs.next_ino()
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.nlink = 1
        now = fs.clock()
        self.atime = self.mtime = self.ctime = now
        self.rdev = 0

    # -- attributes ----------------------------------------------------------------
    @property
    def size(self) -> int:
        """Size in bytes as stat reports it."""
        return 0

    @property
    def is_dir(self) -> bool:
        """Is this a directory?"""
        return (self.mode & S_IFMT) == S_IFDIR

    @property
    def is_symlink(self) -> bool:
        """Is this a symbolic link?"""
        return (self.mode & S_IFMT) == S_IFLNK

    def dtype(self) -> int:
        """The d_type getdents reports."""
        return _DTYPES.get(self.mode & S_IFMT, DT_UNKNOWN)

    def stat(self) -> Stat:
        """The stat structure for this inode."""
        size = self.size
        return Stat(
            st_dev=self.fs.dev,
            st_ino=self.ino,
            st_mode=self.mode,
            st_nlink=self.nlink,
            st_uid=self.uid,
            st_gid=self.gid,
            st_rdev=self.rdev,
            st_size=size,
            st_blksize=4096,
            st_blocks=-(-size // 512),
            st_atime_ns=self.atime,
            st_mtime_ns=self.mtime,
            st_ctime_ns=self.ctime,
        )

    def touch(self) -> None:
        """Mark modified now (mtime and ctime)."""
        self.mtime = self.ctime = self.fs.clock()

    # -- operations; the defaults are what a plain inode can't do ---------------------
    def lookup(self, name: str) -> Inode:
        """Find a child by name (directories only)."""
        raise Error(ENOTDIR)

    def lookup_as(self, cred: Cred, pid: int, name: str) -> Inode:
        """:meth:`lookup` for the process ``pid`` with ``cred`` (remote nodes ask with
        them; may raise :class:`Restart`)."""
        return self.lookup(name)

    def stat_for(self, t: Thread) -> Stat:
        """:meth:`stat` for stat(2) by ``t`` (a remote node asks its server first when
        its attributes have expired; may raise :class:`Restart`)."""
        return self.stat()

    def check_setattr(self) -> None:
        """Refuse a change of attributes (chmod, chown, utimens) the file system cannot
        make (a served node's: EROFS, setattr is not forwarded)."""

    def readlink(self) -> str:
        """The target of a symbolic link."""
        raise Error(EINVAL)

    def readlink_for(self, proc: Any) -> str:
        """The target as the process ``proc`` sees it (/proc/self differs by caller)."""
        return self.readlink()

    def follow_for(self, proc: Any) -> Inode | None:
        """A "magic" link's inode, reached without a path (/proc/<pid>/fd/N); or None."""
        return None

    def open(self, t: Thread | None, f: File) -> None:
        """Called when the inode is opened; may set up ``f.private``."""

    def release(self, f: File) -> None:
        """Called when the last descriptor of an open file description closes."""

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        """Read at ``f.pos``; may raise WouldBlock."""
        raise Error(EINVAL)

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        """Write at ``f.pos`` (or the end, for O_APPEND); may raise WouldBlock."""
        raise Error(EINVAL)

    def poll(self, f: File) -> tuple[int, tuple[Any, ...]]:
        """Readiness for poll(2): the POLL* events that would not block now, and the
        wait queues a change of them is announced on. A plain file is always ready."""
        from kernel.abi import POLLIN, POLLOUT

        return POLLIN | POLLOUT, ()

    def fdinfo(self, f: File) -> str:
        """Lines of its own for /proc/<pid>/fdinfo/<fd> (each ending in a newline), after
        pos, flags, mnt_id and ino; a plain file has none."""
        return ""

    def truncate(self, length: int) -> None:
        """Set the length (regular files)."""
        raise Error(EINVAL)

    def ioctl(self, t: Thread | None, f: File, request: int, arg: Any) -> Any:
        """Device control; most files are not terminals."""
        from kernel.abi import ENOTTY

        raise Error(ENOTTY)

    @property
    def seekable(self) -> bool:
        """Does lseek make sense on this file?"""
        return True


_DTYPES = {
    S_IFDIR: DT_DIR,
    S_IFREG: DT_REG,
    S_IFLNK: DT_LNK,
    S_IFCHR: DT_CHR,
    S_IFIFO: DT_FIFO,
    S_IFSOCK: DT_SOCK,
}


class DirInode(Inode):
    """A directory. In-memory file systems keep their entries in ``children``."""

    __slots__ = ("children", "parent", "name")

    def __init__(
        self,
        fs: FileSystem,
        mode: int = 0o755,
        uid: int = 0,
        gid: int = 0,
        parent: DirInode | None = None,
        name: str = "",
    ) -> None:
        super().__init__(fs, S_IFDIR | (mode & 0o7777), uid, gid)
        self.children: dict[str, Inode] = {}
        self.parent = parent if parent is not None else self
        self.name = name
        self.nlink = 2

    @property
    def size(self) -> int:
        return 4096

    def lookup(self, name: str) -> Inode:
        try:
            return self.children[name]
        except KeyError:
            raise Error(ENOENT) from None

    def list(self) -> Iterable[tuple[str, Inode]]:
        """The entries, without ``.`` and ``..``."""
        return list(self.children.items())

    def dirents(self) -> list[tuple[int, int, str]]:
        """``(ino, d_type, name)`` of each entry, for getdents (without . and ..)."""
        return [(child.ino, child.dtype(), name) for name, child in self.list()]

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        raise Error(EISDIR)

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        raise Error(EISDIR)

    def rewind(self, f: File) -> None:
        """lseek(2) on an open directory moved its position: take a new snapshot at the
        next getdents (remote directories keep their server's offsets instead)."""
        f.private = None

    # -- mutation (in-memory directories) ------------------------------------------
    def check_rename(self) -> None:
        """Refuse renaming entries of this directory (file systems without a rename
        operation: Linux's vfs_rename gives EPERM)."""

    def check_new(self, name: str) -> None:
        """Refuse a name that exists or is malformed."""
        if len(name) > NAME_MAX:
            raise Error(ENAMETOOLONG)
        if name in self.children:
            raise Error(EEXIST)

    def add(self, name: str, inode: Inode) -> None:
        """Link ``inode`` under ``name`` (the caller checked permissions)."""
        self.check_new(name)
        self.children[name] = inode
        if isinstance(inode, DirInode):
            inode.parent = self
            inode.name = name
            self.nlink += 1
        self.touch()

    def remove(self, name: str) -> Inode:
        """Unlink ``name`` and return its inode."""
        inode = self.lookup(name)
        del self.children[name]
        if isinstance(inode, DirInode):
            self.nlink -= 1
            inode.nlink = 0
        else:
            inode.nlink -= 1
            if inode.nlink == 0 and isinstance(inode, FileInode):
                inode.drop_if_unused()
        self.touch()
        return inode

    def make_child(
        self, kind: str, name: str, mode: int, uid: int, gid: int, target: str = ""
    ) -> Inode:
        """Create a file, directory, symlink, FIFO or socket name of this file system here."""
        self.check_new(name)
        if kind == "dir":
            inode: Inode = DirInode(self.fs, mode, uid, gid, self, name)
        elif kind == "symlink":
            inode = SymlinkInode(self.fs, target, uid, gid)
        elif kind == "fifo":
            from kernel.fs.pipe import FifoInode

            inode = FifoInode(self.fs, mode, uid, gid)
        elif kind == "socket":  # bind(2)'s name: kernel.net.names
            from kernel.net.names import SockNameInode

            inode = SockNameInode(self.fs, mode, uid, gid)
        else:
            inode = FileInode(self.fs, mode, uid, gid)
        self.add(name, inode)
        return inode

    def check_empty(self) -> None:
        """Raise ENOTEMPTY unless the directory has no entries."""
        if self.children:
            raise Error(ENOTEMPTY)


class FileInode(Inode):
    """A regular file whose bytes live in page frames (its page cache)."""

    __slots__ = ("cache", "opens")

    def __init__(
        self, fs: FileSystem, mode: int = 0o644, uid: int = 0, gid: int = 0, data: bytes = b""
    ) -> None:
        from kernel.mm.pagecache import PageCache

        super().__init__(fs, S_IFREG | (mode & 0o7777), uid, gid)
        frames = fs.frames if fs.frames is not None else fs.kernel.frames
        self.cache = PageCache(frames, "shmem", fs)
        self.opens = 0
        if data:
            self.set_contents(data)

    @property
    def size(self) -> int:
        return self.cache.size

    def contents(self) -> bytes:
        """The whole file."""
        return self.cache.contents()

    def set_contents(self, data: bytes) -> None:
        """Replace the file's bytes (image files and programs at boot).

        Raises:
            Error: ENOSPC when the machine's memory cannot hold them.
        """
        self.cache.replace(data)

    def open(self, t: Thread | None, f: File) -> None:
        self.opens += 1

    def release(self, f: File) -> None:
        self.opens -= 1
        self.drop_if_unused()

    def drop_if_unused(self) -> None:
        """Free the frames of a file with no names, no open descriptions, no mappings."""
        cache = self.cache
        if self.nlink == 0 and self.opens == 0 and not cache.mappings and cache.pages:
            cache.release()

    def read(self, t: Thread | None, f: File, count: int) -> bytes:
        pos = f.pos
        chunk = self.cache.read(pos, count)
        f.pos = pos + len(chunk)
        if t is None or not t.observer:
            self.atime = self.fs.clock()
        return chunk

    def write(self, t: Thread | None, f: File, data: bytes) -> int:
        from kernel.abi import O_APPEND

        cache = self.cache
        pos = cache.size if f.flags & O_APPEND else f.pos
        cache.write(pos, data)
        f.pos = pos + len(data)
        self.touch()
        return len(data)

    def truncate(self, length: int) -> None:
        if length != self.cache.size:
            self.cache.truncate(length)
        self.touch()


class SymlinkInode(Inode):
    """A symbolic link."""

    __slots__ = ("target",)

    def __init__(self, fs: FileSystem, target: str, uid: int = 0, gid: int = 0) -> None:
        super().__init__(fs, S_IFLNK | 0o777, uid, gid)
        self.target = target

    @property
    def size(self) -> int:
        return len(self.target.encode())

    def readlink(self) -> str:
        return self.target


class WouldBlock(Exception):  # noqa: N818 - a control signal, not an error
    """Raised by a file operation that cannot proceed yet; carries where to sleep."""

    __slots__ = ("sleep",)

    def __init__(self, sleep: Any) -> None:
        super().__init__()
        self.sleep = sleep


class Restart(WouldBlock):
    """Raised where a system call cannot go on until someone answers (a served
    directory's LOOKUP, a served node's GETATTR): the call sleeps on ``sleep`` and then
    starts over from its beginning, finding the answer cached where the raiser left it,
    as Linux restarts a call after ERESTARTSYS. Raise it only before the call has changed
    anything. The system-call entries (``kernel.syscall.make_entry``) do the restart.

    ``source``, if given, is who was asked (anything with an ``alive`` attribute): when
    it is no longer alive after the sleep, the call fails with EIO instead of starting
    over (a served tree whose server died is gone from the namespace by then, and the
    caller must learn that its question went unanswered, not that the path vanished).
    """

    __slots__ = ("source", "answer")

    def __init__(self, sleep: Any, source: Any = None, answer: Any = None) -> None:
        super().__init__(sleep)
        self.source = source
        #: the question whose answer the call comes back for (anything with a ``spent``
        #: attribute): the restarted call may take it as often as it walks past it, and
        #: it is marked spent when the call ends, so another call asks again.
        self.answer = answer


# ----------------------------------------------------------------------- permissions


def permitted(inode: Inode, cred: Cred, want: int, *, real: bool = False) -> bool:
    """Does ``cred`` have the access bits ``want`` (R=4, W=2, X=1) on ``inode``?

    Root may read and write anything and execute anything with an x bit (or search any
    directory). ``real`` checks with the real ids, as access(2) does.
    """
    uid = cred.uid if real else cred.euid
    if uid == 0:
        if want & 1 and not inode.is_dir:
            return bool(inode.mode & 0o111)
        return True
    mode = inode.mode
    if uid == inode.uid:
        bits = (mode >> 6) & 7
    elif (cred.gid if real else cred.egid) == inode.gid or inode.gid in cred.groups:
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    return bits & want == want


def require(inode: Inode, cred: Cred, want: int) -> None:
    """Raise EACCES unless :func:`permitted`."""
    if not permitted(inode, cred, want):
        raise Error(EACCES)


def may_delete(directory: Inode, victim: Inode, cred: Cred) -> None:
    """Write+search on the directory, and the sticky bit's owner rule."""
    require(directory, cred, 3)
    if directory.mode & 0o1000 and cred.euid not in (0, victim.uid, directory.uid):
        raise Error(EPERM)


# ------------------------------------------------------------------------ path walk


def __getattr__(name: str) -> Any:
    """``PathWalk``, from ``kernel.fs.pathwalk`` (which imports this module), for the
    many importers that find it here."""
    if name == "PathWalk":
        from kernel.fs.pathwalk import PathWalk

        return PathWalk
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
