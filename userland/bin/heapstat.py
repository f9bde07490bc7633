"""heapstat: a process's libk heap, read only from /proc.

``heapstat [-r] PID...`` finds the heap's regions in /proc/PID/maps (the areas named
``[anon:libk-heap]``), reads them from /proc/PID/mem and decodes them with the layout
the ABI publishes (kernel.abi.heap): per arena its size, bytes in use and free, the
largest free block, fragmentation (1 - largest free / free) and the lock's contention;
``-r`` lists every region too. It never asks the allocator anything, so it works on
any process the caller may read (its own, or any as root), and on a strategy a package
registered as well as on the built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import (
    KIND_HOME,
    KIND_LARGE,
    KIND_NAIVE,
    KIND_NAMES,
    Error,
    cell_stats,
    region_cells,
)
from userland.libk import io as kio
from userland.libk import text
from userland.libk.heap.fromproc import read_regions
from userland.libk.procinfo import read_text

USAGE = """Usage: heapstat [-r] PID...
Show the libk heap of each process, read from /proc/PID/maps and /proc/PID/mem.

  -r, --regions  list every region of the heap as well
      --help     display this help and exit
"""
LONG = {"regions": "r", "help": "help"}
CELL = 16


@dataclass
class ArenaStat:
    """What heapstat adds up for one arena (or for the blocks mapped on their own)."""

    name: str
    cpu: str = "-"
    regions: int = 0
    size: int = 0
    used: int = 0
    free: int = 0
    largest: int = 0
    allocs: int = 0
    frees: int = 0
    contended: int = 0
    remote: int = 0
    strategy: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def frag(self) -> float:
        """1 - largest free block / free bytes (0 when nothing is free)."""
        return 1 - self.largest / self.free if self.free else 0.0


async def collect(pid: int) -> tuple[list[ArenaStat], str] | None:
    """The arenas of ``pid``'s heap (None: it has none), and its strategy."""
    regions = await read_regions(pid)
    if not regions:
        return None
    arenas: dict[str, ArenaStat] = {}
    strategy = ""
    for hdr, raw in regions:
        start, end = hdr.addr, hdr.addr + len(raw)
        kind = hdr.kind  # type: ignore[attr-defined]
        strategy = strategy or hdr.strategy  # type: ignore[attr-defined]
        key = "mapped" if kind in (KIND_LARGE, KIND_NAIVE) else str(hdr.arena)  # type: ignore[attr-defined]
        st = arenas.setdefault(key, ArenaStat(key, strategy=hdr.strategy))  # type: ignore[attr-defined]
        used, free, longest = cell_stats(region_cells(hdr, raw, CELL))
        if kind in (KIND_LARGE, KIND_NAIVE):
            used, free, longest = hdr.in_use, 0, 0  # type: ignore[attr-defined]
            used = -(-used // CELL)
        st.regions += 1
        st.size += end - start
        st.used += used * CELL
        st.free += free * CELL
        st.largest = max(st.largest, longest * CELL)
        if kind == KIND_HOME:
            st.cpu = "-" if hdr.cpu == 0xFFFF_FFFF else str(hdr.cpu)  # type: ignore[attr-defined]
            st.allocs = hdr.allocs  # type: ignore[attr-defined]
            st.frees = hdr.frees  # type: ignore[attr-defined]
            st.contended = hdr.contended  # type: ignore[attr-defined]
            st.remote = hdr.remote_frees  # type: ignore[attr-defined]
        st.lines.append(
            f"  {start:#014x} {end - start:>9} {KIND_NAMES.get(kind, '?'):<5} "
            f"used {used * CELL:>9} free {free * CELL:>9} largest {longest * CELL:>9}"
        )
    order = sorted(
        arenas.values(), key=lambda a: (a.name == "mapped", int(a.name) if a.name.isdigit() else 0)
    )
    return order, strategy


def table(stats: list[ArenaStat], regions: bool) -> list[str]:
    """heapstat's table: one line per arena, then the total."""
    head = (
        f"{'ARENA':>6} {'CPU':>3} {'REG':>4} {'SIZE':>10} {'IN USE':>10} {'FREE':>10} "
        f"{'LARGEST':>10} {'FRAG':>6} {'ALLOCS':>8} {'FREES':>8} {'CONTENDED':>9} {'REMOTE':>7}"
    )
    out = [head]
    total = ArenaStat("total")
    for st in stats:
        out.append(
            f"{st.name:>6} {st.cpu:>3} {st.regions:>4} {st.size:>10} {st.used:>10} {st.free:>10} "
            f"{st.largest:>10} {st.frag:>6.1%} {st.allocs:>8} {st.frees:>8} {st.contended:>9} "
            f"{st.remote:>7}"
        )
        if regions:
            out += st.lines
        for name in ("regions", "size", "used", "free", "allocs", "frees", "contended", "remote"):
            setattr(total, name, getattr(total, name) + getattr(st, name))
        total.largest = max(total.largest, st.largest)
    if len(stats) > 1:
        out.append(
            f"{'total':>6} {'':>3} {total.regions:>4} {total.size:>10} {total.used:>10} "
            f"{total.free:>10} {total.largest:>10} {total.frag:>6.1%} {total.allocs:>8} "
            f"{total.frees:>8} {total.contended:>9} {total.remote:>7}"
        )
    return out


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "heapstat", argv, "r", USAGE, status=2, hint=USAGE.rstrip("\n"), long=LONG
    )
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        await kio.warn("heapstat", "missing PID")
        await kio.write_all(2, USAGE)
        return 2
    status = 0
    out = kio.Output(1)
    for word in opts.operands:
        if not word.isdigit():
            await out.flush()
            await kio.warn("heapstat", f"{word}: not a process id")
            status = 1
            continue
        pid = int(word)
        comm = (await read_text(f"/proc/{pid}/comm") or "?").strip()
        try:
            found = await collect(pid)
        except Error as err:
            await out.flush()
            await kio.warn("heapstat", f"{pid}: {err.message}")
            status = 1
            continue
        if found is None:
            await out.flush()
            await kio.warn("heapstat", f"{pid} ({comm}): no libk heap")
            status = 1
            continue
        stats, strategy = found
        await out.line(f"{pid} ({comm}): strategy {strategy}")
        for line in table(stats, opts.has("r")):
            await out.line(line)
    await out.flush()
    return status
