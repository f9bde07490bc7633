"""The heap's debugging aids: the leak report at exit (LIBK_HEAP_CHECK=1) and
``kmheap_dump``.

The leak report lists what is still allocated when the program ends: how many blocks
and bytes, then the largest blocks with the function that allocated each, on stderr
and (when the process may write it, as root may /dev/kmsg) the kernel log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import KIND_NAMES, Error, cell_stats, parse_region, region_cells
from userland.libk import io as kio
from userland.libk import sys

if TYPE_CHECKING:
    from userland.libk.heap.core import Heap

SHOWN = 10  # the largest leaks listed


def leak_lines(heap: Heap, comm: str, pid: int) -> list[str]:
    """The leak report's lines (none when nothing leaked)."""
    live = heap.live or {}
    if not live:
        return []
    total = sum(size for size, _ in live.values())
    n = len(live)
    lines = [
        f"libk heap: {n} block{'s' if n != 1 else ''} ({total} bytes) still allocated at exit "
        f"of {comm} (pid {pid}, strategy {heap.cfg.strategy})"
    ]
    biggest = sorted(live.items(), key=lambda kv: (-kv[1][0], kv[0]))[:SHOWN]
    width = len(str(biggest[0][1][0]))
    for addr, (size, caller) in biggest:
        lines.append(f"  {size:>{width}} bytes at {addr:#x}, allocated in {caller}()")
    if n > SHOWN:
        lines.append(f"  ... and {n - SHOWN} more")
    return lines


async def report_leaks(heap: Heap) -> None:
    """Write the leak report to stderr and the kernel log (if allowed)."""
    pid = await sys.getpid()
    comm = (await kio.read_file("/proc/self/comm")).decode().strip() if heap.live else ""
    lines = leak_lines(heap, comm, pid)
    if not lines:
        return
    await kio.write_all(2, "".join(line + "\n" for line in lines))
    for line in lines:
        try:
            await sys.klog(line)
        except Error:
            break  # only root may write the kernel log


async def dump(heap: Heap, fd: int) -> None:
    """kmheap_dump: the settings, each region (decoded from memory as a tool would) and
    each arena's counters."""
    mem = heap.mem
    out = [f"libk heap: {heap.cfg.describe()}"]
    out.append(
        f"  {len(heap.starts)} regions, {heap.mapped} bytes mapped (peak {heap.peak_mapped}); "
        f"{heap.mmaps} mmap, {heap.munmaps} munmap"
    )
    for start in heap.starts:
        r = heap.regions[start]
        raw = mem.read(start, r.length)
        hdr = parse_region(start, raw)
        if hdr is None:
            out.append(f"  {start:#x} {r.length:>9}  (damaged header)")
            continue
        used, free, longest = cell_stats(region_cells(hdr, raw))
        arena = "-" if r.arena is None else str(r.arena.index)
        out.append(
            f"  {start:#x} {r.length:>9} {KIND_NAMES.get(hdr.kind, '?'):<5} arena {arena:>2}  "  # type: ignore[attr-defined]
            f"used {used * 16} free {free * 16} largest free {longest * 16}"
        )
    for arena in heap.arenas:
        h = parse_region(arena.home, mem.read(arena.home, 160))
        if h is None:
            continue
        cpu = "-" if arena.cpu is None else str(arena.cpu)
        out.append(
            f"  arena {arena.index} cpu {cpu}: in use {h.in_use} (peak {h.peak}), "  # type: ignore[attr-defined]
            f"{h.allocs} allocs, {h.frees} frees, {h.contended} contended, "  # type: ignore[attr-defined]
            f"{h.remote_frees} remote frees, {h.migrations} migrations"  # type: ignore[attr-defined]
        )
    if heap.live is not None:
        out.append(f"  {len(heap.live)} live blocks tracked (LIBK_HEAP_CHECK=1)")
    await kio.write_all(fd, "".join(line + "\n" for line in out))
