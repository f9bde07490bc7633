"""The system-call table (numbers, names, argument specs) and the awaitable request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True, frozen=True)
class Arg:
    """One argument of a system call: its name, kind, default (``...`` if none) and
    whether ``None`` is accepted for it (``optional``; written ``kind?`` in the table).

    Kinds: ``int`` (a signed 64-bit int), ``uint`` (0 to 2**64-1), ``fd`` (0 to
    2**31-1), ``str``, ``path`` (a str under PATH_MAX whose components fit NAME_MAX),
    ``bytes``, ``strs`` (a list of str), ``env`` (dict of str to str), ``actions`` (spawn
    file actions), ``attr`` (SpawnAttr), ``obj`` (any Python object: a coroutine
    function, a Termios, a tuple the handler checks). The system-call layer checks each
    kind before the handler runs, so a handler may assume exactly that type, or ``None``
    when the argument is optional.
    """

    name: str
    kind: str
    default: Any = ...
    optional: bool = False


@dataclass(slots=True, frozen=True)
class SyscallSpec:
    """The ABI half of a system call: number, name, arguments, whether it may block."""

    nr: int
    name: str
    args: tuple[Arg, ...]
    blocks: bool
    summary: str


def _spec(nr: int, name: str, args: str, summary: str, *, blocks: bool = False) -> SyscallSpec:
    """Build a spec from a compact argument string: ``"fd:fd n:uint=4096 d:str?=None"``."""
    parsed = []
    for item in args.split():
        name_kind, _, default = item.partition("=")
        aname, _, kind = name_kind.partition(":")
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        value: Any = ...
        if default:
            value = None if default == "None" else int(default, 0)
        if value is None and not optional:
            raise ValueError(f"{name}: {aname} defaults to None but is not optional")
        parsed.append(Arg(aname, kind, value, optional))
    return SyscallSpec(nr, name, tuple(parsed), blocks, summary)


SYSCALLS: tuple[SyscallSpec, ...] = (
    _spec(1, "read", "fd:fd count:uint", "read up to count bytes from a file", blocks=True),
    _spec(2, "write", "fd:fd data:bytes", "write bytes to a file", blocks=True),
    _spec(
        3,
        "open",
        "path:path flags:int=0 mode:uint=0o666",
        "open a file (a FIFO's open waits for its other end)",
        blocks=True,
    ),
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
    _spec(14, "ioctl", "fd:fd request:uint arg:obj?=None", "device control (terminals)"),
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
        31,
        "utimens",
        "path:path atime:int=-1 mtime:int=-1",
        "set a file's access and modification times (UTIME_NOW -1, UTIME_OMIT -2)",
    ),
    _spec(32, "statfs", "path:path", "size and usage of the file system holding a path"),
    _spec(
        33,
        "mount",
        "source:str target:path fstype:str? flags:int=0 data:str?=None",
        "mount a file system of type tmpfs, proc, sysfs or devtmpfs on a directory; with"
        " MS_BIND (| MS_REC) show source there too; MS_SHARED / MS_PRIVATE (| MS_REC) set"
        " the propagation of the mount at target (root only)",
    ),
    _spec(34, "umount", "target:path", "unmount the file system mounted on a directory"),
    _spec(35, "lchown", "path:path uid:int gid:int", "chown without following symlinks"),
    _spec(
        40,
        "spawn",
        "path:path argv:strs env:env?=None cwd:path?=None actions:actions?=None attr:attr?=None",
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
    _spec(62, "sigtake", "", "collect the caught signals pending (SIG_CATCH) and clear them"),
    _spec(
        63,
        "trace_read",
        "max:uint=256",
        "wait for and read the system calls of traced children (spawn with trace)",
        blocks=True,
    ),
    _spec(70, "thread_spawn", "func:obj arg:obj?=None", "start a thread running func(arg)"),
    _spec(
        71,
        "thread_join",
        "tid:int options:int=0",
        "wait for a thread to end; its return value (WNOHANG: EBUSY if still running)",
        blocks=True,
    ),
    _spec(72, "thread_exit", "value:obj?=None", "end the calling thread"),
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
    _spec(
        90,
        "mmap",
        "addr:uint length:uint prot:int flags:int fd:int=-1 offset:int=0",
        "map files or anonymous memory into the address space; returns the address",
    ),
    _spec(91, "munmap", "addr:uint length:uint", "remove the mappings of an address range"),
    _spec(92, "mprotect", "addr:uint length:uint prot:int", "set the protection of a range"),
    _spec(
        93,
        "mremap",
        "old_addr:uint old_len:uint new_len:uint flags:int=0 new_addr:uint=0",
        "grow, shrink or move a mapping; returns its address",
    ),
    _spec(94, "madvise", "addr:uint length:uint advice:int", "advise how a range will be used"),
    _spec(95, "brk", "addr:uint=0", "move the end of the heap; returns the end (0: just ask)"),
    _spec(96, "mincore", "addr:uint length:uint", "which pages of a range are resident"),
    _spec(97, "msync", "addr:uint length:uint flags:int", "flush a file mapping"),
    _spec(98, "memfd_create", "name:str flags:int=0", "an anonymous file in memory; its fd"),
    _spec(
        99,
        "prctl",
        "option:int arg2:int=0 arg3:int=0 arg4:int=0 arg5:obj?=None",
        "process settings: PR_SET_VMA (name anonymous memory), PR_SET_NAME, PR_GET_NAME",
    ),
    _spec(100, "mmu", "", "the caller's MMU view: loads and stores at virtual addresses"),
    _spec(
        101,
        "futex",
        "addr:uint op:int val:int timeout:int=-1 addr2:uint=0 val3:int=0",
        "wait on or wake a 32-bit word in memory (REQUEUE/WAKE_OP: timeout is val2)",
        blocks=True,
    ),
    _spec(102, "getrlimit", "resource:int", "a resource limit: (soft, hard)"),
    _spec(103, "setrlimit", "resource:int soft:uint hard:uint", "set a resource limit"),
    _spec(
        104,
        "prlimit",
        "pid:int resource:int new:obj?=None",
        "get and set another process's limit: new is (soft, hard) or None; returns the old",
    ),
    _spec(105, "getrusage", "who:int=0", "resource usage: self (0), children (-1), thread (1)"),
    _spec(106, "crypt", "key:str setting:str", "hash a password as a stored hash or salt says"),
    _spec(
        107,
        "do_io",
        "fd:fd op:uint arg:obj?=None offset:int=-1",
        "one I/O request, one call: read (arg: count), write (arg: bytes), fsync, poll, nop",
        blocks=True,
    ),
    _spec(
        108,
        "ring_setup",
        "entries:uint flags:uint=0 cq_entries:uint=0",
        "make a completion ring; its fd, to map with mmap (layout: ring_layout)",
    ),
    _spec(
        111,
        "poll",
        "fds:obj timeout:int=-1",
        "wait until a file of the (fd, events) pairs is ready (timeout in ms, -1: none);"
        " their revents",
        blocks=True,
    ),
    _spec(
        110,
        "mknod",
        "path:path mode:uint dev:uint=0",
        "make a file system node: a FIFO (S_IFIFO), a regular file, or (root) a device",
    ),
    # Mount namespaces and the root directory (kernel.sysns; root only: EPERM).
    _spec(
        141,
        "unshare",
        "flags:int",
        "stop sharing the mount namespace (CLONE_NEWNS): the caller gets a copy of it"
        " (root only: EPERM)",
    ),
    _spec(
        142,
        "setns",
        "fd:fd nstype:int=0",
        "join the mount namespace of an fd open on /proc/PID/ns/mnt (nstype 0 or"
        " CLONE_NEWNS); root and working directory become its root (root only: EPERM)",
    ),
    _spec(
        143,
        "chroot",
        "path:path",
        "make a directory the root of the caller's (and its children's) path walks;"
        " '..' there stays there (root only: EPERM)",
    ),
    _spec(
        109,
        "ring_enter",
        "fd:fd to_submit:uint min_complete:uint=0 flags:uint=0",
        "submit a ring's entries and wait for completions (ENTER_GETEVENTS)",
        blocks=True,
    ),
    # Sockets (AF_UNIX; kernel.sysnet). Addresses: a str path, b"\0name" (abstract), "".
    _spec(
        112,
        "socket",
        "domain:int type:int protocol:int=0",
        "make a socket (AF_UNIX; SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET, or-ed with"
        " SOCK_NONBLOCK, SOCK_CLOEXEC); its fd",
    ),
    _spec(
        113,
        "socketpair",
        "domain:int type:int protocol:int=0",
        "make two sockets connected to each other: (fd, fd)",
    ),
    _spec(
        114,
        "bind",
        "fd:fd addr:obj",
        "give a socket a name: a path (makes an s file; EADDRINUSE if it exists), an"
        " abstract b'\\0name', or '' for one of its own",
    ),
    _spec(
        115,
        "listen",
        "fd:fd backlog:int=128",
        "accept connections on a bound stream socket; backlog: how many may wait",
    ),
    _spec(
        116,
        "accept",
        "fd:fd",
        "wait for a connection on a listening socket: (new fd, the peer's address)",
        blocks=True,
    ),
    _spec(
        117,
        "accept4",
        "fd:fd flags:int=0",
        "accept with flags for the new fd (SOCK_NONBLOCK, SOCK_CLOEXEC)",
        blocks=True,
    ),
    _spec(
        118,
        "connect",
        "fd:fd addr:obj?",
        "connect to the socket named addr (needs write permission on a path; waits while"
        " its backlog is full); a datagram socket just sets its peer (None: forget it)",
        blocks=True,
    ),
    _spec(
        119,
        "send",
        "fd:fd data:bytes flags:int=0",
        "send bytes on a connected socket (MSG_DONTWAIT, MSG_NOSIGNAL); how many went",
        blocks=True,
    ),
    _spec(
        120,
        "recv",
        "fd:fd count:uint flags:int=0",
        "receive up to count bytes (MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL); b'' at end of file",
        blocks=True,
    ),
    _spec(
        121,
        "sendto",
        "fd:fd data:bytes flags:int addr:obj?",
        "send a datagram to the socket named addr (None: the connected peer)",
        blocks=True,
    ),
    _spec(
        122,
        "recvfrom",
        "fd:fd count:uint flags:int=0",
        "receive a datagram: (bytes, the sender's address)",
        blocks=True,
    ),
    _spec(
        123,
        "sendmsg",
        "fd:fd data:bytes ancdata:obj?=None flags:int=0 addr:obj?=None",
        "send with ancillary data: [(SOL_SOCKET, SCM_RIGHTS, [fds])] passes open files,"
        " (SOL_SOCKET, SCM_CREDENTIALS, Ucred) checked credentials",
        blocks=True,
    ),
    _spec(
        124,
        "recvmsg",
        "fd:fd count:uint flags:int=0",
        "receive with ancillary data: RecvMsg(data, ancdata, flags, address); passed files"
        " arrive as new fds",
        blocks=True,
    ),
    _spec(
        125,
        "shutdown",
        "fd:fd how:int",
        "shut down reading (SHUT_RD), writing (SHUT_WR: the peer reads end of file) or both",
    ),
    _spec(126, "getsockname", "fd:fd", "a socket's own address ('' if it has none)"),
    _spec(127, "getpeername", "fd:fd", "the address of the socket's peer (ENOTCONN if none)"),
    _spec(
        128,
        "getsockopt",
        "fd:fd level:int optname:int",
        "a socket option's value (SOL_SOCKET: SO_TYPE, SO_ERROR, SO_SNDBUF, SO_RCVBUF,"
        " SO_PASSCRED, SO_PEERCRED, SO_ACCEPTCONN)",
    ),
    _spec(
        129,
        "setsockopt",
        "fd:fd level:int optname:int value:obj",
        "set a socket option (SO_SNDBUF, SO_RCVBUF: doubled, as Linux; SO_PASSCRED)",
    ),
    # Served paths (kernel.sysserve; issue #12 part 4): numbers 150-159.
    _spec(
        150,
        "serve",
        "path:path kind:int mode:uint=0o666",
        "serve a path: its opens, reads, writes, ioctls and closes arrive as requests on"
        " the returned channel fd (kind SERVE_FILE or SERVE_CHR; man 7 served)",
    ),
    _spec(
        151,
        "serve_timeout",
        "fd:fd ms:int",
        "set how long callers wait for a served path's answer before EIO (0: just"
        " return it); returns the old value in ms",
    ),
    # Kernel modules (kernel.sysmodule; issue #11 part 3): numbers 160-169.
    _spec(
        160,
        "init_module",
        "image:bytes params:str",
        "load a kernel module from its file's bytes with 'name=value ...' parameters"
        " (root only: EPERM; EEXIST if loaded, ENOEXEC/ENOENT for a bad image, EINVAL"
        " for a bad parameter value)",
    ),
    _spec(
        161,
        "finit_module",
        "fd:fd params:str flags:int=0",
        "load a kernel module from an open module file (as init_module)",
    ),
    _spec(
        162,
        "delete_module",
        "name:str flags:int=0",
        "unload a kernel module (root only: EPERM; ENOENT if not loaded, EWOULDBLOCK"
        " while it is in use)",
    ),
    # Process and file tables (issue #12 part 5): numbers 170-179.
    _spec(
        170,
        "table_serve",
        "kind:int",
        "serve a file table (TABLE_FILES) or a process table (TABLE_PROCS) for children:"
        " returns its channel fd (close-on-exec), for SpawnAttr(files=, procs=); the"
        " opens or spawns of the children arrive on it as requests (man 7 objects)",
    ),
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
