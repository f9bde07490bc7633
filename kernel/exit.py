"""How processes and threads end: exit, crashes, zombies, orphans and reaping.

A thread ends by returning, by thread_exit, or with its process. A process ends when
its main thread returns from ``main``, by exit, by a fatal signal, or when a program
raises (the process dies with SIGSEGV and the kernel logs the traceback; the machine
lives). An ended process stays a zombie until its parent collects it with wait4; its
children are handed to init.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    RLIMIT_CORE,
    SIG_IGN,
    SIGCHLD,
    SIGCONT,
    SIGHUP,
    SIGKILL,
    SIGNAL_NAMES,
    SIGSEGV,
    W_EXITCODE,
    MemoryFault,
)
from kernel.proc import ALIVE, REAPED, ZOMBIE, Process
from kernel.thread import DEAD, Thread, close_coroutine

if TYPE_CHECKING:
    from kernel.kernel import Kernel


#: Frames from here on are the kernel's own, not the crashed program's.
KERNEL_DIR = __file__.rsplit("/", 1)[0] + "/"


class Exits:
    """Process and thread endings for one kernel."""

    def __init__(self, k: Kernel) -> None:
        self.k = k

    # ------------------------------------------------------------------ threads
    def thread_returned(self, t: Thread, value: Any) -> None:
        """A thread's coroutine returned: the main thread's return is the exit status."""
        if t.is_main:
            status = (
                value
                if isinstance(value, int) and not isinstance(value, bool)
                else (1 if value is False else 0)
            )
            self.exit_process(t.proc, W_EXITCODE(status & 0xFF))
        else:
            self.end_thread(t, value)

    def thread_crashed(self, t: Thread, exc: BaseException) -> None:
        """A program raised: log it, and the process dies with SIGSEGV."""
        if isinstance(exc, MemoryFault):
            self.fatal_fault(t, exc)
            return
        proc = t.proc
        tb = traceback.extract_tb(exc.__traceback__)
        frames = [f for f in tb if not f.filename.startswith(KERNEL_DIR)]
        where = (
            f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
        )
        self.k.log(
            f"{proc.comm}[{proc.pid}]: segfault: uncaught {type(exc).__name__}: {exc}{where}"
        )
        for f in frames[-4:]:
            self.k.log(f"    {f.filename.rsplit('/', 2)[-1]}:{f.lineno} in {f.name}")
        self.exit_process(proc, SIGSEGV | 0x80)

    def fatal_fault(self, t: Thread, fault: MemoryFault) -> None:
        """A page fault the kernel could not resolve (already logged by the fault
        handler): the process dies of its signal, with a core flag when RLIMIT_CORE
        allows a core dump."""
        proc = t.proc
        sig = fault.signal
        core = 0x80 if sig != SIGKILL and proc.rlimits[RLIMIT_CORE][0] != 0 else 0
        self.exit_process(proc, sig | core)

    def end_thread(self, t: Thread, value: Any = None) -> None:
        """End one thread; the process ends with its last thread."""
        if t.state is DEAD:
            return
        proc = t.proc
        t.result = value
        if t.tid != proc.pid:
            proc.exited_threads[t.tid] = (value, self.k.now())
        self._kill_thread(t)
        proc.threads.remove(t)
        if not proc.threads:
            self.exit_process(proc, W_EXITCODE(0))

    def _kill_thread(self, t: Thread) -> None:
        t.state = DEAD
        t.sleep_seq += 1
        t.wchan = ""
        proc = t.proc
        proc.utime += t.utime
        proc.nvcsw += t.nvcsw
        proc.nivcsw += t.nivcsw
        proc.stime += t.stime
        for obj in (t.kgen, t.coro):
            if obj is not None and not close_coroutine(obj):
                self.k.log(f"pid {proc.pid} thread {t.tid}: its clean-up would not end")
        t.kgen = None
        t.coro = None
        if t.tid != proc.pid:
            self.k.procs.threads.pop(t.tid, None)
        if t.joiners is not None:
            self.k.wake_all(t.joiners)

    # ------------------------------------------------------------------ processes
    def exit_process(self, proc: Process, status: int) -> None:
        """End ``proc`` with wait status ``status``: threads, files, memory, family."""
        if proc.state != ALIVE:
            return
        k = self.k
        for t in list(proc.threads):
            self._kill_thread(t)
        proc.threads.clear()
        proc.state = ZOMBIE
        proc.exit_status = status
        proc.end_time = k.now()
        proc.stopped = False
        proc.fds.close_all()
        proc.mm.release()
        from kernel.fs.mount import release

        release(proc)  # its mount namespace: freed when it was the last user
        proc.leave_directories()
        if proc.tracer is not None or proc in k.tracing.queues:
            k.tracing.exited(proc)
        sig = status & 0x7F
        if sig and status & 0x80:
            k.log(f"{proc.comm}[{proc.pid}]: killed by {SIGNAL_NAMES.get(sig, sig)} (core)")
        if proc.pid == 1:
            from kernel.kernel import Panic

            raise Panic(f"Attempted to kill init! exitcode=0x{status:08x}")
        tty = proc.ctty
        if tty is not None and proc.pid == proc.sid and tty.sid == proc.sid:
            fg = tty.pgrp
            tty.session_ended(proc.sid)
            if fg is not None:
                k.signals.send_group(fg, SIGHUP)
                k.signals.send_group(fg, SIGCONT)
        self._reparent_children(proc)
        parent = proc.parent
        if parent is None or parent.state != ALIVE:
            self.reap(proc)
            return
        if parent.sigdisp.get(SIGCHLD) == SIG_IGN:
            self.reap(proc)  # POSIX: children of a parent ignoring SIGCHLD don't linger
        else:
            parent.waitable[proc.pid] = proc
        k.wake_all(parent.child_wait)
        k.signals.send(parent, SIGCHLD)

    def _reparent_children(self, proc: Process) -> None:
        init = self.k.procs.procs.get(1)
        for pid, child in proc.children.items():
            child.ppid = 1
            child.parent = init
            if init is not None and init is not proc:
                init.children[pid] = child
                if child.state == ZOMBIE:
                    init.waitable[pid] = child
                    self.k.wake_all(init.child_wait)
        proc.children = {}
        proc.waitable = {}

    def reap(self, proc: Process) -> None:
        """Remove a zombie for good; its CPU time goes to the parent's children-time."""
        if proc.state == REAPED:
            return
        proc.state = REAPED
        parent = proc.parent
        if parent is not None:
            parent.children.pop(proc.pid, None)
            parent.waitable.pop(proc.pid, None)
            parent.cutime += proc.utime + proc.cutime
            parent.cstime += proc.stime + proc.cstime
            kb = self.k.frames.page_size // 1024
            parent.cmaxrss = max(parent.cmaxrss, proc.mm.hiwater_rss * kb, proc.cmaxrss)
            parent.cminflt += proc.mm.minflt + proc.cminflt
            parent.cmajflt += proc.mm.majflt + proc.cmajflt
            parent.cnvcsw += proc.nvcsw + proc.cnvcsw
            parent.cnivcsw += proc.nivcsw + proc.cnivcsw
        self.k.procs.procs.pop(proc.pid, None)
        self.k.procs.threads.pop(proc.pid, None)
        proc.parent = None
