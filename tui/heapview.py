"""The heap pane's data layer: a process's libk heap, read from /proc and decoded.

Everything goes through the host syscall client (``kernel.host.HostClient``), as in
``tui.procview``: the heap's areas are the lines of ``/proc/<pid>/maps`` named
``[anon:libk-heap]`` (the kernel merges neighbouring ones, so an area may hold several
regions), and their bytes come from ``/proc/<pid>/mem`` (open, lseek to the address,
read). Each region starts with the ABI's ``REGION`` header (``kernel.abi.heap``);
:func:`kernel.abi.heap.region_cells` turns its bytes into one state per 16 bytes
(free, used, metadata). Nothing here asks the allocator's Python objects, so any
strategy that keeps the published layout is shown, a package's own included.

Only the bytes the decoder needs are read: a region's header, then its bitmaps
(bitmap format) or its block tags one page at a time along the walk (tagged format),
never its payload, so looking at a heap touches as few of its pages as it can (a read
of an untouched page through /proc/<pid>/mem maps the zero page, as on Linux).

:class:`HeapReader` keeps, per arena, the last samples of its ``in_use`` counter (one
per :meth:`HeapReader.read`) for the pane's sparkline. No Textual here: the pane
(``tui.widgets.panes.heap``) draws what this module reads, and tests use it directly.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel.abi import (
    CELL_FREE,
    CELL_META,
    CELL_USED,
    FORMAT_BITMAP,
    FORMAT_TAGS,
    KIND_HOME,
    KIND_NAMES,
    NO_CPU,
    O_RDONLY,
    REGION,
    SEEK_SET,
    Error,
    RegionHeader,
    cell_stats,
    heap_areas,
    parse_region,
    region_cells,
)
from tui.procview import proc_pids

if TYPE_CHECKING:
    from kernel.host import HostClient

CELL = 16  # bytes per cell of RegionView.cells: the heap's granule
CHUNK = 4096  # what one read of /proc/<pid>/mem fetches along a tag walk
HISTORY = 60  # in_use samples kept per arena
MAX_AREA = 1 << 32  # an area bigger than this is not read (a damaged maps line)
FREE_RUN = re.compile(re.escape(bytes([CELL_FREE])) + b"+")


@dataclass(slots=True)
class RegionView:
    """One region of the heap as the pane draws it.

    Attributes:
        addr: where it starts.
        kind: ``home``, ``more``, ``large`` or ``naive``.
        strategy: the strategy that made it (its header's name).
        arena: the arena it belongs to (None: a block mapped on its own).
        length: its size in bytes.
        cells: one state per 16 bytes (CELL_FREE, CELL_USED, CELL_META).
        used, free, meta: bytes in used, free and metadata cells.
        largest_free: bytes in its longest run of free cells.
        free_runs: how many runs of free cells it has (its holes, and its free tail).
    """

    addr: int
    kind: str
    strategy: str
    arena: int | None
    length: int
    cells: bytearray
    used: int = 0
    free: int = 0
    meta: int = 0
    largest_free: int = 0
    free_runs: int = 0


@dataclass(slots=True)
class ArenaView:
    """One arena: its home region's counters, and what its regions add up to.

    Attributes:
        index: its number in the heap.
        cpu: the CPU it belongs to (per-CPU arenas), None otherwise.
        in_use, peak, allocs, frees, contended, remote_frees, migrations: the
            counters of its home region's header.
        regions: how many regions it has; mapped: their bytes.
        history: its last ``in_use`` samples, oldest first.
    """

    index: int
    cpu: int | None = None
    in_use: int = 0
    peak: int = 0
    allocs: int = 0
    frees: int = 0
    contended: int = 0
    remote_frees: int = 0
    migrations: int = 0
    regions: int = 0
    mapped: int = 0
    history: list[int] = field(default_factory=list)


@dataclass(slots=True)
class HeapTotals:
    """The whole heap, in bytes (fragmentation as a fraction).

    ``fragmentation`` is 1 - largest free run / total free: 0 when the free space is
    one run (or there is none), near 1 when it is scattered in small holes.
    ``free_runs`` counts the runs of free cells of every region.
    """

    mapped: int = 0
    in_use: int = 0
    free: int = 0
    meta: int = 0
    largest_free: int = 0
    free_runs: int = 0
    fragmentation: float = 0.0


@dataclass(slots=True)
class HeapView:
    """A process's heap: regions in address order, arenas by index, totals."""

    pid: int
    strategy: str = ""
    regions: list[RegionView] = field(default_factory=list)
    arenas: list[ArenaView] = field(default_factory=list)
    totals: HeapTotals = field(default_factory=HeapTotals)

    @property
    def mapped_blocks(self) -> list[RegionView]:
        """The regions that are one block mapped on its own (large and naive)."""
        return [r for r in self.regions if r.arena is None]


def fragmentation(free: int, largest: int) -> float:
    """1 - largest / free (0 when nothing is free)."""
    return 1.0 - largest / free if free > 0 else 0.0


def zoom_cells(cells: bytes | bytearray, factor: int) -> bytearray:
    """``cells`` merged ``factor`` at a time (one cell per ``16 * factor`` bytes): a
    merged cell is used if it holds any used byte, else metadata if it holds any, else
    free. (Used wins here, unlike inside region_cells' 16-byte cells, so that zoomed
    out to a page a page holding blocks still shows them beside the header.)"""
    if factor <= 1:
        return bytearray(cells)
    data = bytes(cells)
    out = bytearray(-(-len(data) // factor))
    for i in range(len(out)):
        part = data[i * factor : (i + 1) * factor]
        out[i] = CELL_USED if CELL_USED in part else CELL_META if CELL_META in part else CELL_FREE
    return out


class _MemFile:
    """/proc/<pid>/mem open through the host client, read at addresses."""

    def __init__(self, host: HostClient, pid: int) -> None:
        self.host = host
        self.fd: int = host.call("open", f"/proc/{pid}/mem", O_RDONLY)

    def read(self, addr: int, count: int) -> bytes:
        """Up to ``count`` bytes at ``addr`` (fewer at an unreadable page).

        Raises:
            Error: EIO when the first byte cannot be read.
        """
        call = self.host.call
        call("lseek", self.fd, addr, SEEK_SET)
        out = bytearray()
        while len(out) < count:
            chunk = call("read", self.fd, min(count - len(out), 1 << 16))
            if not chunk:
                break
            out += chunk
        return bytes(out)

    def close(self) -> None:
        """Close the descriptor."""
        self.host.call("close", self.fd)


def _fill(mem: _MemFile, raw: bytearray, base: int, lo: int, hi: int) -> None:
    """Copy the region's bytes [lo, hi) (offsets from ``base``) into ``raw``."""
    hi = min(hi, len(raw))
    if hi > lo:
        got = mem.read(base + lo, hi - lo)
        raw[lo : lo + len(got)] = got


def _region_bytes(mem: _MemFile, hdr: RegionHeader, head: bytes) -> bytearray:
    """The region as region_cells needs it: its length in bytes, zeros wherever the
    decoder never looks, the real bytes where it does (header, bitmaps, block tags)."""
    length: int = hdr.length  # type: ignore[attr-defined]
    base = hdr.addr
    raw = bytearray(length)
    raw[: len(head)] = head[:length]
    fmt = hdr.format  # type: ignore[attr-defined]
    if fmt == FORMAT_BITMAP:
        words = (hdr.cells + 63) // 64  # type: ignore[attr-defined]
        _fill(mem, raw, base, hdr.map_off, hdr.map_off + 16 * words)  # type: ignore[attr-defined]
    elif fmt == FORMAT_TAGS:
        loaded: set[int] = set()
        pos: int = hdr.data_off  # type: ignore[attr-defined]
        while pos + 8 <= length:  # the walk region_cells makes, fetching as it goes
            page = pos // CHUNK
            if page not in loaded and pos + 8 > len(head):
                loaded.add(page)
                _fill(mem, raw, base, page * CHUNK, (page + 1) * CHUNK)
            tag = int.from_bytes(raw[pos : pos + 8], "little")
            size = tag & ~15
            if tag == 0 or size == 0 or pos + size > length:
                break
            pos += size
    return raw


def read_regions(host: HostClient, pid: int) -> list[tuple[RegionHeader, bytearray]] | None:
    """Every heap region of ``pid`` with its bytes as the decoder needs them; None when
    the process cannot be read (gone, or not the caller's to read)."""
    try:
        maps = host.read_file(f"/proc/{pid}/maps", 1 << 26).decode(errors="replace")
    except Error:
        return None
    areas = heap_areas(maps)
    if not areas:
        return []
    try:
        mem = _MemFile(host, pid)
    except Error:
        return None
    out: list[tuple[RegionHeader, bytearray]] = []
    try:
        for start, end in areas:
            if end - start > MAX_AREA:
                continue
            pos = start
            while pos + REGION.size <= end:
                try:
                    head = mem.read(pos, REGION.size)
                except Error:
                    break
                hdr = parse_region(pos, head)
                length = hdr.length if hdr is not None else 0  # type: ignore[attr-defined]
                if hdr is None or length <= 0 or length % CELL or pos + length > end:
                    break  # not a region (or a damaged one): the rest of the area is skipped
                try:
                    out.append((hdr, _region_bytes(mem, hdr, head)))
                except Error:
                    break
                pos += length
    finally:
        try:
            mem.close()
        except Error:
            pass
    return out


def decode(pid: int, regions: list[tuple[RegionHeader, bytearray]]) -> HeapView:
    """The view of a heap from its regions (see :func:`read_regions`)."""
    view = HeapView(pid)
    arenas: dict[int, ArenaView] = {}
    totals = view.totals
    for hdr, raw in sorted(regions, key=lambda item: item[0].addr):
        h = hdr  # (the header's fields are attributes set from REGION_FIELDS)
        cells = region_cells(hdr, raw, CELL)
        used, free, longest = cell_stats(cells)
        arena = None if h.arena == NO_CPU else h.arena  # type: ignore[attr-defined]
        r = RegionView(
            addr=h.addr,
            kind=KIND_NAMES.get(h.kind, str(h.kind)),  # type: ignore[attr-defined]
            strategy=h.strategy,  # type: ignore[attr-defined]
            arena=arena,
            length=h.length,  # type: ignore[attr-defined]
            cells=cells,
            used=used * CELL,
            free=free * CELL,
            meta=cells.count(CELL_META) * CELL,
            largest_free=longest * CELL,
            free_runs=len(FREE_RUN.findall(cells)),
        )
        view.regions.append(r)
        view.strategy = view.strategy or r.strategy
        totals.mapped += r.length
        totals.in_use += r.used
        totals.free += r.free
        totals.meta += r.meta
        totals.largest_free = max(totals.largest_free, r.largest_free)
        totals.free_runs += r.free_runs
        if arena is None:
            continue
        a = arenas.setdefault(arena, ArenaView(arena))
        a.regions += 1
        a.mapped += r.length
        if h.kind == KIND_HOME:  # type: ignore[attr-defined]
            a.cpu = None if h.cpu == NO_CPU else h.cpu  # type: ignore[attr-defined]
            a.in_use = h.in_use  # type: ignore[attr-defined]
            a.peak = h.peak  # type: ignore[attr-defined]
            a.allocs = h.allocs  # type: ignore[attr-defined]
            a.frees = h.frees  # type: ignore[attr-defined]
            a.contended = h.contended  # type: ignore[attr-defined]
            a.remote_frees = h.remote_frees  # type: ignore[attr-defined]
            a.migrations = h.migrations  # type: ignore[attr-defined]
    totals.fragmentation = fragmentation(totals.free, totals.largest_free)
    view.arenas = [arenas[i] for i in sorted(arenas)]
    return view


class HeapReader:
    """Reads heaps through one machine's host client, and remembers each arena's last
    ``in_use`` samples (one per :meth:`read` of its process). Keep one per pane."""

    def __init__(self, host: HostClient, history: int = HISTORY) -> None:
        self.host = host
        self.history = history
        self._samples: dict[tuple[int, int], deque[int]] = {}
        self._page_size: int | None = None

    def page_size(self, pid: int) -> int:
        """The machine's page size (``KernelPageSize`` in ``pid``'s smaps, read once;
        4096 until it can be read)."""
        if self._page_size is None:
            try:
                smaps = self.host.read_file(f"/proc/{pid}/smaps", 1 << 26)
            except Error:
                return 4096
            for line in smaps.decode(errors="replace").splitlines():
                if line.startswith("KernelPageSize:"):
                    self._page_size = int(line.split()[1]) * 1024
                    break
            else:
                return 4096
        return self._page_size

    def pids(self) -> list[int]:
        """The pids in /proc, ascending."""
        return proc_pids(self.host)

    def has_heap(self, pid: int) -> bool:
        """Does ``pid`` have a libk heap (an area named ``[anon:libk-heap]``)?"""
        try:
            maps = self.host.read_file(f"/proc/{pid}/maps", 1 << 26).decode(errors="replace")
        except Error:
            return False
        return bool(heap_areas(maps))

    def heap_pids(self) -> list[int]:
        """The processes that have a libk heap, ascending."""
        return [pid for pid in self.pids() if self.has_heap(pid)]

    def command(self, pid: int) -> str:
        """``pid``'s command line (``[comm]`` without one; "" if it is gone)."""
        read = self.host.read_file
        try:
            argv = read(f"/proc/{pid}/cmdline").decode(errors="replace").split("\0")
            if any(argv):
                return " ".join(a for a in argv if a)
            return "[" + read(f"/proc/{pid}/comm").decode(errors="replace").strip() + "]"
        except Error:
            return ""

    def read(self, pid: int) -> HeapView | None:
        """``pid``'s heap now (None: the process cannot be read), with one more
        ``in_use`` sample per arena in each arena's history."""
        regions = read_regions(self.host, pid)
        if regions is None:
            self.forget(pid)
            return None
        view = decode(pid, regions)
        seen = set()
        for a in view.arenas:
            key = (pid, a.index)
            seen.add(key)
            samples = self._samples.get(key)
            if samples is None:
                samples = self._samples[key] = deque(maxlen=self.history)
            samples.append(a.in_use)
            a.history = list(samples)
        for key in [k for k in self._samples if k[0] == pid and k not in seen]:
            del self._samples[key]
        return view

    def forget(self, pid: int | None = None) -> None:
        """Drop the samples of ``pid`` (default: of every process)."""
        if pid is None:
            self._samples.clear()
            return
        for key in [k for k in self._samples if k[0] == pid]:
            del self._samples[key]


__all__ = [
    "CELL",
    "ArenaView",
    "HeapReader",
    "HeapTotals",
    "HeapView",
    "RegionView",
    "decode",
    "fragmentation",
    "read_regions",
    "zoom_cells",
]
