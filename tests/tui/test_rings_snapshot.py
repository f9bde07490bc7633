"""An SVG snapshot of the rings pane inside the real app, with a program holding two
rings: one with reads parked on an empty pipe and on the block device, a buffer group,
a cancelled read, nops completed at a varying pace and two submissions published but
not yet consumed; a small one whose completion queue overflowed.

Deterministic as the other pane snapshots are (tests/tui/test_heap_snapshot.py): the
default machine with the clock in ``fast`` mode (fixed seed), the app not running the
machine itself (``autorun=False``), only the installed programs (and this module's
``ringhold``) in /bin, fixed size and theme, no animations. The block device answers
only after 1,000 virtual seconds here, so its reads stay in flight. ``ringhold`` takes
one step a virtual second; the test refreshes the pane once a second, so the sparkline
has one sample per step. Update with
``pytest tests/tui/test_rings_snapshot.py --snapshot-update`` and look at the SVG.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from tuihelp import fast_info, screen_text

from kernel.abi import O_RDONLY, SQ_TAIL
from kernel.image import BootInfo
from tui.app import LibkApp
from tui.widgets.panes.rings import RingsPane
from userland.libk import sys
from userland.libk.ring import Ring, alloc_buffers

SECOND = 1_000_000_000
MS = 1_000_000
SIZE = (160, 44)
PACE = (2, 5, 9, 4, 1, 7, 12, 6)  # nops completed in each second of ringhold's life


async def ringhold(argv: list[str]) -> int:
    """Two rings with requests parked, completions at ``PACE``, then a long sleep."""
    small = await Ring.setup(2, cq_entries=2)
    for _ in range(2):  # four nops into a completion queue of two: two overflow
        small.nop()
        small.nop()
        await small.submit()
    ring = await Ring.setup(8)
    r, _w = await sys.pipe()
    blk = await sys.open("/dev/blk0", O_RDONLY)
    bufs = await alloc_buffers(4, 4096)
    ring.provide_buffers(5, await alloc_buffers(3, 8192))
    ring.read(r, bufs[0], user_data=0x2A)  # parked on the empty pipe
    ring.read(blk, bufs[1], 0, user_data=0x2B)  # on the device, for 1,000 s
    ring.read(blk, bufs[2], 65536, length=1024, user_data=0x2C)
    doomed = ring.read(r, bufs[3], user_data=0x2D)
    await ring.submit(1)
    ring.cancel(doomed)
    await ring.submit(3)  # the cancel, the cancelled read
    ring.completions()
    for n in PACE:
        await sys.nanosleep(SECOND)
        for _ in range(n):
            ring.nop()
            if not ring.space:
                await ring.submit()
        await ring.submit(n)
        ring.completions()
    ring.nop(user_data=0x100)
    ring.nop(user_data=0x101)
    ring.mem.store32(ring.base + SQ_TAIL, ring.sq_tail)  # published, never entered
    await sys.nanosleep(1000 * SECOND)
    return 0


@pytest.fixture(autouse=True)
def same_bin_every_run(installed_programs: dict[str, Any]) -> None:
    """/bin holds only the installed programs and ``ringhold``."""
    installed_programs["ringhold"] = ringhold


def slow_disk_info() -> BootInfo:
    """The deterministic machine, its block device answering after 1,000 s."""
    info = fast_info()
    costs = info.clock.costs
    block = dataclasses.replace(costs.block, latency=1000 * SECOND)
    clock = dataclasses.replace(info.clock, costs=dataclasses.replace(costs, block=block))
    return dataclasses.replace(info, clock=clock)


def make_app() -> LibkApp:
    app = LibkApp(slow_disk_info(), autorun=False)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


async def start_ringhold(pilot: Any) -> None:
    """Type ``ringhold &``, show the rings pane, then refresh it once a virtual second
    for ringhold's eight steps (each refresh 50 ms after a step)."""
    app = pilot.app
    m = app.machine
    m.run_until_idle()
    app.sync()
    app.action_focus_console()
    await pilot.pause()
    await pilot.press(*"ringhold &", "enter")
    m.run_for(50 * MS)
    app.sync()
    app.action_show_pane("rings")
    await pilot.pause()
    for _ in PACE:
        m.run_for(SECOND)
        app.sync()
        await pilot.pause()


def test_rings_pane_with_parked_reads_and_an_overflow(snap_compare: Any) -> None:
    """The newest ring in full (reads parked on the pipe and the device, owned pages,
    the buffer group, the sparkline of PACE), both rings in the list, blk0's queue."""
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=start_ringhold)


def test_the_small_ring_and_its_overflow(snap_compare: Any) -> None:
    """``[``: the small ring, its completion queue full and two completions waiting in
    the overflow list (in the error colour)."""

    async def run_before(pilot: Any) -> None:
        await start_ringhold(pilot)
        pilot.app.query_one("#rings", RingsPane).focus()
        await pilot.press("left_square_bracket")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_choosing_a_ring_and_the_empty_state() -> None:
    """Before ringhold: the empty state names what to run; then ``[`` shows the small
    ring and its overflow, ``]`` goes back."""
    asyncio.run(choose())


async def choose() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        m = app.machine
        m.run_until_idle()
        app.sync()
        app.action_show_pane("rings")
        await pilot.pause()
        text = screen_text(app)
        assert "No process has a completion ring." in text and "iobench" in text
        assert "blk0" in text
        await start_ringhold(pilot)
        pane = app.query_one("#rings", RingsPane)
        assert pane.view is not None and len(pane.view.rings) == 2
        assert pane.index() == 1
        text = screen_text(app)
        assert "In flight: 3" in text and "0x2a" in text and "waiting" in text
        pane.focus()
        await pilot.press("left_square_bracket")
        assert pane.index() == 0
        text = screen_text(app)
        assert "overflow 2 waiting" in text and "No request in flight." in text
        await pilot.press("right_square_bracket")
        assert pane.index() == 1
