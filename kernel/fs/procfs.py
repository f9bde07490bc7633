"""procfs: /proc, the kernel's state as files, generated when opened.

Formats follow Linux's proc(5) wherever Linux has the same file, so tools written for
Linux can read them: ``/proc/<pid>/{stat,status,cmdline,comm,environ,maps,schedstat}``,
the ``cwd`` and ``exe`` links, ``fd/`` (magic links that reopen the very file),
``task/<tid>/{stat,status,comm}``, ``self``, ``meminfo``, ``stat``, ``uptime``,
``loadavg``, ``cpuinfo``, ``version``, ``mounts``, ``filesystems`` and ``kmsg`` (the
kernel log; reading it does not consume it). libk adds one line to every status file,
``ExitRequested:`` (whether someone asked the thread to leave), and two files of its
own: ``/proc/<pid>/syscalls`` and ``/proc/syscalls``, one ``name count`` line per system
call the process (or the whole machine) has made, in table order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.abi import EACCES, ENOENT, EPERM, S_IFREG, Error
from kernel.fs.file import File
from kernel.fs.vfs import DirInode, FileSystem, Inode, SymlinkInode
from kernel.proc import ALIVE, ZOMBIE, Process
from kernel.thread import RUNNABLE, SLEEPING, STOPPED, Thread

if TYPE_CHECKING:
    from kernel.kernel import Kernel

USER_HZ = 100
# Inode numbers of /proc's generated nodes depend only on what they show.
PID_INO_BASE = 1 << 32  # /proc/<pid>: + pid * 256; its files follow it
TASK_INO_BASE = 1 << 44  # /proc/<pid>/task/<tid>: + tid * 256
FD_INO_BASE = 1 << 56  # /proc/<pid>/fd/<n>: + pid * 4096 + n
TICK_NS = 1_000_000_000 // USER_HZ
STATE_NAMES = {
    "R": "R (running)",
    "S": "S (sleeping)",
    "T": "T (stopped)",
    "Z": "Z (zombie)",
    "X": "X (dead)",
}


class ProcFile(Inode):
    """A read-only file whose content is generated when it is opened."""

    __slots__ = ("gen",)

    def __init__(
        self, fs: FileSystem, gen: Callable[[], str], mode: int = 0o444, uid: int = 0, gid: int = 0
    ) -> None:
        super().__init__(fs, S_IFREG | mode, uid, gid)
        self.gen = gen

    def open(self, t: Any, f: File) -> None:
        f.private = self.gen().encode()

    def read(self, t: Any, f: File, count: int) -> bytes:
        data = f.private
        chunk = data[f.pos : f.pos + count]
        f.pos += len(chunk)
        return chunk

    def write(self, t: Any, f: File, data: bytes) -> int:
        raise Error(EACCES)

    def truncate(self, length: int) -> None:
        raise Error(EACCES)


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

    def forget(self, name: str) -> None:
        """Drop a cached entry (its process is gone)."""
        self.cache.pop(name, None)

    def check_new(self, name: str) -> None:
        raise Error(EACCES)

    def remove(self, name: str) -> Inode:
        raise Error(EPERM)


class ProcFS(FileSystem):
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
        }
        self.root = ProcDir(self, None, "", self._root_names, self._root_lookup)
        self.root.cache = _NoCache()  # a pid's directory must not outlive its process
        self.root.dirents_fn = self._root_dirents
        # pid -> (process, its directory): built once per process, dropped with it.
        self._pid_dirs: dict[int, tuple[Process, ProcDir]] = {}

    def _file(self, gen: Callable[[], str], mode: int = 0o444, uid: int = 0) -> ProcFile:
        return ProcFile(self, gen, mode, uid)

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
            proc = self.k.procs.procs.get(pid)
            if proc is None or pid == 0:
                return None
            cached = self._pid_dirs.get(pid)
            if cached is not None and cached[0] is proc:
                return cached[1]
            if len(self._pid_dirs) > 2 * len(self.k.procs.procs) + 64:
                procs = self.k.procs.procs
                self._pid_dirs = {p: e for p, e in self._pid_dirs.items() if procs.get(p) is e[0]}
            d = self._pid_dir(proc)
            self._pid_dirs[pid] = (proc, d)
            return d
        return self._global(name) if name in self.globals else None

    def _global(self, name: str) -> Inode:
        """A machine-wide file, with the same inode number every time."""
        node = self.globals[name]()
        node.ino = 2 + list(self.globals).index(name)
        return node

    # ------------------------------------------------------------------ /proc/<pid>
    def _pid_dir(self, proc: Process) -> ProcDir:
        uid, gid = proc.cred.euid, proc.cred.egid
        files: dict[str, Callable[[], Inode]] = {
            "stat": lambda: self._file(lambda: self.pid_stat(proc, proc.main_thread), uid=uid),
            "status": lambda: self._file(lambda: self.status(proc, proc.main_thread), uid=uid),
            "cmdline": lambda: self._file(lambda: self.cmdline(proc), uid=uid),
            "comm": lambda: self._file(lambda: proc.comm + "\n", uid=uid),
            "environ": lambda: self._file(lambda: self.environ(proc), 0o400, uid),
            "maps": lambda: self._file(lambda: self.maps(proc), uid=uid),
            "schedstat": lambda: self._file(lambda: self.schedstat(proc.threads), uid=uid),
            "syscalls": lambda: self._file(lambda: self.syscalls(proc.counters), uid=uid),
            "cwd": lambda: ProcLink(
                self,
                lambda _p: self.cwd(proc),
                lambda _p: proc.cwd if proc.state == ALIVE else None,
                uid,
            ),
            "exe": lambda: ProcLink(self, lambda _p: proc.exe, None, uid),
            "fd": lambda: self._fd_dir(proc),
            "task": lambda: self._task_dir(proc),
        }
        return self._live_dir(proc, files, uid, gid, ino=PID_INO_BASE + proc.pid * 256)

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

    def _fd_dir(self, proc: Process) -> ProcDir:
        uid = proc.cred.euid

        def names() -> list[str]:
            return [str(fd) for fd in sorted(proc.fds.files)] if proc.state == ALIVE else []

        def lookup(name: str) -> Inode | None:
            if not name.isdigit() or int(name) not in proc.fds.files:
                return None
            fd = int(name)

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

            return _stamp(
                ProcLink(self, target, inode, uid),
                proc.start_time,
                FD_INO_BASE + proc.pid * 4096 + fd,
            )

        d = ProcDir(self, None, "", names, lookup, 0o500, uid, proc.cred.egid)
        d.cache = _NoCache()
        return d

    def _task_dir(self, proc: Process) -> ProcDir:
        uid = proc.cred.euid

        def names() -> list[str]:
            return [str(t.tid) for t in proc.threads]

        def lookup(name: str) -> Inode | None:
            t = next((x for x in proc.threads if str(x.tid) == name), None)
            if t is None:
                return None
            files: dict[str, Callable[[], Inode]] = {
                "stat": lambda: self._file(lambda: self.pid_stat(proc, t), uid=uid),
                "status": lambda: self._file(lambda: self.status(proc, t), uid=uid),
                "comm": lambda: self._file(lambda: (t.name or proc.comm) + "\n", uid=uid),
                "schedstat": lambda: self._file(lambda: self.schedstat([t]), uid=uid),
            }
            return self._live_dir(proc, files, uid, proc.cred.egid, ino=TASK_INO_BASE + t.tid * 256)

        d = ProcDir(self, None, "", names, lookup, 0o555, uid, proc.cred.egid)
        d.cache = _NoCache()
        return d

    # ------------------------------------------------------------------ per-process files
    def proc_state(self, proc: Process, t: Thread | None) -> str:
        """The one-letter state /proc shows."""
        if proc.state != ALIVE:
            return "Z"
        if t is None:
            t = proc.threads[0] if proc.threads else None
        if t is None:
            return "Z"
        if t.state is STOPPED or proc.stopped:
            return "T"
        if t.state is RUNNABLE:
            return "R"
        return "S" if t.state is SLEEPING else "X"

    def pid_stat(self, proc: Process, t: Thread | None) -> str:
        """/proc/<pid>/stat (or a task's), the 52 fields of proc(5)."""
        alive = proc.state == ALIVE
        threads = proc.threads if t is None or t.tid == proc.pid else [t]
        tid = t.tid if t is not None else proc.pid
        if t is not None and t.tid != proc.pid:
            utime, stime = t.utime, t.stime
        else:
            utime = proc.utime + sum(x.utime for x in proc.threads)
            stime = proc.stime + sum(x.stime for x in proc.threads)
        tty = proc.ctty
        tty_nr = tty.node.rdev if tty is not None and tty.node is not None else 0
        tpgid = tty.pgrp if tty is not None and tty.pgrp is not None else -1
        vsize = proc.mm.size if alive else 0
        rss = proc.mm.resident if alive else 0
        ignored = sum(1 << (s - 1) for s, d in proc.sigdisp.items() if d == 1)
        wchan = 0
        cpu = threads[0].cpu if threads else 0
        comm = (t.name if t is not None and t.tid != proc.pid else proc.comm) or proc.comm
        fields = [
            tid,
            f"({comm})",
            self.proc_state(proc, t),
            proc.ppid,
            proc.pgid,
            proc.sid,
            tty_nr,
            tpgid,
            0x400000,
            proc.minflt,
            0,
            0,
            0,
            utime // TICK_NS,
            stime // TICK_NS,
            proc.cutime // TICK_NS,
            proc.cstime // TICK_NS,
            20,
            0,
            len(proc.threads) if proc.threads else 1,
            0,
            proc.start_time // TICK_NS,
            vsize,
            rss,
            "18446744073709551615",
            0x400000,
            0x400000 + 4096,
            0x7FFFFFFFF000,
            0,
            0,
            0,
            0,
            ignored,
            0,
            wchan,
            0,
            0,
            17,
            cpu,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            proc.exit_status if proc.state != ALIVE else 0,
        ]
        return " ".join(str(f) for f in fields) + "\n"

    def status(self, proc: Process, t: Thread | None) -> str:
        """/proc/<pid>/status (or a task's), proc(5)'s fields plus ExitRequested."""
        c = proc.cred
        alive = proc.state == ALIVE
        tid = t.tid if t is not None else proc.pid
        name = (t.name if t is not None and t.tid != proc.pid else proc.comm) or proc.comm
        ignored = sum(1 << (s - 1) for s, d in proc.sigdisp.items() if d == 1)
        threads = [t] if t is not None else proc.threads
        lines = [
            f"Name:\t{name}",
            f"Umask:\t{proc.umask:04o}",
            f"State:\t{STATE_NAMES[self.proc_state(proc, t)]}",
            f"Tgid:\t{proc.pid}",
            "Ngid:\t0",
            f"Pid:\t{tid}",
            f"PPid:\t{proc.ppid}",
            "TracerPid:\t0",
            f"Uid:\t{c.uid}\t{c.euid}\t{c.euid}\t{c.euid}",
            f"Gid:\t{c.gid}\t{c.egid}\t{c.egid}\t{c.egid}",
            f"FDSize:\t{64 if len(proc.fds.files) <= 64 else 1024}",
            "Groups:\t" + " ".join(str(g) for g in c.groups),
            f"NStgid:\t{proc.pid}",
            f"NSpid:\t{tid}",
            f"NSpgid:\t{proc.pgid}",
            f"NSsid:\t{proc.sid}",
        ]
        if alive:
            ps = self.k.frames.page_size // 1024
            size = proc.mm.size // 1024
            rss = proc.mm.resident * ps
            stack = sum(a.length for a in proc.mm.areas if a.name == "[stack]") // 1024
            text = sum(a.length for a in proc.mm.areas if a.name == "[text]") // 1024
            for label, value in (
                ("VmPeak", size),
                ("VmSize", size),
                ("VmLck", 0),
                ("VmPin", 0),
                ("VmHWM", rss),
                ("VmRSS", rss),
                ("RssAnon", rss),
                ("RssFile", 0),
                ("RssShmem", 0),
                ("VmData", size - stack - text),
                ("VmStk", stack),
                ("VmExe", text),
                ("VmLib", 0),
                ("VmPTE", 0),
                ("VmSwap", 0),
            ):
                lines.append(f"{label + ':':<8}{value:>8} kB")
        lines += [
            f"Threads:\t{max(1, len(proc.threads))}",
            "SigQ:\t0/31675",
            "SigPnd:\t0000000000000000",
            "ShdPnd:\t0000000000000000",
            "SigBlk:\t0000000000000000",
            f"SigIgn:\t{ignored:016x}",
            "SigCgt:\t0000000000000000",
            f"Cpus_allowed_list:\t0-{len(self.k.cpus) - 1}"
            if len(self.k.cpus) > 1
            else "Cpus_allowed_list:\t0",
            f"voluntary_ctxt_switches:\t{sum(x.nvcsw for x in threads)}",
            f"nonvoluntary_ctxt_switches:\t{sum(x.nivcsw for x in threads)}",
        ]
        if t is not None:
            lines.append(f"ExitRequested:\t{int(t.exit_requested)}")
        else:
            main = proc.main_thread
            lines.append(f"ExitRequested:\t{int(main.exit_requested) if main else 0}")
        return "\n".join(lines) + "\n"

    def cmdline(self, proc: Process) -> str:
        """NUL-separated argv; empty for a zombie."""
        if proc.state != ALIVE:
            return ""
        return "".join(a + "\0" for a in proc.argv)

    def environ(self, proc: Process) -> str:
        """NUL-separated KEY=value pairs."""
        return "".join(f"{a}={b}\0" for a, b in proc.env.items()) if proc.state == ALIVE else ""

    def maps(self, proc: Process) -> str:
        """The address-space areas, in Linux's maps format."""
        return "".join(
            f"{a.start:08x}-{a.start + a.length:08x} {a.perms} 00000000 00:00 0{'':<10}{a.name}\n"
            for a in proc.mm.areas
        )

    def schedstat(self, threads: list[Thread]) -> str:
        """Time on CPU (ns), time waiting to run (ns, not tracked: 0), and slices run."""
        run = sum(t.utime + t.stime for t in threads)
        slices = sum(t.nvcsw + t.nivcsw for t in threads)
        return f"{run} 0 {slices}\n"

    def syscalls(self, counts: list[int]) -> str:
        """``name count`` for every system call made at least once, in table order."""
        from kernel.abi import SYSCALLS

        return "".join(
            f"{s.name} {counts[s.nr]}\n" for s in SYSCALLS if s.nr < len(counts) and counts[s.nr]
        )

    def cwd(self, proc: Process) -> str:
        """The working directory as a path."""
        from kernel.fs.vfs import PathWalk

        if proc.state != ALIVE:
            raise Error(ENOENT)
        return PathWalk(self.k.root_ns, proc.cred, proc.cwd).path_of(proc.cwd)

    # ------------------------------------------------------------------ machine-wide files
    def meminfo(self) -> str:
        """/proc/meminfo in Linux's layout."""
        fr = self.k.frames
        kb = fr.page_size // 1024
        total = (fr.total - fr.reserved) * kb
        free = fr.free * kb
        shmem = fr.by_kind.get("shmem", 0) * kb
        anon = fr.by_kind.get("anon", 0) * kb
        rows = [
            ("MemTotal", total),
            ("MemFree", free),
            ("MemAvailable", free),
            ("Buffers", 0),
            ("Cached", shmem),
            ("SwapCached", 0),
            ("Active", anon + shmem),
            ("Inactive", 0),
            ("Active(anon)", anon),
            ("Inactive(anon)", 0),
            ("Active(file)", shmem),
            ("Inactive(file)", 0),
            ("Unevictable", 0),
            ("Mlocked", 0),
            ("SwapTotal", 0),
            ("SwapFree", 0),
            ("Dirty", 0),
            ("Writeback", 0),
            ("AnonPages", anon),
            ("Mapped", 0),
            ("Shmem", shmem),
            ("KReclaimable", 0),
            ("Slab", 0),
            ("SReclaimable", 0),
            ("SUnreclaim", 0),
            ("KernelStack", len(self.k.procs.threads) * 16),
            ("PageTables", 0),
            ("CommitLimit", total),
            ("Committed_AS", anon + shmem),
            ("VmallocTotal", 0),
            ("VmallocUsed", 0),
            ("VmallocChunk", 0),
        ]
        return "".join(f"{name + ':':<16}{value:>8} kB\n" for name, value in rows)

    def stat(self) -> str:
        """/proc/stat: CPU times in USER_HZ ticks, context switches, processes."""
        k = self.k
        now = k.now()

        def line(name: str, user: int, system: int, idle: int) -> str:
            return f"{name} {user // TICK_NS} 0 {system // TICK_NS} {idle // TICK_NS} 0 0 0 0 0 0\n"

        rows = []
        tu = ts = ti = 0
        for cpu in k.cpus:
            idle = max(0, now - cpu.user - cpu.system)
            rows.append(line(f"cpu{cpu.id}", cpu.user, cpu.system, idle))
            tu, ts, ti = tu + cpu.user, ts + cpu.system, ti + idle
        from kernel.sysproc import epoch_ns

        running = sum(1 for t in k.procs.threads.values() if t.state is RUNNABLE)
        blocked = 0
        return (
            line("cpu ", tu, ts, ti)
            + "".join(rows)
            + "intr 0\n"
            + f"ctxt {sum(c.ctxt for c in k.cpus)}\n"
            + f"btime {epoch_ns(k) // 1_000_000_000}\n"
            + f"processes {k.procs.created}\n"
            + f"procs_running {running}\n"
            + f"procs_blocked {blocked}\n"
            + "softirq 0 0 0 0 0 0 0 0 0 0 0\n"
        )

    def uptime(self) -> str:
        """Seconds since boot, and idle seconds summed over CPUs."""
        k = self.k
        now = k.now()
        idle = sum(max(0, now - c.user - c.system) for c in k.cpus)
        return f"{now / 1e9:.2f} {idle / 1e9:.2f}\n"

    def loadavg(self) -> str:
        """Load averages, runnable/total threads, and the last pid."""
        k = self.k
        a, b, c = k.loadavg
        running = sum(1 for t in k.procs.threads.values() if t.state is RUNNABLE)
        last = max(k.procs.procs, default=0)
        return f"{a:.2f} {b:.2f} {c:.2f} {running}/{len(k.procs.threads)} {last}\n"

    def cpuinfo(self) -> str:
        """One block per simulated CPU."""
        n = len(self.k.cpus)
        blocks = []
        for i in range(n):
            blocks.append(
                f"processor\t: {i}\nvendor_id\t: LibkSim\ncpu family\t: 1\nmodel\t\t: 1\n"
                f"model name\t: libk simulated CPU (coroutine dispatch)\nstepping\t: 0\n"
                f"cpu MHz\t\t: 1000.000\ncache size\t: 0 KB\nphysical id\t: 0\n"
                f"siblings\t: {n}\ncore id\t\t: {i}\ncpu cores\t: {n}\n"
                f"flags\t\t: coroutine checkpoint syscall\nbogomips\t: 2000.00\n"
            )
        return "\n".join(blocks)

    def version(self) -> str:
        """The kernel version line."""
        from kernel.kernel import RELEASE

        return f"libk version {RELEASE} (libk@{self.k.info.name}) #1 SMP\n"

    def mounts(self) -> str:
        """The mounts of the namespace, as /proc/mounts lists them."""
        return "".join(
            f"{m.source} {m.target} {m.fs.fstype} {','.join(m.options)} 0 0\n"
            for m in self.k.root_ns.mounts
        )

    def filesystems(self) -> str:
        """The file-system types the kernel knows."""
        return "".join(f"nodev\t{name}\n" for name in ("tmpfs", "devfs", "proc", "pipefs"))

    def kmsg(self) -> str:
        """The kernel log (non-consuming)."""
        return self.k.log.render()


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
