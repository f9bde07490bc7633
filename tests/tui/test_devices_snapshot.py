"""SVG snapshots of the devices pane and of the /proc browser showing /sys, inside the
real app.

Deterministic as the other pane snapshots are (tests/tui/test_panes_snapshots.py): the
default machine with the clock in ``fast`` mode (fixed seed), the app not running the
machine itself (``autorun=False``), only the installed programs in /bin, fixed size and
theme, no animations. Each command typed is run to its end and followed by a refresh,
so the changes the pane saw are always the same. Update with
``pytest tests/tui/test_devices_snapshot.py --snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

import pytest
from tuihelp import fast_info

from tui.app import LibkApp

MS = 1_000_000
SIZE = (160, 44)
UNBIND = "echo libkblk.0 > /sys/bus/platform/drivers/libkblk/unbind"
BIND = "echo libkblk.0 > /sys/bus/platform/drivers/libkblk/bind"


@pytest.fixture(autouse=True)
def same_bin_every_run(installed_programs: dict[str, Any]) -> None:
    """/bin holds only the installed programs."""


def make_app() -> LibkApp:
    app = LibkApp(fast_info(), autorun=False)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


async def start(pilot: Any, pane: str, *lines: str) -> Any:
    """Boot to the prompt, bring ``pane`` to the front, type ``lines`` at the console
    (each run for 50 virtual ms, then the pane refreshed); returns the pane."""
    app = pilot.app
    m = app.machine
    m.run_until_idle()
    app.sync()
    app.action_show_pane(pane)
    await pilot.pause()
    for line in lines:
        m.feed(f"{line}\n".encode())  # (typed as input: key by key takes seconds)
        m.run_for(50 * MS)
        app.sync()
        await pilot.pause()
    return app.query_one(f"#{pane}")


def test_devices_pane_with_modules_and_a_rebind(snap_compare: Any) -> None:
    """The default machine's tree, ramdisk's ram0 and the hello/greet pair loaded
    (hello held by greet, parameters), blk0 unbound and bound again: the changes seen."""

    async def run_before(pilot: Any) -> None:
        await start(pilot, "devices", "modprobe ramdisk", "modprobe greet", UNBIND, BIND)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_proc_browser_showing_sys_class_mem(snap_compare: Any) -> None:
    """``s`` switches the browser to /sys; /sys/class/mem's links with their targets,
    and null's ``dev`` attribute open through its link."""

    async def run_before(pilot: Any) -> None:
        browser = await start(pilot, "procfs")
        browser.dir_tree.focus()
        await pilot.press("s")
        browser.expand_path("/sys/class/mem/null/dev")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
