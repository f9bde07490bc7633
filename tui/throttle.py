"""Realtime under load: how much to slow the simulated CPU so the clock stays real.

The simulator cannot run a CPU-bound program as fast as its cost model says a real CPU
would: a system call costs ~200 virtual ns but several µs of host time. In ``realtime``
mode the virtual clock would then fall behind host time (``sleep 1`` taking 40 s).
Instead, :class:`Throttle` decides ``Kernel.throttle_ns``: extra virtual time, charged
as the running thread's user time, that every request costs, so that each request costs
the wall time it really takes. Virtual time keeps pace with host time × speed, ``%CPU``
and ``TIME`` stay true, and what the host cannot deliver shows up as a slower simulated
CPU, as on an overloaded machine: the header says ``cpu ÷N`` (N times slower than the
cost model). The throttle falls back to 0 as soon as the load ends.

The controller reads no clock: ``tui.machine`` passes :class:`Sample` values in (read
from the kernel's counters at the end of each slice), so tests drive it with made-up
host times.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.kernel import Kernel

#: Host seconds of measurements behind each throttle decision.
THROTTLE_WINDOW = 0.1
#: The share of host time a front end gives the machine, assumed until it is measured
#: (the app runs a slice, then leaves as long to the screen).
DUTY_START = 0.5
#: A slowdown below this is not worth it (nor worth showing): no throttle.
FACTOR_MIN = 1.1
#: Ceiling of the throttle per request (past it the lag is forgiven as before).
THROTTLE_MAX_NS = 50_000_000
#: How far a backlog (host seconds) may grow before the throttle pays it back.
LAG_OK = 0.02


@dataclasses.dataclass(frozen=True)
class Sample:
    """The counters :class:`Throttle` measures, read at the end of a slice."""

    host: float  # host seconds (any monotonic origin)
    virtual: int  # the machine's virtual time, ns
    busy: int  # CPU time of all CPUs (user + system), virtual ns
    throttled: int  # of which throttle, virtual ns
    requests: int  # requests dispatched
    ran: float  # host seconds spent running the machine

    @classmethod
    def of(cls, k: Kernel, host: float, ran: float) -> Sample:
        """The kernel's counters now."""
        busy = sum(c.user + c.system for c in k.cpus)
        return cls(host, k.now_ns, busy, k.throttled_ns, k.requests, ran)


class Throttle:
    """Decides ``Kernel.throttle_ns`` so that realtime stays real under load.

    Every :data:`THROTTLE_WINDOW` it works out what one request must cost in virtual
    time for the machine's clock to advance as fast as host time × speed::

        cost = speed × 1 s × busy CPUs / (requests per host second × duty)

    where the request rate is measured while the machine runs, ``busy CPUs`` is CPU
    time over virtual time (several busy CPUs advance the clock together) and ``duty``
    is the share of host time the front end gives the machine when it is flat out. A
    backlog (``lag``) raises the cost until it is paid back. The throttle is what the
    cost model lacks of that (0 when the model is slower than the host already), and
    ``factor`` is how many times slower than the model the simulated CPU then runs.

    Attributes:
        ns: the throttle, virtual ns per request.
        factor: the simulated CPU's slowdown (1.0: none).
        duty: the measured share of host time the machine gets when flat out.
    """

    def __init__(self, window: float = THROTTLE_WINDOW) -> None:
        self.window = window
        self.ns = 0
        self.factor = 1.0
        self.duty = DUTY_START
        self._start: Sample | None = None
        self._short = False  # a slice in this window ran out of host time
        self._flat_out = True  # ... and every one did

    def reset(self) -> None:
        """No throttle, and measure afresh (a new machine, a new speed, pause)."""
        self.ns = 0
        self.factor = 1.0
        self.restart()

    def restart(self) -> None:
        """Measure afresh from the next sample (the clock was stopped or re-anchored)."""
        self._start = None
        self._short = False
        self._flat_out = True

    def observe(self, now: Sample, *, speed: float, lag: float, short: bool) -> int:
        """Take the sample at the end of a slice; returns the throttle to use next.

        Args:
            now: the counters at the end of the slice.
            speed: the realtime factor.
            lag: how far the machine is behind host time × speed, host seconds.
            short: the slice ran out of host time before reaching its target.
        """
        self._short |= short
        self._flat_out &= short
        start = self._start
        if start is None:
            self._start = now
            return self.ns
        wall = now.host - start.host
        if wall < self.window:
            return self.ns
        short, flat_out = self._short, self._flat_out
        self.restart()
        self._start = now
        requests = now.requests - start.requests
        busy = now.busy - start.busy
        ran = now.ran - start.ran
        advanced = now.virtual - start.virtual
        if requests <= 0 or busy <= 0 or ran <= 0 or advanced <= 0:
            self.ns, self.factor = 0, 1.0  # nothing ran: there is nothing to slow down
            return 0
        if flat_out:
            self.duty += (min(1.0, ran / wall) - self.duty) * 0.5
        natural = max(1.0, (busy - (now.throttled - start.throttled)) / requests)
        cpus = busy / advanced
        cost = speed * 1e9 * cpus * ran / (requests * self.duty)
        if short and lag > LAG_OK:
            cost *= 1.0 + min(1.0, lag / self.window)  # pay the backlog back
        want = max(0.0, cost - natural)
        if want < natural * (FACTOR_MIN - 1.0):
            want = 0.0
        ns = want if self.ns == 0 or want == 0 else (self.ns + want) / 2
        self.ns = min(int(ns), THROTTLE_MAX_NS)
        factor = (natural + self.ns) / natural
        # Shown smoothed (the host's speed jitters from one window to the next), but
        # gone at once with the throttle.
        smooth = self.ns and self.factor >= FACTOR_MIN
        self.factor = (self.factor + factor) / 2 if smooth else factor
        return self.ns

    @property
    def label(self) -> str:
        """``cpu ÷37`` while the CPU is throttled, else ``""`` (see :func:`factor_text`)."""
        return f"cpu ÷{factor_text(self.factor)}" if self.factor >= FACTOR_MIN else ""


def factor_text(factor: float) -> str:
    """A slowdown to two significant digits: ``2.5``, ``37``, ``120``, ``4,300``."""
    if factor < 10:
        return f"{factor:.1f}"
    digits = len(str(int(factor))) - 2
    return f"{round(factor, -digits):,.0f}"
