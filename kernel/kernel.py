"""The kernel: the run loop, time, halting and panics (timers and
the load average are ``kernel.timer``'s, sleeping and waking ``kernel.wakeup``'s,
running a CPU's threads request by request ``kernel.dispatch``'s).

A machine is brought up by ``kernel.main.start_kernel`` (the init order). ``Kernel.run``
is the discrete-event loop: it always advances the CPU with the lowest virtual clock
that has work, until the next timer and for at most ``WINDOW`` (20 us) of virtual time
when other CPUs have work too (a quantum when it is alone), so busy CPUs stay within a
window of each other and a thread spinning on memory that another CPU writes (a ring's
completion queue, a shared-memory queue) sees the write at most a window late; a timer
set during a window (a device's completion) ends it at its deadline. Inside a window the
CPU runs threads request by request, charging the cost model, switching on sleep, yield,
or the end of a slice (the scheduler's quantum). When no CPU has work the clock jumps to
the next timer (idle time is skipped; realtime pacing is the front end's business: a
front end whose host cannot keep up sets ``throttle_ns``, extra user time every request
costs, so the simulated CPU slows down instead of the clock; 0, the default, changes
nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.dispatch import Blocked, Dispatch, Halt, Panic
from kernel.klog import KernelLog
from kernel.proc import ProcessTable
from kernel.sched import CPU
from kernel.thread import close_coroutine
from kernel.timer import Timers
from kernel.wakeup import WINDOW, Waking

if TYPE_CHECKING:
    from kernel.image import BootInfo

# What run() returns.
IDLE = "idle"  # nothing runnable and no timer pending: waiting for input
UNTIL = "until"  # reached the requested virtual time
BUDGET = "budget"  # dispatched the requested number of requests
HALTED = "halted"  # powered off, or panicked

RELEASE = "0.1.0"
NEVER = 1 << 62
__all__ = ["Kernel", "Blocked", "Panic", "Halt", "IDLE", "UNTIL", "BUDGET", "HALTED"]


class Kernel(Waking, Timers, Dispatch):
    """One simulated machine. Built by :func:`start_kernel`; see the module docstring."""

    def __init__(self, info: BootInfo) -> None:
        self.info = info
        costs = info.clock.costs
        self.cost_syscall = max(1, costs.syscall)
        self.cost_checkpoint = max(1, costs.checkpoint)
        self.cost_switch = max(0, costs.context_switch)
        self.cost_memory = max(0, costs.memory_access)
        self.cost_fault = max(0, costs.page_fault)
        self.cost_transfer = max(0, costs.cache_transfer)
        self.io_costs = {"tty": costs.tty, "pipe": costs.pipe, "": 0}
        self.now_ns = 0
        self.cur_cpu: CPU | None = None
        self.timers: list[tuple[int, int, Any, Any]] = []
        self._timer_seq = 0
        self.halted = False
        self.power_status = 0
        self.reboot_requested = False
        self.panic_report: str | None = None
        self.procs = ProcessTable()
        self.log = KernelLog(self.now)
        self.trace_hook: Any = None  # called after each system call while tracing
        self.tracing: Any = None
        self.hostname = info.hostname
        self.loadavg = [0.0, 0.0, 0.0]
        self._next_loadavg = 5_000_000_000
        self.cpus: list[CPU] = []
        self.host_clock: Any = None  # a front end's host clock (CLOCK_HOST), if it gives one
        self.window_end = NEVER  # the end of the running CPU's window (add_timer shortens it)
        self.table: list[Any] = []
        self.syscount: list[int] = []
        # A realtime front end on a host too slow for the cost model sets this: extra
        # virtual ns of user time every request costs (a throttled CPU); 0 otherwise.
        self.throttle_ns = 0
        self.throttled_ns = 0  # virtual time charged as throttle so far, all CPUs
        self.requests = 0  # requests (system calls, checkpoints) dispatched so far

    # ------------------------------------------------------------------ time
    def now(self) -> int:
        """Virtual time as the running CPU sees it (or the machine's, between runs)."""
        cpu = self.cur_cpu
        return cpu.clock if cpu is not None else self.now_ns

    def catch_up(self, when: int) -> None:
        """The running thread learns of something that happened at virtual time ``when``
        on another CPU (a thread it joins ended then): its CPU's clock moves on to it,
        so no effect is seen before its cause."""
        cpu = self.cur_cpu
        if cpu is not None and when > cpu.clock:
            cpu.clock = when

    def charge(self, ns: int) -> None:
        """Add ``ns`` of kernel work (a device's latency) to the running CPU's clock."""
        cpu = self.cur_cpu
        if cpu is not None:
            cpu.clock += ns
            cpu.system += ns

    @property
    def runnable(self) -> bool:
        """Does any CPU have a thread to run?"""
        return any(c.current is not None or c.runq for c in self.cpus)

    # ------------------------------------------------------------------ the run loop
    def run(self, until: int | None = None, budget: int | None = None) -> str:
        """Run the machine.

        Args:
            until: stop when virtual time reaches this (ns); None: no limit.
            budget: stop after dispatching this many requests; None: no limit.

        Returns:
            IDLE, UNTIL, BUDGET or HALTED.
        """
        if self.halted:
            return HALTED
        if budget is not None and budget <= 0:
            return BUDGET
        left = budget if budget is not None else 1 << 62
        cpus = self.cpus
        quantum = self.sched.quantum
        window = min(quantum, WINDOW)
        timers = self.timers
        try:
            while True:
                best = None
                busy = 0
                for cpu in cpus:
                    if cpu.current is not None or cpu.runq:
                        busy += 1
                        if best is None or cpu.clock < best.clock:
                            best = cpu
                if best is None:
                    self._prune_timers()
                    if not timers:
                        if until is not None:  # realtime: an idle machine's clock runs on
                            self._idle_until(until)
                        return IDLE
                    deadline = timers[0][0]
                    if until is not None and deadline > until:
                        self._idle_until(until)
                        return UNTIL
                    if deadline > self.now_ns:
                        self.now_ns = deadline
                        if deadline >= self._next_loadavg:
                            self._update_loadavg()  # nothing ran while the clock jumped
                    self._fire_timers(deadline)
                    continue
                clock = best.clock
                if until is not None and clock >= until:
                    self.now_ns = max(self.now_ns, until)
                    return UNTIL
                if timers and timers[0][0] <= clock:
                    self.now_ns = max(self.now_ns, clock)
                    self._fire_timers(clock)
                    continue
                # CPUs keep in step only when several have work: alone, one runs on.
                end = clock + (window if busy > 1 else quantum)
                if timers and timers[0][0] < end:
                    end = timers[0][0]
                if until is not None and until < end:
                    end = until
                self.cur_cpu = best
                self.window_end = end
                try:
                    left -= self._run_cpu(best, end, left)
                finally:
                    self.cur_cpu = None
                    self.window_end = NEVER
                if not best.online:  # taken offline by a thread running on it
                    from kernel.dev.cpu import evacuate

                    evacuate(self, best)
                if best.clock > self.now_ns:
                    self.now_ns = best.clock
                    if self.now_ns >= self._next_loadavg:
                        self._update_loadavg()
                if self.halted:
                    return self._halt()
                if left <= 0:
                    return BUDGET
        except Panic as p:
            self._catch_up_clock()
            self.panic(str(p))
            return self._halt()
        except Halt:
            self._catch_up_clock()
            return self._halt()

    def _halt(self) -> str:
        self.shutdown()
        return HALTED

    def shutdown(self) -> None:
        """Close the coroutines of every thread of a halted machine (and their blocked
        system calls), so none is left for the garbage collector to complain about.

        A program's ``finally`` blocks run; a system call awaited there gets nowhere
        (the machine is off): :func:`kernel.thread.close_coroutine` closes it again
        where it awaited, innermost coroutine first, until the whole chain is done.
        """
        for t in list(self.procs.threads.values()):
            for obj in (t.kgen, t.coro):
                if obj is not None and not close_coroutine(obj):
                    self.log(f"pid {t.proc.pid} thread {t.tid}: its clean-up would not end")
            t.kgen = None

    def _idle_until(self, until: int) -> None:
        """Nothing to run before ``until``: time passes (and the load average decays)."""
        if until > self.now_ns:
            self.now_ns = until
            if until >= self._next_loadavg:
                self._update_loadavg()

    def _catch_up_clock(self) -> None:
        """The machine's time is as far as any CPU got (used when it halts mid-window)."""
        self.now_ns = max(self.now_ns, *(c.clock for c in self.cpus))

    # ------------------------------------------------------------------ signals, sessions
    def signal_group(self, pgid: int, sig: int) -> None:
        """Send ``sig`` to every process of a process group."""
        self.signals.send_group(pgid, sig)

    def session_alive(self, sid: int) -> bool:
        """Is the leader of session ``sid`` still alive?"""
        leader = self.procs.procs.get(sid)
        return leader is not None and leader.state == "alive" and leader.sid == sid

    # ------------------------------------------------------------------ halting
    def panic(self, report: str) -> None:
        """Halt the machine with a report the front end shows."""
        self.panic_report = f"Kernel panic - not syncing: {report.rstrip()}"
        for line in self.panic_report.splitlines():
            self.log(line)
        self.halted = True
        self.power_status = 70

    def power_off(self, status: int, *, restart: bool = False) -> None:
        """Stop the machine (reboot(2) or init leaving)."""
        self.log("reboot: Restarting system" if restart else "reboot: Power down")
        self.reboot_requested = restart
        self.power_status = status
        self.halted = True
        if self.cur_cpu is None:  # from the front end, between runs (else run() does it)
            self.shutdown()
