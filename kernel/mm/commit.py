"""Virtual-memory policy: overcommit and the commit charge, and the vm sysctls.

Private writable mappings (and shared anonymous memory) are *committed*: the kernel
promises frames for them. ``overcommit_memory`` says how far it may promise (Linux's
three modes): 0, heuristic — refuse only a single request larger than all of memory;
1, always — never refuse; 2, never overcommit — refuse once ``Committed_AS`` would reach
``CommitLimit`` (``overcommit_ratio`` percent of memory, or ``overcommit_kbytes``;
there is no swap to add). Linux also holds back ``admin_reserve_kbytes`` and
``user_reserve_kbytes`` from non-root callers in mode 2; this machine does not. MAP_NORESERVE
mappings are not charged in modes 0 and 1 (``kernel.mm.mmap`` decides what is charged).
The values are /proc/sys/vm's files; ``Committed_AS`` and ``CommitLimit`` are in
/proc/meminfo.
"""

from __future__ import annotations

from kernel.abi import EINVAL, ENOMEM, Error
from kernel.mm.frames import FrameAllocator


class VmPolicy:
    """The commit charge and the vm sysctls of one machine.

    Attributes:
        committed: pages promised now (Committed_AS).
        overcommit_memory: 0 (heuristic), 1 (always), 2 (never).
        overcommit_ratio: percent of memory CommitLimit allows in mode 2.
        overcommit_kbytes: when non-zero, CommitLimit in kB instead of the ratio.
        max_map_count: areas one process may have.
        mmap_min_addr: the lowest address mmap hands out.
        min_free_kbytes: kept free for the kernel (shown; not enforced).
    """

    SYSCTLS = (
        "overcommit_memory",
        "overcommit_ratio",
        "overcommit_kbytes",
        "max_map_count",
        "mmap_min_addr",
        "min_free_kbytes",
    )

    def __init__(
        self, frames: FrameAllocator, overcommit_memory: int = 0, overcommit_ratio: int = 50
    ) -> None:
        self.frames = frames
        self.committed = 0
        self.overcommit_memory = overcommit_memory
        self.overcommit_ratio = overcommit_ratio
        self.overcommit_kbytes = 0
        self.max_map_count = 65530
        self.mmap_min_addr = 65536
        self.min_free_kbytes = max(128, frames.buddy.total_pages * frames.page_size // 1024 // 64)

    def commit_limit(self) -> int:
        """CommitLimit, in pages."""
        if self.overcommit_kbytes:
            return self.overcommit_kbytes * 1024 // self.frames.page_size
        return self.frames.buddy.total_pages * self.overcommit_ratio // 100

    def commit(self, pages: int) -> None:
        """Promise ``pages`` more.

        Raises:
            Error: ENOMEM when the policy refuses.
        """
        if pages <= 0:
            return
        mode = self.overcommit_memory
        if mode == 2:
            # __vm_enough_memory: the charge, new pages included, stays below the limit.
            if self.committed + pages >= self.commit_limit():
                raise Error(ENOMEM)
        elif mode == 0 and pages > self.frames.buddy.total_pages:
            raise Error(ENOMEM)
        self.committed += pages

    def uncommit(self, pages: int) -> None:
        """Take back a promise of ``pages``."""
        self.committed = max(0, self.committed - pages)

    def set(self, name: str, value: int) -> None:
        """Write a sysctl (/proc/sys/vm/NAME). As on Linux, setting
        ``overcommit_kbytes`` clears ``overcommit_ratio`` and the other way round
        (only one of them sets CommitLimit).

        Raises:
            Error: EINVAL for an unknown name or a value out of range.
        """
        bounds = _RANGES.get(name)
        if bounds is None or type(value) is not int or not bounds[0] <= value <= bounds[1]:
            raise Error(EINVAL)
        setattr(self, name, value)
        if name == "overcommit_kbytes":
            self.overcommit_ratio = 0
        elif name == "overcommit_ratio":
            self.overcommit_kbytes = 0


_RANGES = {
    "overcommit_memory": (0, 2),
    "overcommit_ratio": (0, (1 << 31) - 1),
    "overcommit_kbytes": (0, (1 << 62) - 1),
    "max_map_count": (0, (1 << 31) - 1),
    "mmap_min_addr": (0, 1 << 47),
    "min_free_kbytes": (0, (1 << 31) - 1),
}
