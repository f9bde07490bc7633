"""An SVG snapshot of the heap pane inside the real app, with heapdemo half-way through.

Deterministic as the other pane snapshots are (tests/tui/test_panes_snapshots.py): the
default machine with the clock in ``fast`` mode (fixed seed), the app not running the
machine itself (``autorun=False``), only the installed programs in /bin, fixed size
and theme, no animations. heapdemo takes one step a virtual second; the test refreshes
the pane once a second, so the sparkline has one sample per step. Update with
``pytest tests/tui/test_heap_snapshot.py --snapshot-update`` and look at the SVG.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tuihelp import fast_info, screen_text

from tui.app import LibkApp
from tui.widgets.panes.heap import HeapPane
from tui.widgets.panes.processes import ProcessesPane

SECOND = 1_000_000_000
MS = 1_000_000
SIZE = (160, 44)


@pytest.fixture(autouse=True)
def same_bin_every_run(installed_programs: dict[str, Any]) -> None:
    """/bin holds only the installed programs, whatever other test modules registered."""


def make_app() -> LibkApp:
    app = LibkApp(fast_info(), autorun=False)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


def test_heap_pane_with_holes_and_a_reused_one(snap_compare: Any) -> None:
    """heapdemo after step 15: four blocks freed (holes), two of them reused, and the
    in_use sparkline going up, down and up again."""

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        m = app.machine
        m.run_until_idle()
        app.sync()
        await pilot.pause()
        await pilot.press(*"heapdemo -s chunked -d 1 &", "enter")
        m.run_for(50 * MS)
        app.sync()
        app.action_show_pane("heap")
        await pilot.pause()
        for _ in range(14):  # steps 2 to 15, then half a second more
            m.run_for(SECOND)
            app.sync()
            await pilot.pause()
        m.run_for(SECOND // 2)
        app.sync()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_zoom_and_choosing_the_process() -> None:
    """``-``/``+`` change the bytes per cell (16 up to a page); ``[``/``]`` go through
    the processes that have a heap; the processes pane's selection is followed."""
    asyncio.run(zoom_and_choose())


async def zoom_and_choose() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        m = app.machine
        m.run_until_idle()
        for line in ("heapdemo -s chunked -d 100 &", "heapdemo -s naive -d 100 &"):
            await pilot.press(*line, "enter")
            m.run_for(50 * MS)
        app.sync()
        app.action_show_pane("heap")
        await pilot.pause()
        pane = app.query_one("#heap", HeapPane)
        assert pane.pid == 4  # the newest with a heap (the processes pane has init)
        assert "one cell: 16 bytes" in screen_text(app)
        await pilot.press("minus", "minus")
        assert "one cell: 64 bytes" in screen_text(app)
        for _ in range(9):
            await pilot.press("minus")
        assert pane.zoom == 256 and "one cell: a page" in screen_text(app)
        await pilot.press("plus")
        assert "one cell: 2048 bytes" in screen_text(app)
        await pilot.press("left_square_bracket")
        assert pane.pid == 3
        assert "Heap chunked" in screen_text(app)
        await pilot.press("right_square_bracket")
        assert pane.pid == 4 and "mapped on their own" in screen_text(app)
        procs = app.query_one("#processes", ProcessesPane)
        procs.select_pid(3)  # a selection there wins over the choice made here
        app.sync()
        await pilot.pause()
        assert pane.pid == 3
