"""The libk heap's layout in memory, published so that tools decode it from /proc.

Every mapping the heap makes is a *region*, named ``[anon:libk-heap]`` in
/proc/<pid>/maps, and starts with a :data:`REGION` header. A region is one of:

- an arena's home region (``KIND_HOME``): the header's lock and counters are the
  arena's; the strategy's own metadata follows;
- an arena's further region (``KIND_MORE``), linked from the home's ``next`` chain;
- a large block (``KIND_LARGE``): one allocation above the mmap threshold, mapped on
  its own; its payload starts at ``data_off``;
- a naive block (``KIND_NAIVE``): the naive strategy's one mapping per allocation.

How the bytes between ``data_off`` and the end are used depends on the strategy
(``strategy``, a NUL-padded name). Two formats are published, and
:func:`region_cells` turns either into one state per ``CELL`` bytes (``FREE``,
``USED``, ``META``) for the heap pane and ``heapstat``:

- **bitmap** (``FORMAT_BITMAP``; the bitmap and classes strategies): ``map_off`` points
  at two bitmaps of ``cells`` bits each, 64-bit little-endian words, bit i of word j
  being granule 64*j+i of the data area: the *used* bitmap, then the *end* bitmap
  (a set bit marks the last granule of an allocation, so a block's size is the run up
  to its end bit). ``granule`` is its size in bytes.
- **tagged blocks** (``FORMAT_TAGS``; chunked and libc): from ``data_off`` the area is
  a sequence of blocks, each starting with an 8-byte tag ``size | flags`` (size in
  bytes including the tag, a multiple of 16; bit 0 set: in use; bits 1-3 are the
  strategy's, e.g. libc's "the previous block is in use"). A tag of 0 ends the walk
  (the unused rest of the region). The payload starts 16 bytes in (the second
  8 bytes are the strategy's: a free block's list link, a used block's requested
  size).

The ``in_use``, ``allocs``, ``frees``, ``contended``, ``remote_frees`` and
``migrations`` counters of a home region are the arena's; ``peak`` is its largest
``in_use`` so far.
"""

from __future__ import annotations

import re
import struct

__all__ = [
    "HEAP_MAGIC",
    "HEAP_VMA_NAME",
    "REGION",
    "REGION_FIELDS",
    "REGION_OFF",
    "REGION_COUNTS",
    "HEAP_VERSION",
    "REGION_SIZE",
    "KIND_HOME",
    "KIND_MORE",
    "KIND_LARGE",
    "KIND_NAIVE",
    "KIND_NAMES",
    "FORMAT_NONE",
    "FORMAT_BITMAP",
    "FORMAT_TAGS",
    "TAG_USED",
    "CELL_FREE",
    "CELL_USED",
    "CELL_META",
    "NO_CPU",
    "RegionHeader",
    "parse_region",
    "region_cells",
    "cell_stats",
    "heap_areas",
    "regions_in",
]

HEAP_MAGIC = 0x50484B4C  # "LKHP" in memory
HEAP_VMA_NAME = "libk-heap"
HEAP_VERSION = 1
NO_CPU = 0xFFFF_FFFF

KIND_HOME = 1
KIND_MORE = 2
KIND_LARGE = 3
KIND_NAIVE = 4
KIND_NAMES = {KIND_HOME: "home", KIND_MORE: "more", KIND_LARGE: "large", KIND_NAIVE: "naive"}

FORMAT_NONE = 0  # the data area is one block (large, naive)
FORMAT_BITMAP = 1
FORMAT_TAGS = 2

TAG_USED = 1

CELL_FREE = 0
CELL_USED = 1
CELL_META = 2

#: (offset, struct code, name) of every field of the region header.
REGION_FIELDS: tuple[tuple[int, str, str], ...] = (
    (0, "I", "magic"),
    (4, "H", "version"),
    (6, "H", "kind"),
    (8, "I", "arena"),
    (12, "I", "cpu"),
    (16, "Q", "length"),
    (24, "16s", "strategy"),
    (40, "I", "lock"),
    (44, "H", "format"),
    (46, "H", "granule"),
    (48, "Q", "data_off"),
    (56, "Q", "map_off"),
    (64, "Q", "cells"),
    (72, "Q", "in_use"),  # in_use, peak, allocs, frees: together, updated as one
    (80, "Q", "peak"),
    (88, "Q", "allocs"),
    (96, "Q", "frees"),
    (104, "Q", "contended"),
    (112, "Q", "remote_frees"),
    (120, "Q", "remote_head"),
    (128, "Q", "next"),
    (136, "Q", "migrations"),
    (144, "Q", "aux"),
    (152, "Q", "aux2"),
)
REGION = struct.Struct("<" + "".join(code for _, code, _ in REGION_FIELDS))
REGION_SIZE = 160  # the header's size, rounded up to a multiple of 16 (REGION.size)
#: in_use, peak, allocs and frees, which sit together at REGION_OFF["in_use"].
REGION_COUNTS = struct.Struct("<QQQQ")
#: The offset of each header field by name.
REGION_OFF = {name: off for off, _, name in REGION_FIELDS}


class RegionHeader:
    """A decoded region header (the fields of :data:`REGION_FIELDS` as attributes, the
    strategy as a str), plus ``addr``, where the region starts."""

    __slots__ = ("addr", *(name for _, _, name in REGION_FIELDS))

    def __init__(self, addr: int, values: tuple[object, ...]) -> None:
        self.addr = addr
        for (_, _, name), value in zip(REGION_FIELDS, values, strict=True):
            if name == "strategy":
                value = bytes(value).rstrip(b"\0").decode("ascii", "replace")  # type: ignore[arg-type]
            setattr(self, name, value)

    def __repr__(self) -> str:
        kind = KIND_NAMES.get(self.kind, str(self.kind))  # type: ignore[attr-defined]
        return f"<region {self.addr:#x} {kind} {self.strategy} arena {self.arena}>"  # type: ignore[attr-defined]


def parse_region(addr: int, raw: bytes) -> RegionHeader | None:
    """The header at the start of ``raw`` (a region's first bytes), or None if it is not
    one (wrong magic or version, or too short)."""
    if len(raw) < REGION.size:
        return None
    values = REGION.unpack_from(raw, 0)
    if values[0] != HEAP_MAGIC or values[1] != HEAP_VERSION:
        return None
    return RegionHeader(addr, values)


def region_cells(hdr: RegionHeader, raw: bytes, cell: int = 16) -> bytearray:
    """One state (CELL_FREE, CELL_USED, CELL_META) per ``cell`` bytes of a region, from
    its bytes ``raw`` (the whole region, as /proc/<pid>/mem gives it). A cell holding
    any used byte is used; metadata wins over both."""
    length = min(len(raw), hdr.length)  # type: ignore[attr-defined]
    ncells = -(-length // cell)
    out = bytearray(ncells)
    data_off = min(hdr.data_off, length)  # type: ignore[attr-defined]

    def mark(start: int, end: int, state: int) -> None:
        end = min(end, length)
        if end <= start:
            return
        for c in range(start // cell, (end - 1) // cell + 1):
            if out[c] < state:  # FREE < USED < META
                out[c] = state

    fmt = hdr.format  # type: ignore[attr-defined]
    if fmt == FORMAT_BITMAP:
        g = hdr.granule or 16  # type: ignore[attr-defined]
        n = hdr.cells  # type: ignore[attr-defined]
        words = (n + 63) // 64
        used_off = hdr.map_off  # type: ignore[attr-defined]
        for j in range(words):
            off = used_off + 8 * j
            if off + 8 > len(raw):
                break
            word = int.from_bytes(raw[off : off + 8], "little")
            while word:
                low = word & -word
                i = 64 * j + low.bit_length() - 1
                if i < n:
                    mark(data_off + i * g, data_off + (i + 1) * g, CELL_USED)
                word ^= low
    elif fmt == FORMAT_TAGS:
        pos = data_off
        while pos + 8 <= length:  # a damaged tag ends the walk (tools must not trust it)
            tag = int.from_bytes(raw[pos : pos + 8], "little")
            size = tag & ~15
            if tag == 0 or size == 0 or pos + size > length:
                break
            if tag & TAG_USED:
                mark(pos, pos + size, CELL_USED)
            pos += size
    else:
        mark(data_off, length, CELL_USED)
    mark(0, data_off, CELL_META)
    if fmt == FORMAT_BITMAP:
        mark(hdr.map_off, hdr.map_off + 16 * ((hdr.cells + 63) // 64), CELL_META)  # type: ignore[attr-defined]
    return out


def cell_stats(cells: bytes | bytearray) -> tuple[int, int, int]:
    """(used cells, free cells, the longest run of free cells) of a region's cells."""
    runs = re.findall(rb"\x00+", bytes(cells))  # CELL_FREE is 0
    return cells.count(CELL_USED), cells.count(CELL_FREE), max(map(len, runs), default=0)


def heap_areas(maps: str) -> list[tuple[int, int]]:
    """The (start, end) of each area of heap regions in the text of /proc/<pid>/maps.
    The kernel merges neighbouring mappings with the same name and flags into one area,
    so an area may hold several regions: split it with :func:`regions_in`."""
    tag = f"[anon:{HEAP_VMA_NAME}]"
    out = []
    for line in maps.splitlines():
        if line.endswith(tag):
            lo, _, hi = line.split(" ", 1)[0].partition("-")
            out.append((int(lo, 16), int(hi, 16)))
    return out


def regions_in(start: int, raw: bytes) -> list[tuple[RegionHeader, bytes]]:
    """The regions of one heap area (its bytes ``raw`` from ``start``), each header with
    its region's bytes; the walk stops at the first bytes that are not a header."""
    out = []
    pos = 0
    while pos + REGION.size <= len(raw):
        hdr = parse_region(start + pos, raw[pos : pos + REGION.size])
        if hdr is None or hdr.length <= 0 or hdr.length % 16:  # type: ignore[attr-defined]
            break
        out.append((hdr, raw[pos : pos + hdr.length]))  # type: ignore[attr-defined]
        pos += hdr.length  # type: ignore[attr-defined]
    return out
