"""procfs: /proc, the kernel's state as files, generated when opened.

Formats follow Linux's proc(5) wherever Linux has the same file, so tools written for
Linux can read them: ``/proc/<pid>/{stat,status,cmdline,comm,environ,maps,schedstat}``,
the ``cwd`` and ``exe`` links, ``fd/`` (magic links that reopen the very file),
``task/<tid>/`` (``kernel.fs.proctask``: the thread's own stat, status, comm, and the
process's cmdline, environ, cwd, exe, fd, maps, ...; a zombie's lists its pid),
``/proc/<tid>`` of a thread (hidden from the listing, as Linux's), ``self``,
``meminfo``, ``stat``, ``uptime``, ``loadavg``, ``cpuinfo``, ``version``, ``mounts``,
``filesystems`` and ``kmsg`` (the kernel log; reading it does not consume it), and
``wchan`` (per process and per task: what the thread sleeps on, ``0`` when it does
not). The I/O files (``kernel.fs.procio``):
``/proc/<pid>/fdinfo/<fd>`` (an open file's offset, flags, mount and inode, and what its
inode adds; like ``fd/``, for the owner or root) and ``/proc/diskstats``. The memory files
(``kernel.fs.procmem``): ``/proc/<pid>/{statm,smaps,smaps_rollup,mem,oom_score,
oom_score_adj,limits}`` (``mem`` reads and writes the address space at offsets that are
addresses; ``maps``, ``smaps``, ``smaps_rollup`` and ``mem`` open only for the same
user or root, as Linux's ptrace rule), ``/proc/vmstat``, ``/proc/buddyinfo``, and
``/proc/sys/vm/{overcommit_memory,overcommit_ratio,overcommit_kbytes,max_map_count,
mmap_min_addr,min_free_kbytes}`` and ``/proc/sys/kernel/threads-max`` (root may write
them; ``oom_score_adj`` is writable by the process's owner). libk adds one line to
every status file, ``ExitRequested:`` (whether someone asked the thread to leave), and
files of its own: ``/proc/<pid>/syscalls`` and ``/proc/syscalls``, one ``name count``
line per system call the process (or the whole machine) has made, in table order; and
``/proc/generation``, a line of counters that changes whenever anything the process and
thread files show may have changed (front ends poll it to skip needless refreshes);
``/proc/allstat``, every process's ``/proc/<pid>/stat`` line in one file (a process
monitor reads one file per refresh instead of one per process); and ``/proc/threads``,
one line per thread: its state, CPU, times, exit-request flag and what it waits on.
The files other Linux tools open (``kernel.fs.procmisc``): ``/proc/<pid>/{io,mounts,
root,cgroup}``, ``/proc/<pid>/ns/``, ``/proc/tty/drivers``, ``/proc/locks`` and
``/proc/sys/kernel/{pid_max,osrelease,ostype,hostname}``; ``fd/`` links carry the open
mode in their permission bits, as Linux's.
New entries go at the end of their directory's table: inode numbers follow the order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.abi import EACCES, ENOENT, EPERM, S_IFLNK, S_IFREG, Error
from kernel.fs.file import File
from kernel.fs.procinfo import ProcInfo
from kernel.fs.procio import ProcIo
from kernel.fs.procmem import may_access
from kernel.fs.procmemfile import ProcMemFile
from kernel.fs.procmisc import ProcMisc, fd_link_mode
from kernel.fs.proctask import ProcTask
from kernel.fs.vfs import DirInode, FileSystem, Inode, SymlinkInode
from kernel.proc import ALIVE, ZOMBIE, Process
from kernel.thread import Thread

if TYPE_CHECKING:
    from kernel.kernel import Kernel

# Inode numbers of /proc's generated nodes depend only on what they show.
PID_INO_BASE = 1 << 32  # /proc/<pid>: + pid * 256; its files follow it
TASK_INO_BASE = 1 << 44  # /proc/<pid>/task/<tid>: + tid * 256
FD_INO_BASE = 1 << 56  # /proc/<pid>/fd/<n>: + pid * 4096 + n
FDINFO_INO_BASE = 1 << 57  # /proc/<pid>/fdinfo/<n>: + pid * 4096 + n
SYS_INO_BASE = 1 << 30  # /proc/sys and what is under it


class ProcFile(Inode):
    """A file whose content is generated when it is opened.

    ``put(t, f, data)``, when given, takes writes (a sysctl, oom_score_adj); without it
    the file is read-only. ``gate(t)``, when given, checks the opener first (maps and
    smaps: the ptrace rule).
    """

    __slots__ = ("gen", "put", "gate")

    def check_chmod(self) -> None:
        raise Error(EPERM)

    def __init__(
        self,
        fs: FileSystem,
        gen: Callable[[], str],
        mode: int = 0o444,
        uid: int = 0,
        gid: int = 0,
        put: Callable[[Any, File, bytes], int] | None = None,
        gate: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(fs, S_IFREG | mode, uid, gid)
        self.gen = gen
        self.put = put
        self.gate = gate

    def open(self, t: Any, f: File) -> None:
        if self.gate is not None and t is not None:
            self.gate(t)
        f.private = self.gen().encode()

    def read(self, t: Any, f: File, count: int) -> bytes:
        data = f.private
        chunk = data[f.pos : f.pos + count]
        f.pos += len(chunk)
        return chunk

    def write(self, t: Any, f: File, data: bytes) -> int:
        if self.put is None:
            raise Error(EACCES)
        return self.put(t, f, data)

    def truncate(self, length: int) -> None:
        if self.put is None:
            raise Error(EACCES)
        # O_TRUNC on a writable /proc file changes nothing, as on Linux.


class ProcLink(SymlinkInode):
    """A link whose target is computed: for the caller (``self``) or from a process."""

    __slots__ = ("target_fn", "inode_fn")

    def __init__(
        self,
        fs: FileSystem,
        target_fn: Callable[[Any], str],
        inode_fn: Callable[[Any], Inode | None] | None = None,
        uid: int = 0,
        gid: int = 0,
    ) -> None:
        super().__init__(fs, "", uid, gid)
        self.target_fn = target_fn
        self.inode_fn = inode_fn

    def readlink(self) -> str:
        return self.target_fn(None)

    def readlink_for(self, proc: Any) -> str:
        return self.target_fn(proc)

    def follow_for(self, proc: Any) -> Inode | None:
        return self.inode_fn(proc) if self.inode_fn is not None else None


class ProcDir(DirInode):
    """A directory whose entries are made on demand by ``lookup_fn`` / ``names_fn``."""

    __slots__ = ("names_fn", "lookup_fn", "cache", "dirents_fn")

    def __init__(
        self,
        fs: FileSystem,
        parent: DirInode | None,
        name: str,
        names_fn: Callable[[], list[str]],
        lookup_fn: Callable[[str], Inode | None],
        mode: int = 0o555,
        uid: int = 0,
        gid: int = 0,
    ) -> None:
        super().__init__(fs, mode, uid, gid, parent, name)
        self.names_fn = names_fn
        self.lookup_fn = lookup_fn
        self.cache: dict[str, Inode] = {}
        self.dirents_fn: Callable[[], list[tuple[int, int, str]]] | None = None

    def dirents(self) -> list[tuple[int, int, str]]:
        if self.dirents_fn is not None:
            return self.dirents_fn()
        return super().dirents()

    def lookup(self, name: str) -> Inode:
        node = self.cache.get(name)
        if node is None:
            node = self.lookup_fn(name)
            if node is None:
                raise Error(ENOENT)
            if isinstance(node, DirInode):
                node.parent = self
                node.name = name
            self.cache[name] = node
        return node

    def list(self) -> list[tuple[str, Inode]]:
        out = []
        for name in self.names_fn():
            try:
                out.append((name, self.lookup(name)))
            except Error:
                continue
        return out

    def check_new(self, name: str) -> None:
        raise Error(EPERM)  # mkdir, symlink, mknod: no such operation (vfs_mkdir's EPERM)

    def make_child(
        self, kind: str, name: str, mode: int, uid: int, gid: int, target: str = ""
    ) -> Inode:
        # open(O_CREAT) finds no ->create: EACCES (lookup_open); the others EPERM
        raise Error(EACCES if kind == "file" else EPERM)

    def check_rename(self) -> None:
        raise Error(EPERM)

    def check_chmod(self) -> None:
        raise Error(EPERM)

    def remove(self, name: str) -> Inode:
        raise Error(EPERM)


class ProcFS(FileSystem, ProcInfo, ProcIo, ProcMisc, ProcTask):
    """The /proc file system of one kernel."""

    fstype = "proc"

    def __init__(self, dev: int, kernel: Kernel) -> None:
        super().__init__(dev, kernel)
        self.k = kernel
        self.globals: dict[str, Callable[[], Inode]] = {
            "meminfo": lambda: self._file(self.meminfo),
            "stat": lambda: self._file(self.stat),
            "uptime": lambda: self._file(self.uptime),
            "loadavg": lambda: self._file(self.loadavg),
            "cpuinfo": lambda: self._file(self.cpuinfo),
            "version": lambda: self._file(self.version),
            "mounts": lambda: self._file(self.mounts),
            "filesystems": lambda: self._file(self.filesystems),
            "kmsg": lambda: self._file(self.kmsg, 0o400),
            "syscalls": lambda: self._file(lambda: self.syscalls(self.k.syscount)),
            "self": lambda: ProcLink(self, lambda p: str(p.pid) if p else "self"),
            "generation": lambda: self._file(self.generation),
            "allstat": lambda: self._file(self.allstat),
            "threads": lambda: self._file(self.threads),
            "vmstat": lambda: self._file(self.vmstat),
            "buddyinfo": lambda: self._file(self.buddyinfo),
            "sys": self._sys_dir,
            "diskstats": lambda: self._file(self.diskstats),
            **self.misc_globals(),  # tty/, locks (kernel.fs.procmisc)
        }
        self.root = ProcDir(self, None, "", self._root_names, self._root_lookup)
        self.root.cache = _NoCache()  # a pid's directory must not outlive its process
        self.root.dirents_fn = self._root_dirents
        # pid -> (process, its directory): built once per process, dropped with it.
        self._pid_dirs: dict[int, tuple[Process, ProcDir]] = {}
        self._sys: ProcDir | None = None
        self._layouts = {}
        self._oom_floors = {}

    def _file(
        self,
        gen: Callable[[], str],
        mode: int = 0o444,
        uid: int = 0,
        put: Callable[[Any, File, bytes], int] | None = None,
        gate: Callable[[Any], None] | None = None,
    ) -> ProcFile:
        return ProcFile(self, gen, mode, uid, 0, put, gate)

    # ------------------------------------------------------------------ the root
    def _root_names(self) -> list[str]:
        pids = sorted(p.pid for p in self.k.procs.procs.values() if p.pid > 0)
        return [str(p) for p in pids] + list(self.globals)

    def _root_dirents(self) -> list[tuple[int, int, str]]:
        """The root's entries without building a directory per process (``ps`` reads
        /proc once per run, and a machine may have thousands of processes)."""
        from kernel.abi import DT_DIR

        pids = sorted(p for p in self.k.procs.procs if p > 0)
        out = [(PID_INO_BASE + pid * 256, DT_DIR, str(pid)) for pid in pids]
        for name in self.globals:
            node = self._global(name)
            out.append((node.ino, node.dtype(), name))
        return out

    def _root_lookup(self, name: str) -> Inode | None:
        if name.isdigit():
            pid = int(name)
            proc, t = self.pid_or_tid(pid)  # a thread's tid too (kernel.fs.proctask)
            if proc is None or pid == 0:
                return None
            cached = self._pid_dirs.get(pid)
            if cached is not None and cached[0] is proc:
                return cached[1]
            if len(self._pid_dirs) > 2 * len(self.k.procs.procs) + 64:
                procs = self.k.procs.procs
                self._pid_dirs = {p: e for p, e in self._pid_dirs.items() if procs.get(p) is e[0]}
            d = self._pid_dir(proc, t)
            self._pid_dirs[pid] = (proc, d)
            return d
        return self._global(name) if name in self.globals else None

    def _global(self, name: str) -> Inode:
        """A machine-wide file, with the same inode number every time."""
        node = self.globals[name]()
        node.ino = 2 + list(self.globals).index(name)
        return node

    # ------------------------------------------------------------------ /proc/<pid>
    def _pid_dir(self, proc: Process, t: Thread | None = None) -> ProcDir:
        """/proc/<pid>, or /proc/<tid> of thread ``t`` (not the leader: hidden from the
        listing, as on Linux, and its stat and status are the thread's)."""
        ino = PID_INO_BASE + (t.tid if t is not None else proc.pid) * 256
        files = self._pid_files(proc, t)
        return self._live_dir(proc, files, proc.cred.euid, proc.cred.egid, ino=ino)

    def _pid_files(self, proc: Process, t: Thread | None = None) -> dict[str, Callable[[], Inode]]:
        """The files of /proc/<pid> (those of thread ``t``, or the leader's); a task
        directory takes its share of them (kernel.fs.proctask)."""
        uid = proc.cred.euid

        def thread() -> Thread | None:
            return t if t is not None else proc.main_thread

        def gate(t: Any) -> None:
            if not may_access(t.proc.cred, proc):
                raise Error(EACCES)

        files: dict[str, Callable[[], Inode]] = {
            "stat": lambda: self._file(lambda: self.pid_stat(proc, thread()), uid=uid),
            "status": lambda: self._file(lambda: self.status(proc, thread()), uid=uid),
            "cmdline": lambda: self._file(lambda: self.cmdline(proc), uid=uid),
            "comm": lambda: self._file(lambda: proc.comm + "\n", uid=uid),
            "environ": lambda: self._file(lambda: self.environ(proc), 0o400, uid),
            "maps": lambda: self._file(lambda: self.maps(proc), uid=uid, gate=gate),
            "schedstat": lambda: self._file(lambda: self.schedstat(proc.threads), uid=uid),
            "syscalls": lambda: self._file(lambda: self.syscalls(proc.counters), uid=uid),
            "cwd": lambda: ProcLink(
                self,
                lambda _p: self.cwd(proc),
                lambda _p: proc.cwd if proc.state == ALIVE else None,
                uid,
            ),
            "exe": lambda: ProcLink(self, lambda _p: self.exe(proc), None, uid),
            "fd": lambda: self._fd_dir(proc),
            "task": lambda: self._task_dir(proc),
            "wchan": lambda: self._file(lambda: self.wchan(thread()), uid=uid),
            "statm": lambda: self._file(lambda: self.statm(proc), uid=uid),
            "smaps": lambda: self._file(lambda: self.smaps(proc), uid=uid, gate=gate),
            "smaps_rollup": lambda: self._file(lambda: self.smaps_rollup(proc), uid=uid, gate=gate),
            "mem": lambda: ProcMemFile(self, proc),
            "oom_score": lambda: self._file(lambda: self.oom_score(proc), uid=uid),
            "oom_score_adj": lambda: self._file(
                lambda: f"{proc.oom_score_adj}\n",
                0o644,
                uid,
                lambda t, f, data: self._oom_adj_write(t, f, data, proc),
            ),
            "limits": lambda: self._file(lambda: self.limits(proc), uid=uid),
            "fdinfo": lambda: self._fd_dir(proc, info=True),
        }
        files.update(self.misc_pid_files(proc))  # io, mounts, root, cgroup, ns/
        return files

    def _oom_adj_write(self, t: Any, f: File, data: bytes, proc: Process) -> int:
        self.set_oom_score_adj(t, proc, data)
        f.pos += len(data)
        return len(data)

    # ------------------------------------------------------------------ /proc/sys
    def _sys_dir(self) -> ProcDir:
        """/proc/sys: ``kernel/threads-max`` and ``vm/``'s sysctls, made once, with
        inode numbers fixed by their place in the table."""
        if self._sys is not None:
            return self._sys
        ino = iter(range(SYS_INO_BASE, SYS_INO_BASE + 4096))
        subdirs: dict[str, dict[str, Inode]] = {}
        for path, get, set_, signed in self.sysctls():
            sub, name = path.split("/")

            def put(t: Any, f: File, data: bytes, set_: Any = set_, signed: bool = signed) -> int:
                return self.sysctl_write(t, f, data, set_, signed)

            node = self._file(lambda get=get: f"{get()}\n", 0o644, put=put)
            node.ino = next(ino)
            subdirs.setdefault(sub, {})[name] = node
        self.add_misc_sysctls(subdirs, ino)  # the string ones: kernel/hostname, ...

        def directory(entries: dict[str, Inode]) -> ProcDir:
            d = ProcDir(self, None, "", lambda: list(entries), entries.get)
            d.ino = next(ino)
            return d

        dirs = {sub: directory(entries) for sub, entries in sorted(subdirs.items())}
        self._sys = directory(dirs)  # type: ignore[arg-type]
        return self._sys

    def _live_dir(
        self,
        proc: Process,
        files: dict[str, Callable[[], Inode]],
        uid: int,
        gid: int,
        mode: int = 0o555,
        *,
        ino: int,
    ) -> ProcDir:
        """A directory of a live (or zombie) process's files; inode numbers ``ino``
        (the directory) and ``ino + 1 + i`` (its i-th file) never change."""
        order = {name: i for i, name in enumerate(files)}

        def names() -> list[str]:
            return list(files) if proc.state in (ALIVE, ZOMBIE) else []

        def lookup(name: str) -> Inode | None:
            if proc.state not in (ALIVE, ZOMBIE):
                return None
            make = files.get(name)
            if make is None:
                return None
            return _stamp(make(), proc.start_time, ino + 1 + order[name])

        d = ProcDir(self, None, "", names, lookup, mode, uid, gid)
        return _stamp(d, proc.start_time, ino)

    def _fd_dir(self, proc: Process, *, info: bool = False) -> ProcDir:
        """``fd/``: a magic link per descriptor; with ``info``, ``fdinfo/``: a file per
        descriptor. Both directories open only for the owner or root (mode 0500; Linux
        shows fdinfo/ as 0555 but refuses others just the same)."""
        uid = proc.cred.euid

        def names() -> list[str]:
            return [str(fd) for fd in sorted(proc.fds.files)] if proc.state == ALIVE else []

        def lookup(name: str) -> Inode | None:
            if not name.isdigit() or int(name) not in proc.fds.files:
                return None
            fd = int(name)
            if info:
                node: Inode = self._file(
                    lambda: self.fdinfo_text(proc, fd), uid=uid, gate=lambda t: _gate(t, proc)
                )
                return _stamp(node, proc.start_time, FDINFO_INO_BASE + proc.pid * 4096 + fd)

            def target(_p: Any) -> str:
                f = proc.fds.files.get(fd)
                if f is None:
                    raise Error(ENOENT)
                return f.path

            def inode(_p: Any) -> Inode | None:
                f = proc.fds.files.get(fd)
                if f is None:
                    raise Error(ENOENT)
                return f.inode

            link = ProcLink(self, target, inode, uid)
            link.mode = S_IFLNK | fd_link_mode(proc.fds.files[fd])  # lsof reads r/w/u here
            return _stamp(link, proc.start_time, FD_INO_BASE + proc.pid * 4096 + fd)

        d = ProcDir(self, None, "", names, lookup, 0o500, uid, proc.cred.egid)
        d.cache = _NoCache()
        return d


def _gate(t: Any, proc: Process) -> None:
    """Linux's ptrace rule for maps, smaps and fdinfo: the same user, or root."""
    if not may_access(t.proc.cred, proc):
        raise Error(EACCES)


def _stamp(node: Inode, ns: int, ino: int) -> Inode:
    """Give a /proc node its process's start time (as Linux does) and a fixed inode
    number, so when it happens to be created — by the machine, or by a front end
    looking — never shows."""
    node.atime = node.mtime = node.ctime = ns
    node.ino = ino
    return node


class _NoCache(dict):
    """A cache that keeps nothing (fd and task entries change under our feet)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass
