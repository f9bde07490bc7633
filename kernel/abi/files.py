"""Open, fcntl, seek and access flags; file types and modes; stat and dirent layouts;
mount(2)'s flags and the namespace flags of unshare(2) and setns(2)."""

from __future__ import annotations

from dataclasses import dataclass

O_RDONLY = 0o0
O_WRONLY = 0o1
O_RDWR = 0o2
O_ACCMODE = 0o3
O_CREAT = 0o100
O_EXCL = 0o200
O_NOCTTY = 0o400
O_TRUNC = 0o1000
O_APPEND = 0o2000
O_NONBLOCK = 0o4000
O_DIRECTORY = 0o200000
O_NOFOLLOW = 0o400000
O_CLOEXEC = 0o2000000

FD_CLOEXEC = 1
F_DUPFD = 0
F_GETFD = 1
F_SETFD = 2
F_GETFL = 3
F_SETFL = 4

SEEK_SET = 0
SEEK_CUR = 1
SEEK_END = 2

AT_FDCWD = -100

S_IFMT = 0o170000
S_IFSOCK = 0o140000
S_IFLNK = 0o120000
S_IFREG = 0o100000
S_IFBLK = 0o060000
S_IFDIR = 0o040000
S_IFCHR = 0o020000
S_IFIFO = 0o010000
S_ISUID = 0o4000
S_ISGID = 0o2000
S_ISVTX = 0o1000

R_OK = 4
W_OK = 2
X_OK = 1
F_OK = 0


def S_ISDIR(mode: int) -> bool:  # noqa: N802
    """True for a directory mode."""
    return (mode & S_IFMT) == S_IFDIR


def S_ISREG(mode: int) -> bool:  # noqa: N802
    """True for a regular-file mode."""
    return (mode & S_IFMT) == S_IFREG


def S_ISLNK(mode: int) -> bool:  # noqa: N802
    """True for a symbolic-link mode."""
    return (mode & S_IFMT) == S_IFLNK


def S_ISCHR(mode: int) -> bool:  # noqa: N802
    """True for a character-device mode."""
    return (mode & S_IFMT) == S_IFCHR


def S_ISFIFO(mode: int) -> bool:  # noqa: N802
    """True for a FIFO (named or anonymous pipe) mode."""
    return (mode & S_IFMT) == S_IFIFO


DT_UNKNOWN = 0
DT_FIFO = 1
DT_CHR = 2
DT_DIR = 4
DT_REG = 8
DT_LNK = 10
DT_SOCK = 12


@dataclass(slots=True, frozen=True)
class Stat:
    """What stat(2) returns. Times are nanoseconds of virtual time since boot."""

    st_dev: int
    st_ino: int
    st_mode: int
    st_nlink: int
    st_uid: int
    st_gid: int
    st_rdev: int
    st_size: int
    st_blksize: int
    st_blocks: int
    st_atime_ns: int
    st_mtime_ns: int
    st_ctime_ns: int


@dataclass(slots=True, frozen=True)
class Dirent:
    """One directory entry from getdents(2)."""

    d_ino: int
    d_type: int
    d_name: str


#: utimens(2): set the time to now / leave it as it is.
UTIME_NOW = -1
UTIME_OMIT = -2


@dataclass(slots=True, frozen=True)
class StatFs:
    """What statfs(2) returns: a file system's type and its size in blocks and inodes."""

    f_type: str
    f_bsize: int
    f_blocks: int
    f_bfree: int
    f_bavail: int
    f_files: int
    f_ffree: int


#: mount(2)'s flags (Linux's values). MS_BIND makes a bind mount of ``source`` (MS_REC:
#: with the mounts under it); MS_PRIVATE / MS_SHARED change the propagation of the
#: mount at ``target`` (with MS_REC: of every mount under it too).
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_SHARED = 1 << 20

#: unshare(2)'s and setns(2)'s namespace type (Linux's value): the mount namespace.
CLONE_NEWNS = 0x00020000
