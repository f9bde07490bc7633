"""The thread side of /proc: ``/proc/<pid>/task/<tid>/`` and ``/proc/<tid>``.

A task directory holds the thread's own ``stat``, ``status``, ``comm``, ``schedstat``
and ``wchan``, and, as on Linux, the process's ``cmdline``, ``environ``, ``cwd``,
``exe``, ``fd/``, ``fdinfo/``, ``maps``, ``root`` and ``statm``. A zombie keeps its
leader's entry in ``task/`` (Linux lists the zombie's tid, so ``ps -eLf`` still shows
it). ``/proc/<tid>`` of a thread that is not the leader resolves to a directory like
the process's (its stat and status the thread's), hidden from /proc's listing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kernel.proc import ALIVE, ZOMBIE, Process
from kernel.thread import Thread

if TYPE_CHECKING:
    from kernel.fs.procfs import ProcDir
    from kernel.fs.vfs import Inode
    from kernel.kernel import Kernel

#: The process's files a task directory shows too, in Linux's order.
SHARED_TASK_FILES = (
    "cmdline",
    "environ",
    "cwd",
    "exe",
    "fd",
    "fdinfo",
    "maps",
    "root",
    "statm",
)


class ProcTask:
    """Task directories and tid lookups, mixed into :class:`~kernel.fs.procfs.ProcFS`."""

    k: Kernel

    def pid_or_tid(self, n: int) -> tuple[Process | None, Thread | None]:
        """The process /proc/<n> shows: ``(process, None)`` for a pid, ``(process,
        thread)`` for the tid of a live thread that is not its leader, else Nones."""
        proc = self.k.procs.procs.get(n)
        if proc is not None:
            return proc, None
        t = self.k.procs.threads.get(n)
        if t is None or t.proc is None or t not in t.proc.threads:
            return None, None
        if t.proc.state not in (ALIVE, ZOMBIE) or self.k.procs.procs.get(t.proc.pid) is not t.proc:
            return None, None
        return t.proc, t

    def _task_dir(self, proc: Process) -> ProcDir:
        """``task/``: a directory per thread; a zombie's lists its own pid."""
        from kernel.fs.procfs import TASK_INO_BASE, ProcDir, _NoCache

        fs: Any = self
        uid = proc.cred.euid

        def names() -> list[str]:
            if proc.threads:
                return [str(t.tid) for t in proc.threads]
            return [str(proc.pid)] if proc.state == ZOMBIE else []

        def lookup(name: str) -> Inode | None:
            t = next((x for x in proc.threads if str(x.tid) == name), None)
            if t is None and not (proc.state == ZOMBIE and name == str(proc.pid)):
                return None
            tid = t.tid if t is not None else proc.pid
            files = self.task_files(proc, t)
            return fs._live_dir(proc, files, uid, proc.cred.egid, ino=TASK_INO_BASE + tid * 256)

        d = ProcDir(fs, None, "", names, lookup, 0o555, uid, proc.cred.egid)
        d.cache = _NoCache()
        return d

    def task_files(self, proc: Process, t: Thread | None) -> dict[str, Callable[[], Inode]]:
        """The files of ``task/<tid>/`` (``t`` None: a zombie's leader, gone)."""
        fs: Any = self
        uid = proc.cred.euid

        def comm() -> str:
            return ((t.name if t is not None and t.tid != proc.pid else "") or proc.comm) + "\n"

        files: dict[str, Callable[[], Inode]] = {
            "stat": lambda: fs._file(lambda: fs.pid_stat(proc, t, task=True), uid=uid),
            "status": lambda: fs._file(lambda: fs.status(proc, t), uid=uid),
            "comm": lambda: fs._file(comm, uid=uid),
            "schedstat": lambda: fs._file(lambda: fs.schedstat([t] if t else []), uid=uid),
            "wchan": lambda: fs._file(lambda: fs.wchan(t), uid=uid),
        }
        shared = fs._pid_files(proc, t)
        files.update((name, shared[name]) for name in SHARED_TASK_FILES if name in shared)
        return files
