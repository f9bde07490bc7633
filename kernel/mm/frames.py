"""Physical memory: page frames that hold bytes, handed out by the buddy allocator.

A frame's record is a :class:`Page` (Linux's ``struct page``): its number (PFN), its
bytes (a ``bytearray``, made when the frame is allocated, which happens on first touch;
untouched memory costs nothing on the host), what it holds (``anon``, ``shmem`` for
tmpfs and shared memory, ``file``), how many page-table entries map it and whether a
page cache holds it. One shared, never-written zero page backs reads of untouched
anonymous memory. The counters here feed /proc/meminfo, /proc/vmstat and
/proc/buddyinfo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import ENOMEM, Error
from kernel.mm.buddy import BuddyAllocator

KINDS = ("anon", "shmem", "file", "kernel")


@dataclass(slots=True, eq=False)
class Page:
    """One page frame.

    Attributes:
        pfn: the page frame number (physical address / page size).
        data: the frame's bytes.
        kind: ``anon``, ``shmem``, ``file`` or ``kernel``.
        mapcount: page-table entries that map it (Pss divides by this).
        cached: a page cache (a tmpfs file, a memfd, shared memory) holds it.
        index: its page index in that cache's file.
        dirty: written since it was last clean (tmpfs pages are born dirty).
        pins: I/O in flight holds it (an owned buffer's page): it is not freed while
            pinned, even if nothing maps it any more.
    """

    pfn: int
    data: bytearray
    kind: str
    mapcount: int = 0
    cached: bool = False
    index: int = 0
    dirty: bool = False
    pins: int = 0


@dataclass(slots=True)
class VmEvents:
    """Counters of /proc/vmstat that count events (not states)."""

    pgfault: int = 0
    pgmajfault: int = 0
    pgalloc: int = 0
    pgfree: int = 0
    cow_fault: int = 0
    zero_page_map: int = 0
    oom_kill: int = 0
    pgpgin: int = 0
    pgpgout: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class FrameAllocator:
    """The machine's page frames: a buddy allocator plus the records of frames in use.

    Attributes:
        page_size: bytes per frame.
        total: frames of physical memory.
        reserved: frames the kernel holds from boot (outside the free regions).
        buddy: the free frames.
        by_kind: frames in use by kind.
        zero_page: the shared page of zeros (in the kernel's reserved memory).
        events: /proc/vmstat's event counters.
    """

    __slots__ = ("page_size", "total", "reserved", "buddy", "by_kind", "zero_page", "events")

    def __init__(
        self, page_size: int, total_bytes: int, regions: list[tuple[int, int]] | None = None
    ) -> None:
        """Frames for a machine of ``total_bytes``; ``regions`` are the free
        ``(start, length)`` byte ranges (default: all of it)."""
        self.page_size = page_size
        self.total = total_bytes // page_size
        if regions is None:
            regions = [(0, total_bytes)]
        ranges = [(start // page_size, length // page_size) for start, length in regions]
        self.buddy = BuddyAllocator([r for r in ranges if r[1] > 0])
        self.reserved = self.total - self.buddy.total_pages
        self.by_kind: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.zero_page = Page(0, bytearray(page_size), "kernel")
        self.events = VmEvents()

    @property
    def free(self) -> int:
        """Frames not in use."""
        return self.buddy.free_pages

    @property
    def used(self) -> int:
        """Frames in use (not counting the kernel's reserved memory)."""
        return self.buddy.total_pages - self.buddy.free_pages

    def alloc_page(self, kind: str = "anon") -> Page | None:
        """A zero-filled frame for ``kind``, or None when memory is exhausted."""
        pfn = self.buddy.alloc(0)
        if pfn is None:
            return None
        self.by_kind[kind] += 1
        self.events.pgalloc += 1
        return Page(pfn, bytearray(self.page_size), kind)

    def free_page(self, page: Page) -> None:
        """Give a frame back (nothing maps it and no cache holds it)."""
        if page.pfn < 0:
            return
        self.buddy.free(page.pfn, 0)
        self.by_kind[page.kind] -= 1
        self.events.pgfree += 1
        page.pfn = -1  # freed: a second free is a no-op, not a corrupted free list

    def alloc(self, pages: int, kind: str = "kernel") -> list[Page]:
        """Take ``pages`` frames at once for ``kind``.

        Raises:
            Error: ENOMEM if there are not that many free (none are taken then).
        """
        if pages > self.free:
            raise Error(ENOMEM)
        return [self.alloc_page(kind) for _ in range(pages)]  # type: ignore[misc]

    def pages_for(self, nbytes: int) -> int:
        """Frames needed to hold ``nbytes``."""
        return -(-nbytes // self.page_size)
