"""Invariants of the memory manager, as hypothesis properties (derandomized: CI sees the
same examples every run).

- The buddy allocator never hands out a frame twice and merges everything back.
- Any sequence of mmap/munmap/mprotect/mremap/madvise and loads/stores keeps the areas
  sorted, disjoint and page-aligned; every page-table entry inside an area; the MMU
  view's dicts agreeing with the page table and the areas' protection; the resident
  counters equal to a recount; and every frame comes back when the space is released.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.abi import (
    MADV_DONTNEED,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_PRIVATE,
    MAP_SHARED,
    MREMAP_MAYMOVE,
    PROT_READ,
    PROT_WRITE,
    Error,
    MemoryFault,
)
from kernel.mm import madvise, mremap
from kernel.mm import mmap as vmops
from kernel.mm.buddy import MAX_ORDER, BuddyAllocator
from kernel.mm.frames import FrameAllocator
from kernel.mm.vm import AddressSpace

PS = 4096
BASE = 0x10_0000_0000
WINDOW = 48  # pages: small, so operations overlap a lot

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None, database=None)


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), max_size=120))
def test_buddy_blocks_are_unique_and_merge_back(ops: list[tuple[bool, int]]) -> None:
    buddy = BuddyAllocator([(3, 1000), (2048, 517)])
    start_counts = buddy.counts()
    held: list[tuple[int, int]] = []
    owned: set[int] = set()
    for alloc, order in ops:
        if alloc or not held:
            pfn = buddy.alloc(order)
            if pfn is None:
                continue
            assert pfn % (1 << order) == 0
            frames = set(range(pfn, pfn + (1 << order)))
            assert not frames & owned, "a frame handed out twice"
            assert all(3 <= f < 1003 or 2048 <= f < 2565 for f in frames)
            owned |= frames
            held.append((pfn, order))
        else:
            pfn, order = held.pop(order % len(held))
            buddy.free(pfn, order)
            owned -= set(range(pfn, pfn + (1 << order)))
        assert buddy.free_pages == 1517 - len(owned)
    for pfn, order in held:
        buddy.free(pfn, order)
    assert buddy.counts() == start_counts
    assert len(start_counts) == MAX_ORDER


def _space() -> tuple[FrameAllocator, AddressSpace, int]:
    frames = FrameAllocator(PS, 4 * 1024 * 1024, [(1024 * 1024, 3 * 1024 * 1024)])
    mm = AddressSpace(frames)
    mm.mmap_base = BASE + WINDOW * PS  # top-down placement lands in the window too
    return frames, mm, frames.free


def _check(mm: AddressSpace) -> None:
    areas = mm.areas
    assert [a.start for a in areas] == mm._starts
    for a in areas:
        assert a.start < a.end and a.start % PS == 0 and a.end % PS == 0
    for a, b in zip(areas, areas[1:], strict=False):
        assert a.end <= b.start, "areas overlap"
    rss = {"anon": 0, "file": 0, "shmem": 0}
    for vpn, pte in mm.pt.items():
        area = mm.find(vpn * PS)
        assert area is not None, f"page {vpn:x} mapped outside every area"
        if pte.page is not mm.frames.zero_page:
            rss[pte.page.kind] += 1
            assert pte.page.pfn >= 0, "a freed frame is still mapped"
        readable = vpn in mm.rd
        writable = vpn in mm.wr
        assert readable == bool(area.prot)
        assert writable == bool(pte.write and area.prot & PROT_WRITE)
        if readable:
            assert mm.rd[vpn] is pte.page.data
    assert set(mm.rd) <= set(mm.pt) and set(mm.wr) <= set(mm.rd)
    assert rss == mm.rss


MMAP = st.tuples(
    st.just("mmap"),
    st.integers(0, WINDOW - 1),
    st.integers(1, 8),
    st.sampled_from([PROT_READ | PROT_WRITE, PROT_READ, 0]),
    st.booleans(),
    st.booleans(),
)
OPS = st.one_of(
    MMAP,
    st.tuples(st.just("munmap"), st.integers(0, WINDOW - 1), st.integers(1, 8)),
    st.tuples(
        st.just("mprotect"),
        st.integers(0, WINDOW - 1),
        st.integers(1, 8),
        st.sampled_from([0, PROT_READ, PROT_READ | PROT_WRITE]),
    ),
    st.tuples(st.just("mremap"), st.integers(0, WINDOW - 1), st.integers(1, 4), st.integers(1, 12)),
    st.tuples(st.just("madvise"), st.integers(0, WINDOW - 1), st.integers(1, 8)),
    st.tuples(st.just("touch"), st.integers(0, 1000), st.booleans(), st.integers(0, 255)),
)
# Maps and touches first, so the other operations find something to work on.
PROGRAMS = st.tuples(
    st.lists(MMAP, min_size=1, max_size=6),
    st.lists(OPS, min_size=5, max_size=60),
).map(lambda parts: parts[0] + parts[1])


def _apply(mm: AddressSpace, op: tuple[Any, ...], shadow: dict[int, int]) -> None:
    kind = op[0]
    at = BASE + op[1] * PS
    try:
        if kind == "mmap":
            _, _, pages, prot, fixed, shared = op
            flags = (MAP_SHARED if shared else MAP_PRIVATE) | MAP_ANONYMOUS
            addr = vmops.do_mmap(
                mm, at if fixed else 0, pages * PS, prot, flags | (MAP_FIXED if fixed else 0)
            )
            for v in range(addr // PS, addr // PS + pages):
                shadow.pop(v, None)
        elif kind == "munmap":
            vmops.do_munmap(mm, at, op[2] * PS)
            for v in range(at // PS, at // PS + op[2]):
                shadow.pop(v, None)
        elif kind == "mprotect":
            vmops.do_mprotect(mm, at, op[2] * PS, op[3])
        elif kind == "mremap":
            old = mm.find(at)
            new = mremap.do_mremap(mm, at, op[2] * PS, op[3] * PS, MREMAP_MAYMOVE, 0)
            if old is not None:
                keep = min(op[2], op[3])
                moved = {v: shadow.pop(v) for v in range(at // PS, at // PS + op[2]) if v in shadow}
                for v, val in moved.items():
                    if v - at // PS < keep:
                        shadow[v - at // PS + new // PS] = val
        elif kind == "madvise":
            area = mm.find(at)
            madvise.do_madvise(mm, at, op[2] * PS, MADV_DONTNEED)
            if area is not None and not area.shared:
                for v in range(at // PS, at // PS + op[2]):
                    shadow.pop(v, None)
        elif kind == "touch":  # somewhere in an area (the index picks which, and where)
            _, pick, write, value = op
            if mm.areas:
                area = mm.areas[pick % len(mm.areas)]
                at = area.start + (pick * 7 % (area.length // PS)) * PS
            if write:
                mm.view.store8(at + 7, value)
                shadow[at // PS] = value
            else:
                got = mm.view.load8(at + 7)
                area = mm.find(at)
                if area is not None and not area.shared:
                    assert got == shadow.get(at // PS, 0), "a private page lost its byte"
    except (Error, MemoryFault):
        pass


@SETTINGS
@given(PROGRAMS)
def test_random_mapping_operations_keep_the_invariants(ops: list[tuple[Any, ...]]) -> None:
    frames, mm, free = _space()
    shadow: dict[int, int] = {}
    for op in ops:
        _apply(mm, op, shadow)
        _check(mm)
    mm.release()
    assert frames.free == free, "frames leaked"
    assert frames.by_kind == {"anon": 0, "shmem": 0, "file": 0, "kernel": 0}
