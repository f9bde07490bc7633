"""The machine runner behind the TUI: bounded slices, flow control, input hooks.

Slices are bounded in host time; these tests give the runner a fake clock that a
wrapped ``kernel.run`` advances by a chosen host cost per request, so what is checked
is the runner's arithmetic (never overshoot, keep making progress), not this host's
speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tuihelp import ProgramSet, busy, fast_info

from kernel.kernel import BUDGET, IDLE
from tui import machine as machine_mod
from tui.machine import CHUNK_MIN, SLICE_SECONDS, Machine

PROGRAMS = ProgramSet("tm")
BUSY = PROGRAMS.add(busy)


@pytest.fixture(autouse=True)
def _programs() -> Iterator[None]:
    yield from PROGRAMS.registered()


class FakeClock:
    """Host time that moves only when the wrapped kernel runs requests."""

    def __init__(self, m: Machine, cost: float) -> None:
        self.now = 100.0
        self.cost = cost  # host seconds per request
        self.requests = 0
        run = m.kernel.run

        def timed_run(until: int | None = None, budget: int | None = None) -> str:
            state = run(until=until, budget=budget)
            if state == BUDGET and budget:
                self.now += budget * self.cost
                self.requests += budget
            return state

        m.kernel.run = timed_run  # type: ignore[method-assign]

    def perf_counter(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


def busy_machine(monkeypatch: pytest.MonkeyPatch, cost: float) -> tuple[Machine, FakeClock]:
    m = Machine(fast_info())
    m.run_until_idle()
    for _ in range(4):
        m.feed(f"{BUSY} &\n".encode())
        m.run_until_idle(budget=20_000)
    clock = FakeClock(m, cost)
    monkeypatch.setattr(machine_mod, "time", clock)
    return m, clock


@pytest.mark.parametrize("cost", [2e-6, 20e-6, 200e-6])
def test_a_slice_never_runs_past_its_host_time(
    monkeypatch: pytest.MonkeyPatch, cost: float
) -> None:
    m, clock = busy_machine(monkeypatch, cost)
    for i in range(40):
        start, done = clock.now, clock.requests
        assert m.run_slice() == BUDGET
        took = clock.now - start
        assert took <= SLICE_SECONDS + 1e-12
        if i >= 5:  # once the rate is known, a slice uses most of its time
            assert took >= SLICE_SECONDS * 0.6
            assert clock.requests - done >= CHUNK_MIN


def test_a_slower_machine_mid_way_is_caught_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    m, clock = busy_machine(monkeypatch, 2e-6)
    for _ in range(10):
        m.run_slice()
    clock.cost = 2.4e-6  # 20 % slower requests (a heavier mix): still no overshoot
    for _ in range(10):
        start = clock.now
        m.run_slice()
        assert clock.now - start <= SLICE_SECONDS + 1e-12


def test_a_slice_makes_progress_however_slow_the_machine_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m, clock = busy_machine(monkeypatch, 0.01)  # one request takes longer than a slice
    for n in range(1, 4):
        assert m.run_slice() == BUDGET
        assert clock.requests == n * CHUNK_MIN  # the smallest chunk, every time


def test_held_output_stays_in_the_console_until_released() -> None:
    m = Machine(fast_info())
    got: list[bytes] = []
    m.on_output.append(got.append)
    m.run_until_idle()
    got.clear()
    m.hold_output = True
    m.feed(b"echo held\n")
    assert m.run_slice() == IDLE
    assert got == []
    assert m.kernel.console.pending_output > 0
    m.hold_output = False
    m.run_slice()
    assert b"held\r\n" in b"".join(got)


def test_typing_tells_the_listeners() -> None:
    m = Machine(fast_info())
    calls: list[Any] = []
    m.on_input.append(lambda: calls.append(1))
    m.feed(b"x")
    assert calls == [1]
    m.power_off()
    m.feed(b"y")  # a halted machine takes no input
    assert calls == [1]
