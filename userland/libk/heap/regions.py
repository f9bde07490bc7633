"""The heap's mappings: its regions, and the blocks that get a mapping of their own.

Every mapping the heap makes is a *region* (named ``[anon:libk-heap]``) that starts
with a ``REGION`` header (``kernel.abi.heap``). This module owns them: mapping, naming
and unmapping a region, writing its common header fields, the count of bytes mapped,
and the sorted list of region starts that finds the region of an address (as the
kernel's list of areas finds a mapping). It also owns the blocks that are regions of
their own: requests at or above the mmap threshold (glibc's M_MMAP_THRESHOLD), every
block of the naive strategy, and alignments above a page; they are resized with
mremap.

:class:`Regions` is the base of :class:`userland.libk.heap.core.Heap`: the calls
(``kmheapa`` and friends), the arenas and their locks live there.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from kernel.abi import (
    ENOMEM,
    FORMAT_NONE,
    HEAP_MAGIC,
    HEAP_VERSION,
    HEAP_VMA_NAME,
    KIND_LARGE,
    KIND_NAIVE,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MMU,
    MREMAP_MAYMOVE,
    NO_CPU,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
    REGION,
    REGION_OFF,
    REGION_SIZE,
    Error,
    caller_name,
)
from userland.libk import sys
from userland.libk.heap.arena import O_IN_USE, Arena


@dataclass(slots=True)
class Region:
    """What the heap remembers of one of its mappings (the truth is its header)."""

    start: int
    length: int
    kind: int
    arena: Arena | None


class Regions:
    """The mappings of one heap (see the module docstring).

    Attributes:
        mem: the process's memory.
        page: its page size.
        arena_cls: the strategy's arena class.
        naive: the strategy maps every block on its own (``FORMAT_NONE``).
        starts: the regions' start addresses, sorted.
        regions: the regions by start address.
        mmaps, munmaps: the mmap and munmap calls the heap made.
        mapped, peak_mapped: bytes of regions mapped now, and the most so far.
        live: with LIBK_HEAP_CHECK=1, every live block's size and allocating function
            (set by the heap).
    """

    live: dict[int, tuple[int, str]] | None

    def __init__(self, mem: MMU, arena_cls: type[Arena]) -> None:
        self.mem = mem
        self.arena_cls = arena_cls
        self.page = mem.page_size
        self.starts: list[int] = []
        self.regions: dict[int, Region] = {}
        self.naive = arena_cls.format == FORMAT_NONE  # every block is a mapping of its own
        self.mmaps = 0  # mmap and munmap calls the heap made
        self.munmaps = 0
        self.mapped = 0  # bytes of regions mapped now, and the most so far
        self.peak_mapped = 0

    # ------------------------------------------------------------------ regions
    def region_overhead(self, size: int, align: int) -> int:
        """Bytes a region needs around a block of ``size``: header, alignment, slack."""
        return REGION_SIZE + size + align + 4 * self.page

    async def map_region(self, length: int, kind: int, arena: Arena | None) -> int:
        """Map a region, name it, write the common header fields and index it."""
        mem = self.mem
        length = -(-length // self.page) * self.page
        try:
            addr = await sys.mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
        except Error as err:
            raise Error(ENOMEM, f"libk heap: cannot map {length} bytes: {err.message}") from None
        self.mmaps += 1
        await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, length, HEAP_VMA_NAME)
        cls = arena.__class__ if arena is not None else self.arena_cls
        fmt = cls.format if kind not in (KIND_LARGE, KIND_NAIVE) else FORMAT_NONE
        header = REGION.pack(
            HEAP_MAGIC,
            HEAP_VERSION,
            kind,
            arena.index if arena is not None else NO_CPU,
            arena.cpu if arena is not None and arena.cpu is not None else NO_CPU,
            length,
            cls.strategy.encode()[:16],
            0,
            fmt,
            cls.granule,
            REGION_SIZE,
            *([0] * 13),
        )
        mem.write(addr, header)
        bisect.insort(self.starts, addr)
        self.regions[addr] = Region(addr, length, kind, arena)
        self._mapped(length)
        return addr

    def _mapped(self, delta: int) -> None:
        self.mapped += delta
        if self.mapped > self.peak_mapped:
            self.peak_mapped = self.mapped

    async def unmap_region(self, addr: int) -> None:
        """Give a region back to the kernel."""
        r = self.regions.pop(addr)
        del self.starts[bisect.bisect_left(self.starts, addr)]
        await sys.munmap(addr, r.length)
        self.munmaps += 1
        self._mapped(-r.length)

    def find(self, addr: int) -> Region | None:
        """The region holding ``addr`` (None: not the heap's)."""
        starts = self.starts
        i = bisect.bisect_right(starts, addr) - 1
        if i < 0:
            return None
        r = self.regions[starts[i]]
        return r if addr < r.start + r.length else None

    # ------------------------------------------------------------------ blocks of their own
    async def _map_block(self, size: int, align: int) -> int:
        """A block in a mapping of its own (above the threshold, or naive)."""
        kind = KIND_NAIVE if self.naive else KIND_LARGE
        page = self.page
        data = -(-REGION_SIZE // align) * align
        if align <= page:
            addr = await self.map_region(data + size, kind, None)
        else:  # map more and keep the part where the block lands aligned
            addr = await self.map_region(data + size + align, kind, None)
            data = -(-(addr + REGION_SIZE) // align) * align - addr
        self.mem.store64(addr + REGION_OFF["data_off"], data)
        self.mem.store64(addr + O_IN_USE, size)
        return addr + data

    async def _remap_block(self, r: Region, addr: int, size: int) -> int:
        """kmheapr of a block mapped on its own: mremap it (it may move)."""
        data = addr - r.start
        length = -(-(data + size) // self.page) * self.page
        if length != r.length:
            new = await sys.mremap(r.start, r.length, length, MREMAP_MAYMOVE)
            self._mapped(length - r.length)
            del self.regions[r.start]
            del self.starts[bisect.bisect_left(self.starts, r.start)]
            r.start, r.length = new, length
            self.mem.store64(new + REGION_OFF["length"], length)
            bisect.insort(self.starts, new)
            self.regions[new] = r
        self.mem.store64(r.start + O_IN_USE, size)
        new_addr = r.start + data
        if self.live is not None:
            site = self.live.pop(addr, (0, caller()))[1]
            self.live[new_addr] = (size, site)
        return new_addr


def caller() -> str:
    """The name of the function that called the heap (for the leak report)."""
    return caller_name("userland.libk.heap")
