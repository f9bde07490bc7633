"""Sleeping and waking, a mixin of :class:`kernel.kernel.Kernel`: a thread goes to
sleep on wait queues and/or a deadline, and is woken onto a CPU's run queue; an I/O
request parked in a wait queue (``kernel.io.request.IoWaiter``) is retried instead.
Giving another CPU work shortens the running CPU's window, so busy CPUs keep within
``WINDOW`` of each other (the run loop is in ``kernel.kernel``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from kernel.abi import EINTR, Error
from kernel.thread import RUNNABLE, SLEEPING, STOPPED, Sleep, Thread, WaitQueue

#: The longest a CPU runs before the others catch up (its window) while other CPUs have
#: work: a thread spinning on memory another CPU writes sees the write at most this late.
WINDOW = 20_000


class Waking:
    """Sleep and wake-up of a kernel's threads (uses its ``timers``, ``_timer_seq``,
    ``window_end``, ``cur_cpu``, ``sched`` and ``now``)."""

    timers: list[tuple[int, int, Any, Any]]
    _timer_seq: int
    window_end: int
    cur_cpu: Any
    sched: Any

    now: Callable[[], int]

    def sleep(self, t: Thread, sl: Sleep) -> None:
        """Put ``t`` to sleep as ``sl`` describes."""
        t.state = SLEEPING
        seq = t.sleep_seq = t.sleep_seq + 1
        t.wchan = sl.wchan
        for q in sl.queues:
            q.add(t)
        if sl.deadline is not None:
            self._timer_seq += 1
            heapq.heappush(self.timers, (sl.deadline, self._timer_seq, t, seq))
            if sl.deadline < self.window_end:
                self.window_end = sl.deadline

    def wake(
        self, t: Thread, value: Any = None, exc: BaseException | None = None, at: int | None = None
    ) -> None:
        """Make a sleeping thread runnable; ``value``/``exc`` go to its kernel half."""
        if t.state is not SLEEPING:
            return
        t.sleep_seq += 1
        t.wchan = ""
        t.resume = value
        t.resume_exc = exc
        now = self.now()
        t.ready_at = at if at is not None and at > now else now
        if t.proc.stopped:
            t.state = STOPPED
            return
        t.state = RUNNABLE
        self._enqueue(t)

    def _enqueue(self, t: Thread) -> None:
        """Queue ``t``; if that gives another CPU work, the running CPU's window ends
        within WINDOW, so the two keep in step from now on."""
        self.sched.enqueue(t)
        cpu = self.cur_cpu
        if cpu is not None and t.cpu != cpu.id:
            end = cpu.clock + WINDOW
            if end < self.window_end:
                self.window_end = end

    def wake_all(self, q: WaitQueue) -> None:
        """Wake every thread sleeping on ``q`` (and retry the I/O requests parked
        there: ``kernel.io.request.IoWaiter``)."""
        for t in q.take():
            if type(t) is Thread:
                self.wake(t)
            else:
                t.on_wake(self)

    def make_runnable(self, t: Thread) -> None:
        """Queue a new or continued thread."""
        t.state = RUNNABLE
        t.ready_at = max(t.ready_at, self.now())
        self._enqueue(t)

    def interrupt(self, t: Thread) -> None:
        """End an interruptible sleep with EINTR (a signal or an exit request)."""
        if t.state is SLEEPING:
            self.wake(t, exc=Error(EINTR))
