"""Threads and wait queues: the schedulable unit and the places it sleeps.

A thread is a Python coroutine plus the kernel's record of it. It runs until it awaits a
request (a system call), which the kernel dispatches; a request that must wait puts the
thread to sleep on a :class:`WaitQueue` (and/or a timer) until something wakes it.
Sleeps are identified by a sequence number so a stale wake-up (a timer that fired after
the thread was already woken by data, say) is recognised and ignored. A thread that dies
has its coroutine closed here (:func:`close_coroutine`), whatever its clean-up awaits.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kernel.abi.tls import TLS

if TYPE_CHECKING:
    from kernel.proc import Process

#: How many times :func:`close_coroutine` throws GeneratorExit before it gives up.
CLOSE_TRIES = 1000

# Thread states, as /proc spells them.
RUNNABLE = "R"
SLEEPING = "S"
STOPPED = "T"
DEAD = "X"


@dataclass(slots=True, eq=False)
class Thread:
    """One thread of a process.

    Attributes:
        tid: thread id (the main thread's tid is the process id).
        proc: the owning process.
        coro: the coroutine being run.
        state: RUNNABLE, SLEEPING, STOPPED or DEAD.
        cpu: the CPU it last ran on (or will run on).
        on_rq: it is queued on a CPU's run queue.
        resume: the value to send into the coroutine when it next runs.
        resume_exc: an exception to throw into it instead.
        kgen: the suspended kernel half of a blocking system call.
        sleep_seq: identifies the current sleep; a wake-up for another one is stale.
        wchan: what the thread waits on, for /proc (``pipe_read``, ``wait4``, …).
        ready_at: virtual time it became runnable (a CPU never runs it earlier).
        exit_requested: thread_request_exit() was called for it.
        utime, stime: virtual CPU time in user mode and in the kernel, ns.
        nvcsw, nivcsw: voluntary and involuntary context switches.
        result: the value it ended with (for thread_join).
        joiners: threads waiting in thread_join for it.
        trace_call: a traced blocking call in progress (number, arguments, start).
        tls: its thread-pointer block (kernel.abi.tls), loaded into ``tp`` when it runs.
    """

    tid: int
    proc: Process
    coro: Coroutine[Any, Any, Any] | None
    name: str = ""
    state: str = RUNNABLE
    cpu: int = 0
    on_rq: bool = False
    resume: Any = None
    resume_exc: BaseException | None = None
    kgen: Generator[Any, Any, Any] | None = None
    sleep_seq: int = 0
    wchan: str = ""
    ready_at: int = 0
    start_time: int = 0
    exit_requested: bool = False
    utime: int = 0
    stime: int = 0
    nvcsw: int = 0
    nivcsw: int = 0
    result: Any = None
    joiners: WaitQueue | None = None
    is_main: bool = False
    observer: bool = False  # the host client's thread: what it reads must not change
    trace_call: tuple[int, tuple[Any, ...], int] | None = None  # a traced call asleep
    tls: TLS | None = None


class WaitQueue:
    """Threads sleeping until some condition changes (data arrives, a child dies…).

    Entries are ``(thread, sleep_seq)`` pairs; an entry whose thread has since woken for
    another reason is stale and skipped, so removal never has to search the queue.
    """

    __slots__ = ("name", "_waiters")

    def __init__(self, name: str) -> None:
        self.name = name
        self._waiters: list[tuple[Thread, int]] = []

    def add(self, thread: Thread) -> None:
        """Queue a thread that is about to sleep (its sleep_seq already set)."""
        waiters = self._waiters
        if len(waiters) > 32:
            waiters[:] = [(t, s) for t, s in waiters if t.sleep_seq == s and t.state == SLEEPING]
        waiters.append((thread, thread.sleep_seq))

    def take(self) -> list[Thread]:
        """Empty the queue and return the threads still asleep on it."""
        waiters, self._waiters = self._waiters, []
        return [t for t, s in waiters if t.sleep_seq == s and t.state == SLEEPING]

    def __bool__(self) -> bool:
        return bool(self._waiters)


@dataclass(slots=True, frozen=True)
class Sleep:
    """What a blocking system call's kernel half yields: where and how long to sleep.

    Attributes:
        queues: wait queues to sleep on (any of them wakes the thread).
        deadline: absolute virtual time to wake at regardless, or None.
        wchan: the name /proc shows for the wait.
    """

    queues: tuple[WaitQueue, ...] = ()
    deadline: int | None = None
    wchan: str = ""


def _suspended(obj: object) -> bool:
    """Is ``obj`` a coroutine or generator that has not finished yet?"""
    frame = getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
    return frame is not None


def _await_chain(obj: object) -> list[Any]:
    """``obj`` and the coroutines and generators it awaits, outermost first (up to one
    that is running: a system call's kernel half ending its own thread finishes alone)."""
    chain: list[Any] = []
    while _suspended(obj) and len(chain) < 10_000:
        if getattr(obj, "cr_running", False) or getattr(obj, "gi_running", False):
            break
        chain.append(obj)
        inner = getattr(obj, "cr_await", None)
        obj = inner if inner is not None else getattr(obj, "gi_yieldfrom", None)
    return chain


def close_coroutine(coro: Coroutine[Any, Any, Any] | Generator[Any, Any, Any]) -> bool:
    """Close a dying thread's coroutine (or a system call's kernel half) for good.

    ``coro.close()`` alone is not enough for a program whose clean-up awaits (a
    ``finally`` that closes its descriptors, say): the await in the clean-up makes the
    close fail with "coroutine ignored GeneratorExit", and Python hands that error to
    the coroutine's caller, which leaves the coroutine it awaited suspended for the
    garbage collector to close — and to print a traceback for, long after the process
    died (at power-off, typically). So the await chain is closed from the innermost
    coroutine outwards, and a clean-up that awaits is closed again where it awaits,
    until the whole chain has finished: every ``finally`` runs, and every system call
    awaited in one gets GeneratorExit, as the dying thread's calls can no longer be
    served.

    Returns:
        True when everything finished; False for a program that keeps awaiting after
        :data:`CLOSE_TRIES` closes (it swallows GeneratorExit in a loop).
    """
    for _ in range(CLOSE_TRIES):
        chain = _await_chain(coro)
        if not chain:
            return True
        for obj in reversed(chain):
            try:
                obj.close()
            except RuntimeError:  # it awaited in its clean-up: walk the chain again
                break
            except BaseException:  # noqa: BLE001,S112 - a clean-up failed: it finished anyway
                continue
    return not _await_chain(coro)
