"""The bitmap and classes heap strategies: sizes and alignment, reuse, first and best
fit, resize in place, growth and release of regions, the checks on bad frees, calloc
on reused memory, the published bitmap as tools decode it, the accesses of the fast
paths and of the searches past full words, long blocks and realloc, and each strategy
against a model (with the full summary and the hint checked against the bitmap)."""

from __future__ import annotations

import struct
import sys as host_sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import run_main, run_with  # noqa: E402

from kernel.abi import CELL_USED, parse_region, region_cells  # noqa: E402
from userland.libk.heap import (  # noqa: E402
    Heap,
    HeapConfig,
    heap,
    kmheap_usable,
    kmheapa,
    kmheapc,
    kmheapf,
    kmheapr,
)
from userland.libk.heap.bitmap import HINT, M64  # noqa: E402
from userland.libk.heap.classes import SLAB  # noqa: E402

BOTH = ["bitmap", "classes"]
IN_USE = 72  # the home header's in_use counter


# ------------------------------------------------------------------ the calls
@pytest.mark.parametrize("strategy", BOTH)
def test_sizes_alignment_and_reuse(strategy: str) -> None:
    async def body(mem: Any) -> list[str]:
        bad: list[str] = []
        blocks = []
        for size, align in [(1, 16), (16, 16), (17, 16), (100, 64), (513, 16), (1000, 256)]:
            for _ in range(3):
                a = await kmheapa(size, align)
                if a % align or await kmheap_usable(a) < size:
                    bad.append(f"{size}/{align} at {a:#x}")
                blocks.append((a, size))
        for a, size in blocks:
            mem.fill(a, 0x5A, size)
        spans = sorted((a, a + s) for a, s in blocks)
        if any(b < e for (_, e), (b, _) in zip(spans, spans[1:], strict=False)):
            bad.append("overlap")
        a = await kmheapa(48)
        await kmheapf(a)
        if await kmheapa(40) != a:
            bad.append("freed space not reused")
        return bad

    assert run_with(strategy, body) == []


@pytest.mark.parametrize(("fit", "chosen"), [("first", "big"), ("best", "small")])
def test_first_and_best_fit_choose_different_holes(fit: str, chosen: str) -> None:
    async def body(mem: Any) -> str:
        big = await kmheapa(800)
        await kmheapa(16)
        small = await kmheapa(160)
        await kmheapa(16)
        await kmheapf(big)
        await kmheapf(small)
        got = await kmheapa(150)
        return "big" if got == big else "small" if got == small else hex(got)

    assert run_with("bitmap", body, cfg={"fit": fit}) == chosen


def test_resize_in_place_and_moving() -> None:
    async def body(mem: Any) -> list[object]:
        a = await kmheapa(100)
        mem.write(a, b"keep" * 25)
        grown = await kmheapr(a, 1000)  # nothing after it: it grows where it is
        shrunk = await kmheapr(a, 40)
        usable = await kmheap_usable(a)
        after = await kmheapa(16)  # right after the shrunk block
        moved = await kmheapr(a, 2000)
        return [
            grown == a,
            shrunk == a,
            usable,
            after == a + 48,
            moved != a,
            mem.read(moved, 40) == (b"keep" * 10),
        ]

    assert run_with("bitmap", body) == [True, True, 48, True, True, True]


@pytest.mark.parametrize("strategy", BOTH)
@pytest.mark.parametrize("keep", [0, 1])
def test_growth_to_more_regions_and_release(strategy: str, keep: int) -> None:
    async def body(mem: Any) -> tuple[int, int, int, int]:
        h = await heap()
        blocks = [await kmheapa(9000) for _ in range(20)]  # 180 KB: three 64 KiB regions
        blocks += [await kmheapa(100) for _ in range(100)]
        grown = len(h.arenas[0].regions)
        for b in blocks:
            await kmheapf(b)
        return grown, len(h.arenas[0].regions), h.munmaps, mem.load64(h.arenas[0].home + IN_USE)

    grown, left, munmaps, in_use = run_with(strategy, body, cfg={"region": 65536, "release": keep})
    assert grown >= 3 and in_use == 0
    assert left == 1 + keep and munmaps == grown - left


@pytest.mark.parametrize("strategy", BOTH)
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("double", "kmheapf(): double free (the block is already free): "),
        ("inside", "kmheapf(): invalid pointer (inside a block): "),
        ("odd", "kmheapf(): invalid pointer (not the start of a block): "),
    ],
)
def test_bad_frees_abort_with_sigabrt(strategy: str, code: str, message: str) -> None:
    seen: list[int] = []

    async def main(argv: list[str]) -> int:
        await Heap.install(HeapConfig(strategy=strategy))
        a = await kmheapa(64)
        await kmheapa(64)
        bad = {"double": a, "inside": a + 32, "odd": a + 8}[code]
        seen.append(bad)
        if code == "double":
            await kmheapf(a)
        await kmheapf(bad)
        return 0

    r = run_main(main)
    assert r.status == 128 + 6
    assert f"{message}{seen[0]:#x}" in r.output


@pytest.mark.parametrize("strategy", BOTH)
def test_calloc_zeroes_reused_memory(strategy: str) -> None:
    async def body(mem: Any) -> tuple[bool, bool]:
        a = await kmheapa(256)
        mem.fill(a, 0xAB, 256)
        await kmheapf(a)
        c = await kmheapc(16, 16)
        return c == a, mem.read(c, 256) == bytes(256)

    assert run_with(strategy, body) == (True, True)


@pytest.mark.parametrize(("strategy", "used"), [("bitmap", 7 + 63), ("classes", 256 + 63)])
def test_region_cells_decode_the_bitmap(strategy: str, used: int) -> None:
    async def body(mem: Any) -> tuple[int, list[int]]:
        h = await heap()
        a = await kmheapa(100)  # 7 granules, or a slot of a slab
        b = await kmheapa(1000)  # 63 granules
        c = await kmheapa(100)
        await kmheapf(c)
        home = h.arenas[0].home
        raw = mem.read(home, h.regions[home].length)
        hdr = parse_region(home, raw)
        assert hdr is not None and hdr.format == 1 and hdr.granule == 16  # type: ignore[attr-defined]
        cells = region_cells(hdr, raw)
        states = [cells[(x - home) // 16] for x in (a, b, b + 992)]
        return cells.count(CELL_USED), states

    n, states = run_with(strategy, body)
    assert n == used and states == [CELL_USED] * 3


# ------------------------------------------------------------------ the fast paths
def test_fast_paths_cost_few_memory_accesses() -> None:
    """The accesses of alloc and free in the strategy (and of the whole kmheapa and
    kmheapf, with the heap's lock and counters), in the steady state of a loop."""
    costs: dict[str, tuple[int, ...]] = {}

    for strategy in BOTH:

        async def body(mem: Any, strategy: str = strategy) -> None:
            h = await heap()
            await kmheapf(await kmheapa(32))
            arena = h.arenas[0]
            keep = arena.alloc(32, 16)  # a neighbour stays live
            n0 = mem.n
            x = arena.alloc(32, 16)
            n1 = mem.n
            arena.free(x, arena.home)
            n2 = mem.n
            arena.free(keep, arena.home)  # the last live block of its word and slab
            n3 = mem.n
            x = await kmheapa(32)
            n4 = mem.n
            await kmheapf(x)
            costs[strategy] = (n1 - n0, n2 - n1, n3 - n2, n4 - n3, mem.n - n4)

        run_with(strategy, body)
    print("\naccesses (alloc, free, free of the last block; kmheapa, kmheapf):", costs)
    assert costs["bitmap"][:3] == (6, 6, 6)
    assert costs["classes"][:3] == (3, 3, 4)
    assert max(costs["classes"][3:]) <= 12 and max(costs["bitmap"][3:]) <= 14


def test_first_fit_skips_full_words_in_a_few_accesses() -> None:
    """Sixty-four words wholly used after a word with a small hole (the hint word): the
    search reads the summary and the few words it says are not full, not every word,
    and still finds the lowest hole that fits."""

    async def body(mem: Any) -> list[object]:
        h = await heap()
        x = await kmheapa(16)
        await kmheapa(16)
        arena = h.arenas[0]
        blocks = [arena.alloc(1024, 16) for _ in range(64)]  # a word each
        arena.free(x, arena.home)  # the hint word keeps 62 free granules
        arena.free(blocks[40], arena.home)
        arena.free(blocks[60], arena.home)
        n0 = mem.n
        got = arena.alloc(1008, 16)  # 63 granules: not in the hint word
        n1 = mem.n
        big = arena.alloc(3000, 16)  # 188 granules: past every block
        n2 = mem.n
        errors = summary_errors(mem, arena)
        return [got == blocks[40], big > blocks[-1], errors, n1 - n0, n2 - n1]

    first, past, errors, small, long = run_with("bitmap", body)
    assert first and past and errors == []
    assert small <= 16 and long <= 18  # a word a load, they were 52 and 77


def test_long_blocks_cost_a_few_accesses() -> None:
    """A 16 KiB block (16 bitmap words): its usable size, growing it in place, and
    freeing it read the words 7 an access and clear or set the inside ones at once."""

    async def body(mem: Any) -> list[int]:
        h = await heap()
        await kmheapf(await kmheapa(16))  # the arena is made
        arena = h.arenas[0]
        a = arena.alloc(16384, 16)
        arena.alloc(16, 16)  # the alloc's own size is remembered: measure another
        n0 = mem.n
        n = arena.usable(a, arena.home)
        n1 = mem.n
        fresh = arena.alloc(16384, 16)
        n2 = mem.n
        grown = arena.resize(fresh, arena.home, 32768)
        n3 = mem.n
        arena.free(a, arena.home)
        n4 = mem.n
        arena.free(fresh, arena.home)
        n5 = mem.n
        return [n, grown, n1 - n0, n3 - n2, n4 - n3, n5 - n4, len(summary_errors(mem, arena))]

    n, grown, usable, grow, free, free2, bad = run_with("bitmap", body)
    assert n == 16384 and grown and bad == 0
    assert usable <= 6 and grow <= 16 and free <= 18 and free2 <= 24  # were 17, 77, 51, 102


@pytest.mark.parametrize("strategy", BOTH)
def test_realloc_grows_in_place_and_reuses_its_measure(strategy: str) -> None:
    async def body(mem: Any) -> list[object]:
        a = await kmheapa(3000)
        mem.fill(a, 7, 3000)
        n0 = mem.n
        b = await kmheapr(a, 6000)  # the granules after it are free
        n1 = mem.n
        c = await kmheapr(b, 2000)  # shrinks where it is
        n2 = mem.n
        return [
            b == a,
            c == a,
            await kmheap_usable(c),
            mem.read(c, 2000) == bytes([7]) * 2000,
            n1 - n0,
            n2 - n1,
        ]

    grown, shrunk, usable, kept, grow, shrink = run_with(strategy, body)
    assert grown and shrunk and kept and usable == 2000
    assert grow <= 18 and shrink <= 18  # the whole kmheapr: they were 33 and 37


# ------------------------------------------------------------------ against a model
OPS = st.lists(
    st.tuples(
        st.sampled_from("aaafr"),
        st.integers(0, 30),
        st.integers(0, 3000) | st.integers(1, 600),
        st.sampled_from([16, 16, 16, 64, 256, 4096]),
    ),
    min_size=1,
    max_size=100,
)


@pytest.mark.parametrize(
    ("strategy", "fit"), [("bitmap", "first"), ("bitmap", "best"), ("classes", "first")]
)
@settings(derandomize=True, max_examples=60, deadline=None)
@given(ops=OPS)
def test_model(strategy: str, fit: str, ops: list[tuple[str, int, int, int]]) -> None:
    async def body(mem: Any) -> str:
        live: dict[int, tuple[int, int, int]] = {}  # id -> addr, size, fill byte
        seen: set[int] = set()
        h = await heap()
        for n, (op, ident, size, align) in enumerate(ops):
            if op == "a" and ident not in live:
                addr = await kmheapa(size, align)
                if addr % align:
                    return f"{addr:#x} is not aligned to {align}"
                live[ident] = (addr, size, n % 251)
                seen.add(addr)
                mem.fill(addr, n % 251, size)
            elif op == "f" and ident in live:
                await kmheapf(live.pop(ident)[0])
            elif op == "r" and ident in live:
                addr, old, fill = live[ident]
                new = await kmheapr(addr, size)
                if new == 0:
                    del live[ident]
                    continue
                if mem.read(new, min(old, size)) != bytes([fill]) * min(old, size):
                    return f"resize lost the contents of {ident}"
                seen.add(new)
                mem.fill(new, fill, size)
                live[ident] = (new, size, fill)
            spans = sorted((a, a + max(s, 1)) for a, s, _ in live.values())
            for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
                if s2 < e1:
                    return "two live blocks overlap"
            for a, s, fill in live.values():
                if await kmheap_usable(a) < s:
                    return "usable size"
                if mem.read(a, s) != bytes([fill]) * s:
                    return "a block's contents changed"
        for a, _, _ in live.values():
            await kmheapf(a)
        if not h.arenas:
            return "ok"
        arena = h.arenas[0]
        if len(arena.regions) != 1:
            return f"{len(arena.regions)} regions for a small workload"
        in_use = mem.load64(arena.home + IN_USE)
        if in_use:
            return f"in_use {in_use} after freeing everything"
        first = next(((s, al) for op, _, s, al in ops if op == "a"), None)
        if first is not None and first[0] < 128 * 1024:
            again = await kmheapa(*first)
            if again not in seen:
                return f"{again:#x}: freed memory was not reused"
        return "ok"

    assert run_with(strategy, body, cfg={"fit": fit}) == "ok"


def summary_errors(mem: Any, arena: Any) -> list[str]:
    """Where a region's full summary or hint disagrees with its used bitmap."""
    bad = []
    for r in arena.regions:
        _, _, used, _, aux, words, fsum = arena.geo[r]
        ws = struct.unpack(f"<{words}Q", mem.read(used, 8 * words))
        sw = -(-words // 64)
        ss = struct.unpack(f"<{sw}Q", mem.read(fsum, 8 * sw))
        for j in range(64 * sw):
            if (ss[j >> 6] >> (j & 63)) & 1 != (j >= words or ws[j] == M64):
                bad.append(f"region {r:#x}: the summary bit of word {j}")
        hint = mem.load64(aux) & HINT
        if any(w != M64 for w in ws[: min(hint, words)]):
            bad.append(f"region {r:#x}: a word before the hint {hint} is not full")
    return bad


SUMMARY_OPS = st.lists(
    st.tuples(
        st.sampled_from("aaafr"),
        st.integers(0, 40),
        st.integers(1, 1100) | st.integers(1000, 9000),
        st.sampled_from([16, 16, 16, 64, 4096]),
    ),
    min_size=1,
    max_size=120,
)


@pytest.mark.parametrize("strategy", BOTH)
@settings(derandomize=True, max_examples=40, deadline=None)
@given(ops=SUMMARY_OPS)
def test_the_full_summary_and_hint_follow_the_bitmap(
    strategy: str, ops: list[tuple[str, int, int, int]]
) -> None:
    async def body(mem: Any) -> list[str]:
        live: dict[int, int] = {}
        h = await heap()
        await kmheapf(await kmheapa(16))  # the arena is made
        bad: list[str] = []
        for n, (op, ident, size, align) in enumerate(ops):
            if op == "a" and ident not in live:
                live[ident] = await kmheapa(size, align)
            elif op == "f" and ident in live:
                await kmheapf(live.pop(ident))
            elif op == "r" and ident in live:
                live[ident] = await kmheapr(live[ident], size)
            if n % 8 == 7:
                bad += summary_errors(mem, h.arenas[0])
        bad += summary_errors(mem, h.arenas[0])
        for a in live.values():
            await kmheapf(a)
        return bad + summary_errors(mem, h.arenas[0])

    assert run_with(strategy, body, cfg={"region": 65536}) == []


def test_slabs_go_back_to_the_bitmap() -> None:
    async def body(mem: Any) -> tuple[int, int]:
        h = await heap()
        blocks = [await kmheapa(48) for _ in range(300)]  # four slabs of 84 slots
        arena = h.arenas[0]
        full = mem.load64(arena.home + 144) >> 32
        for b in blocks:
            await kmheapf(b)
        return full, mem.load64(arena.home + 144) >> 32  # aux: granules in use

    full, left = run_with("classes", body)
    assert full == 4 * SLAB // 16 and left == SLAB // 16  # the head slab stays


@pytest.mark.parametrize("strategy", BOTH)
def test_checks_inside_long_blocks_and_slab_headers(strategy: str) -> None:
    async def body(mem: Any) -> list[str]:
        from userland.libk.heap import HeapCorruption

        big = await kmheapa(3000)  # 188 granules: across bitmap words
        small = await kmheapa(40)
        h = await heap()
        arena, home = h.arenas[0], h.arenas[0].home
        data = arena.geo[home][0]
        bad = [big + 1024 - (big - data) % 1024, big + 16 * 70, small + 4]
        if strategy == "classes":
            bad += [small & ~(SLAB - 1), (small & ~(SLAB - 1)) + 24]
        whats = []
        for addr in bad:
            try:
                arena.free(addr, home)
                whats.append(f"{addr:#x} freed")
            except HeapCorruption as err:
                whats.append(err.what)
        in_place = await kmheapr(small, 47) == small
        return [*whats, str(in_place)]

    got = run_with(strategy, body)
    inside, start = "invalid pointer (inside a block)", "invalid pointer (not the start of a block)"
    assert got[:3] == [inside, inside, start] and got[-1] == "True"
    if strategy == "classes":
        assert got[3:5] == [start, start]
