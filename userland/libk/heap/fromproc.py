"""Reading a process's heap from /proc, as tools do: the regions named
``[anon:libk-heap]`` in /proc/PID/maps, their bytes from /proc/PID/mem, split into
regions with the layout the ABI publishes (heapstat, heapbench's fragmentation).
"""

from __future__ import annotations

from kernel.abi import ESRCH, O_RDONLY, SEEK_SET, Error, RegionHeader, heap_areas, regions_in
from userland.libk import sys
from userland.libk.procinfo import read_text


async def read_mem(fd: int, addr: int, length: int) -> bytes:
    """``length`` bytes of a process's memory at ``addr`` from an open /proc/PID/mem
    (fewer where a page cannot be read)."""
    await sys.lseek(fd, addr, SEEK_SET)
    out = bytearray()
    while len(out) < length:
        chunk = await sys.read(fd, min(length - len(out), 1 << 20))
        if not chunk:
            break
        out += chunk
    return bytes(out)


async def read_regions(pid: int | str) -> list[tuple[RegionHeader, bytes]]:
    """Every heap region of process ``pid`` ("self" for the caller): its header and
    its bytes. Empty when the process has no libk heap.

    Raises:
        Error: ESRCH if the process does not exist; EACCES if its memory may not be
            read (it belongs to another user).
    """
    maps = await read_text(f"/proc/{pid}/maps", 1 << 26)
    if maps is None:
        raise Error(ESRCH, "No such process")
    areas = heap_areas(maps)
    if not areas:
        return []
    fd = await sys.open(f"/proc/{pid}/mem", O_RDONLY)
    regions: list[tuple[RegionHeader, bytes]] = []
    try:
        for start, end in areas:
            regions += regions_in(start, await read_mem(fd, start, end - start))
    finally:
        await sys.close(fd)
    return regions
