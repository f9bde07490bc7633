"""The memory figures the app shows, parsed from /proc in Linux's formats.

A process's memory: its areas from ``/proc/<pid>/smaps`` (one header line as in ``maps``,
then ``Key:  N kB`` lines) or, without it, ``/proc/<pid>/maps``; its totals from
``smaps_rollup``, the ``Vm*``/``Rss*`` lines of ``status`` and the fault counts of
``stat``. The machine's: ``/proc/meminfo`` split into the segments of htop's memory
meter (used, buffers, shared, cache, free). Pure functions of the files' text; the
reading is ``tui.procview``'s, the drawing the widgets'.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class MapArea:
    """One area of an address space (a line of ``maps``, an entry of ``smaps``).

    Attributes:
        start, end: its addresses (end exclusive).
        perms: ``r-xp`` and the like.
        offset: the file offset, in bytes.
        dev: ``major:minor`` of the mapped file's device.
        inode: the mapped file's inode number (0 for anonymous memory).
        name: a path, ``[heap]``, ``[stack]``, ``[anon:NAME]`` or "" (anonymous).
        kb: the ``smaps`` ``Key: N kB`` fields (Rss, Pss, Private_Dirty, …); empty
            when read from ``maps``.
    """

    start: int
    end: int
    perms: str
    offset: int
    dev: str
    inode: int
    name: str
    kb: dict[str, int] = field(default_factory=dict)

    @property
    def size_kb(self) -> int:
        """The area's size in KiB."""
        return (self.end - self.start) // 1024

    @property
    def dirty_kb(self) -> int:
        """Dirty resident memory (shared + private), KiB (0 without smaps)."""
        return self.kb.get("Shared_Dirty", 0) + self.kb.get("Private_Dirty", 0)


def _map_header(line: str) -> MapArea | None:
    """A ``maps`` line as an area; None if it is not one."""
    parts = line.split(None, 5)
    if len(parts) < 5:
        return None
    lo, dash, hi = parts[0].partition("-")
    if not dash:
        return None
    try:
        return MapArea(
            start=int(lo, 16),
            end=int(hi, 16),
            perms=parts[1],
            offset=int(parts[2], 16),
            dev=parts[3],
            inode=int(parts[4]),
            name=parts[5].strip() if len(parts) > 5 else "",
        )
    except ValueError:
        return None


def parse_maps(text: str) -> list[MapArea]:
    """The areas of a ``/proc/<pid>/maps`` file (lines that are not areas are skipped)."""
    out = []
    for line in text.splitlines():
        area = _map_header(line)
        if area is not None:
            out.append(area)
    return out


def parse_kb_fields(text: str) -> dict[str, int]:
    """The ``Key:  N kB`` lines of a file (``meminfo``, ``smaps_rollup``, ``status``) as
    KiB; lines whose value is not a number (``Name:``, ``VmFlags:``) and area lines
    (smaps_rollup's ``[rollup]`` header) are left out."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if not sep or " " in key:
            continue
        value = rest.split()
        if value and value[0].isdigit():
            out[key] = int(value[0])
    return out


def parse_smaps(text: str) -> list[MapArea]:
    """The areas of a ``/proc/<pid>/smaps`` file, each with its ``kB`` fields."""
    out: list[MapArea] = []
    area: MapArea | None = None
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if sep and " " not in key and "-" not in key:
            if area is not None:
                value = rest.split()
                if value and value[0].isdigit() and value[1:2] == ["kB"]:
                    area.kb[key] = int(value[0])
            continue
        area = _map_header(line)
        if area is not None:
            out.append(area)
    return out


@dataclass(slots=True)
class ProcessMemory:
    """What the details view shows of one process's memory.

    Attributes:
        status: the ``Vm*``/``Rss*`` lines of ``status``, KiB.
        rollup: the fields of ``smaps_rollup``, KiB (empty if it cannot be read).
        minflt, majflt: page faults (``stat`` fields 10 and 12; -1 if unknown).
        areas: the areas, from ``smaps`` (with sizes) or ``maps``.
        source: the file the areas came from (``smaps``, ``maps``, or "").
    """

    status: dict[str, int] = field(default_factory=dict)
    rollup: dict[str, int] = field(default_factory=dict)
    minflt: int = -1
    majflt: int = -1
    areas: list[MapArea] = field(default_factory=list)
    source: str = ""


def faults_from_stat(fields_after_comm: list[str]) -> tuple[int, int]:
    """(minflt, majflt) from a stat line's fields after the comm (fields 10 and 12 of
    proc(5)); (-1, -1) if the line is too short."""
    f = fields_after_comm
    if len(f) < 10:
        return -1, -1
    try:
        return int(f[7]), int(f[9])
    except ValueError:
        return -1, -1


@dataclass(slots=True)
class MemoryUse:
    """The machine's memory as htop's meter splits it, KiB.

    ``used`` is what processes and the kernel hold (``MemTotal - MemFree - Buffers -
    Cached - SReclaimable``), ``shared`` is ``Shmem`` (tmpfs, shared memory), ``cache``
    the page cache without it (``Cached + SReclaimable - Shmem``); ``free`` is
    ``MemFree`` and ``available`` ``MemAvailable``. The four first add up to
    ``total - free``.
    """

    total: int = 0
    used: int = 0
    buffers: int = 0
    shared: int = 0
    cache: int = 0
    free: int = 0
    available: int = 0

    def segments(self) -> list[tuple[str, int]]:
        """(name, KiB) of the meter's coloured segments, in drawing order."""
        return [
            ("used", self.used),
            ("buffers", self.buffers),
            ("shared", self.shared),
            ("cache", self.cache),
        ]


def memory_use(meminfo: str) -> MemoryUse:
    """The meter's figures from the text of ``/proc/meminfo`` (htop's arithmetic)."""
    f = parse_kb_fields(meminfo)
    total = f.get("MemTotal", 0)
    free = min(f.get("MemFree", 0), total)
    buffers = f.get("Buffers", 0)
    shmem = f.get("Shmem", 0)
    cached = f.get("Cached", 0) + f.get("SReclaimable", 0)
    cache = max(0, cached - shmem)
    taken = free + buffers + cached
    used = total - taken if total >= taken else total - free  # htop's fallback
    # Never draw more than the machine has, whatever a file says.
    shared = min(shmem, max(0, total - free - used - buffers))
    cache = min(cache, max(0, total - free - used - buffers - shared))
    available = min(f.get("MemAvailable", free), total)
    return MemoryUse(total, used, buffers, shared, cache, free, available)


def bar_cells(values: list[int], total: int, width: int) -> list[int]:
    """How many of ``width`` cells each value fills: their sum's share of the bar,
    rounded, shared out by largest remainder (so a segment worth most of a cell gets
    one before a segment that already has several gets another)."""
    if total <= 0:
        return [0] * len(values)
    values = [max(0, v) for v in values]
    total = max(total, sum(values))  # never past the end of the bar
    exact = [v * width / total for v in values]
    filled = round(sum(exact))
    out = [int(x) for x in exact]
    by_remainder = sorted(range(len(values)), key=lambda i: out[i] - exact[i])
    for i in by_remainder[: max(0, filled - sum(out))]:
        out[i] += 1
    return out
