"""Realtime under load: the throttle that slows the simulated CPU instead of the clock.

The controller (``tui.throttle``) is driven with a made-up host: a model machine whose
requests take a fixed host time and whose front end gives it half of every 10 ms, with
no real clock read and no real sleeping. The kernel's knob is tested on a real machine
in ``fast`` mode with the throttle set by hand: a busy loop beside ``sleep 1``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from tuihelp import ProgramSet, busy, fast_info

from kernel.abi import CLOCK_MONOTONIC
from kernel.kernel import BUDGET, UNTIL
from tui import machine as machine_mod
from tui.machine import Machine
from tui.throttle import FACTOR_MIN, Sample, Throttle, factor_text
from tui.widgets.header import MachineHeader
from userland.libk import sys

SECOND = 1_000_000_000
PROGRAMS = ProgramSet("rt")
BUSY = PROGRAMS.add(busy)
SLEPT: list[int] = []  # what the sleeper measured (test code may report back this way)


async def sleeper(argv: list[str]) -> int:
    """``sleep 1`` that reports how long it slept, in virtual ns."""
    start = await sys.clock_gettime(CLOCK_MONOTONIC)
    await sys.nanosleep(SECOND)
    SLEPT.append(await sys.clock_gettime(CLOCK_MONOTONIC) - start)
    return 0


SLEEPER = PROGRAMS.add(sleeper)


@pytest.fixture(autouse=True)
def _programs() -> Iterator[None]:
    SLEPT.clear()
    yield from PROGRAMS.registered()


@dataclasses.dataclass
class ModelHost:
    """A machine on a slow host, as the throttle sees it.

    Each tick the front end runs the machine for up to ``slice_s`` host seconds, then
    leaves ``gap_s`` to the screen. While busy, the host runs ``rate`` requests per
    second, each costing ``natural`` virtual ns plus the throttle on one of ``cpus``
    busy CPUs; the machine's clock stops at the realtime target.
    """

    rate: float = 20_000.0
    natural: int = 200
    cpus: int = 1
    slice_s: float = 0.005
    gap_s: float = 0.005
    speed: float = 1.0
    wall: float = 0.0
    virtual: float = 0.0
    busy: float = 0.0
    throttled: float = 0.0
    requests: int = 0
    ran: float = 0.0

    def tick(self, throttle: Throttle, *, loaded: bool) -> None:
        target = self.wall * self.speed * SECOND
        short = False
        if not loaded:
            self.virtual = max(self.virtual, target)  # idle: the clock runs on
        else:
            per_request = (self.natural + throttle.ns) / self.cpus  # machine clock, ns
            fits = int(self.rate * self.slice_s)
            needed = max(0, int((target - self.virtual) / per_request) + 1)
            n = min(fits, needed)
            short = n == fits and needed > fits
            took = n / self.rate
            self.requests += n
            self.busy += n * (self.natural + throttle.ns)
            self.throttled += n * throttle.ns
            self.virtual += n * per_request
            self.ran += took
            self.wall += took
        self.wall += self.gap_s
        lag = max(0.0, self.wall * self.speed * SECOND - self.virtual) / SECOND / self.speed
        sample = Sample(
            self.wall,
            int(self.virtual),
            int(self.busy),
            int(self.throttled),
            self.requests,
            self.ran,
        )
        throttle.observe(sample, speed=self.speed, lag=lag, short=short)

    def behind(self) -> float:
        """Host seconds the machine's clock is behind host time × speed."""
        return (self.wall * self.speed * SECOND - self.virtual) / SECOND / self.speed

    def run(self, throttle: Throttle, seconds: float, *, loaded: bool = True) -> None:
        end = self.wall + seconds
        while self.wall < end:
            self.tick(throttle, loaded=loaded)


@pytest.mark.parametrize(("cpus", "speed"), [(1, 1.0), (2, 1.0), (1, 0.25), (1, 10.0)])
def test_the_clock_keeps_pace_and_the_cpu_slows_instead(cpus: int, speed: float) -> None:
    host = ModelHost(cpus=cpus, speed=speed)
    throttle = Throttle()
    host.run(throttle, 1.0)  # long enough to measure and settle
    worst = 0.0
    for _ in range(200):  # the next two seconds
        host.tick(throttle, loaded=True)
        worst = max(worst, host.behind())
    assert worst < 0.06  # `sleep 1` takes about a second
    # What a request must cost to keep time: 1 s over the requests run in a second
    # (half the host's time goes to the screen), per CPU sharing the clock.
    keeps_time = speed * SECOND * cpus / (host.rate * 0.5)
    factor = keeps_time / host.natural
    assert throttle.duty == pytest.approx(0.5, rel=0.05)
    assert throttle.factor == pytest.approx(factor, rel=0.15)
    assert throttle.label == f"cpu ÷{factor_text(throttle.factor)}"


def test_without_the_throttle_the_clock_falls_behind() -> None:
    host = ModelHost()
    host.run(Throttle(window=1e9), 2.0)  # a window that never ends: the throttle stays 0
    assert host.behind() > 1.9  # the bug: `sleep 1` would take ~100 s


def test_the_throttle_ends_with_the_load() -> None:
    host = ModelHost()
    throttle = Throttle()
    host.run(throttle, 1.0)
    assert throttle.ns > 0
    host.run(throttle, 0.3, loaded=False)
    assert throttle.ns == 0
    assert throttle.factor == 1.0
    assert throttle.label == ""


def test_a_host_fast_enough_is_not_throttled() -> None:
    # 10 M requests per host second at 200 ns each: the cost model is the slower one.
    host = ModelHost(rate=10_000_000.0)
    throttle = Throttle()
    host.run(throttle, 1.0)
    assert throttle.ns == 0
    assert throttle.label == ""
    assert host.behind() < 0.02


def test_a_backlog_is_paid_back() -> None:
    host = ModelHost()
    throttle = Throttle()
    host.run(throttle, 1.0)
    host.virtual -= 0.2 * SECOND  # the host stalled (a swap storm, a screenshot)
    host.run(throttle, 1.0)
    assert host.behind() < 0.03


@pytest.mark.parametrize(
    ("factor", "text"),
    [(1.25, "1.2"), (9.96, "10.0"), (37.4, "37"), (123.0, "120"), (4321.0, "4,300")],
)
def test_factor_text(factor: float, text: str) -> None:
    assert factor_text(factor) == text


def test_no_label_below_the_minimum() -> None:
    t = Throttle()
    t.factor = FACTOR_MIN - 0.01
    assert t.label == ""


# ---------------------------------------------------------------- the kernel's knob
def _boot_busy() -> Machine:
    m = Machine(fast_info())
    m.run_until_idle()
    m.feed(f"{BUSY} &\n".encode())
    m.run_for(SECOND // 100)
    return m


def _busy_thread(m: Machine) -> object:
    (thread,) = [
        t for t in m.kernel.procs.threads.values() if t.proc.comm == BUSY.rsplit("/", 1)[1]
    ]
    return thread


def test_a_throttled_cpu_runs_fewer_requests_and_charges_them() -> None:
    m = _boot_busy()
    k = m.kernel
    assert k.throttle_ns == 0
    k.throttle_ns = 100_000  # each request costs 0.1 ms more, as user time
    t = _busy_thread(m)
    utime0, stime0 = t.utime, t.stime  # type: ignore[attr-defined]
    requests0, throttled0 = k.requests, k.throttled_ns
    m.feed(f"{SLEEPER}\n".encode())
    while not SLEPT:
        m.run_for(SECOND // 10)
    # A second of virtual time, load or not (plus the wake-up: a switch and the
    # clock_gettime after it, each request 0.1 ms on this slow CPU).
    assert SECOND <= SLEPT[0] < SECOND + 1_000_000
    # The busy thread was charged the throttle: its CPU time kept pace with the clock.
    cpu = t.utime + t.stime - utime0 - stime0  # type: ignore[attr-defined]
    assert cpu >= SECOND * 0.95
    # ... but ran about one request per 0.1 ms, not one per 50 ns.
    assert k.throttled_ns - throttled0 >= SECOND * 0.9
    assert (k.requests - requests0) < 2 * SECOND // 100_000


def test_fast_mode_never_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _boot_busy()
    now = [100.0]

    class Clock:
        @staticmethod
        def monotonic() -> float:
            now[0] += 0.01  # every read: a slow host
            return now[0]

        perf_counter = monotonic

    monkeypatch.setattr(machine_mod, "time", Clock)
    for _ in range(30):
        assert m.run_slice() == BUDGET
    assert m.kernel.throttle_ns == 0
    assert m.kernel.throttled_ns == 0
    assert m.throttle.ns == 0
    assert m.load_label == ""


def test_realtime_mode_throttles_a_slow_host(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _boot_busy()
    m.set_speed(1.0)  # realtime ×1 (the image was fast)
    now = [100.0]
    cost = 50e-6  # host seconds per request: a slow host

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return now[0]

        perf_counter = monotonic

    run = m.kernel.run

    def timed_run(until: int | None = None, budget: int | None = None) -> str:
        before = m.kernel.requests
        state = run(until=until, budget=budget)
        now[0] += (m.kernel.requests - before) * cost
        return state

    m.kernel.run = timed_run  # type: ignore[method-assign]
    monkeypatch.setattr(machine_mod, "time", Clock)
    m.resume()  # anchor the realtime clock on the fake host clock
    virt0, host0 = m.kernel.now_ns, now[0]
    states = set()
    while now[0] - host0 < 2.0:
        states.add(m.run_slice())
        now[0] += 0.005  # the app's gap between two slices
    assert {BUDGET, UNTIL} >= states
    behind = (now[0] - host0) - (m.kernel.now_ns - virt0) / SECOND
    assert behind < 0.1
    assert m.kernel.throttle_ns > 0
    assert m.load_label.startswith("cpu ÷")
    m.pause()
    assert m.kernel.throttle_ns == 0
    assert m.load_label == ""


def test_the_header_states_the_throttle() -> None:
    m = Machine(fast_info())
    header = MachineHeader()
    assert "  fast  ● running" in header.render_text(m).plain
    m.set_speed(1.0)
    assert "  realtime ×1  ● running" in header.render_text(m).plain
    m.throttle.factor = 37.2  # as the controller leaves it on a slow host
    assert "  realtime ×1  cpu ÷37  ● running" in header.render_text(m).plain
    m.pause()
    assert "  realtime ×1  ● paused" in header.render_text(m).plain
    m.power_off()  # (closes the coroutines of programs that never ran)
