"""Address spaces: the virtual-memory areas of a process and the frames they hold.

For now a process has a text area (its program), a stack, and a heap that grows with
brk; later issues add mmap and the libk heaps. The figures feed /proc/<pid>/status and
/proc/<pid>/stat (VmSize, VmRSS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.mm.frames import FrameAllocator


@dataclass(slots=True)
class Area:
    """One virtual-memory area."""

    start: int
    length: int
    perms: str
    name: str
    resident: int = 0  # pages


@dataclass(slots=True, eq=False)
class AddressSpace:
    """The areas of one process, charged to the machine's frame allocator."""

    frames: FrameAllocator
    areas: list[Area] = field(default_factory=list)

    TEXT_BASE = 0x0040_0000
    STACK_TOP = 0x7FFF_FFFF_F000

    @classmethod
    def for_program(
        cls, frames: FrameAllocator, text_bytes: int, stack_bytes: int = 128 * 1024
    ) -> AddressSpace:
        """The initial layout of a freshly loaded program: text and stack.

        One page of each is resident from the start (the first instructions and the
        first stack frame); the rest is reserved address space.

        Raises:
            Error: ENOMEM if the machine has no frames left.
        """
        ps = frames.page_size
        text_len = max(ps, -(-text_bytes // ps) * ps)
        space = cls(frames)
        frames.alloc(2)
        space.areas.append(Area(cls.TEXT_BASE, text_len, "r-xp", "[text]", 1))
        space.areas.append(Area(cls.STACK_TOP - stack_bytes, stack_bytes, "rw-p", "[stack]", 1))
        return space

    @property
    def size(self) -> int:
        """Bytes of address space (VmSize)."""
        return sum(a.length for a in self.areas)

    @property
    def resident(self) -> int:
        """Resident pages (VmRSS in pages)."""
        return sum(a.resident for a in self.areas)

    def release(self) -> None:
        """Give every frame back (the process is gone)."""
        self.frames.release(self.resident)
        self.areas.clear()
