"""Address spaces: a process's areas (VMAs) over its page table, and the MMU view.

An :class:`AddressSpace` is a sorted list of disjoint :class:`Area` records (start, end,
protection, flags, the file or shared-memory object behind it and the offset into it,
a name) and a page table from virtual page number to :class:`Pte` (the frame, and the
writable, accessed and dirty bits). Two dicts mirror the page table for the MMU view
(``kernel.abi.MMU``): ``rd`` holds the frames of pages that may be read, ``wr`` those
that may be written right now, so a load or store to a present page never enters the
kernel; a miss calls :func:`kernel.mm.fault.handle_fault`.

The layout is Linux's on x86-64: the program's text at 0x400000, the ``brk`` heap right
after it, the stack at the top of user space growing down, and mmap's region below the
stack, filled top-down with a gap as wide as the stack limit. Changing the areas
(mmap, munmap, mprotect, mremap, madvise, brk) lives in ``kernel.mm.mmap``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    MAP_GROWSDOWN,
    MAP_SHARED,
    MMU,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
)

if TYPE_CHECKING:
    from kernel.mm.atomic import Atomics
    from kernel.mm.frames import FrameAllocator, Page
    from kernel.mm.pagecache import PageCache

TASK_SIZE = 0x7FFF_FFFF_F000  # the top of user space (47 bits), exclusive
TEXT_BASE = 0x0040_0000
STACK_TOP = TASK_SIZE
STACK_INITIAL = 132 * 1024  # what a new process's [stack] area spans, as on Linux
MIN_GAP = 128 * 1024 * 1024  # mmap_base sits at least this far below the stack top
MMAP_MIN_ADDR = 0x10000  # /proc/sys/vm/mmap_min_addr: nothing is mapped below it


@dataclass(slots=True, eq=False)
class Area:
    """One virtual-memory area (Linux's ``vm_area_struct``).

    Attributes:
        mm: the address space it belongs to.
        start, end: its bytes are [start, end), both page-aligned.
        prot: PROT_READ | PROT_WRITE | PROT_EXEC bits.
        flags: MAP_SHARED or MAP_PRIVATE, plus MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE.
        cache: the page cache behind it (a file, a memfd, shared memory), or None.
        pgoff: the page index in ``cache`` that ``start`` maps.
        name: what /proc/<pid>/maps shows (a path, ``[heap]``, ``[stack]``,
            ``[anon:NAME]``, ``/dev/zero (deleted)``), empty for plain anonymous memory.
        dev, ino: the device and inode of a file mapping, for maps.
        acct: its pages are charged to Committed_AS.
        inode: the mapped file's inode (it is not freed while mapped).
        maywrite: mprotect may add PROT_WRITE (not for a shared mapping of a file
            opened read-only).
    """

    mm: AddressSpace
    start: int
    end: int
    prot: int
    flags: int
    cache: PageCache | None = None
    pgoff: int = 0
    name: str = ""
    dev: int = 0
    ino: int = 0
    acct: bool = False
    inode: Any = None  # keeps a file mapped while the area lives
    maywrite: bool = True  # False for a shared mapping of a file opened read-only

    @property
    def length(self) -> int:
        """Bytes the area spans."""
        return self.end - self.start

    @property
    def shared(self) -> bool:
        """MAP_SHARED: stores reach the object behind it and every other mapper."""
        return bool(self.flags & MAP_SHARED)

    @property
    def perms(self) -> str:
        """``rwxp`` as /proc/<pid>/maps shows it."""
        p = self.prot
        return (
            ("r" if p & PROT_READ else "-")
            + ("w" if p & PROT_WRITE else "-")
            + ("x" if p & PROT_EXEC else "-")
            + ("s" if self.shared else "p")
        )

    @property
    def growsdown(self) -> bool:
        """The stack: a fault just below it extends it."""
        return bool(self.flags & MAP_GROWSDOWN)


@dataclass(slots=True, eq=False)
class Pte:
    """A page-table entry: the frame it maps and its bits.

    ``write`` is the hardware-writable bit: a private page shared with the zero page or
    a file is mapped read-only, and its first store faults and copies it (copy-on-write);
    a shared file page is mapped read-only until its first store, which marks it dirty.
    """

    page: Page
    write: bool = False
    accessed: bool = True
    dirty: bool = False


@dataclass(slots=True, eq=False)
class AddressSpace:
    """The memory of one process.

    Attributes:
        frames: the machine's frame allocator.
        k: the kernel (for costs, the commit limit, the OOM killer), None in tests.
        areas: disjoint areas, sorted by start.
        pt: the page table, virtual page number -> Pte.
        rd, wr: frames of the pages the MMU view may read / write without a fault.
        view: the MMU view handed to userland.
        start_brk, brk: the heap's start and current end.
        start_code, end_code, start_stack, arg_start, arg_end, env_start, env_end:
            where the program's text lies, where its stack started, and where its
            argument and environment strings are (set by ``setup_program``; /proc's
            stat shows them, as Linux's mm_struct fields of the same names).
        mmap_base: where top-down mmap placement starts.
        rss: resident pages by kind (anon, file, shmem; the zero page is not counted).
        hiwater_rss, hiwater_vm: peaks, in pages (VmHWM, VmPeak).
        minflt, majflt: page faults resolved without and with I/O.
        owner: the process (for the fault log and the OOM killer), if any.
        owned: pages an I/O ring owns (virtual page number -> the owner, which says
            what it is in the fault log): present but out of the view's dicts, so
            any access faults (``kernel.io.buffers``).
        mmio: device register pages (virtual page number -> the device): readable,
            but a store traps to the device (``kernel.dev.blkqueue``).
    """

    frames: FrameAllocator
    k: Any = None
    areas: list[Area] = field(default_factory=list)
    pt: dict[int, Pte] = field(default_factory=dict)
    rd: dict[int, bytearray] = field(default_factory=dict)
    wr: dict[int, bytearray] = field(default_factory=dict)
    view: MMU = field(init=False)
    atomics: Atomics = field(init=False)
    start_brk: int = 0
    brk: int = 0
    start_code: int = 0
    end_code: int = 0
    start_stack: int = 0
    arg_start: int = 0
    arg_end: int = 0
    env_start: int = 0
    env_end: int = 0
    mmap_base: int = 0
    stack_limit: int = 8 * 1024 * 1024
    rss: dict[str, int] = field(default_factory=lambda: {"anon": 0, "file": 0, "shmem": 0})
    hiwater_rss: int = 0
    hiwater_vm: int = 0
    minflt: int = 0
    majflt: int = 0
    owner: Any = None
    owned: dict[int, Any] = field(default_factory=dict)
    mmio: dict[int, Any] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        from kernel.mm.atomic import Atomics
        from kernel.mm.fault import handle_fault

        ps = self.frames.page_size
        self.atomics = Atomics(self)
        several = getattr(getattr(self.k, "info", None), "cpus", 1) > 1  # else host order is all
        self.view = MMU.make(
            self.rd,
            self.wr,
            lambda addr, write: handle_fault(self, addr, write),
            ps,
            self.atomics if several else None,
        )
        self.mmap_base = (self.stack_top - max(MIN_GAP, self.stack_limit + 256 * ps)) & ~(ps - 1)

    # ------------------------------------------------------------------ geometry
    @property
    def stack_top(self) -> int:
        """The top of the stack: the top of user space, rounded down to a page."""
        return STACK_TOP & ~(self.frames.page_size - 1)

    @property
    def page_size(self) -> int:
        """Bytes per page."""
        return self.frames.page_size

    @property
    def size(self) -> int:
        """Bytes of address space mapped (VmSize)."""
        return sum(a.end - a.start for a in self.areas)

    @property
    def resident(self) -> int:
        """Resident pages (VmRSS in pages)."""
        r = self.rss
        return r["anon"] + r["file"] + r["shmem"]

    def find(self, addr: int) -> Area | None:
        """The area containing ``addr``, or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            a = self.areas[i]
            if addr < a.end:
                return a
        return None

    def first_at_or_after(self, addr: int) -> int:
        """Index of the first area that ends after ``addr``."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and self.areas[i].end > addr:
            return i
        return i + 1

    def overlapping(self, start: int, end: int) -> list[Area]:
        """The areas that share at least a byte with [start, end)."""
        out = []
        areas = self.areas
        i = self.first_at_or_after(start)
        while i < len(areas) and areas[i].start < end:
            out.append(areas[i])
            i += 1
        return out

    def insert(self, area: Area) -> None:
        """Add an area (the caller made room for it)."""
        i = bisect.bisect_right(self._starts, area.start)
        self.areas.insert(i, area)
        self._starts.insert(i, area.start)
        if area.cache is not None:
            area.cache.mappings.add(area)
        vm = self.size // self.page_size
        if vm > self.hiwater_vm:
            self.hiwater_vm = vm

    def remove(self, area: Area) -> None:
        """Drop an area record (its pages were zapped)."""
        i = self.areas.index(area)
        del self.areas[i]
        del self._starts[i]
        cache = area.cache
        if cache is not None:
            cache.mappings.discard(area)
            inode = area.inode
            if inode is not None:
                inode.drop_if_unused()
            elif not cache.mappings:
                cache.release()  # shared anonymous memory: gone with its last mapping

    def reindex(self) -> None:
        """Rebuild the start index after areas moved or changed their starts."""
        self.areas.sort(key=lambda a: a.start)
        self._starts = [a.start for a in self.areas]

    # ------------------------------------------------------------------ page table
    def install(self, vpn: int, pte: Pte, area: Area) -> None:
        """Enter ``pte`` for page ``vpn`` and mirror it into the view's dicts."""
        old = self.pt.get(vpn)
        if old is not None and old.page is not pte.page:
            self._unmap_page(old.page)
        if old is None or old.page is not pte.page:
            self._map_page(pte.page)
        self.pt[vpn] = pte
        self.sync(vpn, pte, area)

    def sync(self, vpn: int, pte: Pte, area: Area) -> None:
        """Mirror a page's entry into ``rd``/``wr`` per the area's protection (not for
        a page a ring owns: no access may reach it)."""
        prot = area.prot
        if self.owned and vpn in self.owned:
            prot = 0
        data = pte.page.data
        if prot:  # write or exec imply read, as on x86
            self.rd[vpn] = data
        else:
            self.rd.pop(vpn, None)
        if pte.write and prot & PROT_WRITE and not (self.mmio and vpn in self.mmio):
            self.wr[vpn] = data
        else:
            self.wr.pop(vpn, None)

    def _map_page(self, page: Page) -> None:
        if page is self.frames.zero_page:
            return
        page.mapcount += 1
        kind = page.kind if page.kind in self.rss else "anon"
        self.rss[kind] += 1
        r = self.resident
        if r > self.hiwater_rss:
            self.hiwater_rss = r

    def _unmap_page(self, page: Page) -> None:
        if page is self.frames.zero_page:
            return
        page.mapcount -= 1
        kind = page.kind if page.kind in self.rss else "anon"
        self.rss[kind] -= 1
        if page.mapcount == 0 and not page.cached and not page.pins:
            self.frames.free_page(page)

    def zap(self, start: int, end: int) -> int:
        """Remove the page-table entries of [start, end); frames nobody else holds
        are freed. Returns how many entries went."""
        shift = self.view.shift
        v0, v1 = start >> shift, end >> shift
        pt = self.pt
        if v1 - v0 > len(pt):
            vpns = [v for v in pt if v0 <= v < v1]
        else:
            vpns = [v for v in range(v0, v1) if v in pt]
        rd, wr = self.rd, self.wr
        owned = self.owned
        for v in vpns:
            if owned:
                owned.pop(v, None)  # the ring keeps the frame pinned, not the address
            if self.mmio:
                self.mmio.pop(v, None)
            pte = pt.pop(v)
            rd.pop(v, None)
            wr.pop(v, None)
            self._unmap_page(pte.page)
        return len(vpns)

    def zap_file_pages(self, area: Area, first_gone: int) -> None:
        """A file shrank: unmap the pages of ``area`` at file page index ``first_gone``
        and beyond (stores there now raise SIGBUS, as past the end of a file)."""
        start = area.start + max(0, first_gone - area.pgoff) * self.page_size
        if start < area.end:
            self.zap(start, area.end)

    def resync(self, start: int, end: int, area: Area) -> None:
        """Re-mirror the present pages of [start, end) after a protection change."""
        shift = self.view.shift
        pt = self.pt
        for v in range(start >> shift, end >> shift):
            pte = pt.get(v)
            if pte is not None:
                self.sync(v, pte, area)

    # ------------------------------------------------------------------ the whole space
    def release(self) -> None:
        """Unmap everything (the process is gone); every frame it alone held comes back."""
        for area in list(self.areas):
            self.zap(area.start, area.end)
            self.remove(area)
            if area.acct and self.k is not None:
                self.k.vm.uncommit(area.length // self.page_size)
        self.pt.clear()
        self.rd.clear()
        self.wr.clear()
        self._starts.clear()

    def pagetable_bytes(self) -> int:
        """What the page table would take on x86-64 (512 entries a page), for VmPTE."""
        tables = len({v >> 9 for v in self.pt})
        return tables * 4096
