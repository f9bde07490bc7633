"""The libk ABI: everything userland may know about the kernel.

This module is the only part of ``kernel`` that userland imports (DESIGN.md §2). It owns:
system-call numbers, names and argument specs (the one table, minus handlers, which the
kernel binds in ``kernel.syscall``); the awaitable request object a system call is;
errno values with their messages and the one error type; signal numbers; open, seek,
wait, spawn and terminal flags; and the layouts of the structures system calls return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- errno

_ERRNO = [
    ("EPERM", 1, "Operation not permitted"),
    ("ENOENT", 2, "No such file or directory"),
    ("ESRCH", 3, "No such process"),
    ("EINTR", 4, "Interrupted system call"),
    ("EIO", 5, "Input/output error"),
    ("ENXIO", 6, "No such device or address"),
    ("E2BIG", 7, "Argument list too long"),
    ("ENOEXEC", 8, "Exec format error"),
    ("EBADF", 9, "Bad file descriptor"),
    ("ECHILD", 10, "No child processes"),
    ("EAGAIN", 11, "Resource temporarily unavailable"),
    ("ENOMEM", 12, "Cannot allocate memory"),
    ("EACCES", 13, "Permission denied"),
    ("EFAULT", 14, "Bad address"),
    ("EBUSY", 16, "Device or resource busy"),
    ("EEXIST", 17, "File exists"),
    ("EXDEV", 18, "Invalid cross-device link"),
    ("ENODEV", 19, "No such device"),
    ("ENOTDIR", 20, "Not a directory"),
    ("EISDIR", 21, "Is a directory"),
    ("EINVAL", 22, "Invalid argument"),
    ("ENFILE", 23, "Too many open files in system"),
    ("EMFILE", 24, "Too many open files"),
    ("ENOTTY", 25, "Inappropriate ioctl for device"),
    ("EFBIG", 27, "File too large"),
    ("ENOSPC", 28, "No space left on device"),
    ("ESPIPE", 29, "Illegal seek"),
    ("EROFS", 30, "Read-only file system"),
    ("EMLINK", 31, "Too many links"),
    ("EPIPE", 32, "Broken pipe"),
    ("ERANGE", 34, "Numerical result out of range"),
    ("EDEADLK", 35, "Resource deadlock avoided"),
    ("ENAMETOOLONG", 36, "File name too long"),
    ("ENOSYS", 38, "Function not implemented"),
    ("ENOTEMPTY", 39, "Directory not empty"),
    ("ELOOP", 40, "Too many levels of symbolic links"),
    ("ENOTSUP", 95, "Operation not supported"),
    ("ETIMEDOUT", 110, "Connection timed out"),
    # libk's own: a thread id given to kill(). Threads are never killed.
    (
        "EISTHREAD",
        200,
        "Is a thread, and threads are never killed; ask it to leave with "
        "thread_request_exit(tid) instead",
    ),
]

ERRNO_NAMES: dict[int, str] = {num: name for name, num, _ in _ERRNO}
ERRNO_MESSAGES: dict[int, str] = {num: msg for _, num, msg in _ERRNO}

EPERM = 1
ENOENT = 2
ESRCH = 3
EINTR = 4
EIO = 5
ENXIO = 6
E2BIG = 7
ENOEXEC = 8
EBADF = 9
ECHILD = 10
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EFAULT = 14
EBUSY = 16
EEXIST = 17
EXDEV = 18
ENODEV = 19
ENOTDIR = 20
EISDIR = 21
EINVAL = 22
ENFILE = 23
EMFILE = 24
ENOTTY = 25
EFBIG = 27
ENOSPC = 28
ESPIPE = 29
EROFS = 30
EMLINK = 31
EPIPE = 32
ERANGE = 34
EDEADLK = 35
ENAMETOOLONG = 36
ENOSYS = 38
ENOTEMPTY = 39
ELOOP = 40
ENOTSUP = 95
ETIMEDOUT = 110
EISTHREAD = 200
EWOULDBLOCK = EAGAIN


def strerror(errno: int) -> str:
    """Return the message for an errno value, like C's strerror(3)."""
    return ERRNO_MESSAGES.get(errno, f"Unknown error {errno}")


class Error(Exception):
    """The one error type of the ABI: a failed system call.

    Attributes:
        errno: the errno value (``ENOENT``, …).
        message: the human message; ``strerror(errno)`` unless the kernel said more.
    """

    __slots__ = ("errno", "message")

    def __init__(self, errno: int, message: str | None = None) -> None:
        super().__init__(errno, message)
        self.errno = errno
        self.message = message if message is not None else strerror(errno)

    @property
    def name(self) -> str:
        """The symbolic name (``"ENOENT"``)."""
        return ERRNO_NAMES.get(self.errno, str(self.errno))

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Error({self.name}, {self.message!r})"


# --------------------------------------------------------------------------- signals

_SIGNALS = [
    ("SIGHUP", 1, "term", "Hangup"),
    ("SIGINT", 2, "term", "Interrupt"),
    ("SIGQUIT", 3, "core", "Quit"),
    ("SIGILL", 4, "core", "Illegal instruction"),
    ("SIGTRAP", 5, "core", "Trace/breakpoint trap"),
    ("SIGABRT", 6, "core", "Aborted"),
    ("SIGBUS", 7, "core", "Bus error"),
    ("SIGFPE", 8, "core", "Floating point exception"),
    ("SIGKILL", 9, "term", "Killed"),
    ("SIGUSR1", 10, "term", "User defined signal 1"),
    ("SIGSEGV", 11, "core", "Segmentation fault"),
    ("SIGUSR2", 12, "term", "User defined signal 2"),
    ("SIGPIPE", 13, "term", "Broken pipe"),
    ("SIGALRM", 14, "term", "Alarm clock"),
    ("SIGTERM", 15, "term", "Terminated"),
    ("SIGCHLD", 17, "ign", "Child exited"),
    ("SIGCONT", 18, "cont", "Continued"),
    ("SIGSTOP", 19, "stop", "Stopped (signal)"),
    ("SIGTSTP", 20, "stop", "Stopped"),
    ("SIGTTIN", 21, "stop", "Stopped (tty input)"),
    ("SIGTTOU", 22, "stop", "Stopped (tty output)"),
    ("SIGURG", 23, "ign", "Urgent I/O condition"),
    ("SIGWINCH", 28, "ign", "Window changed"),
    ("SIGSYS", 31, "core", "Bad system call"),
]
NSIG = 32
SIGNAL_NAMES: dict[int, str] = {num: name for name, num, _, _ in _SIGNALS}
SIGNAL_NUMBERS: dict[str, int] = {name: num for name, num, _, _ in _SIGNALS}
SIGNAL_DEFAULTS: dict[int, str] = {num: act for _, num, act, _ in _SIGNALS}
SIGNAL_MESSAGES: dict[int, str] = {num: msg for _, num, _, msg in _SIGNALS}
SIGHUP = 1
SIGINT = 2
SIGQUIT = 3
SIGILL = 4
SIGTRAP = 5
SIGABRT = 6
SIGBUS = 7
SIGFPE = 8
SIGKILL = 9
SIGUSR1 = 10
SIGSEGV = 11
SIGUSR2 = 12
SIGPIPE = 13
SIGALRM = 14
SIGTERM = 15
SIGCHLD = 17
SIGCONT = 18
SIGSTOP = 19
SIGTSTP = 20
SIGTTIN = 21
SIGTTOU = 22
SIGURG = 23
SIGWINCH = 28
SIGSYS = 31

SIG_DFL = 0
SIG_IGN = 1


def signal_number(name: str) -> int:
    """Parse ``"TERM"``, ``"SIGTERM"`` or ``"15"`` into a signal number.

    Raises:
        Error: EINVAL if the name is not a signal.
    """
    text = name.strip().upper()
    if text.isdigit():
        num = int(text)
        if 0 <= num < NSIG:
            return num
        raise Error(EINVAL, f"invalid signal number: {name}")
    if not text.startswith("SIG"):
        text = "SIG" + text
    if text in SIGNAL_NUMBERS:
        return SIGNAL_NUMBERS[text]
    raise Error(EINVAL, f"invalid signal specification: {name}")


# --------------------------------------------------------------------------- wait status

WNOHANG = 1
WUNTRACED = 2
WCONTINUED = 8


def W_EXITCODE(code: int, sig: int = 0) -> int:  # noqa: N802 - C macro names
    """Encode a wait status the way the kernel does."""
    return ((code & 0xFF) << 8) | (sig & 0x7F)


def W_STOPCODE(sig: int) -> int:  # noqa: N802
    """Encode a "stopped by sig" wait status."""
    return (sig << 8) | 0x7F


W_CONTINUED = 0xFFFF


def WIFEXITED(status: int) -> bool:  # noqa: N802
    """True if the child exited normally."""
    return (status & 0x7F) == 0


def WEXITSTATUS(status: int) -> int:  # noqa: N802
    """The exit code of a child that exited normally."""
    return (status >> 8) & 0xFF


def WIFSIGNALED(status: int) -> bool:  # noqa: N802
    """True if the child was killed by a signal."""
    return 0 < (status & 0x7F) < 0x7F


def WTERMSIG(status: int) -> int:  # noqa: N802
    """The signal that killed the child."""
    return status & 0x7F


def WCOREDUMP(status: int) -> bool:  # noqa: N802
    """True if the child 'dumped core' (was killed by a core-action signal)."""
    return bool(status & 0x80)


def WIFSTOPPED(status: int) -> bool:  # noqa: N802
    """True if the child is stopped."""
    return (status & 0xFF) == 0x7F


def WSTOPSIG(status: int) -> int:  # noqa: N802
    """The signal that stopped the child."""
    return (status >> 8) & 0xFF


def WIFCONTINUED(status: int) -> bool:  # noqa: N802
    """True if the child was continued by SIGCONT."""
    return status == W_CONTINUED


# --------------------------------------------------------------------------- files

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


# --------------------------------------------------------------------------- terminal

ISIG = 0o1
ICANON = 0o2
ECHO = 0o10
ECHOE = 0o20
ECHOK = 0o40
ECHOCTL = 0o1000
IEXTEN = 0o100000
OPOST = 0o1
ONLCR = 0o4
ICRNL = 0o400

VINTR = 0
VQUIT = 1
VERASE = 2
VKILL = 3
VEOF = 4
VSUSP = 10
VWERASE = 14

TCGETS = 0x5401
TCSETS = 0x5402
TCSETSW = 0x5403
TCSETSF = 0x5404
TIOCSCTTY = 0x540E
TIOCGPGRP = 0x540F
TIOCSPGRP = 0x5410
TIOCGWINSZ = 0x5413
TIOCSWINSZ = 0x5414
TIOCNOTTY = 0x5422


@dataclass(slots=True)
class Termios:
    """Terminal attributes (the parts of termios(3) the line discipline uses)."""

    iflag: int = ICRNL
    oflag: int = OPOST | ONLCR
    lflag: int = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | IEXTEN
    cc: dict[int, int] = field(
        default_factory=lambda: {
            VINTR: 0x03,
            VQUIT: 0x1C,
            VERASE: 0x7F,
            VKILL: 0x15,
            VEOF: 0x04,
            VSUSP: 0x1A,
            VWERASE: 0x17,
        }
    )

    def copy(self) -> Termios:
        """An independent copy."""
        return Termios(self.iflag, self.oflag, self.lflag, dict(self.cc))


@dataclass(slots=True, frozen=True)
class Winsize:
    """Terminal size in character cells."""

    rows: int = 24
    cols: int = 80


# --------------------------------------------------------------------------- processes

SPAWN_OPEN = "open"  # (SPAWN_OPEN, fd, path, flags, mode)
SPAWN_DUP2 = "dup2"  # (SPAWN_DUP2, oldfd, newfd)
SPAWN_CLOSE = "close"  # (SPAWN_CLOSE, fd)
SPAWN_CHDIR = "chdir"  # (SPAWN_CHDIR, path)


@dataclass(slots=True, frozen=True)
class SpawnAttr:
    """Attributes of a process being spawned (posix_spawnattr, the parts we have).

    Attributes:
        pgroup: None to stay in the parent's group, 0 for a new group led by the child,
            or the id of an existing group in the same session to join.
        setsid: start a new session (the child leads it; no controlling terminal).
        foreground: with ``pgroup``, make the child's group the terminal's foreground group.
        sigdefault: signals whose disposition is reset to SIG_DFL in the child.
        sigignore: signals that the child starts ignoring.
        uid, gid, groups: credentials for the child (root only; there is no fork, so
            login and su cannot change ids between fork and exec).
    """

    pgroup: int | None = None
    setsid: bool = False
    foreground: bool = False
    sigdefault: tuple[int, ...] = ()
    sigignore: tuple[int, ...] = ()
    uid: int | None = None
    gid: int | None = None
    groups: tuple[int, ...] | None = None


REBOOT_POWER_OFF = 0x4321FEDC
REBOOT_RESTART = 0x01234567

CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1


@dataclass(slots=True, frozen=True)
class Utsname:
    """What uname(2) returns."""

    sysname: str
    nodename: str
    release: str
    version: str
    machine: str


@dataclass(slots=True, frozen=True)
class Tms:
    """What times(2) returns, in nanoseconds of virtual CPU time."""

    utime: int
    stime: int
    cutime: int
    cstime: int


# --------------------------------------------------------------------------- system calls


@dataclass(slots=True, frozen=True)
class Arg:
    """One argument of a system call: its name, kind, and default (``REQUIRED`` if none).

    Kinds: ``int``, ``uint``, ``fd``, ``str``, ``path``, ``bytes``, ``strs`` (a list of
    str), ``env`` (dict of str to str), ``actions`` (spawn file actions), ``attr``
    (SpawnAttr or None), ``obj`` (any Python object: a coroutine function, a Termios).
    """

    name: str
    kind: str
    default: Any = ...


@dataclass(slots=True, frozen=True)
class SyscallSpec:
    """The ABI half of a system call: number, name, arguments, whether it may block."""

    nr: int
    name: str
    args: tuple[Arg, ...]
    blocks: bool
    summary: str


def _spec(nr: int, name: str, args: str, summary: str, *, blocks: bool = False) -> SyscallSpec:
    """Build a spec from a compact argument string: ``"fd:fd n:uint=4096"``."""
    parsed = []
    for item in args.split():
        name_kind, _, default = item.partition("=")
        aname, _, kind = name_kind.partition(":")
        value: Any = ...
        if default:
            value = None if default == "None" else int(default, 0)
        parsed.append(Arg(aname, kind, value))
    return SyscallSpec(nr, name, tuple(parsed), blocks, summary)


SYSCALLS: tuple[SyscallSpec, ...] = (
    _spec(1, "read", "fd:fd count:uint", "read up to count bytes from a file", blocks=True),
    _spec(2, "write", "fd:fd data:bytes", "write bytes to a file", blocks=True),
    _spec(3, "open", "path:path flags:int=0 mode:uint=0o666", "open a file"),
    _spec(4, "close", "fd:fd", "close a file descriptor"),
    _spec(5, "stat", "path:path", "file status, following symlinks"),
    _spec(6, "fstat", "fd:fd", "file status of an open file"),
    _spec(7, "lstat", "path:path", "file status, not following symlinks"),
    _spec(8, "lseek", "fd:fd offset:int whence:uint=0", "move the file offset"),
    _spec(9, "getdents", "fd:fd", "read the entries of an open directory"),
    _spec(10, "dup", "fd:fd", "duplicate a file descriptor"),
    _spec(11, "dup2", "oldfd:fd newfd:fd", "duplicate a descriptor onto a chosen number"),
    _spec(12, "pipe", "flags:int=0", "create a pipe: (read end, write end)"),
    _spec(13, "fcntl", "fd:fd cmd:uint arg:int=0", "descriptor flags and status flags"),
    _spec(14, "ioctl", "fd:fd request:uint arg:obj=None", "device control (terminals)"),
    _spec(15, "mkdir", "path:path mode:uint=0o777", "create a directory"),
    _spec(16, "rmdir", "path:path", "remove an empty directory"),
    _spec(17, "unlink", "path:path", "remove a name (and the file with its last name)"),
    _spec(18, "rename", "old:path new:path", "rename a file or directory"),
    _spec(19, "link", "old:path new:path", "make a hard link"),
    _spec(20, "symlink", "target:str linkpath:path", "make a symbolic link"),
    _spec(21, "readlink", "path:path", "read a symbolic link's target"),
    _spec(22, "chdir", "path:path", "change the working directory"),
    _spec(23, "getcwd", "", "the working directory"),
    _spec(24, "truncate", "path:path length:uint", "set a file's length"),
    _spec(25, "ftruncate", "fd:fd length:uint", "set an open file's length"),
    _spec(26, "chmod", "path:path mode:uint", "change permission bits"),
    _spec(27, "chown", "path:path uid:int gid:int", "change owner and group (-1: keep)"),
    _spec(28, "umask", "mask:uint", "set the file-creation mask, return the old one"),
    _spec(29, "access", "path:path mode:uint=0", "check permissions with the real ids"),
    _spec(30, "fchdir", "fd:fd", "change the working directory to an open directory"),
    _spec(
        40,
        "spawn",
        "path:path argv:strs env:env=None cwd:str=None actions:actions=None attr:attr=None",
        "create a process running a program (there is no fork)",
    ),
    _spec(41, "exit", "status:int", "end the calling process"),
    _spec(42, "wait4", "pid:int options:int=0", "wait for a child: (pid, status)", blocks=True),
    _spec(43, "getpid", "", "the caller's process id"),
    _spec(44, "getppid", "", "the parent's process id"),
    _spec(45, "kill", "pid:int sig:uint", "send a signal to a process or process group"),
    _spec(46, "setpgid", "pid:int pgid:int", "put a process into a process group"),
    _spec(47, "getpgid", "pid:int=0", "the process group of a process"),
    _spec(48, "setsid", "", "start a new session"),
    _spec(49, "getsid", "pid:int=0", "the session of a process"),
    _spec(50, "getuid", "", "the real user id"),
    _spec(51, "geteuid", "", "the effective user id"),
    _spec(52, "getgid", "", "the real group id"),
    _spec(53, "getegid", "", "the effective group id"),
    _spec(54, "setuid", "uid:uint", "set the user ids (root: any; others: their own)"),
    _spec(55, "setgid", "gid:uint", "set the group ids"),
    _spec(56, "getgroups", "", "the supplementary groups"),
    _spec(57, "setgroups", "groups:obj", "set the supplementary groups (root only)"),
    _spec(58, "sigaction", "sig:uint action:int", "set a signal's disposition; returns old"),
    _spec(59, "environ", "", "the process's environment (a copy)"),
    _spec(60, "times", "", "CPU times of the process and its reaped children"),
    _spec(61, "exit_group", "status:int", "end every thread of the process"),
    _spec(70, "thread_spawn", "func:obj arg:obj=None", "start a thread running func(arg)"),
    _spec(71, "thread_join", "tid:int", "wait for a thread to end; its return value", blocks=True),
    _spec(72, "thread_exit", "value:obj=None", "end the calling thread"),
    _spec(73, "gettid", "", "the caller's thread id"),
    _spec(74, "thread_request_exit", "tid:int", "ask a thread to leave (sets its flag)"),
    _spec(75, "thread_should_exit", "", "has someone asked the calling thread to leave?"),
    _spec(80, "sched_yield", "", "give up the CPU"),
    _spec(81, "nanosleep", "ns:uint", "sleep for ns nanoseconds of virtual time", blocks=True),
    _spec(82, "clock_gettime", "clock:uint=1", "virtual time in nanoseconds"),
    _spec(83, "sched_getcpu", "", "the CPU the caller is running on"),
    _spec(84, "uname", "", "system name and version"),
    _spec(85, "sethostname", "name:str", "set the host name (root only)"),
    _spec(86, "reboot", "cmd:uint status:int=0", "power off or restart the machine (root)"),
    _spec(87, "syslog", "", "read the kernel log"),
    _spec(88, "klog", "message:str", "append a line to the kernel log (root only)"),
)

SYSCALL_BY_NAME: dict[str, SyscallSpec] = {s.name: s for s in SYSCALLS}
SYSCALL_BY_NR: dict[int, SyscallSpec] = {s.nr: s for s in SYSCALLS}
#: The request number of ``checkpoint()``: not a system call, just a preemption point.
CHECKPOINT = 0


class Req:
    """An awaitable request to the kernel: ``await Req(nr, args)``.

    Awaiting it hands control to the kernel, which runs the request and resumes the
    thread with the result, or raises :class:`Error` in it.
    """

    __slots__ = ("nr", "args")

    def __init__(self, nr: int, args: tuple[Any, ...]) -> None:
        self.nr = nr
        self.args = args

    def __await__(self):  # noqa: ANN204 - generator protocol
        return (yield self)

    def __repr__(self) -> str:
        spec = SYSCALL_BY_NR.get(self.nr)
        return f"Req({spec.name if spec else self.nr}{self.args!r})"


_CHECKPOINT = Req(CHECKPOINT, ())


def checkpoint() -> Req:
    """A preemption point for long pure-Python loops: ``await checkpoint()``."""
    return _CHECKPOINT
