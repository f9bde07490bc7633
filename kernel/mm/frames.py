"""Physical page frames: how much memory the machine has and who holds it.

Frames are counted, not stored: the simulator keeps no bytes for anonymous memory it
has not been asked to hold. The allocator is built from the boot-info's free memory
regions and refuses allocations past them with ENOMEM, which /proc/meminfo reports.
"""

from __future__ import annotations

from kernel.abi import ENOMEM, Error


class FrameAllocator:
    """Counts free and used page frames.

    Attributes:
        page_size: bytes per frame.
        total: frames of usable memory (the boot-info's free regions).
        reserved: frames held by the kernel itself before userland starts.
        used: frames allocated now.
    """

    __slots__ = ("page_size", "total", "reserved", "used", "by_kind")

    def __init__(self, page_size: int, total_bytes: int, free_bytes: int) -> None:
        self.page_size = page_size
        self.total = total_bytes // page_size
        self.reserved = (total_bytes - free_bytes) // page_size
        self.used = 0
        self.by_kind: dict[str, int] = {}

    @property
    def free(self) -> int:
        """Frames not in use."""
        return self.total - self.reserved - self.used

    def alloc(self, pages: int, kind: str = "anon") -> None:
        """Take ``pages`` frames for ``kind`` (``anon``, ``shmem``, ``kernel``…).

        Raises:
            Error: ENOMEM when memory is exhausted.
        """
        if pages > self.free:
            raise Error(ENOMEM)
        self.used += pages
        self.by_kind[kind] = self.by_kind.get(kind, 0) + pages

    def release(self, pages: int, kind: str = "anon") -> None:
        """Give back frames taken with :meth:`alloc`."""
        self.used -= pages
        self.by_kind[kind] = self.by_kind.get(kind, 0) - pages

    def pages_for(self, nbytes: int) -> int:
        """Frames needed to hold ``nbytes``."""
        return -(-nbytes // self.page_size)
