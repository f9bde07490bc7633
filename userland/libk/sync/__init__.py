"""Synchronisation on futexes: Mutex, Condvar, Semaphore, Once, Barrier, Channel, Arena.

Every primitive keeps its state in 32-bit words in the process's memory, reached through
the MMU view (``await sys.mmu()``), so ``/proc/<pid>/mem`` shows them; the layouts are
the ``LAYOUT`` of each class (offset, name). Threads sleep in futex(2) and are woken
through it; an uncontended operation makes no system call.

Atomicity: the machine switches threads only where a thread awaits (a system call,
``checkpoint()``), so a run of loads and stores with no await in between is atomic, as a
compare-and-swap or an exchange is on a real CPU. Every "atomically" below relies on
that, and the code never awaits inside such a run. futex WAIT compares the word in the
kernel, so a change made between the last load and the WAIT is never slept through.

Memory: :class:`Arena` hands out slots from pages it maps one at a time (named
``[anon:libk-sync]`` in /proc/<pid>/maps), apart from the heap (kmheapa(3)). To share a
primitive between processes, map the same memfd MAP_SHARED in both and construct the
object at an address inside the mapping in each (``Mutex(mem, addr)``); one of them
calls ``init``. Objects built at a given address use shared futexes (they work in
private memory too); an Arena's use private ones (cheaper on Linux, and never met by
another process).

Interruptions: a caught signal or a thread exit request (``thread_request_exit``)
interrupts a blocked wait with EINTR; an exit request that comes while the thread is
not asleep makes its next futex wait return EINTR at once. ``Mutex.lock`` is not interrupted (as
pthread_mutex_lock is not): it waits on for the holder, who holds it only for a critical
section. Every other blocking call raises ``Error(EINTR)``, leaving the object as if the
call had not been made (the methods say the details), so a thread that was asked to
leave sees the error, checks ``thread_should_exit()`` and leaves on its own. To tell a
thread to stop without the exit-request flag, send it a message on its Channel or close
the Channel: its ``recv`` then returns ``None``.
"""

from __future__ import annotations

from userland.libk.sync.arena import Arena
from userland.libk.sync.channel import Channel
from userland.libk.sync.locks import Barrier, Condvar, Mutex, Once, Semaphore
from userland.libk.sync.word import (
    FUTEX_OP_ADD,
    FUTEX_OP_ANDN,
    FUTEX_OP_CMP_EQ,
    FUTEX_OP_CMP_GE,
    FUTEX_OP_CMP_GT,
    FUTEX_OP_CMP_LE,
    FUTEX_OP_CMP_LT,
    FUTEX_OP_CMP_NE,
    FUTEX_OP_OPARG_SHIFT,
    FUTEX_OP_OR,
    FUTEX_OP_SET,
    FUTEX_OP_XOR,
    INT_MAX,
    SyncWord,
    futex_op,
)

__all__ = [
    "FUTEX_OP_ADD",
    "FUTEX_OP_ANDN",
    "FUTEX_OP_CMP_EQ",
    "FUTEX_OP_CMP_GE",
    "FUTEX_OP_CMP_GT",
    "FUTEX_OP_CMP_LE",
    "FUTEX_OP_CMP_LT",
    "FUTEX_OP_CMP_NE",
    "FUTEX_OP_OPARG_SHIFT",
    "FUTEX_OP_OR",
    "FUTEX_OP_SET",
    "FUTEX_OP_XOR",
    "INT_MAX",
    "Arena",
    "Barrier",
    "Channel",
    "Condvar",
    "Mutex",
    "Once",
    "Semaphore",
    "SyncWord",
    "futex_op",
]
