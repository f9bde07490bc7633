"""Scheduling: simulated CPUs, their run queues, and the policy that fills them.

Each CPU has its own virtual clock, its run queue and the thread it is running. The
policy decides which CPU a thread that becomes runnable goes to and how long a slice
is; the run loop in ``kernel.kernel`` executes slices. Only round-robin exists for now;
a policy is a small class so others can be added beside it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from kernel.thread import Thread


@dataclass(slots=True, eq=False)
class CPU:
    """A simulated CPU.

    Attributes:
        id: its number (what sched_getcpu returns).
        clock: its virtual time, ns; it may lag other CPUs' while idle.
        runq: threads waiting for it.
        current: the thread it is running between run-loop windows.
        slice_end: when the current thread's slice ends.
        last: the thread that ran last (no switch cost to resume it).
        user, system: virtual time spent running userland and in the kernel.
        ctxt: context switches.
        online: False once taken offline (``kernel.dev.cpu``): it takes no work.
    """

    id: int
    clock: int = 0
    runq: deque[Thread] = field(default_factory=deque)
    current: Thread | None = None
    slice_end: int = 0
    last: Thread | None = None
    user: int = 0
    system: int = 0
    ctxt: int = 0
    online: bool = True


class RoundRobin:
    """Round-robin with a fixed quantum; new threads go to the least loaded CPU."""

    name = "round-robin"

    def __init__(self, cpus: list[CPU], quantum: int) -> None:
        self.cpus = cpus
        self.quantum = quantum

    def select_cpu(self, t: Thread) -> CPU:
        """The CPU a thread that just became runnable should queue on.

        Its previous CPU if that one is free, else the online one with the shortest
        queue (lowest number on ties), so the choice is deterministic. cpu0 never
        goes offline, so there is always one.
        """
        cpus = self.cpus
        prev = cpus[t.cpu] if t.cpu < len(cpus) else cpus[0]
        if not prev.online:
            prev = cpus[0]
        elif not prev.runq and prev.current is None:
            return prev
        best = prev
        best_load = len(prev.runq) + (prev.current is not None)
        for cpu in cpus:
            load = len(cpu.runq) + (cpu.current is not None)
            if load < best_load and cpu.online:
                best, best_load = cpu, load
        return best

    def enqueue(self, t: Thread) -> None:
        """Queue a runnable thread."""
        if t.on_rq:
            return
        cpu = self.select_cpu(t)
        t.cpu = cpu.id
        t.on_rq = True
        cpu.runq.append(t)


POLICIES = {RoundRobin.name: RoundRobin}
