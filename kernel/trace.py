"""System-call tracing: what strace reads.

A process spawned with ``SpawnAttr(trace=1)`` is a *tracee* of its parent (the
*tracer*); with ``trace=2`` every process it spawns later is one too. Each system call a
tracee makes becomes a :class:`TraceEvent` in the tracer's queue when it completes (a
blocking call when it wakes and finishes), and the tracer collects them with
``trace_read``. The run loop's ``trace_hook`` is installed only while some process is
traced, so an untraced machine pays nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import SYSCALLS, Error, TraceEvent
from kernel.kernel import Blocked
from kernel.thread import WaitQueue

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc import Process
    from kernel.thread import Thread

#: Bytes arguments longer than this are cut (strace shows 32 by default anyway).
ARG_BYTES_MAX = 256
#: Events a tracer may have unread; older ones are dropped past this.
QUEUE_MAX = 65_536

_NAMES: dict[int, str] = {s.nr: s.name for s in SYSCALLS}


@dataclass(slots=True, eq=False)
class TraceQueue:
    """A tracer's side: its unread events, where it sleeps, and its live tracees."""

    events: deque[TraceEvent] = field(default_factory=deque)
    wait: WaitQueue = field(default_factory=lambda: WaitQueue("trace_read"))
    tracees: set[Process] = field(default_factory=set)
    dropped: int = 0


class Tracing:
    """Tracing for one kernel: who traces whom, and the hook the run loop calls."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.queues: dict[Process, TraceQueue] = {}

    def attach(self, child: Process, tracer: Process, follow: bool) -> None:
        """Make ``child`` a tracee of ``tracer`` (at spawn, before it runs)."""
        q = self.queues.get(tracer)
        if q is None:
            q = self.queues[tracer] = TraceQueue()
        q.tracees.add(child)
        child.tracer = tracer
        child.trace_follow = follow
        self.k.trace_hook = self.hook

    def spawned(self, parent: Process | None, child: Process, mode: int) -> None:
        """A process was spawned: trace it if asked, or if its parent is followed."""
        if parent is None:
            return
        if mode:
            self.attach(child, parent, mode == 2)
        elif parent.tracer is not None and parent.trace_follow:
            self.attach(child, parent.tracer, True)

    def exited(self, proc: Process) -> None:
        """``proc`` ended: stop tracing it, and drop what it was tracing."""
        tracer = proc.tracer
        if tracer is not None:
            proc.tracer = None
            q = self.queues.get(tracer)
            if q is not None:
                q.tracees.discard(proc)
                self.k.wake_all(q.wait)
        mine = self.queues.pop(proc, None)
        if mine is not None:
            for tracee in mine.tracees:
                tracee.tracer = None
            self.k.wake_all(mine.wait)
        if not self.queues:
            self.k.trace_hook = None

    def hook(self, t: Thread, nr: int, args: tuple[Any, ...], val: Any, exc: Any) -> None:
        """Called by the run loop after each system call; ``val`` is the class
        ``Blocked`` when the call went to sleep (its end comes through completed())."""
        tracer = t.proc.tracer
        if tracer is None or t.observer:
            return
        now = self.k.now()
        if val is Blocked:
            t.trace_call = (nr, args, now - self.k.cost_syscall)
            return
        self._emit(t, tracer, nr, args, val, exc, now - self.k.cost_syscall, now)

    def completed(self, t: Thread, val: Any, exc: BaseException | None) -> None:
        """A blocking call of a traced thread finished (from the run loop)."""
        call = t.trace_call
        t.trace_call = None
        tracer = t.proc.tracer
        if call is None or tracer is None:
            return
        nr, args, start = call
        self._emit(t, tracer, nr, args, val, exc, start, self.k.now())

    def _emit(
        self,
        t: Thread,
        tracer: Process,
        nr: int,
        args: tuple[Any, ...],
        val: Any,
        exc: Any,
        start: int,
        end: int,
    ) -> None:
        q = self.queues.get(tracer)
        if q is None:
            return
        if any(isinstance(a, bytes | bytearray) and len(a) > ARG_BYTES_MAX for a in args):
            args = tuple(
                bytes(a[:ARG_BYTES_MAX]) if isinstance(a, bytes | bytearray) else a for a in args
            )
        errno = exc.errno if isinstance(exc, Error) else (-1 if exc is not None else 0)
        q.events.append(
            TraceEvent(
                t.proc.pid,
                t.tid,
                nr,
                _NAMES.get(nr, f"syscall_{nr}"),
                args,
                None if exc is not None else val,
                errno,
                start,
                end,
            )
        )
        if len(q.events) > QUEUE_MAX:
            q.events.popleft()
            q.dropped += 1
        self.k.wake_all(q.wait)

    def read(self, tracer: Process, limit: int) -> list[TraceEvent] | None:
        """Up to ``limit`` events for ``tracer``; [] if it has nothing left to trace,
        None if it should wait for more."""
        q = self.queues.get(tracer)
        if q is None:
            return []
        if q.events:
            n = min(limit, len(q.events))
            return [q.events.popleft() for _ in range(n)]
        if not q.tracees:
            del self.queues[tracer]
            if not self.queues:
                self.k.trace_hook = None
            return []
        return None
