"""Changing an address space: placement, splitting and merging areas, mmap, munmap,
mprotect, brk, and the first layout of a new program (mremap is in ``kernel.mm.mremap``,
madvise, mincore, msync and area names in ``kernel.mm.madvise``).

Each function checks its arguments as Linux does (same errno for the same mistake),
then splits, merges, moves or drops areas and zaps the page-table entries they no
longer cover. Adjacent private anonymous areas with the same protection and name are
merged, so a heap that grows by many mmaps shows as one area in /proc/<pid>/maps.
The thin system-call handlers are in ``kernel.sysmem``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kernel.abi import (
    EACCES,
    EBADF,
    EEXIST,
    EINVAL,
    ENOMEM,
    ENOTSUP,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_FIXED_NOREPLACE,
    MAP_GROWSDOWN,
    MAP_NORESERVE,
    MAP_POPULATE,
    MAP_PRIVATE,
    MAP_SHARED,
    MAP_SHARED_VALIDATE,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    RLIM_INFINITY,
    RLIMIT_AS,
    RLIMIT_DATA,
    Error,
)
from kernel.mm.fault import fault_in
from kernel.mm.vm import STACK_INITIAL, TASK_SIZE, TEXT_BASE, AddressSpace, Area

if TYPE_CHECKING:
    from kernel.mm.pagecache import PageCache

PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC
MAP_KNOWN = (
    MAP_SHARED
    | MAP_PRIVATE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_GROWSDOWN
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_FIXED_NOREPLACE
)


def page_up(mm: AddressSpace, n: int) -> int:
    ps = mm.page_size
    return (n + ps - 1) & ~(ps - 1)


def aligned(mm: AddressSpace, addr: int) -> bool:
    return addr & (mm.page_size - 1) == 0


def limit(mm: AddressSpace, resource: int) -> int:
    owner = mm.owner
    if owner is None:
        return RLIM_INFINITY
    return owner.rlimits[resource][0]


def _accountable(prot: int, flags: int, cache: Any, anon_shared: bool, mm: AddressSpace) -> bool:
    """Is a new area charged to Committed_AS? Private writable memory and shared
    anonymous memory are; MAP_NORESERVE opts out except in mode 2."""
    if flags & MAP_NORESERVE and (mm.k is None or mm.k.vm.overcommit_memory != 2):
        return False
    if anon_shared:
        return True
    return bool(prot & PROT_WRITE) and not flags & MAP_SHARED


def is_data(area: Area) -> bool:
    """Counts toward VmData and RLIMIT_DATA: private writable, not the stack."""
    return bool(area.prot & PROT_WRITE) and not area.shared and not area.growsdown


def data_bytes(mm: AddressSpace) -> int:
    """VmData: private writable memory other than the stack."""
    return sum(a.length for a in mm.areas if is_data(a))


def commit(mm: AddressSpace, pages: int) -> None:
    if mm.k is not None:
        mm.k.vm.commit(pages)


def uncommit(mm: AddressSpace, pages: int) -> None:
    if mm.k is not None:
        mm.k.vm.uncommit(pages)


# ---------------------------------------------------------------------- placement
def get_unmapped_area(mm: AddressSpace, length: int, hint: int = 0) -> int:
    """An address where ``length`` bytes are free: the hint if it fits, else the
    highest gap below ``mmap_base`` (top-down, as Linux places mmaps).

    Raises:
        Error: ENOMEM when no gap is wide enough.
    """
    min_addr = mm.k.vm.mmap_min_addr if mm.k is not None else 0x10000
    min_addr = max(page_up(mm, min_addr), mm.page_size)
    if hint:
        hint = page_up(mm, hint)
        if (
            min_addr <= hint
            and hint + length <= TASK_SIZE
            and not mm.overlapping(hint, hint + length)
        ):
            return hint
    top = mm.mmap_base
    areas = mm.areas
    i = mm.first_at_or_after(top)
    if i < len(areas) and areas[i].start < top:
        top = areas[i].start  # an area straddles mmap_base: start below it
    i -= 1
    while top >= min_addr:
        below = max(areas[i].end if i >= 0 else min_addr, min_addr)
        if top - below >= length:
            return top - length
        if i < 0:
            break
        top = areas[i].start
        i -= 1
    raise Error(ENOMEM)


# ---------------------------------------------------------------------- area surgery
def split(mm: AddressSpace, area: Area, at: int) -> Area:
    """Cut ``area`` at ``at``; returns the new upper part (the lower part is ``area``)."""
    upper = replace(area, start=at, pgoff=area.pgoff + (at - area.start) // mm.page_size)
    area.end = at
    mm.insert(upper)
    return upper


def isolate(mm: AddressSpace, start: int, end: int) -> list[Area]:
    """Split areas so that [start, end) is covered by whole areas; return those."""
    out = []
    for area in mm.overlapping(start, end):
        if area.start < start:
            area = split(mm, area, start)
        if area.end > end:
            split(mm, area, end)
        out.append(area)
    return out


def _mergeable(a: Area, b: Area) -> bool:
    return (
        a.end == b.start
        and a.cache is None
        and b.cache is None
        and a.prot == b.prot
        and a.flags == b.flags
        and a.name == b.name
        and a.acct == b.acct
        and not a.growsdown
    )


def merge_around(mm: AddressSpace, area: Area) -> Area:
    """Merge ``area`` with equal anonymous neighbours; returns the surviving area."""
    areas = mm.areas
    i = areas.index(area)
    if i + 1 < len(areas) and _mergeable(area, areas[i + 1]):
        nxt = areas[i + 1]
        area.end = nxt.end
        mm.remove(nxt)
    if i > 0 and _mergeable(areas[i - 1], area):
        prev = areas[i - 1]
        prev.end = area.end
        mm.remove(area)
        area = prev
    return area


def unmap_range(mm: AddressSpace, start: int, end: int) -> None:
    """Drop every mapping of [start, end) (no checks: the caller made them)."""
    mm.atomics.forget(start, end)
    ps = mm.page_size
    for area in isolate(mm, start, end):
        mm.zap(area.start, area.end)
        if area.acct:
            uncommit(mm, area.length // ps)
        mm.remove(area)


def populate(mm: AddressSpace, start: int, end: int, write: bool) -> None:
    """Fault in every page of [start, end) now (MAP_POPULATE, MADV_WILLNEED).

    Reading private anonymous memory maps the shared zero page, which a later fault
    would map just the same: that is skipped (else a read-only populate of a terabyte
    would walk 2**28 pages for nothing).
    """
    area = mm.find(start)
    if not write and area is not None and area.cache is None and area.end >= end:
        return
    ps = mm.page_size
    rd = mm.wr if write else mm.rd
    shift = mm.view.shift
    for addr in range(start, end, ps):
        if addr >> shift not in rd:
            try:
                fault_in(mm, addr, write)
            except Error:
                return


# ---------------------------------------------------------------------- the calls
def do_mmap(
    mm: AddressSpace,
    addr: int,
    length: int,
    prot: int,
    flags: int,
    *,
    cache: PageCache | None = None,
    inode: Any = None,
    writable_file: bool = True,
    pgoff_bytes: int = 0,
    name: str = "",
    dev: int = 0,
    ino: int = 0,
) -> int:
    """Map ``length`` bytes (checks done by the caller for the file: ``cache`` is its
    page cache, ``writable_file`` says whether it was opened for writing).

    Raises:
        Error: EINVAL, ENOMEM, EEXIST, EACCES, ENOTSUP as Linux's mmap.
    """
    ps = mm.page_size
    kind = flags & MAP_SHARED_VALIDATE
    if kind == 0:
        raise Error(EINVAL)
    if kind == MAP_SHARED_VALIDATE:
        if flags & ~(MAP_KNOWN | MAP_SHARED_VALIDATE):
            raise Error(ENOTSUP)
        flags = (flags & ~MAP_SHARED_VALIDATE) | MAP_SHARED
    if length == 0 or prot & ~PROT_ALL or pgoff_bytes & (ps - 1) or pgoff_bytes < 0:
        raise Error(EINVAL)
    length = page_up(mm, length)
    if length > TASK_SIZE:
        raise Error(ENOMEM)
    fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)
    if fixed and not aligned(mm, addr):
        raise Error(EINVAL)
    if fixed and addr + length > TASK_SIZE:
        raise Error(ENOMEM)
    anonymous = flags & MAP_ANONYMOUS
    shared = flags & MAP_SHARED
    if not anonymous and cache is None:
        raise Error(EBADF)
    if shared and prot & PROT_WRITE and not anonymous and not writable_file:
        raise Error(EACCES)
    if mm.k is not None and len(mm.areas) >= mm.k.vm.max_map_count:
        raise Error(ENOMEM)
    if mm.size + length > limit(mm, RLIMIT_AS):
        raise Error(ENOMEM)
    if fixed:
        if flags & MAP_FIXED_NOREPLACE and mm.overlapping(addr, addr + length):
            raise Error(EEXIST)
        start = addr
    else:
        start = get_unmapped_area(mm, length, addr)
    anon_shared = bool(anonymous and shared)
    acct = _accountable(prot, flags, cache, anon_shared, mm)
    if prot & PROT_WRITE and not shared:
        new_data = length + data_bytes(mm)
        if fixed:
            new_data -= sum(a.length for a in mm.overlapping(start, start + length) if is_data(a))
        if new_data > limit(mm, RLIMIT_DATA):
            raise Error(ENOMEM)
    if acct:
        commit(mm, length // ps)
    if fixed:
        unmap_range(mm, start, start + length)
    if anon_shared:
        from kernel.mm.pagecache import PageCache

        cache = PageCache(mm.frames, "shmem")
        cache.size = length
        pgoff_bytes = 0
        name = name or "/dev/zero (deleted)"
    elif anonymous:
        cache = None
        pgoff_bytes = 0
    area = Area(
        mm,
        start,
        start + length,
        prot,
        flags & (MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_NORESERVE),
        cache,
        pgoff_bytes // ps,
        name,
        dev,
        ino,
        acct,
        inode,
        maywrite=not (shared and not anonymous and not writable_file),
    )
    mm.insert(area)
    if cache is None:
        area = merge_around(mm, area)
    if flags & MAP_POPULATE:
        populate(mm, start, start + length, bool(prot & PROT_WRITE))
    return start


def do_munmap(mm: AddressSpace, addr: int, length: int) -> None:
    """munmap: drop [addr, addr+length); unmapped holes in it are fine.

    Raises:
        Error: EINVAL for an unaligned address, a zero length or a range past user space.
    """
    if not aligned(mm, addr) or length == 0:
        raise Error(EINVAL)
    length = page_up(mm, length)
    if addr + length > TASK_SIZE:
        raise Error(EINVAL)
    unmap_range(mm, addr, addr + length)


def covered(mm: AddressSpace, start: int, end: int) -> list[Area]:
    """The areas over [start, end) if they cover all of it.

    Raises:
        Error: ENOMEM if part of the range is not mapped.
    """
    areas = mm.overlapping(start, end)
    pos = start
    for a in areas:
        if a.start > pos:
            raise Error(ENOMEM)
        pos = a.end
    if pos < end:
        raise Error(ENOMEM)
    return areas


def do_mprotect(mm: AddressSpace, addr: int, length: int, prot: int) -> None:
    """mprotect: change the protection of [addr, addr+length).

    Raises:
        Error: EINVAL (unaligned, unknown bits), ENOMEM (not all mapped), EACCES
            (writable shared mapping of a file opened read-only).
    """
    if not aligned(mm, addr) or prot & ~PROT_ALL:
        raise Error(EINVAL)
    if length == 0:
        return
    end = addr + page_up(mm, length)
    if end > TASK_SIZE:
        raise Error(ENOMEM)
    newly_data = 0
    for a in covered(mm, addr, end):
        if prot & PROT_WRITE and not a.maywrite:
            raise Error(EACCES)
        if prot & PROT_WRITE and not is_data(a) and not a.shared and not a.growsdown:
            newly_data += min(a.end, end) - max(a.start, addr)
    if newly_data and data_bytes(mm) + newly_data > limit(mm, RLIMIT_DATA):
        raise Error(ENOMEM)
    ps = mm.page_size
    for a in isolate(mm, addr, end):
        want_acct = _accountable(prot, a.flags, a.cache, a.shared and a.flags & MAP_ANONYMOUS, mm)
        if want_acct and not a.acct:
            commit(mm, a.length // ps)
            a.acct = True
        a.prot = prot
        mm.resync(a.start, a.end, a)
    for a in mm.overlapping(addr, end):
        if a in mm.areas and a.cache is None:
            merge_around(mm, a)


def do_brk(mm: AddressSpace, new_brk: int) -> int:
    """brk: move the end of the heap; returns the (possibly unchanged) end, as Linux's
    system call does (a refused request returns the old end)."""
    ps = mm.page_size
    if new_brk < mm.start_brk:
        return mm.brk
    old_top = page_up(mm, mm.brk)
    new_top = page_up(mm, new_brk)
    if new_top == old_top:
        mm.brk = new_brk
        return mm.brk
    if new_top < old_top:
        unmap_range(mm, new_top, old_top)
        mm.brk = new_brk
        return mm.brk
    grow = new_top - old_top
    if (
        mm.overlapping(old_top, new_top + ps)  # keep a page free before the next area
        or data_bytes(mm) + grow > limit(mm, RLIMIT_DATA)
        or mm.size + grow > limit(mm, RLIMIT_AS)
    ):
        return mm.brk
    try:
        commit(mm, grow // ps)
    except Error:
        return mm.brk
    heap = mm.find(old_top - 1) if old_top > mm.start_brk else None
    if heap is not None and heap.name == "[heap]":
        heap.end = new_top
    else:
        mm.insert(
            Area(
                mm,
                old_top,
                new_top,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS,
                name="[heap]",
                acct=True,
            )
        )
    mm.brk = new_brk
    return mm.brk


# ---------------------------------------------------------------------- a new program
def setup_program(
    mm: AddressSpace, exe: Any, exe_path: str, args: bytes, env_at: int | None = None
) -> None:
    """Lay out a freshly loaded program: its executable mapped at TEXT_BASE (read and
    execute, private), the empty heap after it, the stack at the top of user space with
    ``args`` (argv and envp strings, NUL-terminated; the environment from byte
    ``env_at``, none if not given) written at its top. Records where each lies in
    ``mm`` (start_code ... env_end), as Linux's mm_struct.

    Raises:
        Error: ENOMEM when memory runs out.
    """
    ps = mm.page_size
    text_len = max(ps, page_up(mm, exe.size))
    do_mmap(
        mm,
        TEXT_BASE,
        text_len,
        PROT_READ | PROT_EXEC,
        MAP_PRIVATE | MAP_FIXED,
        cache=exe.cache,
        inode=exe,
        name=exe_path,
        dev=exe.fs.dev,
        ino=exe.ino,
    )
    mm.start_brk = mm.brk = TEXT_BASE + text_len
    mm.start_code, mm.end_code = TEXT_BASE, TEXT_BASE + text_len
    stack_len = page_up(mm, max(STACK_INITIAL, len(args) + 64))
    do_mmap(
        mm,
        mm.stack_top - stack_len,
        stack_len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN,
        name="[stack]",
    )
    fault_in(mm, TEXT_BASE, False)  # the first instructions
    top = mm.stack_top - 16 - len(args)
    from kernel.mm.fault import copy_to

    copy_to(mm, top & ~15, args)
    env_at = len(args) if env_at is None else env_at
    mm.start_stack = mm.arg_start = top & ~15  # no argc/argv pointers: the strings start it
    mm.arg_end = mm.env_start = mm.arg_start + env_at
    mm.env_end = mm.arg_start + len(args)
