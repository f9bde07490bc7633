"""Processes: spawn file actions and attributes, reboot commands, clocks, uname, times."""

from __future__ import annotations

from dataclasses import dataclass

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
        trace: 1 to trace the child's system calls (its caller reads them with
            trace_read), 2 to trace the child and every process it spawns later.
        unshare: namespaces the child gets copies of instead of sharing its parent's
            (CLONE_NEWNS: the mount namespace; root only, as unshare(2)).
        propagation: with CLONE_NEWNS, MS_PRIVATE or MS_SHARED to make every mount of
            the new namespace private or shared (0: keep each one's, as the copy made).
        files, procs: channel fds (of ``table_serve``) of a file table and a process
            table that the caller serves, for the child and all its descendants instead
            of the caller's own (``man 7 objects``); None: the caller's.
    """

    pgroup: int | None = None
    setsid: bool = False
    foreground: bool = False
    sigdefault: tuple[int, ...] = ()
    sigignore: tuple[int, ...] = ()
    uid: int | None = None
    gid: int | None = None
    groups: tuple[int, ...] | None = None
    trace: int = 0
    unshare: int = 0
    propagation: int = 0
    files: int | None = None
    procs: int | None = None


TRACE_CHILD = 1
TRACE_FOLLOW = 2


@dataclass(slots=True, frozen=True)
class TraceEvent:
    """One traced system call, as trace_read(2) returns it.

    Attributes:
        pid, tid: who made the call.
        nr, name: the call.
        args: its arguments as passed (long bytes cut to their first 256 bytes).
        result: the value returned (None when the call failed).
        errno: 0 on success, else the error number.
        start_ns, end_ns: virtual time at entry and at completion (a blocking call's
            end is when it woke up and finished).
    """

    pid: int
    tid: int
    nr: int
    name: str
    args: tuple
    result: object
    errno: int
    start_ns: int
    end_ns: int


REBOOT_POWER_OFF = 0x4321FEDC
REBOOT_RESTART = 0x01234567

CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1
#: libk's own: the host's monotonic clock in ns, for benchmarks that report host cost
#: (iobench). Only a front end that gives the machine one has it (libk-tui does; tests
#: do not): clock_gettime fails with EINVAL otherwise. Nothing the kernel decides ever
#: reads it, so a machine's behaviour stays deterministic.
CLOCK_HOST = 100


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


RUSAGE_SELF = 0
RUSAGE_CHILDREN = -1
RUSAGE_THREAD = 1


@dataclass(slots=True, frozen=True)
class Rusage:
    """What getrusage(2) returns: times in ns, maxrss in KiB, faults, context switches."""

    utime: int
    stime: int
    maxrss: int
    minflt: int
    majflt: int
    nvcsw: int
    nivcsw: int
