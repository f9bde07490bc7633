"""heapbench's shipped traces: how they are made (malloclab ``.rep`` files in
``userland/share/heapbench/``, installed in /usr/share/heapbench at boot).

Each trace comes from a seeded generator (:class:`~userland.libk.heap.bench.Rand`,
splitmix64: the same trace on every host and Python version; the machine's walls keep
the host's ``random`` out of ``userland/``), models one way programs use a heap, and
frees everything by its end, as malloclab's traces do:

- ``small.rep``: many small short-lived objects (8-128 B; bursts allocated, most freed
  soon after, a few kept longer);
- ``binary.rep``: binary trees built and torn down (32-64 B nodes, some with a string of
  16-200 B), two trees at a time so their nodes interleave;
- ``realloc.rep``: buffers grown by realloc from 16 B to 8-32 KiB, with small objects
  allocated between the steps (so growing in place is not always possible);
- ``frag.rep``: mixed sizes (16 B-8 KiB) where every fourth object lives long: the rest
  is freed, then bigger objects are asked for that the holes cannot hold;
- ``prodcons.rep``: a producer and a consumer: messages (64 B-1 KiB) freed in order of
  allocation after a lag of about 100, with batches of larger buffers.

``generate()`` returns the texts; ``.venv/bin/python tests/userland/test_heapbench.py``
writes them into the package (a test checks the files are what ``generate()`` makes).
"""

from __future__ import annotations

from userland.libk.heap.bench import ALLOC, FREE, REALLOC, Rand, format_trace

SEED = 2024
Ops = list[tuple[int, int, int]]


class _Gen:
    """A trace being written: fresh ids for allocations, the live set."""

    def __init__(self, seed: int) -> None:
        self.rng = Rand(seed)
        self.ops: Ops = []
        self.live: dict[int, int] = {}
        self.next = 0

    def a(self, size: int) -> int:
        ident = self.next
        self.next += 1
        self.ops.append((ALLOC, ident, size))
        self.live[ident] = size
        return ident

    def f(self, ident: int) -> None:
        self.ops.append((FREE, ident, 0))
        del self.live[ident]

    def r(self, ident: int, size: int) -> None:
        self.ops.append((REALLOC, ident, size))
        self.live[ident] = size

    def finish(self) -> str:
        for ident in list(self.live):
            self.f(ident)
        return format_trace(self.ops)


def small(seed: int) -> str:
    """Many small short-lived objects."""
    g = _Gen(seed)
    rng = g.rng
    kept: list[int] = []
    while len(g.ops) < 4000:
        burst = [g.a(rng.logsize(8, 128)) for _ in range(rng.between(1, 8))]
        for ident in burst:
            if rng.chance(0.1):
                kept.append(ident)
        for ident in reversed(burst):
            if ident not in kept and rng.chance(0.9):
                g.f(ident)
        short = [i for i in g.live if i not in kept]
        while len(short) > 24:
            g.f(short.pop(rng.below(len(short))))
        if len(kept) > 400:
            g.f(kept.pop(rng.below(len(kept))))
    return g.finish()


def binary(seed: int) -> str:
    """Binary trees built and torn down, two at a time."""
    g = _Gen(seed)
    rng = g.rng

    def build(depth: int) -> list[int]:
        nodes = [g.a(rng.between(4, 8) * 8)]
        if rng.chance(0.3):
            nodes.append(g.a(rng.logsize(16, 200)))
        if depth:
            nodes += build(depth - 1)
            nodes += build(depth - 1)
        return nodes

    while len(g.ops) < 4000:
        first = build(rng.between(6, 8))
        second = build(rng.between(5, 7))
        for ident in reversed(first):  # post-order: children before parents
            g.f(ident)
        for ident in second[: len(second) // 2]:
            g.f(ident)
    return g.finish()


def realloc(seed: int) -> str:
    """Buffers grown by realloc, with small objects between the steps."""
    g = _Gen(seed)
    rng = g.rng
    while len(g.ops) < 3500:
        bufs = {g.a(16): rng.logsize(8192, 32768) for _ in range(rng.between(2, 6))}
        smalls: list[int] = []
        while bufs:
            ident = list(bufs)[rng.below(len(bufs))]
            size = g.live[ident]
            grown = min(bufs[ident], max(size + 16, size * rng.between(5, 20) // 4))
            g.r(ident, grown & ~7 or 16)
            if rng.chance(0.5):
                smalls.append(g.a(rng.logsize(16, 256)))
            if len(smalls) > 20:
                g.f(smalls.pop(rng.below(len(smalls))))
            if grown >= bufs[ident]:
                del bufs[ident]
                g.f(ident)
        for ident in smalls:
            g.f(ident)
    return g.finish()


def frag(seed: int) -> str:
    """Mixed sizes where long-lived objects pin the heap: holes too small for later."""
    g = _Gen(seed)
    rng = g.rng
    pinned: list[int] = []
    phase = 0
    while len(g.ops) < 4000:
        hi = 2048 if phase % 2 == 0 else 8192
        batch = [g.a(rng.logsize(16, hi)) for _ in range(rng.between(60, 120))]
        for n, ident in enumerate(batch):
            if n % 4 == 3:
                pinned.append(ident)
            else:
                g.f(ident)
        while len(pinned) > 150:
            g.f(pinned.pop(rng.below(len(pinned))))
        phase += 1
    return g.finish()


def prodcons(seed: int) -> str:
    """A producer and a consumer: messages freed in order after a lag."""
    g = _Gen(seed)
    rng = g.rng
    queue: list[int] = []
    while len(g.ops) < 4000:
        for _ in range(rng.between(1, 12)):
            queue.append(g.a(rng.logsize(64, 1024)))
        if rng.chance(0.05):
            batch = [g.a(rng.logsize(4096, 16384)) for _ in range(rng.between(2, 4))]
            for ident in batch:
                g.f(ident)
        lag = rng.between(60, 140)
        while len(queue) > lag:
            g.f(queue.pop(0))
    return g.finish()


TRACES = {
    "small.rep": small,
    "binary.rep": binary,
    "realloc.rep": realloc,
    "frag.rep": frag,
    "prodcons.rep": prodcons,
}


def generate(seed: int = SEED) -> dict[str, str]:
    """Every shipped trace's name and text."""
    return {name: make(seed + n) for n, (name, make) in enumerate(TRACES.items())}
