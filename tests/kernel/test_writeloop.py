"""The one write loop of write, send, sendto and sendmsg (``kernel.writeloop``), driven
directly as the scheduler drives a handler: short counts where Linux gives them, EAGAIN,
EINTR, SIGPIPE (or not, for MSG_NOSIGNAL), and the accounting of each step."""

from __future__ import annotations

from collections.abc import Callable, Generator
from types import SimpleNamespace
from typing import Any

import pytest

from kernel.abi import EAGAIN, EINTR, EPIPE, O_NONBLOCK, SIGPIPE, Error
from kernel.fs.vfs import WouldBlock
from kernel.writeloop import write_loop

SLEEP = object()


class Machine:
    """What the loop touches: the kernel's signals and charge, the caller's process."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        self.charged = 0
        self.k = SimpleNamespace(
            signals=SimpleNamespace(send=lambda proc, sig: self.signals.append(sig)),
            charge=self.charge,
        )
        self.t = SimpleNamespace(proc=SimpleNamespace(wchar=0))

    def charge(self, ns: int) -> None:
        self.charged += ns


def script(*steps: int | BaseException) -> tuple[Callable[[int], int], list[int]]:
    """A step that plays ``steps`` in turn (a count written, or an exception raised),
    and the offsets it was called with."""
    offsets: list[int] = []
    todo = list(steps)

    def step(done: int) -> int:
        offsets.append(done)
        what = todo.pop(0)
        if isinstance(what, BaseException):
            raise what
        return what

    return step, offsets


def run(gen: Generator[Any, None, int], throw: BaseException | None = None) -> tuple[int, int]:
    """Drive the loop to its end; (its result, how many times it slept). A sleep is
    resumed, or ``throw`` is thrown into it (the signal that interrupts it)."""
    sleeps = 0
    try:
        value = next(gen)
        while True:
            assert value is SLEEP
            sleeps += 1
            value = gen.throw(throw) if throw is not None else gen.send(None)
    except StopIteration as stop:
        return stop.value, sleeps


def loop(m: Machine, step: Callable[[int], int], total: int, **kw: Any) -> Any:
    f = SimpleNamespace(flags=kw.pop("flags", 0))
    return write_loop(m.k, m.t, f, step, total, cost=7, **kw)  # type: ignore[arg-type]


def test_whole_buffer_in_steps_with_a_wait_between() -> None:
    m = Machine()
    step, offsets = script(4, WouldBlock(SLEEP), 6)
    assert run(loop(m, step, 10)) == (10, 1)
    assert offsets == [0, 4, 4]
    assert (m.t.proc.wchar, m.charged, m.signals) == (10, 14, [])


def test_empty_write_takes_one_step() -> None:
    m = Machine()
    step, offsets = script(0)
    assert run(loop(m, step, 0)) == (0, 0)
    assert offsets == [0]


@pytest.mark.parametrize("kw", [{"flags": O_NONBLOCK}, {"dontwait": True}])
def test_nonblocking_gives_eagain_or_a_short_count(kw: dict[str, Any]) -> None:
    step, _ = script(WouldBlock(SLEEP))
    with pytest.raises(Error) as err:
        run(loop(Machine(), step, 10, **kw))
    assert err.value.errno == EAGAIN
    step, _ = script(3, WouldBlock(SLEEP))
    assert run(loop(Machine(), step, 10, **kw)) == (3, 0)


def test_a_signal_ends_the_wait_with_eintr_or_a_short_count() -> None:
    step, _ = script(WouldBlock(SLEEP))
    with pytest.raises(Error) as err:
        run(loop(Machine(), step, 10), throw=Error(EINTR))
    assert err.value.errno == EINTR
    step, _ = script(5, WouldBlock(SLEEP))
    assert run(loop(Machine(), step, 10), throw=Error(EINTR)) == (5, 1)


def test_epipe_sends_sigpipe_unless_told_not_to() -> None:
    m = Machine()
    step, _ = script(Error(EPIPE))
    with pytest.raises(Error) as err:
        run(loop(m, step, 10))
    assert err.value.errno == EPIPE and m.signals == [SIGPIPE]
    m = Machine()
    step, _ = script(2, Error(EPIPE))
    assert run(loop(m, step, 10, sigpipe=False)) == (2, 0)
    assert m.signals == []
