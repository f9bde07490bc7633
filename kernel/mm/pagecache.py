"""The page cache of an in-memory file: a tmpfs file's, a memfd's, shared memory's.

A file's bytes live in page frames, one :class:`~kernel.mm.frames.Page` per page index
(a hole has no frame and reads as zeros). ``read`` and ``write`` copy to and from those
frames, and a ``MAP_SHARED`` mapping maps the very same frames, so the two always agree.
The cache remembers which areas map it (``mappings``, Linux's ``i_mmap``) so that
truncating a file unmaps the pages past its new end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kernel.abi import ENOSPC, Error

if TYPE_CHECKING:
    from kernel.mm.frames import FrameAllocator, Page
    from kernel.mm.vm import Area


class PageCache:
    """The frames holding one file's data.

    Attributes:
        frames: the machine's frame allocator.
        pages: page index -> frame.
        size: the file's length in bytes.
        kind: what its frames count as (``shmem`` for tmpfs and shared memory).
        mappings: the areas that map this file.
        owner: what counts the frames held (a file system's ``pages``), or None.
    """

    __slots__ = ("frames", "pages", "size", "kind", "mappings", "owner")

    def __init__(self, frames: FrameAllocator, kind: str = "shmem", owner: Any = None) -> None:
        self.frames = frames
        self.owner = owner
        self.pages: dict[int, Page] = {}
        self.size = 0
        self.kind = kind
        self.mappings: set[Area] = set()

    @property
    def nr_pages(self) -> int:
        """Frames the cache holds."""
        return len(self.pages)

    def get_page(self, index: int) -> Page | None:
        """The frame of page ``index``, allocated (zeroed) if it is a hole; None when
        memory is exhausted."""
        page = self.pages.get(index)
        if page is None:
            page = self.frames.alloc_page(self.kind)
            if page is None:
                return None
            page.cached = True
            page.index = index
            page.dirty = True
            self.pages[index] = page
            if self.owner is not None:
                self.owner.pages += 1
        return page

    def read(self, pos: int, count: int) -> bytes:
        """Up to ``count`` bytes from ``pos`` (fewer at the end of the file)."""
        end = min(self.size, pos + count)
        if pos >= end:
            return b""
        ps = self.frames.page_size
        pages = self.pages
        first = pos // ps
        if (end - 1) // ps == first:  # the common case: within one page
            page = pages.get(first)
            off = pos - first * ps
            if page is None:
                return bytes(end - pos)
            return bytes(page.data[off : off + end - pos])
        out = bytearray()
        while pos < end:
            index, off = divmod(pos, ps)
            take = min(end - pos, ps - off)
            page = pages.get(index)
            out += page.data[off : off + take] if page is not None else bytes(take)
            pos += take
        return bytes(out)

    def write(self, pos: int, data: bytes | bytearray | memoryview) -> None:
        """Store ``data`` at ``pos``, growing the file if it ends past the end.

        Raises:
            Error: ENOSPC when the machine has no free frames for new pages (what was
                written before running out stays written).
        """
        ps = self.frames.page_size
        view = memoryview(data).cast("B")
        length = len(view)
        if length:
            first, last = pos // ps, (pos + length - 1) // ps
            missing = sum(1 for i in range(first, last + 1) if i not in self.pages)
            if missing > self.frames.free:
                raise Error(ENOSPC)
        done = 0
        try:
            while done < length:
                index, off = divmod(pos + done, ps)
                take = min(length - done, ps - off)
                page = self.get_page(index)
                if page is None:
                    raise Error(ENOSPC)
                page.data[off : off + take] = view[done : done + take]
                page.dirty = True
                done += take
        finally:
            if pos + done > self.size:
                self.size = pos + done

    def truncate(self, length: int) -> None:
        """Set the file's length; pages wholly past the end are unmapped and freed, and
        the tail of the last page is zeroed (so growing again reads zeros)."""
        ps = self.frames.page_size
        if length < self.size:
            keep = -(-length // ps)
            doomed = [i for i in self.pages if i >= keep]
            if doomed:
                for area in list(self.mappings):
                    area.mm.zap_file_pages(area, keep)
                for i in doomed:
                    self._drop(self.pages.pop(i))
            tail = length % ps
            if tail:
                page = self.pages.get(length // ps)
                if page is not None:
                    page.data[tail:] = bytes(ps - tail)
        self.size = length

    def replace(self, data: bytes) -> None:
        """Make the file hold exactly ``data`` (image files, programs at boot).

        Raises:
            Error: ENOSPC when memory is exhausted.
        """
        self.truncate(0)
        self.write(0, data)

    def contents(self) -> bytes:
        """The whole file."""
        return self.read(0, self.size)

    def release(self) -> None:
        """Free every frame (the file is gone: no names, no opens, no mappings)."""
        for page in self.pages.values():
            self._drop(page)
        self.pages.clear()
        self.size = 0

    def _drop(self, page: Page) -> None:
        page.cached = False
        if self.owner is not None:
            self.owner.pages -= 1
        if page.mapcount == 0 and not page.pins:
            self.frames.free_page(page)
