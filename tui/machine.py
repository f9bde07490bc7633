"""The machine runner behind the TUI: boot, run in budgeted slices, pace, pause, step.

A :class:`Machine` owns one booted kernel and its host syscall client. The app calls
:meth:`Machine.run_slice` from a timer many times a second; each call runs the kernel
for at most a few milliseconds of host time (the request budget adapts to how fast the
machine is going), so a fork bomb or a thousand busy processes never freeze the screen.

In ``realtime`` mode virtual time never runs ahead of host time × speed (``sleep 1``
takes a second at ×1), and it does not fall behind under load either: when this host
cannot run a busy program's requests as fast as the cost model says a real CPU would,
the simulated CPU is slowed instead of the clock (``tui.throttle`` measures and sets
``Kernel.throttle_ns`` after every slice; the header then shows ``cpu ÷N``). If even
that cannot keep up (a backlog past ``MAX_LAG_SECONDS``), the pacing anchor moves
forward instead of letting the backlog pile up, and the header says ``behind``.
``fast`` skips idle time and never throttles. Pause stops the clock (and the throttle);
:meth:`Machine.step` then runs one scheduling quantum of virtual time.

Console output is drained after every run and handed to the ``on_output`` listeners.
Nothing here knows about Textual, so it is tested on its own.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from kernel import boot
from kernel.host import HostClient
from kernel.image import BootInfo
from kernel.kernel import BUDGET, HALTED, IDLE, Kernel
from tui.throttle import Sample, Throttle

#: The speeds the controls step through; ``FAST`` comes after the last one.
SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
FAST = "fast"

#: Host time one :meth:`Machine.run_slice` may take.
SLICE_SECONDS = 0.005
#: Host time of one ``kernel.run`` call inside a slice: the clock is checked this often.
CHUNK_SECONDS = 0.001
#: Requests per second assumed before the machine has been measured, and the bounds
#: on one ``kernel.run`` call's request budget.
RATE_START = 20_000.0
CHUNK_MIN = 20
CHUNK_MAX = 200_000
#: A chunk is sized for this share of the time left, so a rate that drops between two
#: chunks (a heavier mix of requests) does not carry the slice past its end.
SAFETY = 0.8
#: How far the realtime clock may lag behind before the lag is forgiven.
MAX_LAG_SECONDS = 0.25
#: ``behind`` stays in the header this long after a lag was forgiven.
BEHIND_SHOWN_SECONDS = 1.0

Listener = Callable[[bytes], None]


def speed_label(speed: float, fast: bool) -> str:
    """``×0.25``, ``×1``, ``×100`` or ``fast``."""
    if fast:
        return FAST
    return f"×{speed:g}"


class Machine:
    """One running machine and the controls a front end needs.

    Attributes:
        info: the boot info the machine was booted from (reboot uses it again).
        kernel: the booted kernel (replaced on reboot).
        host: a HostClient on ``kernel`` (replaced on reboot).
        paused: the clock is stopped; only :meth:`step` and the ``run_*`` calls run it.
        speed: the realtime factor (0.1 .. 100).
        fast: idle time is skipped (``fast`` clock mode), speed is ignored.
        on_output: called with console output as it appears.
        on_input: called after input was typed at the console (a front end that runs
            the machine from a timer runs it at once, not at its next tick).
        on_boot: called after every (re)boot, with the machine.
        boots: how many times a kernel was booted.
        hold_output: the front end is behind with showing output: leave it in the
            console device, whose writers block once it is full (flow control, as a
            slow terminal throttles ``yes``).
        throttle: the realtime throttle's controller (``tui.throttle``); its ``label``
            is what the header shows.
    """

    def __init__(self, info: BootInfo | str | None = None, *, speed: float | None = None) -> None:
        self.info: BootInfo = info if isinstance(info, BootInfo) else boot.load(info)
        self.paused = False
        self.fast = self.info.clock.mode == "fast"
        self.speed = float(speed if speed is not None else self.info.clock.speed)
        self.on_output: list[Listener] = []
        self.on_input: list[Callable[[], None]] = []
        self.hold_output = False
        self.on_boot: list[Callable[[Machine], None]] = []
        self.boots = 0
        self._rate = RATE_START  # requests per host second, measured as the machine runs
        self.last_slice = 0.0  # host seconds the last run_slice took
        self.throttle = Throttle()
        self._ran = 0.0  # host seconds spent in run_slice, all told
        self._forgiven_at: float | None = None  # host time a lag was last forgiven
        self.kernel: Kernel
        self.host: HostClient
        self._boot()

    # ------------------------------------------------------------------ lifecycle
    def _boot(self) -> None:
        old = getattr(self, "kernel", None)
        new = boot.boot(self.info)  # an image that fails to boot leaves the old one running
        if old is not None:
            old.shutdown()  # close the dropped machine's coroutines now, not in the GC
        self.kernel = new
        new.host_clock = time.perf_counter_ns  # clock_gettime(CLOCK_HOST), for benchmarks
        self.host = HostClient(self.kernel)
        self.hold_output = False
        self.throttle.reset()
        self._forgiven_at = None
        self.boots += 1
        self._anchor()
        for listener in list(self.on_boot):
            listener(self)

    def reboot(self) -> None:
        """Boot the same machine file again, from scratch."""
        self._boot()

    def open_image(self, path: str) -> None:
        """Boot another machine file (the current machine is dropped).

        Raises:
            ImageError: the file is not a valid machine; the current machine keeps running.
        """
        self.info = boot.load(path)
        self.fast = self.info.clock.mode == "fast"
        self.speed = float(self.info.clock.speed)
        self._boot()

    def with_clock(self, mode: str) -> None:
        """Reboot with the clock mode overridden (``fast`` or ``realtime``)."""
        clock = dataclasses.replace(self.info.clock, mode=mode)
        self.info = dataclasses.replace(self.info, clock=clock)
        self.fast = mode == "fast"
        self._boot()

    # ------------------------------------------------------------------ state
    @property
    def name(self) -> str:
        """The machine's name from its image."""
        return self.info.name

    @property
    def halted(self) -> bool:
        """Powered off or panicked."""
        return self.kernel.halted

    @property
    def panicked(self) -> bool:
        """Halted by a kernel panic (``panic_report`` says why)."""
        return self.kernel.panic_report is not None

    @property
    def panic_report(self) -> str | None:
        """The panic report, or None."""
        return self.kernel.panic_report

    @property
    def state(self) -> str:
        """``running``, ``paused``, ``halted`` or ``panicked``."""
        if self.panicked:
            return "panicked"
        if self.halted:
            return "halted"
        return "paused" if self.paused else "running"

    @property
    def uptime_ns(self) -> int:
        """Virtual time since boot."""
        return self.kernel.now_ns

    @property
    def speed_label(self) -> str:
        """The speed as the header shows it."""
        return speed_label(self.speed, self.fast)

    @property
    def behind(self) -> bool:
        """Realtime could not be kept lately, even with the CPU throttled (a lag was
        forgiven in the last :data:`BEHIND_SHOWN_SECONDS`)."""
        at = self._forgiven_at
        return at is not None and time.monotonic() - at < BEHIND_SHOWN_SECONDS

    @property
    def load_label(self) -> str:
        """What the header adds after the speed: ``cpu ÷37`` while the simulated CPU is
        throttled, ``behind`` while realtime is not kept, or both; else ``""``."""
        if self.fast or self.paused:
            return ""
        parts = [self.throttle.label] if self.throttle.label else []
        if self.behind:
            parts.append("behind")
        return " ".join(parts)

    @property
    def quantum_ns(self) -> int:
        """One scheduling quantum of virtual time."""
        return self.info.scheduler.quantum

    # ------------------------------------------------------------------ controls
    def pause(self) -> None:
        """Stop the clock (and the throttle: stepping runs at the cost model's speed)."""
        self.paused = True
        self._unthrottle()

    def _unthrottle(self) -> None:
        self.throttle.reset()
        self.kernel.throttle_ns = 0
        self._forgiven_at = None

    def resume(self) -> None:
        """Start the clock again (realtime pacing restarts from now)."""
        self.paused = False
        self._anchor()

    def toggle_pause(self) -> bool:
        """Pause or resume; returns the new ``paused``."""
        if self.paused:
            self.resume()
        else:
            self.pause()
        return self.paused

    def set_speed(self, speed: float | str) -> None:
        """A realtime factor (clamped to 0.1 .. 100), or ``"fast"``."""
        if speed == FAST:
            self.fast = True
        else:
            self.fast = False
            self.speed = min(max(float(speed), SPEEDS[0]), SPEEDS[-1])
        self._unthrottle()  # measured afresh at the new speed
        self._anchor()

    def speed_up(self) -> None:
        """The next speed in :data:`SPEEDS`, then ``fast``."""
        if self.fast:
            return
        faster = [s for s in SPEEDS if s > self.speed + 1e-9]
        self.set_speed(faster[0] if faster else FAST)

    def speed_down(self) -> None:
        """The previous speed in :data:`SPEEDS` (from ``fast``: the top speed)."""
        if self.fast:
            self.set_speed(SPEEDS[-1])
            return
        slower = [s for s in SPEEDS if s < self.speed - 1e-9]
        self.set_speed(slower[-1] if slower else SPEEDS[0])

    def feed(self, data: bytes) -> None:
        """Type ``data`` at the console."""
        if not self.kernel.halted:
            self.kernel.console.feed(data)
            for listener in list(self.on_input):
                listener()

    def power_off(self, status: int = 0) -> None:
        """Stop the machine."""
        if not self.kernel.halted:
            self.kernel.power_off(status)
        self._drain()

    # ------------------------------------------------------------------ running
    def _anchor(self) -> None:
        self._host0 = time.monotonic()
        self._virt0 = self.kernel.now_ns
        self.throttle.restart()

    def _drain(self) -> None:
        if not self.hold_output:
            self.drain()

    def drain(self) -> None:
        """Hand the console output written so far to the ``on_output`` listeners."""
        data = self.kernel.console.drain()
        if data:
            for listener in list(self.on_output):
                listener(data)

    def run_slice(self, seconds: float = SLICE_SECONDS) -> str:
        """Run the machine for at most ``seconds`` of host time (the timer's tick).

        Does nothing while paused or halted. Returns the kernel's last run state
        (``idle``, ``until``, ``budget`` or ``halted``; ``paused`` when paused).
        """
        k = self.kernel
        if k.halted:
            self._drain()
            return HALTED
        if self.paused:
            return "paused"
        start_pc = time.perf_counter()
        start = time.monotonic()
        until: int | None = None
        if not self.fast:
            target = self._virt0 + int((start - self._host0) * self.speed * 1e9)
            lag = (target - k.now_ns) / 1e9 / self.speed
            if lag > MAX_LAG_SECONDS:  # cannot keep up even throttled: forgive the backlog
                self._forgiven_at = start
                self._host0 = start - MAX_LAG_SECONDS
                self._virt0 = k.now_ns
                target = k.now_ns + int(MAX_LAG_SECONDS * self.speed * 1e9)
            until = target
        state = BUDGET
        now = time.perf_counter()
        deadline = now + seconds
        first = True
        while True:
            left = deadline - now
            budget = int(self._rate * min(CHUNK_SECONDS, left * SAFETY))
            if budget < CHUNK_MIN:
                if not first:
                    break  # no room for another chunk: stop short rather than overshoot
                budget = CHUNK_MIN  # always some progress, however slow the machine is
            budget = min(budget, CHUNK_MAX)
            first = False
            state = k.run(until=until, budget=budget)
            t1 = time.perf_counter()
            if state != BUDGET:
                break
            self._measure(budget, t1 - now)
            now = t1
        self.last_slice = time.perf_counter() - start_pc
        self._ran += self.last_slice
        self._drain()
        if self.fast:
            k.throttle_ns = 0
        elif state == IDLE:
            # Nothing to do until input arrives: keep the clock in step with the host.
            self._virt0 = k.now_ns
            self._host0 = time.monotonic()
            k.throttle_ns = 0
            self.throttle.reset()
        else:
            self._pace(k, state)
        return state

    def _pace(self, k: Kernel, state: str) -> None:
        """After a realtime slice: let the throttle see how the machine keeps up."""
        host = time.monotonic()
        target = self._virt0 + int((host - self._host0) * self.speed * 1e9)
        lag = max(0.0, (target - k.now_ns) / 1e9 / self.speed)
        sample = Sample.of(k, host, self._ran)
        k.throttle_ns = self.throttle.observe(
            sample, speed=self.speed, lag=lag, short=state == BUDGET
        )

    def _measure(self, requests: int, took: float) -> None:
        """Update the request rate from one chunk that used its whole budget.

        A slower chunk is believed at once (the next one must not overshoot); a faster
        one moves the estimate only part of the way, so one lucky chunk cannot make the
        next one too big.
        """
        if took <= 0:
            return
        rate = requests / took
        if rate < self._rate:
            self._rate = rate
        else:
            self._rate += (rate - self._rate) * 0.25

    def run_for(self, ns: int, *, budget: int = 50_000_000) -> str:
        """Run ``ns`` of virtual time synchronously, paused or not (tests, stepping).

        Stops early when the machine is idle (waiting for input) or halts.
        """
        k = self.kernel
        until = k.now_ns + ns
        state = k.run(until=until, budget=budget)
        self._drain()
        self._anchor()
        return state

    def run_until_idle(self, *, budget: int = 50_000_000) -> str:
        """Run with idle time skipped until nothing is runnable and no timer is pending
        (the shell waiting at its prompt, say) or the machine halts."""
        state = self.kernel.run(budget=budget)
        self._drain()
        self._anchor()
        return state

    def step(self) -> str:
        """One scheduling quantum of virtual time (pauses the machine first)."""
        self.paused = True
        return self.run_for(self.quantum_ns)
