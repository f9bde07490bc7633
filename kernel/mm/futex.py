"""futex: sleeping on a 32-bit word in memory until someone wakes that address.

The building block of every lock in libk's userland (``userland/libk/sync.py``): a
waiter says "sleep if the word at ADDR still holds VAL" (checked atomically with going
to sleep: nothing runs in between), a waker says "wake N sleepers on ADDR". Waiters are
keyed as Linux keys them: a private mapping by (address space, address); a shared
mapping by the page-cache object, page index and offset, so two processes that map the
same memfd or file at different addresses meet on the same key. Operations: WAIT (with
a relative timeout in ns), WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET (absolute
CLOCK_MONOTONIC deadline) and WAKE_BITSET. A waiter is interrupted with EINTR by a
caught signal or an exit request, like every blocking call.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EAGAIN,
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
    Error,
)
from kernel.mm.fault import copy_from, copy_to
from kernel.thread import Sleep, WaitQueue

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.mm.vm import AddressSpace
    from kernel.thread import Thread


def futex_key(mm: AddressSpace, addr: int) -> tuple[Any, ...]:
    """The identity of the word at ``addr``: shared mappings by object and offset."""
    area = mm.find(addr)
    if area is not None and area.shared and area.cache is not None:
        ps = mm.page_size
        index = area.pgoff + (addr - area.start) // ps
        return (area.cache, index, addr % ps)
    return (mm, addr)


def _queues(k: Kernel) -> dict[tuple[Any, ...], WaitQueue]:
    q = getattr(k, "futexes", None)
    if q is None:
        q = k.futexes = {}
    return q


def _word(mm: AddressSpace, addr: int) -> int:
    return int.from_bytes(copy_from(mm, addr, 4), "little")


def _wake(k: Kernel, key: tuple[Any, ...], n: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
    queues = _queues(k)
    q = queues.get(key)
    if q is None or n <= 0:
        return 0
    if bitset != FUTEX_BITSET_MATCH_ANY:
        woken = 0
        keep = []
        for t in q.take_first(1 << 30):
            if woken < n and t.futex_bitset & bitset:
                k.wake(t, 0)
                woken += 1
            else:
                keep.append(t)
        for t in keep:
            q._waiters.append((t, t.sleep_seq))
    else:
        threads = q.take_first(n)
        for t in threads:
            k.wake(t, 0)
        woken = len(threads)
    if not q:
        del queues[key]
    return woken


_OPS = {
    0: lambda old, arg: arg,  # FUTEX_OP_SET
    1: lambda old, arg: old + arg,  # FUTEX_OP_ADD
    2: lambda old, arg: old | arg,  # FUTEX_OP_OR
    3: lambda old, arg: old & ~arg,  # FUTEX_OP_ANDN
    4: lambda old, arg: old ^ arg,  # FUTEX_OP_XOR
}
_CMPS = {
    0: lambda a, b: a == b,
    1: lambda a, b: a != b,
    2: lambda a, b: a < b,
    3: lambda a, b: a <= b,
    4: lambda a, b: a > b,
    5: lambda a, b: a >= b,
}


def sys_futex(
    k: Kernel, t: Thread, addr: int, op: int, val: int, timeout: int, addr2: int, val3: int
) -> Generator[Sleep, Any, int]:
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    mm = t.proc.mm
    if addr % 4:
        raise Error(EINVAL)
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAIT_BITSET else FUTEX_BITSET_MATCH_ANY
        if bitset == 0:
            raise Error(EINVAL)
        deadline = None
        if timeout >= 0:
            deadline = timeout if cmd == FUTEX_WAIT_BITSET else k.now() + timeout
        elif timeout != -1:
            raise Error(EINVAL)
        if _word(mm, addr) != val & 0xFFFFFFFF:
            raise Error(EAGAIN)
        if deadline is not None and deadline <= k.now():
            raise Error(ETIMEDOUT)
        key = futex_key(mm, addr)
        q = _queues(k).get(key)
        if q is None:
            q = _queues(k)[key] = WaitQueue("futex")
        t.futex_bitset = bitset
        why = yield Sleep((q,), deadline, "futex_wait_queue")
        if why == "timeout":
            raise Error(ETIMEDOUT)
        return 0
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = val3 & 0xFFFFFFFF if cmd == FUTEX_WAKE_BITSET else FUTEX_BITSET_MATCH_ANY
        if bitset == 0:
            raise Error(EINVAL)
        return _wake(k, futex_key(mm, addr), val, bitset)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if addr2 % 4 or val < 0 or timeout < 0:
            raise Error(EINVAL)
        if cmd == FUTEX_CMP_REQUEUE and _word(mm, addr) != val3 & 0xFFFFFFFF:
            raise Error(EAGAIN)
        key, key2 = futex_key(mm, addr), futex_key(mm, addr2)
        woken = _wake(k, key, val)
        queues = _queues(k)
        q = queues.get(key)
        moved = 0
        if q is not None and timeout > 0:
            q2 = queues.get(key2)
            if q2 is None:
                q2 = queues[key2] = WaitQueue("futex")
            moved = q.move_to(q2, timeout)
            if not q:
                del queues[key]
            if not q2:
                del queues[key2]
        return woken + moved
    if cmd == FUTEX_WAKE_OP:
        if addr2 % 4:
            raise Error(EINVAL)
        opcode = (val3 >> 28) & 0x7
        shift_arg = (val3 >> 28) & 0x8
        cmp = (val3 >> 24) & 0xF
        oparg = (val3 >> 12) & 0xFFF
        cmparg = val3 & 0xFFF
        if shift_arg:
            oparg = 1 << (oparg & 31)
        if opcode not in _OPS or cmp not in _CMPS:
            raise Error(ENOSYS)
        old = _word(mm, addr2)
        copy_to(mm, addr2, (_OPS[opcode](old, oparg) & 0xFFFFFFFF).to_bytes(4, "little"))
        woken = _wake(k, futex_key(mm, addr), val)
        if _CMPS[cmp](old, cmparg):
            woken += _wake(k, futex_key(mm, addr2), max(0, timeout))
        return woken
    raise Error(ENOSYS)
