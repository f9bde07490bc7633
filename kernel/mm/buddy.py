"""The buddy allocator: physical page frames by power-of-two blocks.

Frames are numbered (page frame numbers, PFNs). Free memory is kept as blocks of
``2**order`` frames, aligned to their size, in one free list per order (0 to
``MAX_ORDER - 1``, as Linux's zones keep them). Allocating splits a larger block until
one of the wanted order is left; freeing merges a block with its buddy (the block its
address differs from in bit ``order``) for as long as the buddy is free too.
``/proc/buddyinfo`` shows the free lists' lengths.
"""

from __future__ import annotations

MAX_ORDER = 11  # orders 0..10: blocks of 1 to 1024 frames, as in Linux


class BuddyAllocator:
    """Free-list-per-order allocator over ranges of frame numbers.

    Attributes:
        free_lists: for each order, the start PFNs of the free blocks of that order.
        free_pages: frames free now.
        total_pages: frames given to the allocator at start.
    """

    __slots__ = ("free_lists", "_order_of", "free_pages", "total_pages")

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        """Start with the frames of ``ranges``: ``(first_pfn, count)`` pairs, all free."""
        self.free_lists: list[dict[int, None]] = [{} for _ in range(MAX_ORDER)]
        self._order_of: dict[int, int] = {}  # start PFN of each free block -> its order
        self.free_pages = 0
        self.total_pages = 0
        for first, count in ranges:
            self.total_pages += count
            pfn, end = first, first + count
            while pfn < end:
                order = MAX_ORDER - 1
                while order and (pfn & ((1 << order) - 1) or pfn + (1 << order) > end):
                    order -= 1
                self._push(pfn, order)
                self.free_pages += 1 << order
                pfn += 1 << order

    def _push(self, pfn: int, order: int) -> None:
        self.free_lists[order][pfn] = None
        self._order_of[pfn] = order

    def _pop(self, pfn: int, order: int) -> None:
        del self.free_lists[order][pfn]
        del self._order_of[pfn]

    def alloc(self, order: int = 0) -> int | None:
        """A free block of ``2**order`` frames (its first PFN), or None if none is left."""
        lists = self.free_lists
        o = order
        while o < MAX_ORDER and not lists[o]:
            o += 1
        if o >= MAX_ORDER:
            return None
        block = lists[o]
        # The longest-free block of that order: deterministic, whatever the history.
        pfn = next(iter(block))
        self._pop(pfn, o)
        while o > order:
            o -= 1
            self._push(pfn + (1 << o), o)
        self.free_pages -= 1 << order
        return pfn

    def free(self, pfn: int, order: int = 0) -> None:
        """Give back the block of ``2**order`` frames starting at ``pfn``, merging buddies."""
        self.free_pages += 1 << order
        order_of = self._order_of
        while order < MAX_ORDER - 1:
            buddy = pfn ^ (1 << order)
            if order_of.get(buddy) != order:
                break
            self._pop(buddy, order)
            pfn &= ~(1 << order)
            order += 1
        self._push(pfn, order)

    def is_free(self, pfn: int) -> bool:
        """Is frame ``pfn`` inside a free block? (For checks; walks the orders.)"""
        for order in range(MAX_ORDER):
            start = pfn & ~((1 << order) - 1)
            if self._order_of.get(start) == order:
                return True
        return False

    def counts(self) -> list[int]:
        """Free blocks per order, as /proc/buddyinfo lists them."""
        return [len(lst) for lst in self.free_lists]
