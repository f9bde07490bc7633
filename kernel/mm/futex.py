"""futex: sleeping on a 32-bit word in memory until someone wakes that address.

The building block of every lock in libk's userland (``userland/libk/sync.py``): a
waiter says "sleep if the word at ADDR still holds VAL" (checked atomically with going
to sleep: nothing runs in between), a waker says "wake N sleepers on ADDR". Operations,
as Linux's futex(2) has them: WAIT (relative timeout in ns, -1 for none), WAKE,
REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET (absolute deadline on CLOCK_MONOTONIC, or
CLOCK_REALTIME with FUTEX_CLOCK_REALTIME) and WAKE_BITSET. The PI operations (LOCK_PI,
UNLOCK_PI, TRYLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI, LOCK_PI2) and FUTEX_FD are
ENOSYS.

Waiters are keyed as Linux keys them. With FUTEX_PRIVATE_FLAG the key is (address
space, address): only threads of one process meet. Without it, a word in a shared
mapping (or a read-only private file mapping whose page is still the file's) is keyed
by the page-cache object, page index and offset, so two processes that map the same
memfd or file at different addresses meet; a word in private writable memory is keyed
by address space and address as before; read-only private anonymous memory is EFAULT.
Linux's quirks are kept: FUTEX_WAKE (and each half of WAKE_OP) wakes at least one
waiter even when asked for 0, and REQUEUE's counts are C ints (val2 travels in the
``timeout`` argument, so its default -1 is EINVAL).

Each key has its own FIFO of waiters; a waiter leaves it when woken, when its timeout
passes, when it is interrupted, or when its thread dies. A caught signal or a thread
exit request interrupts a waiter with EINTR. An exit request that arrives while the
thread is not asleep in a futex is not lost: its next FUTEX_WAIT that would sleep
returns EINTR at once (only that one, so a thread that leaves can still take locks on
its way out), as a pending signal makes Linux's next interruptible sleep return.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EAGAIN,
    EFAULT,
    EINTR,
    EINVAL,
    ENOSYS,
    ETIMEDOUT,
    FUTEX_BITSET_MATCH_ANY,
    FUTEX_CLOCK_REALTIME,
    FUTEX_CMP_REQUEUE,
    FUTEX_PRIVATE_FLAG,
    FUTEX_REQUEUE,
    FUTEX_WAIT,
    FUTEX_WAIT_BITSET,
    FUTEX_WAKE,
    FUTEX_WAKE_BITSET,
    FUTEX_WAKE_OP,
    PROT_READ,
    PROT_WRITE,
    Error,
)
from kernel.mm.fault import copy_from, copy_to
from kernel.mm.vm import TASK_SIZE
from kernel.thread import DEAD, Sleep

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.mm.vm import AddressSpace
    from kernel.thread import Thread

Key = tuple[Any, ...]

FUTEX_WAIT_REQUEUE_PI = 11
FUTEX_LOCK_PI2 = 13
#: The commands FUTEX_CLOCK_REALTIME may go with (Linux 4.5 and later); others: ENOSYS.
_CLOCK_OK = (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2)

#: WAKE_OP's operations on the old value (FUTEX_OP_SET, ADD, OR, ANDN, XOR).
_OPS = {
    0: lambda old, arg: arg,
    1: lambda old, arg: old + arg,
    2: lambda old, arg: old | arg,
    3: lambda old, arg: old & ~arg,
    4: lambda old, arg: old ^ arg,
}
#: WAKE_OP's comparisons of the old value (FUTEX_OP_CMP_EQ, NE, LT, LE, GT, GE).
_CMPS = {
    0: lambda a, b: a == b,
    1: lambda a, b: a != b,
    2: lambda a, b: a < b,
    3: lambda a, b: a <= b,
    4: lambda a, b: a > b,
    5: lambda a, b: a >= b,
}


@dataclass(slots=True, eq=False)
class Waiter:
    """A thread asleep in FUTEX_WAIT: the key it waits on (requeue changes it) and the
    bitset a FUTEX_WAKE_BITSET must share with it."""

    thread: Thread
    key: Key
    bitset: int


@dataclass(slots=True)
class FutexTable:
    """One kernel's futex waiters.

    Attributes:
        queues: the waiters of each key, oldest first (a dict used as an ordered set).
        told: threads whose exit request a futex wait already answered with EINTR.
    """

    queues: dict[Key, dict[Thread, Waiter]] = field(default_factory=dict)
    told: set[Thread] = field(default_factory=set)

    def enqueue(self, w: Waiter) -> None:
        """Put ``w`` at the end of its key's queue."""
        q = self.queues.get(w.key)
        if q is None:
            q = self.queues[w.key] = {}
        q[w.thread] = w

    def dequeue(self, w: Waiter) -> None:
        """Take ``w`` out of its key's queue (if it is still there)."""
        q = self.queues.get(w.key)
        if q is not None and q.pop(w.thread, None) is not None and not q:
            del self.queues[w.key]

    def wake(self, k: Kernel, key: Key, nr: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
        """Wake waiters on ``key`` whose bitset meets ``bitset``, oldest first.

        As Linux's loop (``if (++ret >= nr_wake) break``) does, at least one is woken
        when any matches, even for ``nr`` <= 0.
        """
        q = self.queues.get(key)
        if not q:
            return 0
        woken = 0
        for w in list(q.values()):
            if not w.bitset & bitset:
                continue
            self.dequeue(w)
            k.wake(w.thread, 0)
            woken += 1
            if woken >= nr:
                break
        return woken

    def requeue(self, k: Kernel, key: Key, key2: Key, nr_wake: int, nr_requeue: int) -> int:
        """Wake up to ``nr_wake`` waiters on ``key`` and move up to ``nr_requeue`` of
        the rest to ``key2``; returns how many were woken or moved."""
        q = self.queues.get(key)
        if not q:
            return 0
        done = 0
        for w in list(q.values()):
            if done < nr_wake:
                self.dequeue(w)
                k.wake(w.thread, 0)
            elif done < nr_wake + nr_requeue:
                self.dequeue(w)
                w.key = key2
                self.enqueue(w)
            else:
                break
            done += 1
        return done

    def tell_once(self, t: Thread) -> bool:
        """Has ``t`` an exit request no futex wait has answered yet? Records that one
        is now answered."""
        if not t.exit_requested or t in self.told:
            return False
        if len(self.told) > 64:
            self.told = {x for x in self.told if x.state is not DEAD}
        self.told.add(t)
        return True


def table(k: Kernel) -> FutexTable:
    """The kernel's futex table (made on first use)."""
    ft = getattr(k, "futex_table", None)
    if ft is None:
        ft = k.futex_table = FutexTable()
    return ft


def futex_key(mm: AddressSpace, addr: int, private: bool, write: bool = False) -> Key:
    """The identity of the word at ``addr``, as Linux's get_futex_key makes it.

    Args:
        mm: the caller's address space.
        addr: the word's address.
        private: FUTEX_PRIVATE_FLAG was given: the key is (mm, addr), unchecked.
        write: the operation will store to the word (WAKE_OP's second address).

    Raises:
        Error: EINVAL for an address not 4-byte aligned; EFAULT outside user space, or
            (shared operations) for memory the caller cannot reach that way.
    """
    if addr % 4:
        raise Error(EINVAL)
    if addr + 4 > TASK_SIZE:
        raise Error(EFAULT)
    if private:
        return (mm, addr)
    area = mm.find(addr)
    if area is None:
        raise Error(EFAULT)
    writable = area.prot & PROT_WRITE
    if (write and not writable) or not area.prot & (PROT_READ | PROT_WRITE):
        raise Error(EFAULT)
    cache = area.cache
    if cache is not None and (area.shared or not writable):
        shift = mm.view.shift
        index = area.pgoff + ((addr - area.start) >> shift)
        if index >= -(-cache.size >> shift):
            raise Error(EFAULT)  # past the end of the file: SIGBUS for a load
        if not area.shared:
            pte = mm.pt.get(addr >> shift)
            if pte is not None and pte.page.kind == "anon":
                raise Error(EFAULT)  # a read-only private copy: it can never change
        return (cache, index, addr & (mm.page_size - 1))
    if not writable:
        raise Error(EFAULT)  # read-only private anonymous memory
    return (mm, addr)


def _word(mm: AddressSpace, addr: int) -> int:
    return int.from_bytes(copy_from(mm, addr, 4), "little")


def _int(v: int) -> int:
    """A C ``int`` made from the low 32 bits of ``v`` (how Linux reads val and val2)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _sext12(v: int) -> int:
    return v - 0x1000 if v & 0x800 else v


def sys_futex(
    k: Kernel, t: Thread, addr: int, op: int, val: int, timeout: int, addr2: int, val3: int
) -> Generator[Sleep, Any, int]:
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    private = bool(op & FUTEX_PRIVATE_FLAG)
    if op & FUTEX_CLOCK_REALTIME and cmd not in _CLOCK_OK:
        raise Error(ENOSYS)
    mm = t.proc.mm
    ft = table(k)
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        if timeout < -1:
            raise Error(EINVAL)
        bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise Error(EINVAL)
        key = futex_key(mm, addr, private)
        if _word(mm, addr) != val & 0xFFFFFFFF:
            raise Error(EAGAIN)
        deadline = None
        if timeout >= 0:
            if cmd == FUTEX_WAIT:
                deadline = k.now() + timeout
            elif op & FUTEX_CLOCK_REALTIME:
                from kernel.sysproc import epoch_ns

                deadline = timeout - epoch_ns(k)
            else:
                deadline = timeout
            if deadline <= k.now():
                raise Error(ETIMEDOUT)
        if ft.tell_once(t):
            raise Error(EINTR)
        return (yield from _wait(k, ft, t, Waiter(t, key, bitset), deadline))
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
        if not bitset:
            raise Error(EINVAL)
        return ft.wake(k, futex_key(mm, addr, private), _int(val), bitset)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        nr_wake, nr_requeue = _int(val), _int(timeout)
        if nr_wake < 0 or nr_requeue < 0:
            raise Error(EINVAL)
        key = futex_key(mm, addr, private)
        key2 = futex_key(mm, addr2, private)
        if cmd == FUTEX_CMP_REQUEUE and _word(mm, addr) != val3 & 0xFFFFFFFF:
            raise Error(EAGAIN)
        return ft.requeue(k, key, key2, nr_wake, nr_requeue)
    if cmd == FUTEX_WAKE_OP:
        key = futex_key(mm, addr, private)
        key2 = futex_key(mm, addr2, private, write=True)
        opcode = (val3 >> 28) & 0x7
        cmp = (val3 >> 24) & 0xF
        oparg = _sext12((val3 >> 12) & 0xFFF)
        cmparg = _sext12(val3 & 0xFFF)
        if val3 & 0x80000000:  # FUTEX_OP_OPARG_SHIFT
            oparg = 1 << (oparg & 31)  # Linux masks a bad shift (and logs it)
        if opcode not in _OPS:
            raise Error(ENOSYS)
        old = _word(mm, addr2)
        copy_to(mm, addr2, (_OPS[opcode](old, oparg) & 0xFFFFFFFF).to_bytes(4, "little"))
        if cmp not in _CMPS:
            raise Error(ENOSYS)  # as Linux: after the store, before any wake-up
        woken = ft.wake(k, key, _int(val))
        if _CMPS[cmp](_int(old), cmparg):
            woken += ft.wake(k, key2, _int(timeout))
        return woken
    raise Error(ENOSYS)


def _wait(
    k: Kernel, ft: FutexTable, t: Thread, w: Waiter, deadline: int | None
) -> Generator[Sleep, Any, int]:
    """Sleep as ``w`` until woken (0), the deadline (ETIMEDOUT) or an interruption."""
    ft.enqueue(w)
    try:
        why = yield Sleep((), deadline, "futex_wait_queue")
    except Error as err:
        if err.errno == EINTR and t.exit_requested:
            ft.tell_once(t)
        raise
    finally:
        ft.dequeue(w)  # still queued unless a wake-up took it out
    if why == "timeout":
        raise Error(ETIMEDOUT)
    return 0
