"""tui.heapview against booted machines: a heap read only from /proc/<pid>/maps and
/proc/<pid>/mem (cells where the blocks are, the arena's counters, totals, history),
and heapdemo, the program the heap pane is shown with."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from tuihelp import ProgramSet, machine

from kernel.abi import (
    CELL_FREE,
    CELL_META,
    CELL_USED,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
)
from kernel.host import HostClient
from kernel.kernel import Kernel
from tui.heapview import CELL, HeapReader, HeapView, fragmentation, zoom_cells
from tui.procview import split_stat
from userland.libk import sys
from userland.libk.heap import Heap, HeapConfig, kmheapa, kmheapf

SECOND = 1_000_000_000
MS = 1_000_000

PROGRAMS = ProgramSet("hv")
program = PROGRAMS.add


@pytest.fixture(autouse=True)
def registered_programs() -> Iterator[None]:
    """Register this module's programs for one test, and remove them after it."""
    yield from PROGRAMS.registered()


async def write_addresses(addrs: list[int]) -> None:
    """Tell the test where the blocks are (on the console: /proc is what it reads)."""
    await sys.write(1, ("addrs " + " ".join(f"{a:x}" for a in addrs) + "\n").encode())


async def three_blocks(argv: list[str]) -> int:
    """chunked: a (48), b (96), c (48), then b freed: a hole between two blocks."""
    await Heap.install(HeapConfig(strategy="chunked"))
    a, b, c = await kmheapa(48), await kmheapa(96), await kmheapa(48)
    await kmheapf(b)
    await write_addresses([a, b, c])
    await sys.nanosleep(1000 * SECOND)
    return 0


async def naive_blocks(argv: list[str]) -> int:
    """naive: two blocks, each a mapping of its own."""
    await Heap.install(HeapConfig(strategy="naive"))
    await write_addresses([await kmheapa(100), await kmheapa(5000)])
    await sys.nanosleep(1000 * SECOND)
    return 0


async def growing(argv: list[str]) -> int:
    """One more 64-byte block every 10 ms."""
    await Heap.install(HeapConfig(strategy="chunked"))
    while True:
        await kmheapa(64)
        await sys.nanosleep(10 * MS)


async def fake_heap(argv: list[str]) -> int:
    """An area named like the heap's whose bytes are no region header."""
    addr = await sys.mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
    await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, 8192, "libk-heap")
    (await sys.mmu()).fill(addr, 0x42, 8192)
    await sys.nanosleep(1000 * SECOND)
    return 0


THREE = program(three_blocks)
NAIVE = program(naive_blocks)
GROWING = program(growing)
FAKE = program(fake_heap)


def boot(argv: list[str], run_ns: int = SECOND) -> tuple[Kernel, HostClient, str]:
    """Boot a machine running ``argv`` as its command, run it ``run_ns``; the console."""
    k = machine(argv)
    k.run(until=k.now_ns + run_ns)
    return k, HostClient(k), k.console.drain().decode(errors="replace")


def addresses(output: str) -> list[int]:
    """The addresses a test program wrote."""
    line = next(line for line in output.splitlines() if line.startswith("addrs "))
    return [int(x, 16) for x in line.split()[1:]]


def cells_at(view: HeapView, addr: int, length: int) -> bytes:
    """The cells covering [addr, addr + length)."""
    r = next(r for r in view.regions if r.addr <= addr < r.addr + r.length)
    lo = (addr - r.addr) // CELL
    return bytes(r.cells[lo : lo + -(-length // CELL)])


def minflt(host: HostClient, pid: int) -> int:
    return int(split_stat(host.read_file(f"/proc/{pid}/stat").decode())[1][7])


def test_blocks_and_a_hole_are_where_the_program_put_them() -> None:
    k, host, out = boot([THREE])
    a, b, c = addresses(out)
    reader = HeapReader(host)
    assert reader.heap_pids() == [2]
    faults = minflt(host, 2)
    view = reader.read(2)
    assert view is not None
    assert minflt(host, 2) == faults  # looking faulted nothing in
    assert view.strategy == "chunked"
    [region] = view.regions
    assert (region.kind, region.arena, region.length) == ("home", 0, 64 * 1024)
    # Each block is its 16-byte tag then its payload: used; b's is free, between them.
    assert set(cells_at(view, a - 16, 64)) == {CELL_USED}
    assert set(cells_at(view, b - 16, 112)) == {CELL_FREE}
    assert set(cells_at(view, c - 16, 64)) == {CELL_USED}
    assert set(region.cells[: (a - 16 - region.addr) // CELL]) == {CELL_META}  # the header
    assert set(region.cells[(c + 48 - region.addr) // CELL :]) == {CELL_FREE}  # never carved
    [arena] = view.arenas
    assert (arena.in_use, arena.peak, arena.allocs, arena.frees) == (96, 192, 3, 1)
    assert (arena.cpu, arena.contended, arena.regions, arena.mapped) == (None, 0, 1, 65536)
    t = view.totals
    assert (t.mapped, t.in_use) == (65536, 128)
    assert t.free + t.in_use + t.meta == t.mapped
    assert t.free_runs == 2  # b's hole and the tail
    assert t.largest_free == region.largest_free == t.free - 112
    assert t.fragmentation == pytest.approx(112 / t.free)
    k.power_off(0)


def test_naive_blocks_are_regions_of_their_own() -> None:
    k, host, out = boot([NAIVE])
    small, big = addresses(out)
    view = HeapReader(host).read(2)
    assert view is not None
    assert sorted(r.kind for r in view.regions) == ["naive", "naive"]
    assert view.arenas == [] and len(view.mapped_blocks) == 2
    for addr in (small, big):
        assert set(cells_at(view, addr, 100)) == {CELL_USED}
    assert view.totals.free == 0 and view.totals.fragmentation == 0.0
    k.power_off(0)


def test_in_use_history_keeps_one_sample_per_read() -> None:
    k, host, _ = boot([GROWING], run_ns=5 * MS)
    reader = HeapReader(host, history=4)
    seen = []
    for _ in range(6):
        view = reader.read(2)
        assert view is not None
        seen.append(view.arenas[0].in_use)
        k.run(until=k.now_ns + 10 * MS)
    assert view.arenas[0].history == seen[-4:]
    assert seen == sorted(seen) and seen[-1] > seen[0]
    reader.forget(2)
    again = reader.read(2)
    assert again is not None and len(again.arenas[0].history) == 1
    k.power_off(0)


def test_what_is_no_heap() -> None:
    k, host, _ = boot([FAKE])
    reader = HeapReader(host)
    assert reader.has_heap(2)  # by its name...
    view = reader.read(2)
    assert view is not None and view.regions == []  # ...but no header parses: skipped
    assert reader.read(1) == HeapView(1)  # init: no heap at all
    assert reader.read(4242) is None  # no such process
    k.power_off(0)


def test_zoom_and_fragmentation() -> None:
    cells = bytes([CELL_META, CELL_FREE, CELL_USED, CELL_FREE, CELL_FREE, CELL_FREE])
    assert zoom_cells(cells, 1) == bytearray(cells)
    assert zoom_cells(cells, 2) == bytearray([CELL_META, CELL_USED, CELL_FREE])
    assert zoom_cells(cells, 4) == bytearray([CELL_USED, CELL_FREE])  # a block shows
    assert fragmentation(0, 0) == 0.0
    assert fragmentation(100, 100) == 0.0
    assert fragmentation(100, 25) == 0.75


def run_until(k: Kernel, text: str, seen: str = "") -> str:
    """Run ``k`` until its console has printed ``text``; all it printed so far."""
    for _ in range(200):
        if text in seen:
            return seen
        k.run(until=k.now_ns + 100 * MS)
        seen += k.console.drain().decode(errors="replace")
    raise AssertionError(f"never printed {text!r}:\n{seen}")


def test_heapdemo_makes_holes_then_reuses_one() -> None:
    k = machine(["/bin/heapdemo", "-s", "chunked", "-d", "1"])
    host = HostClient(k)
    out = run_until(k, "step 12:")
    addr = {
        int(m[1]): int(m[2], 16) for m in re.finditer(r"step (\d+): kmheapa\(\d+\) = (0x\w+)", out)
    }
    view = HeapReader(host).read(2)
    assert view is not None
    for step in (1, 3, 5, 7):  # freed: holes
        assert set(cells_at(view, addr[step], 48)) == {CELL_FREE}, step
    for step in (2, 4, 6, 8):  # kept: the walls between the holes
        assert set(cells_at(view, addr[step], 96)) == {CELL_USED}, step
    assert view.totals.free_runs == 5 and view.totals.fragmentation > 0
    assert view.arenas[0].frees == 4
    out = run_until(k, "step 13:", out)
    assert "reuses the hole left by step 7's 48-byte block" in out
    out = run_until(k, "every block freed", out)
    k.run(until=k.now_ns + 100 * MS)
    assert "heapdemo: done after 22 steps, every block freed" in out
    assert HeapReader(host).read(2) is None  # it has exited


def test_heapdemo_command_line() -> None:
    k = machine(
        [
            "/bin/sh",
            "-c",
            "heapdemo -s chunked -d 0; echo rc=$?; heapdemo -s nope; echo rc=$?; "
            "heapdemo -s naive -d 0 -n 3; echo rc=$?; heapdemo -d -1; echo rc=$?",
        ]
    )
    out = ""
    for _ in range(100):
        out += k.console.drain().decode(errors="replace")
        if out.count("rc=") == 4:
            break
        k.run(until=k.now_ns + 100 * MS)
    lines = out.replace("\r\n", "\n")
    assert "step 22: kmheapf(" in lines and "done after 22 steps" in lines
    assert "heapdemo: LIBK_HEAP=nope: no such heap strategy (there are: " in lines
    assert lines.count("rc=0") == 2 and lines.count("rc=1") == 2
    assert "step 3: kmheapa(48)" in lines and "step 4:" not in lines.split("strategy naive")[1]
