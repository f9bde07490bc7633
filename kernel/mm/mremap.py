"""mremap: growing, shrinking, moving and duplicating a mapping (Linux's mm/mremap.c).

A mapping grows in place when the addresses after it are free; otherwise, with
MREMAP_MAYMOVE, it moves, and its frames move with their page-table entries (nothing is
copied). MREMAP_DONTUNMAP leaves the old range mapped and empty; an old length of 0
makes a second mapping of the same shared pages.
"""

from __future__ import annotations

from dataclasses import replace

from kernel.abi import (
    EFAULT,
    EINVAL,
    ENOMEM,
    MAP_ANONYMOUS,
    MREMAP_DONTUNMAP,
    MREMAP_FIXED,
    MREMAP_MAYMOVE,
    RLIMIT_AS,
    Error,
)
from kernel.mm.mmap import (
    aligned,
    commit,
    get_unmapped_area,
    isolate,
    limit,
    page_up,
    uncommit,
    unmap_range,
)
from kernel.mm.vm import TASK_SIZE, AddressSpace, Area


def do_mremap(
    mm: AddressSpace, old: int, old_len: int, new_len: int, flags: int, new_addr: int
) -> int:
    """mremap: grow, shrink or move a mapping; returns its (new) address.

    Raises:
        Error: EINVAL (bad alignment, flags, lengths), EFAULT (the old range is not
            one mapping), ENOMEM (no room to grow in place without MREMAP_MAYMOVE).
    """
    ps = mm.page_size
    if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) or not aligned(mm, old):
        raise Error(EINVAL)
    if flags & MREMAP_FIXED and not flags & MREMAP_MAYMOVE:
        raise Error(EINVAL)
    if flags & MREMAP_DONTUNMAP and (not flags & MREMAP_MAYMOVE or old_len != new_len):
        raise Error(EINVAL)
    if new_len == 0:
        raise Error(EINVAL)
    old_len = page_up(mm, old_len)
    new_len = page_up(mm, new_len)
    area = mm.find(old)
    if area is None:
        raise Error(EFAULT)
    if old_len == 0:  # a second mapping of the same shared pages; the first stays
        if not area.shared or not flags & MREMAP_MAYMOVE:
            raise Error(EINVAL)
        if mm.size + new_len > limit(mm, RLIMIT_AS):
            raise Error(ENOMEM)
        if flags & MREMAP_FIXED:
            if not aligned(mm, new_addr) or new_addr + new_len > TASK_SIZE:
                raise Error(EINVAL)
            unmap_range(mm, new_addr, new_addr + new_len)
            dest = new_addr
        else:
            dest = get_unmapped_area(mm, new_len)
        twin = replace(
            area, start=dest, end=dest + new_len, pgoff=area.pgoff + (old - area.start) // ps
        )
        if twin.acct:
            commit(mm, new_len // ps)
        if twin.cache is not None and twin.flags & MAP_ANONYMOUS:
            twin.cache.size = max(twin.cache.size, twin.pgoff * ps + new_len)
        mm.insert(twin)
        return dest
    if old + old_len > area.end:
        raise Error(EFAULT)
    if flags & MREMAP_FIXED:
        if not aligned(mm, new_addr) or new_addr + new_len > TASK_SIZE:
            raise Error(EINVAL)
        if new_addr < old + old_len and old < new_addr + new_len:
            raise Error(EINVAL)
        return _move(mm, area, old, old_len, new_len, new_addr, flags)
    if flags & MREMAP_DONTUNMAP:  # always moves, leaving the old range mapped and empty
        return _move(mm, area, old, old_len, new_len, 0, flags)
    if new_len <= old_len:
        if new_len < old_len:
            unmap_range(mm, old + new_len, old + old_len)
        return old
    grow = new_len - old_len
    if mm.size + grow > limit(mm, RLIMIT_AS):
        raise Error(ENOMEM)
    if old + old_len == area.end:
        nxt = mm.overlapping(area.end, area.end + grow)
        if not nxt and area.end + grow <= TASK_SIZE:
            if area.acct:
                commit(mm, grow // ps)
            area.end += grow
            if area.cache is not None and area.flags & MAP_ANONYMOUS:
                area.cache.size = max(area.cache.size, (area.pgoff * ps) + area.length)
            return old
    if not flags & MREMAP_MAYMOVE:
        raise Error(ENOMEM)
    return _move(mm, area, old, old_len, new_len, 0, flags)


def _move(
    mm: AddressSpace, area: Area, old: int, old_len: int, new_len: int, new_addr: int, flags: int
) -> int:
    """Move [old, old+old_len) of ``area`` to a new place of ``new_len`` bytes; the
    frames move with their page-table entries (nothing is copied)."""
    ps = mm.page_size
    shift = mm.view.shift
    if area.acct:  # the charge moves with the pages; DONTUNMAP's copy is a new charge
        if flags & MREMAP_DONTUNMAP:
            commit(mm, new_len // ps)
        elif new_len > old_len:
            commit(mm, (new_len - old_len) // ps)
    if flags & MREMAP_FIXED:
        unmap_range(mm, new_addr, new_addr + new_len)
        dest = new_addr
    else:
        dest = get_unmapped_area(mm, new_len)
    part = isolate(mm, old, old + old_len)[0] if old_len else area
    moved = replace(part, start=dest, end=dest + new_len)
    if moved.cache is not None and moved.flags & MAP_ANONYMOUS:
        moved.cache.size = max(moved.cache.size, moved.pgoff * ps + new_len)
    delta = (dest - old) >> shift
    keep = min(old_len, new_len)
    pt, rd, wr = mm.pt, mm.rd, mm.wr
    if not flags & MREMAP_DONTUNMAP:
        vpns = [v for v in range(old >> shift, (old + keep) >> shift) if v in pt]
        entries = [(v, pt.pop(v)) for v in vpns]
        for v, _ in entries:
            rd.pop(v, None)
            wr.pop(v, None)
        if old_len > keep:
            mm.zap(old + keep, old + old_len)
        if part.acct and old_len > new_len:
            uncommit(mm, (old_len - new_len) // ps)
        mm.remove(part)
        mm.insert(moved)
        for v, pte in entries:
            pt[v + delta] = pte
            _move_owned(mm, v, v + delta)
            mm.sync(v + delta, pte, moved)
    else:
        mm.insert(moved)
        for v in range(old >> shift, (old + keep) >> shift):
            pte = pt.pop(v, None)
            if pte is not None:
                rd.pop(v, None)
                wr.pop(v, None)
                pt[v + delta] = pte
                _move_owned(mm, v, v + delta)
                mm.sync(v + delta, pte, moved)
    return dest


def _move_owned(mm: AddressSpace, old: int, new: int) -> None:
    """A page a ring owns stays owned (and out of the view) where mremap puts it."""
    if mm.owned:
        buf = mm.owned.pop(old, None)
        if buf is not None:
            mm.owned[new] = buf
            buf.moved(old, new)
