"""Timers and the load average: what the kernel does when virtual time reaches a
deadline (Linux's kernel/time/), a mixin of :class:`kernel.kernel.Kernel`.

Timers sit in a heap of ``(deadline, sequence, target, token)``: a callback called with
its deadline (``token`` None) or a sleeping thread to wake with ``"timeout"`` if it is
still in the sleep ``token`` names. The load average is sampled every 5 s of virtual
time, as Linux's is.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

from kernel.thread import RUNNABLE, SLEEPING


class Timers:
    """The timer heap and the load average of a kernel (uses its ``timers``,
    ``_timer_seq``, ``cpus``, ``now_ns``, ``loadavg``, ``_next_loadavg`` and ``wake``)."""

    timers: list[tuple[int, int, Any, Any]]
    _timer_seq: int
    cpus: list[Any]
    now_ns: int
    loadavg: list[float]
    _next_loadavg: int
    window_end: int

    def add_timer(self, deadline: int, callback: Any) -> None:
        """Call ``callback(deadline)`` when virtual time reaches ``deadline`` (a CPU
        running a window past it stops there, so the timer is not late)."""
        self._timer_seq += 1
        heapq.heappush(self.timers, (deadline, self._timer_seq, callback, None))
        if deadline < self.window_end:
            self.window_end = deadline

    def next_event(self) -> int | None:
        """The virtual time of the next timer that will still do something, or None."""
        self._prune_timers()
        return self.timers[0][0] if self.timers else None

    def _prune_timers(self) -> None:
        """Drop timers at the head of the heap whose sleep already ended (woken or
        killed), so an idle machine does not jump its clock to them."""
        timers = self.timers
        while timers:
            _, _, target, token = timers[0]
            if token is None or (target.sleep_seq == token and target.state is SLEEPING):
                return
            heapq.heappop(timers)

    def _fire_timers(self, now: int) -> None:
        timers = self.timers
        while timers and timers[0][0] <= now:
            deadline, _, target, token = heapq.heappop(timers)
            if token is None:
                target(deadline)
            elif target.sleep_seq == token and target.state is SLEEPING:
                self.wake(target, value="timeout", at=deadline)

    def _update_loadavg(self) -> None:
        """Exponentially-decayed run-queue lengths, sampled every 5 s like Linux."""
        n = sum(
            len([x for x in c.runq if x.state is RUNNABLE]) + (c.current is not None)
            for c in self.cpus
        )
        period = 5_000_000_000
        if self._next_loadavg > self.now_ns:
            return
        # Every 5 s sample since the last one saw the same n: decay them at once (a long
        # idle sleep skips millions of samples in fast mode).
        steps = (self.now_ns - self._next_loadavg) // period + 1
        for i, minutes in enumerate((1, 5, 15)):
            e = math.exp(-5 * steps / (60 * minutes))
            self.loadavg[i] = self.loadavg[i] * e + n * (1 - e)
        self._next_loadavg += steps * period
