"""Atomic operations in virtual time: what two CPUs working on one word at once cost.

The machine runs its CPUs one after another, a window of virtual time each, and a
thread runs uninterrupted between two requests, so host order makes every load and
store atomic, and two critical sections never overlap on the host. What host order
cannot show is two CPUs using the same word at the same *virtual* time: a lock that
CPU 0 held from 1.00 to 1.02 ms is free on the host when CPU 1 runs its window and
takes it at 1.01 ms. This module models that for the words programs use atomically
(``MMU.cas32`` and friends: locks, counters, list heads).

On a machine of several CPUs every such word keeps the history of the values atomics
stored in it, by virtual time. An operation at virtual time T on CPU c:

- pays ``cache_transfer`` (the image's cost) when the last store before T came from
  another CPU: the cache line moves;
- if it is a compare-and-swap taking a lock (the word holds the expected "free" value
  on the host), it waits in virtual time until the history shows the word free at T
  and staying free for as long as this CPU held it last time, as a spinning CPU
  would; the wait is charged to the thread and left in ``view.stall``. A non-waiting
  CAS (a trylock) fails instead and returns the value the history shows.

The host's value always decides whether an operation succeeds, so mutual exclusion is
never broken by the model: history only decides how long it takes. History is kept
back to the slowest busy CPU's clock (and at most ``HISTORY_MAX`` entries). A machine of
one CPU keeps none: host order is virtual order there.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel.abi.mmu import ATOMIC_CAS, atomic_result

if TYPE_CHECKING:
    from kernel.mm.vm import AddressSpace

HISTORY_MAX = 1 << 16
_PRUNE_AT = 4096
_M32 = 0xFFFF_FFFF
_M64 = 0xFFFF_FFFF_FFFF_FFFF


@dataclass(slots=True, eq=False)
class Word:
    """The history of one word, sorted by virtual time.

    Attributes:
        times, vals, cpus: when each store happened, what it stored, on which CPU.
        taken: per CPU, when its last CAS took the word and the value that freed it.
        hold: per CPU, how long it held the word last time (the wait predicts it).
        prune_at: the length at which old history is next dropped.
    """

    times: list[int] = field(default_factory=list)
    vals: list[int] = field(default_factory=list)
    cpus: list[int] = field(default_factory=list)
    taken: dict[int, tuple[int, int]] = field(default_factory=dict)
    hold: dict[int, int] = field(default_factory=dict)
    prune_at: int = _PRUNE_AT


class Atomics:
    """The atomic operations of one address space (the MMU view's ``atomic``)."""

    __slots__ = ("mm", "words", "transfers", "stalls", "stall_ns")

    def __init__(self, mm: AddressSpace) -> None:
        self.mm = mm
        self.words: dict[tuple[int, int], Word] = {}
        self.transfers = 0  # cache lines moved between CPUs
        self.stalls = 0  # operations that waited for another CPU
        self.stall_ns = 0

    def __call__(self, addr: int, op: int, a: int, b: int, size: int, wait: bool) -> int:
        view = self.mm.view
        old = view.load32(addr) if size == 4 else view.load64(addr)
        view.stall = 0
        new = atomic_result(op, old, a, b, _M32 if size == 4 else _M64)
        k = self.mm.k  # the view calls this only on machines of several CPUs
        cpu = k.cur_cpu
        if cpu is not None:  # None: the front end's calls, between runs
            now = cpu.clock + view.n * k.cost_memory + view.fault_ns
            seen = self._order((addr, size), cpu.id, now, new, op, a, wait)
            if seen is not None:  # a trylock the history makes fail
                return seen
        if new is not None:
            view.n -= 1  # a read-modify-write is one access
            if size == 4:
                view.store32(addr, new)
            else:
                view.store64(addr, new)
        return old

    def _order(
        self, key: tuple[int, int], cid: int, now: int, new: int | None, op: int, a: int, wait: bool
    ) -> int | None:
        """Place the operation in the word's history; charge transfers and stalls.

        Returns the value a non-waiting CAS saw when the history makes it fail, else None.
        """
        w = self.words.get(key)
        if w is None:
            w = self.words[key] = Word()
        times, vals, cpus = w.times, w.vals, w.cpus
        view = self.mm.view
        k = self.mm.k
        i = bisect_right(times, now)
        if i and cpus[i - 1] != cid:
            self.transfers += 1
            view.fault_ns += k.cost_transfer
        if op == ATOMIC_CAS and new is not None and new != a:  # taking the word
            free_at = self._free_from(w, i, now, a, w.hold.get(cid, 0))
            if free_at > now:
                if not wait:
                    return vals[i - 1] if i and vals[i - 1] != a else (a + 1) & _M64
                stall = free_at - now
                view.fault_ns += stall
                view.stall = stall
                self.stalls += 1
                self.stall_ns += stall
                now = free_at
                i = bisect_right(times, now)
            w.taken[cid] = (now, a)
        elif new is not None and cid in w.taken and new == w.taken[cid][1]:  # freeing it
            w.hold[cid] = now - w.taken.pop(cid)[0]
        if new is not None:
            times.insert(i, now)
            vals.insert(i, new)
            cpus.insert(i, cid)
            if len(times) > w.prune_at:
                self._prune(w)
                w.prune_at = max(_PRUNE_AT, 2 * len(times))
        return None

    @staticmethod
    def _free_from(w: Word, i: int, now: int, free: int, hold: int) -> int:
        """The first time from ``now`` at which the history shows the word holding
        ``free`` and nobody storing another value for ``hold`` ns."""
        times, vals = w.times, w.vals
        n = len(times)
        while True:
            if i and vals[i - 1] != free:  # held at ``now``: skip to its next release
                while i < n and vals[i] != free:
                    i += 1
                if i == n:
                    return now  # the history ends held: the host says it is free
                now = times[i]
                i += 1
                continue
            j = i
            while j < n and times[j] < now + hold and vals[j] == free:
                j += 1
            if j < n and times[j] < now + hold:  # taken again too soon: try after it
                now = times[j]
                i = j + 1
                continue
            return now

    def _prune(self, w: Word) -> None:
        """Forget what no CPU can still meet: history before the slowest busy CPU."""
        times, vals, cpus = w.times, w.vals, w.cpus
        # The earliest virtual time anything may still run at: a CPU's running thread,
        # or a queued thread (any CPU may take it, at its ready time at the earliest).
        k = self.mm.k
        soon = [k.cur_cpu.clock]
        soon += [c.clock for c in k.cpus if c.current is not None]
        soon += [t.ready_at for c in k.cpus for t in c.runq]
        horizon = min(soon) if soon else times[-1]
        cut = max(bisect_right(times, horizon) - 1, len(times) - HISTORY_MAX, 0)
        if cut:
            del times[:cut], vals[:cut], cpus[:cut]

    def forget(self, start: int, end: int) -> None:
        """Drop what is known of the words in [start, end) (the memory was unmapped)."""
        if self.words:
            for key in [key for key in self.words if start <= key[0] < end]:
                del self.words[key]
