"""heapbench's workloads: malloclab traces, synthetic workloads, and the loops that run
them against the calling process's heap.

- **Traces** are CS:APP malloclab's ``.rep`` files: an optional 4-line header
  (suggested heap size, number of ids, number of operations, weight), then one
  operation a line: ``a ID SIZE`` (allocate), ``f ID`` (free), ``r ID SIZE`` (realloc).
  :func:`parse_trace` checks them (an id freed that is not live is an error, as in
  malloclab's driver) and works out the peak live payload, which depends only on the
  trace, so the op where it is reached is known before a strategy runs.
- **Synthetic** workloads (``random``, ``small``) are made by :func:`synthetic` from a
  seed, with the same deterministic generator the shipped traces come from (:class:`Rand`;
  no host randomness on the machine). ``prodcons`` runs threads in a ring: each
  allocates messages, passes them to the next thread through a ring buffer in memory
  and frees what the previous one passed it — frees from another thread, and on
  several CPUs from another CPU.
- **The op loop** (:func:`run_ops`) writes every payload once after allocating it
  (as malloclab's driver does), checks its first and last byte before freeing it, and
  calls :func:`~kernel.abi.checkpoint` every 256 operations.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kernel.abi import (
    FUTEX_PRIVATE_FLAG,
    FUTEX_WAIT,
    FUTEX_WAKE,
    KIND_HOME,
    KIND_MORE,
    Error,
    cell_stats,
    region_cells,
)
from userland.libk import sys
from userland.libk.heap.fromproc import read_regions

ALLOC, FREE, REALLOC = 0, 1, 2
SYNTHETIC = ("random", "small", "prodcons")
BAD_LINE = "expected 'a ID SIZE', 'f ID' or 'r ID SIZE'"
_M64 = (1 << 64) - 1


class Rand:
    """A small seeded generator (splitmix64): the same numbers on every host."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _M64

    def next64(self) -> int:
        """The next 64-bit number."""
        self.state = z = (self.state + 0x9E3779B97F4A7C15) & _M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """A number in ``[0, n)``."""
        return self.next64() % n

    def between(self, lo: int, hi: int) -> int:
        """A number in ``[lo, hi]``."""
        return lo + self.next64() % (hi - lo + 1)

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.next64() < p * (1 << 64)

    def logsize(self, lo: int, hi: int) -> int:
        """A size in ``[lo, hi]``, log-uniform (small sizes as likely as big ones per
        octave, as real programs' are), rounded to 8 bytes above 64."""
        x = math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * (self.next64() / (1 << 64)))
        n = int(x)
        return n if n <= 64 else n & ~7


class TraceError(Exception):
    """A trace that cannot be run; the message is ``NAME:LINE: what`` or ``NAME: what``."""


@dataclass(slots=True)
class Trace:
    """A workload as a list of operations ``(kind, slot, size)``.

    Attributes:
        name: what to call it (the file's name).
        ops: the operations; ``slot`` is the id renumbered densely from 0.
        nslots: how many slots (distinct ids).
        peak_payload: the most bytes live at once (requested sizes).
        peak_at: the index of the op after which ``peak_payload`` is first live.
        weight: the header's weight (1 without a header).
    """

    name: str
    ops: list[tuple[int, int, int]] = field(default_factory=list)
    nslots: int = 0
    peak_payload: int = 0
    peak_at: int = -1
    weight: int = 1


def parse_trace(text: str, name: str) -> Trace:
    """Read a malloclab trace, with or without its 4-line header.

    Raises:
        TraceError: a malformed line, an id freed or reallocated that is not live, an
            id allocated twice without a free, or a header that disagrees with the
            operations (the message names the line).
    """
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    header: list[int] = []
    start = 0
    if first < len(lines) and lines[first].split()[0].isdigit():
        for i in range(first, first + 4):
            words = lines[i].split() if i < len(lines) else []
            if len(words) != 1 or not words[0].isdigit():
                raise TraceError(f"{name}:{i + 1}: the header is 4 numbers, one a line")
            header.append(int(words[0]))
        start = first + 4
    trace = Trace(name, weight=header[3] if header else 1)
    ops = trace.ops
    slots: dict[int, int] = {}
    live: dict[int, int] = {}  # slot -> size
    payload = 0
    for n in range(start, len(lines)):
        words = lines[n].split()
        if not words:
            continue
        kind = words[0]
        want = 2 if kind == "f" else 3
        if (
            kind not in ("a", "f", "r")
            or len(words) != want
            or not all(w.isdigit() for w in words[1:])
        ):
            raise TraceError(f"{name}:{n + 1}: {BAD_LINE}")
        ident = int(words[1])
        slot = slots.setdefault(ident, len(slots))
        if kind == "a":
            if slot in live:
                raise TraceError(f"{name}:{n + 1}: id {ident} is allocated already")
            size = int(words[2])
            live[slot] = size
            payload += size
            ops.append((ALLOC, slot, size))
        else:
            if slot not in live:
                raise TraceError(f"{name}:{n + 1}: id {ident} is not allocated")
            if kind == "f":
                payload -= live.pop(slot)
                ops.append((FREE, slot, 0))
            else:
                size = int(words[2])
                payload += size - live[slot]
                live[slot] = size
                ops.append((REALLOC, slot, size))
        if payload > trace.peak_payload:
            trace.peak_payload, trace.peak_at = payload, len(ops) - 1
    trace.nslots = len(slots)
    if header and header[2] != len(ops):
        raise TraceError(f"{name}: the header says {header[2]} operations, there are {len(ops)}")
    if header and header[1] < len(slots):
        raise TraceError(f"{name}: the header says {header[1]} ids, there are {len(slots)}")
    return trace


def format_trace(ops: list[tuple[int, int, int]], weight: int = 1) -> str:
    """A trace's text with malloclab's header (ids are the slots)."""
    payload = peak = 0
    sizes: dict[int, int] = {}
    out = []
    for kind, slot, size in ops:
        if kind == FREE:
            payload -= sizes.pop(slot)
            out.append(f"f {slot}")
            continue
        payload += size - sizes.get(slot, 0)
        sizes[slot] = size
        peak = max(peak, payload)
        out.append(f"{'a' if kind == ALLOC else 'r'} {slot} {size}")
    nids = len({slot for _, slot, _ in ops})
    return "\n".join([str(peak), str(nids), str(len(ops)), str(weight), *out]) + "\n"


def synthetic(name: str, seed: int, nops: int = 4000) -> Trace:
    """A synthetic single-thread workload: ``random`` (sizes 16 B-16 KiB log-uniform,
    about 200 live, some reallocs) or ``small`` (8-128 B, short-lived, about 40 live).
    Everything is freed at the end."""
    rng = Rand(seed)
    ops: list[tuple[int, int, int]] = []
    live: list[int] = []
    nxt = 0
    target, lo, hi = (200, 16, 16384) if name == "random" else (40, 8, 128)
    while len(ops) + len(live) < nops:
        if live and (len(live) >= 2 * target or rng.chance(len(live) / (2 * target))):
            slot = live.pop(rng.below(len(live)))
            ops.append((FREE, slot, 0))
        elif live and name == "random" and rng.chance(0.05):
            ops.append((REALLOC, live[rng.below(len(live))], rng.logsize(lo, hi)))
        else:
            ops.append((ALLOC, nxt, rng.logsize(lo, hi)))
            live.append(nxt)
            nxt += 1
    ops += [(FREE, slot, 0) for slot in live]
    return parse_trace(format_trace(ops), name)


# ---------------------------------------------------------------------- running
class Corrupted(Exception):  # noqa: N818 - what the benchmark found, reported as such
    """A block's payload changed while it was live: the strategy is broken."""


def pattern(slot: int) -> int:
    """The byte a slot's payload is filled with."""
    return (slot * 37 + 11) & 0xFF


async def run_ops(
    heap: object, mem: object, trace: Trace, on_peak: Callable[[], Awaitable[None]] | None = None
) -> int:
    """Run ``trace``'s operations on ``heap`` (a :class:`~userland.libk.heap.Heap`);
    returns how many ran. ``on_peak`` is awaited right after the op that brings the
    live payload to its peak.

    Raises:
        Corrupted: a payload byte changed while its block was live.
        Error: the heap's (ENOMEM, EINVAL).
    """
    alloc = heap.alloc  # type: ignore[attr-defined]
    free = heap.free  # type: ignore[attr-defined]
    realloc = heap.realloc  # type: ignore[attr-defined]
    fill = mem.fill  # type: ignore[attr-defined]
    load8 = mem.load8  # type: ignore[attr-defined]
    checkpoint = sys.checkpoint
    blocks = [0] * trace.nslots
    sizes = [0] * trace.nslots
    peak_at = trace.peak_at if on_peak is not None else -1
    for i, (kind, slot, size) in enumerate(trace.ops):
        if kind == ALLOC:
            addr = await alloc(size)
            if size:
                fill(addr, pattern(slot), size)
            blocks[slot] = addr
            sizes[slot] = size
        else:
            addr = blocks[slot]
            old = sizes[slot]
            if old:
                p = pattern(slot)
                if load8(addr) != p or load8(addr + old - 1) != p:
                    raise Corrupted(f"the block of id {slot} ({old} bytes at {addr:#x}) changed")
            if kind == FREE:
                await free(addr)
            else:
                addr = await realloc(addr, size)
                if size > old:
                    fill(addr + old, pattern(slot), size - old)
                blocks[slot] = addr
                sizes[slot] = size
        if i & 255 == 255:
            await checkpoint()
        if i == peak_at:
            await on_peak()  # type: ignore[misc]
    return len(trace.ops)


async def heap_free_space() -> tuple[int, int]:
    """(free bytes, largest free block) in the arenas of the calling process's heap,
    decoded from /proc/self/maps and /proc/self/mem as heapstat does."""
    free = largest = 0
    for hdr, data in await read_regions("self"):
        if hdr.kind in (KIND_HOME, KIND_MORE):  # type: ignore[attr-defined]
            _, cells, run = cell_stats(region_cells(hdr, data, 16))
            free += cells * 16
            largest = max(largest, run * 16)
    return free, largest


# ---------------------------------------------------------------------- producer/consumer
PRODCONS_STEPS = 2000  # messages each thread of a producer/consumer ring makes
RING_CAP = 2048  # slots of (address, size) in each thread's ring: room for them all
RING_BYTES = 32 + 16 * RING_CAP  # head, tail, done (a futex word), pad, then the slots
_HEAD, _TAIL, _DONE, _SLOTS = 0, 8, 16, 32


@dataclass(slots=True)
class Ring:
    """What the threads of a producer/consumer run share (the rings live in memory:
    ring ``i`` is filled by thread ``i`` and emptied by thread ``i + 1``)."""

    heap: object
    mem: object
    base: int
    nthreads: int
    steps: int
    seed: int

    def at(self, i: int) -> int:
        """The address of ring ``i``."""
        return self.base + (i % self.nthreads) * RING_BYTES


async def prodcons_worker(arg: tuple[Ring, int]) -> int:
    """One thread of the ring: ``steps`` times, allocate a message (16-512 B), pass it
    to the next thread and free one the previous thread passed, if there is one; then
    wait (on a futex, not spinning: a spinning CPU would burn its whole window of
    virtual time) until the previous thread is done and free the rest of its messages.
    Returns the operations it made."""
    ring, me = arg
    mem = ring.mem
    load64 = mem.load64  # type: ignore[attr-defined]
    store64 = mem.store64  # type: ignore[attr-defined]
    alloc = ring.heap.alloc  # type: ignore[attr-defined]
    free = ring.heap.free  # type: ignore[attr-defined]
    fill = mem.fill  # type: ignore[attr-defined]
    out, inp = ring.at(me), ring.at(me - 1)
    rng = Rand(ring.seed * 1000 + me)
    ops = 0

    async def take() -> bool:
        head = load64(inp + _HEAD)
        if head == load64(inp + _TAIL):
            return False
        slot = inp + _SLOTS + 16 * (head % RING_CAP)
        addr, size = load64(slot), load64(slot + 8)
        if mem.load8(addr + size - 1) != size & 0xFF:  # type: ignore[attr-defined]
            raise Corrupted(f"a message ({size} bytes at {addr:#x}) changed in flight")
        store64(inp + _HEAD, head + 1)
        await free(addr)
        return True

    for step in range(ring.steps):
        size = rng.logsize(16, 512)
        addr = await alloc(size)
        fill(addr, size & 0xFF, size)
        tail = load64(out + _TAIL)
        slot = out + _SLOTS + 16 * (tail % RING_CAP)
        store64(slot, addr)
        store64(slot + 8, size)
        store64(out + _TAIL, tail + 1)
        ops += 1 + await take()
        if step & 127 == 127:
            await sys.checkpoint()
    mem.store32(out + _DONE, 1)  # type: ignore[attr-defined]
    await sys.futex(out + _DONE, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, ring.nthreads)
    while not mem.load32(inp + _DONE):  # type: ignore[attr-defined]
        try:
            await sys.futex(inp + _DONE, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0)
        except Error:
            pass  # EAGAIN: it is done already; EINTR: look again
    while await take():
        ops += 1
    return ops


async def trace_worker(arg: tuple[object, object, Trace]) -> int:
    """One thread running a whole trace on the shared heap; returns the operations."""
    heap, mem, trace = arg
    return await run_ops(heap, mem, trace)


def describe_error(err: BaseException) -> str:
    """One line for what stopped a run."""
    if isinstance(err, Error):
        return err.message
    return f"{type(err).__name__}: {err}"
