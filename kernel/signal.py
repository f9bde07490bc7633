"""Signals: delivery, default actions, and stopping and continuing processes.

A signal's default action is applied at once when it is sent (term and core end the
process, stop stops it, cont continues it), and the parent hears of every change through
SIGCHLD and wait4. A caught signal (SIG_CATCH) runs no handler: it becomes pending,
interrupts the process's blocking calls with EINTR, and the program collects it with
sigtake() at a point of its choosing, as a shell runs its traps between commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    SIG_CATCH,
    SIG_IGN,
    SIGCHLD,
    SIGCONT,
    SIGKILL,
    SIGNAL_DEFAULTS,
    SIGSTOP,
    W_CONTINUED,
    W_STOPCODE,
)
from kernel.proc import ALIVE, Process
from kernel.thread import RUNNABLE, STOPPED

if TYPE_CHECKING:
    from kernel.kernel import Kernel


class Signals:
    """Signal delivery for one kernel."""

    def __init__(self, k: Kernel) -> None:
        self.k = k

    def send(self, proc: Process, sig: int) -> None:
        """Deliver ``sig`` to ``proc`` (permission was checked by the caller)."""
        if proc.state != ALIVE or sig == 0:
            return
        if proc.pid == 1 and proc.sigdisp.get(sig, 0) != SIG_CATCH:
            return  # Linux's SIGNAL_UNKILLABLE: init gets only the signals it catches
        if sig == SIGCONT:
            self.cont(proc)
        disp = proc.sigdisp.get(sig, 0)
        if sig in (SIGKILL, SIGSTOP):
            disp = 0
        if disp == SIG_IGN:
            return
        if disp == SIG_CATCH:
            self.catch(proc, sig)
            return
        action = SIGNAL_DEFAULTS.get(sig, "term")
        if action == "term":
            self.k.exits.exit_process(proc, sig)
        elif action == "core":
            self.k.exits.exit_process(proc, sig | 0x80)
        elif action == "stop":
            self.stop(proc, sig)

    def catch(self, proc: Process, sig: int) -> None:
        """Make a caught signal pending and interrupt the process's blocking calls."""
        proc.sigpend |= 1 << (sig - 1)
        for t in proc.threads:
            self.k.interrupt(t)

    def send_group(self, pgid: int, sig: int) -> None:
        """Deliver ``sig`` to every live member of a process group."""
        for proc in self.k.procs.group(pgid):
            self.send(proc, sig)

    def stop(self, proc: Process, sig: int) -> None:
        """Stop every thread of ``proc``; sleeping ones stop when they wake."""
        if proc.stopped:
            return
        proc.stopped = True
        for t in proc.threads:
            if t.state is RUNNABLE:
                t.state = STOPPED
        self._report(proc, W_STOPCODE(sig))

    def cont(self, proc: Process) -> None:
        """Continue a stopped process."""
        if not proc.stopped:
            return
        proc.stopped = False
        for t in proc.threads:
            if t.state is STOPPED:
                self.k.make_runnable(t)
        self._report(proc, W_CONTINUED)

    def _report(self, proc: Process, status: int) -> None:
        proc.report = status
        parent = proc.parent
        if parent is not None and parent.state == ALIVE:
            parent.waitable[proc.pid] = proc
            self.k.wake_all(parent.child_wait)
            self.send(parent, SIGCHLD)
