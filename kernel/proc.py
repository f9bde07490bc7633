"""Processes: the process record, credentials, and the process table.

A process owns an address-space record, a file-descriptor table, credentials, a working
directory, signal dispositions and one or more threads. Processes and threads share one
id space (a process's id is its main thread's id). There is no fork: a coroutine cannot
be cloned, so processes are created by spawn (see ``kernel.exec``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.thread import Thread, WaitQueue

if TYPE_CHECKING:
    from kernel.fs.file import FdTable
    from kernel.fs.vfs import Inode
    from kernel.mm.vm import AddressSpace

# Process states (the main thread's state is shown for a live process).
ALIVE = "alive"
ZOMBIE = "Z"
REAPED = "reaped"


@dataclass(slots=True)
class Cred:
    """User credentials: real and effective ids and supplementary groups."""

    uid: int = 0
    gid: int = 0
    euid: int = 0
    egid: int = 0
    groups: tuple[int, ...] = ()

    def copy(self) -> Cred:
        """An independent copy (children inherit a copy)."""
        return Cred(self.uid, self.gid, self.euid, self.egid, self.groups)

    @property
    def is_root(self) -> bool:
        """Effective uid 0: the permission checks' override."""
        return self.euid == 0


@dataclass(slots=True, eq=False)
class Process:
    """One process.

    Attributes:
        pid, ppid, pgid, sid: ids; ppid changes to 1 when the parent dies first.
        comm: the command name (basename of the program, 15 characters at most).
        argv, env: as given to spawn.
        exe: the path of the executable that was loaded.
        cred: credentials.
        fds: the file-descriptor table.
        cwd: the working directory's inode.
        umask: the file-creation mask.
        threads: live threads, main thread first.
        state: ALIVE, ZOMBIE or REAPED.
        exit_status: the wait status once it is a zombie.
        stopped: stopped by a stop signal and not yet continued.
        report: a wait status change a parent has not collected (stop/continue).
        sigdisp: signal number -> SIG_DFL / SIG_IGN / SIG_CATCH.
        sigpend: caught signals not yet collected by sigtake (bit n-1 for signal n).
        tracer: the process reading this one's system calls (strace), if any.
        trace_follow: processes this one spawns are traced by the same tracer.
        children: live and zombie children, by pid.
        waitable: the children that have something for wait4 (ended, stopped or
            continued), so waiting costs nothing per child that has not.
        child_wait: where the parent sleeps in wait4.
        counters: system calls made, indexed by number (sized to the table at spawn).
        rchar, wchar, syscr, syscw: bytes read and written, and read-like and
            write-like calls made (read, write, do_io's reads and writes), as Linux's
            task_io_accounting; /proc/<pid>/io shows them.
        cutime, cstime: CPU time of reaped children.
        start_time: virtual time of creation.
        rlimits: [soft, hard] per resource (RLIMIT_*), inherited by children.
        oom_score_adj: -1000 (never chosen) .. 1000 (chosen first) by the OOM killer.
        runtime: the process's runtime data, which its threads reach as
            ``tp.tls.process`` (kernel.abi.tls); the kernel never looks inside.
        mnt_ns: its mount namespace (kernel.fs.mount; inherited at spawn, None only
            before the first spawn sets it).
        fs_root: (mount, directory) of its root after chroot(2); None: the namespace's.
        cwd_mnt: the mount ``cwd`` was entered through (None: the first showing it).
    """

    pid: int
    ppid: int
    pgid: int
    sid: int
    comm: str
    argv: list[str]
    env: dict[str, str]
    exe: str
    cred: Cred
    fds: FdTable
    cwd: Inode
    mm: AddressSpace
    umask: int = 0o022
    threads: list[Thread] = field(default_factory=list)
    state: str = ALIVE
    exit_status: int = 0
    stopped: bool = False
    report: int | None = None
    sigdisp: dict[int, int] = field(default_factory=dict)
    children: dict[int, Process] = field(default_factory=dict)
    waitable: dict[int, Process] = field(default_factory=dict)
    child_wait: WaitQueue = field(default_factory=lambda: WaitQueue("wait4"))
    counters: list[int] = field(default_factory=list)
    utime: int = 0
    stime: int = 0
    cutime: int = 0
    cstime: int = 0
    start_time: int = 0
    ctty: Any = None
    parent: Process | None = None
    exited_threads: dict[int, Any] = field(default_factory=dict)
    sigpend: int = 0
    tracer: Process | None = None
    trace_follow: bool = False
    rlimits: list[list[int]] = field(default_factory=lambda: default_rlimits(None))
    oom_score_adj: int = 0
    tables: Any = None  # served process/file tables (kernel.systable); None: the kernel's
    cmaxrss: int = 0  # KiB, the largest of the reaped children's
    cminflt: int = 0
    cmajflt: int = 0
    nvcsw: int = 0  # context switches of its ended threads
    nivcsw: int = 0
    cnvcsw: int = 0  # of its reaped children
    cnivcsw: int = 0
    runtime: dict[str, Any] = field(default_factory=dict)
    end_time: int = 0  # virtual time it exited at
    rchar: int = 0
    wchar: int = 0
    syscr: int = 0
    syscw: int = 0
    mnt_ns: Any = None
    fs_root: Any = None
    cwd_mnt: Any = None

    def __post_init__(self) -> None:
        self.cwd.hold(1)

    def chdir(self, directory: Inode, mnt: Any) -> None:
        """Make ``directory`` (entered through ``mnt``; None: the first mount showing
        it) the working directory; the directory is held while it is (a served one is
        not forgotten: relative paths ask its server with its node id)."""
        directory.hold(1)
        self.cwd.hold(-1)
        self.cwd, self.cwd_mnt = directory, mnt

    def chroot(self, root: tuple[Any, Inode] | None) -> None:
        """Make ``root`` (mount, directory) the root of the process's paths (None: its
        namespace's), held as the working directory is."""
        if root is not None:
            root[1].hold(1)
        if self.fs_root is not None:
            self.fs_root[1].hold(-1)
        self.fs_root = root

    def leave_directories(self) -> None:
        """The process exited: stop holding its working directory and root."""
        self.cwd.hold(-1)
        self.chroot(None)

    @property
    def main_thread(self) -> Thread | None:
        """The thread whose id is the pid, if it is still alive."""
        for t in self.threads:
            if t.tid == self.pid:
                return t
        return None


def default_rlimits(k: Any) -> list[list[int]]:
    """The resource limits of the first process, as Linux's INIT_RLIMITS give init: no
    limit but the stack (8 MiB soft), core dumps (0 soft), open files (1024, hard 4096),
    locked memory (8 MiB) and processes (half of ``threads-max``, as fork_init sets);
    then the image's ``limits:`` (``BootInfo.limits``) replace any of them."""
    from kernel.abi import (
        RLIM_INFINITY,
        RLIM_NLIMITS,
        RLIMIT_CORE,
        RLIMIT_MEMLOCK,
        RLIMIT_NOFILE,
        RLIMIT_NPROC,
        RLIMIT_STACK,
    )

    inf = RLIM_INFINITY
    limits = [[inf, inf] for _ in range(RLIM_NLIMITS)]
    limits[RLIMIT_STACK] = [8 * 1024 * 1024, inf]
    limits[RLIMIT_CORE] = [0, inf]
    limits[RLIMIT_NOFILE] = [1024, 4096]
    limits[RLIMIT_MEMLOCK] = [8 * 1024 * 1024, 8 * 1024 * 1024]
    nproc = k.threads_max // 2 if k is not None else 4096
    limits[RLIMIT_NPROC] = [nproc, nproc]
    if k is not None:
        for resource, (soft, hard) in k.info.limits:
            limits[resource] = [soft, hard]
    return limits


class ProcessTable:
    """All processes and threads by id, and id allocation (Linux-style, wrapping)."""

    __slots__ = ("procs", "threads", "_next", "pid_max", "created")

    def __init__(self, pid_max: int = 4_194_304) -> None:
        self.procs: dict[int, Process] = {}
        self.threads: dict[int, Thread] = {}
        self._next = 1
        self.pid_max = pid_max
        self.created = 0

    def alloc_id(self) -> int:
        """The next free id for a process or thread.

        Raises:
            RuntimeError: never in practice (the id space is 4 million wide).
        """
        start = self._next
        while True:
            nid = self._next
            self._next = nid + 1 if nid + 1 < self.pid_max else 2
            if nid not in self.threads and nid not in self.procs:
                return nid
            if self._next == start:
                raise RuntimeError("out of process ids")

    def group(self, pgid: int) -> list[Process]:
        """Live (non-zombie) members of a process group."""
        return [p for p in self.procs.values() if p.pgid == pgid and p.state == ALIVE]

    def session_has_group(self, sid: int, pgid: int) -> bool:
        """Does a process group with this id exist in the session?"""
        return any(p.pgid == pgid and p.sid == sid for p in self.procs.values())
