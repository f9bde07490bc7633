"""Advice about, names for, and questions about mapped memory: madvise, the
PR_SET_VMA_ANON_NAME names (Linux keeps them in mm/madvise.c too), mincore and msync.
"""

from __future__ import annotations

from kernel.abi import (
    EBADF,
    EINVAL,
    MADV_DONTNEED,
    MADV_FREE,
    MADV_NORMAL,
    MADV_RANDOM,
    MADV_SEQUENTIAL,
    MADV_WILLNEED,
    MS_ASYNC,
    MS_INVALIDATE,
    MS_SYNC,
    Error,
)
from kernel.mm.mmap import (
    aligned,
    covered,
    isolate,
    merge_around,
    page_up,
    populate,
)
from kernel.mm.vm import AddressSpace

ADVICE = (
    MADV_NORMAL,
    MADV_RANDOM,
    MADV_SEQUENTIAL,
    MADV_WILLNEED,
    MADV_DONTNEED,
    MADV_FREE,
)
NAME_MAX_LEN = 80
NAME_BAD_CHARS = set("\\`$[]")


def do_madvise(mm: AddressSpace, addr: int, length: int, advice: int) -> None:
    """madvise: MADV_DONTNEED and MADV_FREE drop the pages (private anonymous memory
    reads as zeros again, shared memory is re-read from its object); MADV_WILLNEED
    faults them in; the rest are accepted hints.

    Raises:
        Error: EINVAL (unaligned, unknown advice), ENOMEM (part of it not mapped).
    """
    if not aligned(mm, addr) or advice not in ADVICE:
        raise Error(EINVAL)
    if length == 0:
        return
    end = addr + page_up(mm, length)
    areas = mm.overlapping(addr, end)
    for a in areas:
        lo, hi = max(a.start, addr), min(a.end, end)
        if advice in (MADV_DONTNEED, MADV_FREE):
            mm.zap(lo, hi)
        elif advice == MADV_WILLNEED:
            populate(mm, lo, hi, False)
    covered(mm, addr, end)


def do_mincore(mm: AddressSpace, addr: int, length: int) -> bytes:
    """mincore: one byte per page, 1 if the page is resident (present in the page
    table, or in the page cache for a file mapping).

    Raises:
        Error: EINVAL (unaligned), ENOMEM (part of it not mapped).
    """
    if not aligned(mm, addr):
        raise Error(EINVAL)
    end = addr + page_up(mm, length)
    areas = covered(mm, addr, end)
    shift = mm.view.shift
    out = bytearray()
    for a in areas:
        for v in range(max(a.start, addr) >> shift, min(a.end, end) >> shift):
            resident = v in mm.pt
            if not resident and a.cache is not None:
                resident = a.pgoff + v - (a.start >> shift) in a.cache.pages
            out.append(1 if resident else 0)
    return bytes(out)


def do_msync(mm: AddressSpace, addr: int, length: int, flags: int) -> None:
    """msync: check the request (memory file systems have nothing to write back).

    Raises:
        Error: EINVAL (unaligned, bad flags), ENOMEM (part of it not mapped).
    """
    if not aligned(mm, addr) or flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC):
        raise Error(EINVAL)
    if flags & MS_ASYNC and flags & MS_SYNC:
        raise Error(EINVAL)
    if length:
        covered(mm, addr, addr + page_up(mm, length))


def set_anon_name(mm: AddressSpace, addr: int, length: int, name: str | None) -> None:
    """prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME): name anonymous areas ``[anon:NAME]``.

    Raises:
        Error: EINVAL (unaligned, a name too long or with ``\\`$[]`` or unprintable
            characters), ENOMEM (part of it not mapped), EBADF (a file mapping).
    """
    if not aligned(mm, addr):
        raise Error(EINVAL)
    if name is not None and (
        len(name) >= NAME_MAX_LEN or any(c in NAME_BAD_CHARS or not c.isprintable() for c in name)
    ):
        raise Error(EINVAL)
    if length == 0:
        return
    end = addr + page_up(mm, length)
    areas = covered(mm, addr, end)
    if any(a.cache is not None for a in areas):
        raise Error(EBADF)
    label = f"[anon:{name}]" if name else ""
    for a in isolate(mm, addr, end):
        if a.name in ("[heap]", "[stack]"):
            continue
        a.name = label
    for a in list(mm.overlapping(addr, end)):
        if a in mm.areas:
            merge_around(mm, a)
