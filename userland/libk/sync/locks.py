"""Locks and waits on futex words: Mutex, Condvar, Semaphore, Once, Barrier.

See the package's docstring for the rules they share (atomic runs between awaits,
shared or private futexes, EINTR).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from kernel.abi import CLOCK_MONOTONIC, EAGAIN, EINTR, EINVAL, EPERM, FUTEX_CMP_REQUEUE, MMU, Error
from userland.libk import sys
from userland.libk.sync.word import INT_MAX, U32, SyncWord, deadline_of


class Mutex(SyncWord):
    """Drepper's futex mutex ("Futexes Are Tricky", mutex 3).

    One word: 0 unlocked, 1 locked, 2 locked and maybe waited for. Locking an unlocked
    mutex and unlocking one nobody waits for make no system call. ``async with m:``
    locks and unlocks. Not recursive, and it does not record its owner.
    """

    __slots__ = ()
    UNLOCKED, LOCKED, CONTENDED = 0, 1, 2
    LAYOUT = ((0, "state"),)

    def init(self) -> Mutex:
        """Make it unlocked (memory fresh from mmap already is)."""
        self.mem.store32(self.addr, self.UNLOCKED)
        return self

    @property
    def locked(self) -> bool:
        """Someone holds it."""
        return self.mem.load32(self.addr) != self.UNLOCKED

    def try_lock(self) -> bool:
        """Take it if it is free (a compare-and-swap 0 -> 1 that does not wait, even for
        another CPU that holds it at this virtual time); never blocks."""
        return self.mem.cas32(self.addr, self.UNLOCKED, self.LOCKED, wait=False) == 0

    async def lock(self) -> bool:
        """Take it, sleeping while another thread holds it. Returns True if it had to
        wait (another thread held it, or another CPU at this virtual time: the
        compare-and-swap spun, see ``MMU.cas32``), False if it was free.

        Not interrupted: a signal or an exit request that breaks the futex wait only
        makes it wait again (the exit request stays set for the thread to see).
        """
        mem, a = self.mem, self.addr
        c = mem.cas32(a, self.UNLOCKED, self.LOCKED)
        if c == self.UNLOCKED:
            return mem.stall > 0
        if c != self.CONTENDED:
            c = mem.xchg32(a, self.CONTENDED)
            if c == self.UNLOCKED:
                return True
        await self._lock_slow()
        return True

    async def _lock_slow(self) -> None:
        """The waiting loop: xchg(2) until the old value is 0 (also what a condition
        variable's waiter does when it comes back, since others may be queued)."""
        mem, a = self.mem, self.addr
        while True:
            if mem.xchg32(a, self.CONTENDED) == self.UNLOCKED:
                return
            try:
                await self._wait(a, self.CONTENDED)
            except Error as err:
                if err.errno != EINTR:
                    raise

    async def unlock(self) -> None:
        """Release it; wakes one waiter if any may wait (the state was 2).

        Raises:
            Error: EPERM if it is not locked.
        """
        mem, a = self.mem, self.addr
        c = mem.xchg32(a, self.UNLOCKED)
        if c == self.UNLOCKED:
            raise Error(EPERM, "Mutex.unlock: the mutex is not locked")
        if c == self.CONTENDED:
            await self._wake(a, 1)

    async def __aenter__(self) -> Mutex:
        await self.lock()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.unlock()


class Condvar(SyncWord):
    """A condition variable bound to one :class:`Mutex`: a sequence word and a count of
    waiters. ``notify_all`` wakes one waiter and requeues the rest onto the mutex
    (FUTEX_CMP_REQUEUE), so they are woken one at a time as it is unlocked instead of
    all at once to fight for it. It uses the mutex's kind of futex (shared or private).
    """

    __slots__ = ("mutex",)
    SIZE = 8
    LAYOUT = ((0, "seq"), (4, "waiters"))

    def __init__(self, mem: MMU, addr: int, mutex: Mutex) -> None:
        super().__init__(mem, addr, shared=mutex.shared)
        self.mutex = mutex

    def init(self) -> Condvar:
        """Clear it (no waiters)."""
        self.mem.store32(self.addr, 0)
        self.mem.store32(self.addr + 4, 0)
        return self

    async def wait(self, timeout_ns: int | None = None) -> bool:
        """Unlock the mutex, sleep until notified, lock it again.

        The caller must hold the mutex; it holds it again when this returns or raises.
        Wake-ups may be spurious: wait in a loop on the condition (or use
        :meth:`wait_for`).

        Args:
            timeout_ns: give up after this long (virtual ns); None waits for ever.

        Returns:
            False if the timeout passed, else True.

        Raises:
            Error: EINTR when a signal or an exit request interrupted the wait (the
                mutex is locked again first).
        """
        mem, a = self.mem, self.addr
        if not self.mutex.locked:
            raise Error(EPERM, "Condvar.wait: the mutex is not locked")
        deadline = await deadline_of(timeout_ns)
        seq = mem.load32(a)
        self._add(a + 4, 1)
        await self.mutex.unlock()
        interrupted: Error | None = None
        in_time = True
        try:
            in_time = await self._wait(a, seq, deadline)
        except Error as err:
            interrupted = err
        self._add(a + 4, -1)
        await self.mutex._lock_slow()  # others may be queued on it: take it as state 2
        if interrupted is not None:
            raise interrupted
        return in_time

    async def wait_for(self, predicate: Callable[[], bool], timeout_ns: int | None = None) -> bool:
        """Wait until ``predicate()`` is true (checked with the mutex held).

        Returns:
            The predicate's last value (False only when the timeout passed first).
        """
        deadline = await deadline_of(timeout_ns)
        while not predicate():
            if deadline is None:
                await self.wait()
                continue
            left = deadline - await sys.clock_gettime(CLOCK_MONOTONIC)
            if left <= 0 or not await self.wait(left):
                return predicate()
        return True

    async def notify(self) -> None:
        """Wake one waiter (no system call when nobody waits)."""
        mem, a = self.mem, self.addr
        if not mem.load32(a + 4):
            return
        self._add(a, 1)
        await self._wake(a, 1)

    async def notify_all(self) -> None:
        """Wake one waiter and move the others to the mutex's futex."""
        mem, a = self.mem, self.addr
        if not mem.load32(a + 4):
            return
        seq = self._add(a, 1)
        while True:
            try:
                await sys.futex(a, FUTEX_CMP_REQUEUE | self._priv, 1, INT_MAX, self.mutex.addr, seq)
                return
            except Error as err:  # the sequence moved on meanwhile: requeue anew
                if err.errno != EAGAIN:
                    raise
                seq = mem.load32(a)


class Semaphore(SyncWord):
    """A counting semaphore: the count and the number of waiters."""

    __slots__ = ()
    SIZE = 8
    LAYOUT = ((0, "value"), (4, "waiters"))

    def init(self, value: int = 0) -> Semaphore:
        """Set the count.

        Raises:
            Error: EINVAL for a value outside 0 .. 2**32-1.
        """
        if not 0 <= value <= U32:
            raise Error(EINVAL, f"Semaphore: value {value} out of range")
        self.mem.store32(self.addr, value)
        self.mem.store32(self.addr + 4, 0)
        return self

    @property
    def value(self) -> int:
        """The count now."""
        return self.mem.load32(self.addr)

    def try_acquire(self) -> bool:
        """Take one if the count is positive (atomically); never blocks."""
        v = self.mem.load32(self.addr)
        if not v:
            return False
        self.mem.store32(self.addr, v - 1)
        return True

    async def acquire(self, timeout_ns: int | None = None) -> bool:
        """Take one, sleeping while the count is 0.

        Returns:
            False if the timeout passed first (nothing taken), else True.

        Raises:
            Error: EINTR when interrupted (nothing taken).
        """
        a = self.addr
        deadline = await deadline_of(timeout_ns)
        while not self.try_acquire():
            self._add(a + 4, 1)
            try:
                in_time = await self._wait(a, 0, deadline)
            finally:
                self._add(a + 4, -1)
            if not in_time:
                return self.try_acquire()
        return True

    async def release(self, n: int = 1) -> None:
        """Add ``n`` to the count and wake up to ``n`` waiters.

        Raises:
            Error: EINVAL for n < 1 or a count past 2**32-1.
        """
        mem, a = self.mem, self.addr
        v = mem.load32(a)
        if n < 1 or v + n > U32:
            raise Error(EINVAL, f"Semaphore.release: cannot add {n} to {v}")
        mem.store32(a, v + n)
        if mem.load32(a + 4):
            await self._wake(a, min(n, INT_MAX))


class Once(SyncWord):
    """Run an initialisation exactly once, whoever asks first; the others wait for it."""

    __slots__ = ()
    SIZE = 8
    NEW, RUNNING, DONE = 0, 1, 2
    LAYOUT = ((0, "state"), (4, "waiters"))

    def init(self) -> Once:
        """Make it not yet run."""
        self.mem.store32(self.addr, self.NEW)
        self.mem.store32(self.addr + 4, 0)
        return self

    @property
    def done(self) -> bool:
        """The initialisation has completed."""
        return self.mem.load32(self.addr) == self.DONE

    async def call(self, fn: Callable[[], Awaitable[Any]]) -> bool:
        """Run ``await fn()`` if nobody has; wait while another thread runs it.

        If ``fn`` raises, the Once is not done: the error goes to this caller and the
        next caller (a waiter, woken) runs ``fn`` again.

        Returns:
            True if this call ran ``fn``, False if it had already run.

        Raises:
            Error: EINTR when interrupted while another thread runs ``fn`` (which goes on).
        """
        mem, a = self.mem, self.addr
        while True:
            state = mem.load32(a)
            if state == self.DONE:
                return False
            if state == self.NEW:
                mem.store32(a, self.RUNNING)  # the same run as the load: one caller wins
                try:
                    await fn()
                except BaseException as exc:
                    mem.store32(a, self.NEW)
                    if isinstance(exc, Exception) and mem.load32(a + 4):
                        await self._wake(a, INT_MAX)
                    raise
                mem.store32(a, self.DONE)
                if mem.load32(a + 4):
                    await self._wake(a, INT_MAX)
                return True
            self._add(a + 4, 1)
            try:
                await self._wait(a, self.RUNNING)
            finally:
                self._add(a + 4, -1)


class Barrier(SyncWord):
    """N threads wait until all N have arrived, then all go on together; it can be
    used again at once (each round has its own generation number)."""

    __slots__ = ()
    SIZE = 12
    LAYOUT = ((0, "count"), (4, "arrived"), (8, "generation"))

    def init(self, count: int) -> Barrier:
        """Set the number of threads a round waits for.

        Raises:
            Error: EINVAL for a count below 1.
        """
        if not 1 <= count <= U32:
            raise Error(EINVAL, f"Barrier: count {count} out of range")
        mem, a = self.mem, self.addr
        mem.store32(a, count)
        mem.store32(a + 4, 0)
        mem.store32(a + 8, 0)
        return self

    async def wait(self) -> bool:
        """Arrive and wait for the rest of the round.

        Returns:
            True for exactly one thread of each round (the last to arrive, which
            releases the others; pthread's PTHREAD_BARRIER_SERIAL_THREAD), else False.

        Raises:
            Error: EINTR when interrupted before the round was complete: this thread
                leaves the round, which then still waits for ``count`` arrivals.
        """
        mem, a = self.mem, self.addr
        gen = mem.load32(a + 8)
        arrived = mem.load32(a + 4) + 1
        if arrived >= mem.load32(a):  # the last one: open the barrier
            mem.store32(a + 4, 0)
            mem.store32(a + 8, (gen + 1) & U32)
            if arrived > 1:
                await self._wake(a + 8, INT_MAX)
            return True
        mem.store32(a + 4, arrived)
        while mem.load32(a + 8) == gen:
            try:
                await self._wait(a + 8, gen)
            except Error:
                if mem.load32(a + 8) != gen:
                    return False  # released meanwhile: the round is over for us too
                self._add(a + 4, -1)
                raise
        return False
