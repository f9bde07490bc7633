"""An arena: the unit a heap strategy works in — a lock, counters, and the regions it
carves into blocks. Strategies subclass :class:`Arena` (see its docstring for what
they implement); the heap (``core``) locks, counts and dispatches around them.

Everything an arena knows lives in the process's memory: the region header
(``kernel.abi.heap.REGION``) and the strategy's own metadata after it. The Python
object only remembers addresses (its home region, its regions) and its settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from kernel.abi import FORMAT_NONE, KIND_HOME, KIND_MORE, REGION_OFF

if TYPE_CHECKING:
    from userland.libk.heap.core import Heap

O_LOCK = REGION_OFF["lock"]
O_IN_USE = REGION_OFF["in_use"]
O_CONTENDED = REGION_OFF["contended"]
O_REMOTE_FREES = REGION_OFF["remote_frees"]
O_REMOTE_HEAD = REGION_OFF["remote_head"]
O_MIGRATIONS = REGION_OFF["migrations"]
O_NEXT = REGION_OFF["next"]


class HeapCorruption(Exception):  # noqa: N818 - what the heap found, not a program error
    """An invalid free, a double free or damaged metadata: the process is aborted.

    Attributes:
        addr: the address the call was given.
        what: what was wrong (``double free``, ``invalid pointer``, ...).
    """

    def __init__(self, addr: int, what: str) -> None:
        super().__init__(f"{what} ({addr:#x})")
        self.addr = addr
        self.what = what


class Arena:
    """One arena of a heap. A strategy subclasses it and implements:

    - ``setup_region(addr, length, home)``: lay out a freshly mapped region (the
      header's common fields are already written); return the offset of its data area;
    - ``alloc(size, align) -> int``: a block of at least ``size`` bytes aligned to
      ``align`` (a power of two, 16 to 4096), or 0 when no region has room; it leaves
      the block's usable size in ``self.got`` (the heap counts it as in use);
    - ``free(addr, region) -> int``: release the block at ``addr`` in ``region`` (a
      region start); returns the bytes it held (its usable size). Raise
      :class:`HeapCorruption` for an address that is not a live block's start;
    - ``usable(addr, region) -> int``: the usable size of the live block at ``addr``;
    - ``resize(addr, region, size) -> bool``: grow or shrink the block in place;
      False if it cannot (the heap then moves it);
    - optionally ``region_length(size, align) -> int`` (the size of the region to map
      when ``alloc`` returned 0; default ``heap.cfg.region``, or more for a big block)
      and ``release() -> list[int]`` (regions now wholly free that should be given
      back: the heap unmaps them).

    Every method but the region helpers is synchronous and runs with the arena's lock
    held; only the heap maps and unmaps memory.

    Attributes:
        heap: the heap it belongs to.
        mem: the process's MMU view.
        index: its number in the heap (what /proc shows as ``arena``).
        cpu: the CPU it belongs to (per-CPU arenas), or None.
        home: the address of its home region (its header holds the lock and counters).
        regions: the start of each of its regions, home first.
    """

    strategy: ClassVar[str] = ""
    format: ClassVar[int] = FORMAT_NONE
    granule: ClassVar[int] = 16

    def __init__(self, heap: Heap, index: int, cpu: int | None) -> None:
        self.heap = heap
        self.mem = heap.mem
        self.index = index
        self.cpu = cpu
        self.home = 0
        self.lock = 0
        self.regions: list[int] = []
        self.got = 0  # the usable size of the block alloc returned last

    def __repr__(self) -> str:
        return f"<{type(self).__name__} arena {self.index} at {self.home:#x}>"

    # ------------------------------------------------------------------ regions
    async def add_region(self, length: int) -> int:
        """Map a region of ``length`` bytes for this arena, write its header, let the
        strategy lay it out, and link it; returns its address."""
        kind = KIND_HOME if not self.regions else KIND_MORE
        addr = await self.heap.map_region(length, kind, self)
        data_off = self.setup_region(addr, length, kind == KIND_HOME)
        self.mem.store64(addr + REGION_OFF["data_off"], data_off)
        if kind == KIND_HOME:
            self.home = addr
            self.lock = addr + O_LOCK
        else:
            self.mem.store64(self.regions[-1] + O_NEXT, addr)
        self.regions.append(addr)
        return addr

    def unlink_region(self, addr: int) -> None:
        """Forget a further region (before the heap unmaps it): fix the ``next`` chain."""
        i = self.regions.index(addr)
        if i == 0:
            raise ValueError("an arena's home region is never given back")
        nxt = self.regions[i + 1] if i + 1 < len(self.regions) else 0
        self.mem.store64(self.regions[i - 1] + O_NEXT, nxt)
        del self.regions[i]

    # ------------------------------------------------------------------ the strategy's
    def setup_region(self, addr: int, length: int, home: bool) -> int:
        """Lay out a new region; return the offset of its data area."""
        raise NotImplementedError

    def region_length(self, size: int, align: int) -> int:
        """How big a region to map when ``alloc(size, align)`` found no room."""
        need = self.heap.region_overhead(size, align)
        length = self.heap.cfg.region
        while length < need:
            length *= 2
        return length

    def alloc(self, size: int, align: int) -> int:
        """A block of at least ``size`` bytes, or 0 when no region has room."""
        raise NotImplementedError

    def free(self, addr: int, region: int) -> int:
        """Release the block at ``addr``; returns its usable size."""
        raise NotImplementedError

    def usable(self, addr: int, region: int) -> int:
        """The usable size of the live block at ``addr``."""
        raise NotImplementedError

    def resize(self, addr: int, region: int, size: int) -> bool:
        """Grow or shrink the block in place; False if it cannot."""
        return False

    def release(self) -> list[int]:
        """Regions (not the home) now wholly free that the heap should unmap."""
        return []
