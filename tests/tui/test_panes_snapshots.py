"""SVG snapshots of the processes, threads and /proc panes inside the real app.

Deterministic: the default machine with the clock in ``fast`` mode (fixed seed; a
checkpoint costs 100 us so a busy loop uses virtual seconds quickly), the app not
running the machine itself (``autorun=False``): each test types commands and drives
the virtual clock to a chosen time. Fixed size and theme, no animations. Update with
``pytest tests/tui/test_panes_snapshots.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from tuihelp import fast_info

from kernel.abi import checkpoint
from kernel.abi.memory import (
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
)
from tui.app import LibkApp
from tui.widgets.panes.processes import COLUMNS
from userland.libk import sys as libk_sys

SECOND = 1_000_000_000
MS = 1_000_000
SIZE = (160, 40)


async def _spin(argv: list[str]) -> int:
    while True:
        await checkpoint()


async def _worker(arg: int) -> int:
    while not await libk_sys.thread_should_exit():
        try:
            await libk_sys.nanosleep(SECOND)
        except Exception:  # noqa: BLE001, S110 - EINTR from the exit request
            pass
    await libk_sys.nanosleep(60 * SECOND)  # says goodbye slowly: the flag stays in view
    return arg


async def _workers(argv: list[str]) -> int:
    tids = [await libk_sys.thread_spawn(_worker, n) for n in range(3)]
    for tid in tids:
        await libk_sys.thread_join(tid)
    return 0


async def _hog(argv: list[str]) -> int:
    """``snaphog [-s] MIB``: map MIB MiB (shared with -s), name it, write to all of it."""
    shared = argv[1:2] == ["-s"]
    size = int(argv[-1]) << 20
    flags = MAP_ANONYMOUS | (MAP_SHARED if shared else MAP_PRIVATE)
    addr = await libk_sys.mmap(0, size, PROT_READ | PROT_WRITE, flags)
    if not shared:  # a shared anonymous area is /dev/zero's, as on Linux: no name of its own
        await libk_sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, size, "snaphog")
    (await libk_sys.mmu()).fill(addr, 0x5A, size)
    await libk_sys.nanosleep(1000 * SECOND)
    return 0


MINE = {"snapspin": _spin, "snapworkers": _workers, "snaphog": _hog}


@pytest.fixture(autouse=True)
def same_bin_every_run(installed_programs: dict[str, Any]) -> None:
    """/bin holds the installed programs and this module's, whatever other test modules
    registered (every /bin file takes memory the header shows); this module's are
    registered only while its tests run, so other modules' snapshots never see them."""
    installed_programs.update(MINE)


def make_app() -> LibkApp:
    info = fast_info()
    costs = dataclasses.replace(info.clock.costs, checkpoint=100_000)
    info = dataclasses.replace(info, clock=dataclasses.replace(info.clock, costs=costs))
    app = LibkApp(info, autorun=False)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


async def start(pilot: Any, pane: str, *lines: str, run_ns: int = 2 * SECOND) -> Any:
    """Boot to the prompt, type ``lines``, run ``run_ns`` of virtual time twice (so
    %CPU has an interval), and bring ``pane`` to the front; returns the pane."""
    app = pilot.app
    m = app.machine
    m.run_until_idle()
    app.sync()
    await pilot.pause()
    for line in lines:
        await pilot.press(*line, "enter")
        m.run_for(50 * MS)
    app.sync()
    app.action_show_pane(pane)
    await pilot.pause()
    for _ in range(2):
        m.run_for(run_ns // 2)
        app.sync()
        await pilot.pause()
    return app.query_one(f"#{pane}")


def test_processes_pane_with_a_pipeline(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await start(pilot, "processes", "sleep 100 | cat &", "snapspin &")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_process_details(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        pane = await start(pilot, "processes", "sleep 100 | cat &")
        pane.table.focus()
        pane.select_pid(2)  # the login shell
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_memory_meter_and_a_processs_memory(snap_compare: Any) -> None:
    """Memory in use: the header's meter with used and shared segments, the processes
    sorted by RSS, and the details of the private hog (its areas as pmap -x shows)."""

    async def run_before(pilot: Any) -> None:
        pane = await start(pilot, "processes", "snaphog 12 &", "snaphog -s 6 &")
        pane.table.focus()
        pane.keyed.set_sort(next(i for i, c in enumerate(COLUMNS) if c.key == "rss"), True)
        pane.select_pid(max(pane.rows, key=lambda pid: pane.rows[pid].rss_kb))
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_threads_pane_with_an_exit_request(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        pane = await start(pilot, "threads", "snapworkers &")
        pid = next(r.pid for r in pane.rows.values() if r.name == "snapworkers")
        tids = sorted(t for t, r in pane.rows.items() if r.pid == pid and t != pid)
        pane.table.focus()
        pane.select_tid(tids[1])
        await pilot.press("x")
        pilot.app.machine.run_for(100 * MS)
        pilot.app.sync()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_proc_browser_with_a_file_open(snap_compare: Any) -> None:
    async def run_before(pilot: Any) -> None:
        pane = await start(pilot, "procfs", "sleep 100 &")
        pane.dir_tree.focus()
        pane.expand_path("/proc/2/status")
        await pilot.pause()
        pilot.app.machine.run_for(SECOND)
        pilot.app.sync()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
