"""Pilot tests of the processes pane's keys: Home/End move the cursor rows (not the view
sideways), ``/`` filters, ``t`` draws a tree, every sort column shows its arrow, and the
help lists each pane's keys."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
import tuihelp
from textual.app import App, ComposeResult
from textual.widgets import Input
from tuihelp import ProgramSet

from kernel.host import HostClient
from kernel.kernel import Kernel
from tui.proctree import filter_rows, matches, tree_order
from tui.procview import ProcessRow
from tui.widgets.help import app_pane_keys, key_name, pane_keys_markdown
from tui.widgets.panes.processes import COLUMNS, ProcessesPane
from tui.widgets.panes.threads import ThreadsPane
from userland.libk import sys

SECOND = 1_000_000_000
MS = 1_000_000

PROGRAMS = ProgramSet("ppk")
program = PROGRAMS.add


@pytest.fixture(autouse=True)
def registered_programs() -> Iterator[None]:
    """Register this module's programs for one test, and remove them after it."""
    yield from PROGRAMS.registered()


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test with asyncio (the suite has no async plugin)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


IDLE = program(tuihelp.idle)
BUSY = program(tuihelp.busy)


async def middle(argv: list[str]) -> int:
    await sys.spawn(IDLE, ["idle", "grandchild"])
    await sys.nanosleep(1000 * SECOND)
    return 0


MIDDLE = program(middle)


async def parent(argv: list[str]) -> int:
    await sys.spawn(BUSY, ["busy"])
    await sys.spawn(MIDDLE, ["middle"])
    for n in range(12):
        await sys.spawn(IDLE, ["idle", f"sleeper{n}"])
    await sys.nanosleep(1000 * SECOND)
    return 0


PARENT = program(parent)


class PaneApp(App[None]):
    """One pane on one machine."""

    def __init__(self, pane_type: type, k: Kernel) -> None:
        super().__init__()
        self.k = k
        self.pane_type = pane_type

    def compose(self) -> ComposeResult:
        yield self.pane_type(HostClient(self.k), id="pane")

    def on_mount(self) -> None:
        self.query_one("#pane").table.focus()  # type: ignore[attr-defined]


@pytest.fixture
def k() -> Kernel:
    k = tuihelp.machine([PARENT])
    k.run(until=100 * MS)
    return k


def shown(pane: ProcessesPane) -> list[int]:
    """The pids in the table, top to bottom."""
    t = pane.table
    return [int(t.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(t.row_count)]


def commands(pane: ProcessesPane) -> list[str]:
    """The COMMAND cells, top to bottom."""
    t = pane.table
    return [t.get_row_at(i)[-1].plain for i in range(t.row_count)]


def pid_of(pane: ProcessesPane, command: str) -> int:
    return next(r.pid for r in pane.rows.values() if r.command == command)


@run_async
async def test_home_and_end_move_the_cursor_rows(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(60, 12)) as pilot:  # narrow: the table scrolls sideways
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        t = pane.table
        assert t.row_count > 10 and t.max_scroll_x > 0
        await pilot.press("end")
        assert t.cursor_row == t.row_count - 1 and t.scroll_x == 0
        assert pane.selected_pid == shown(pane)[-1]
        await pilot.press("home")
        assert t.cursor_row == 0 and t.scroll_x == 0
        await pilot.press("G")
        assert t.cursor_row == t.row_count - 1
        await pilot.press("g")
        assert t.cursor_row == 0
        await pilot.press("pagedown")
        assert t.cursor_row > 1
        await pilot.press("right", "right")  # sideways scrolling stays on Left/Right
        assert t.scroll_x > 0 and t.cursor_row > 1


@run_async
async def test_slash_filters_on_command_and_user_and_escape_clears(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        everyone = set(shown(pane))
        await pilot.press("slash")
        field = pane.query_one("#proc-filter", Input)
        assert field.has_focus and pane.query_one("#proc-filter-bar").display
        await pilot.press(*"SLEEPER1")  # case does not matter
        assert pane.filter_text == "SLEEPER1"
        assert sorted(commands(pane)) == ["idle sleeper1", "idle sleeper10", "idle sleeper11"]
        await pilot.press("enter")  # keep the filter, back to the table
        assert pane.table.has_focus and pane.query_one("#proc-filter-bar").display
        assert "SLEEPER1" in str(pane.query_one("#proc-filter", Input).value)
        await pilot.press("end")
        assert pane.selected_pid == shown(pane)[-1] and len(shown(pane)) == 3
        # The rows stay filtered as the machine changes.
        k.run(until=k.now_ns + SECOND)
        pane.refresh_data()
        assert len(shown(pane)) == 3
        await pilot.press("escape")
        assert pane.filter_text == "" and not pane.query_one("#proc-filter-bar").display
        assert set(shown(pane)) == everyone and pane.table.has_focus
        await pilot.press("slash", *"root", "enter")  # the user column matches too
        assert set(shown(pane)) == everyone
        await pilot.press("slash", "ctrl+u", *"nobody-has-this")
        assert shown(pane) == [] and pane.selected_pid is None
        await pilot.press("escape")  # Escape in the filter field clears it too
        assert set(shown(pane)) == everyone and pane.table.has_focus


@run_async
async def test_kill_acts_on_a_visible_row_only(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        await pilot.press("end")
        hidden = pane.selected_pid
        await pilot.press("slash", *"busy", "enter")
        assert shown(pane) == [pid_of(pane, "busy")]
        assert pane.selected_pid == pid_of(pane, "busy") != hidden


@run_async
async def test_t_shows_a_tree_sorted_among_siblings(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        await pilot.press("t")
        cmds = commands(pane)
        assert cmds[0].startswith("/sbin/init") or not cmds[0].startswith(("├", "└"))
        par = cmds.index(f"└─ {PARENT}")
        assert cmds[par + 1] == "   ├─ busy"
        assert cmds[par + 2] == "   ├─ middle"
        assert cmds[par + 3] == "   │  └─ idle grandchild"
        assert cmds[par + 4] == "   ├─ idle sleeper0"
        assert cmds[-1] == "   └─ idle sleeper11"
        # Sorting applies among siblings: reversed, the last sibling comes first.
        await pilot.press("r")
        cmds = commands(pane)
        par = cmds.index(f"└─ {PARENT}")
        assert cmds[par + 1] == "   ├─ idle sleeper11"
        assert cmds[-3:] == ["   ├─ middle", "   │  └─ idle grandchild", "   └─ busy"]
        # The filter applies to the tree too; clearing it brings every row back.
        everyone = set(shown(pane))
        await pilot.press("slash", *"grandchild", "enter")
        assert commands(pane) == ["idle grandchild"]  # its parent is hidden: a root
        await pilot.press("end", "escape")
        assert set(shown(pane)) == everyone and len(commands(pane)) == len(everyone)
        # Back to the flat list.
        await pilot.press("r", "t")
        assert shown(pane) == sorted(shown(pane))
        assert all(not c.startswith((" ", "├", "└")) for c in commands(pane))


@run_async
async def test_every_sort_column_shows_its_arrow(k: Kernel) -> None:
    app = PaneApp(ProcessesPane, k)
    async with app.run_test(size=(160, 30)) as pilot:
        pane = app.query_one(ProcessesPane)
        await pilot.pause()
        for n in range(len(COLUMNS)):
            if n:
                await pilot.press("s")
            await pilot.pause()
            label = str(pane.table.columns[COLUMNS[n].key].label)  # type: ignore[index]
            assert label[-1] in "▲▼", label
            header = "".join(seg.text for seg in pane.table.render_line(0))
            assert label in header, (label, header)  # not cut off by the column width


def test_filter_and_tree_functions() -> None:
    def row(pid: int, ppid: int, command: str, user: str = "root") -> ProcessRow:
        return ProcessRow(pid, ppid, user, "S", 0, 0.0, 0, 0, 1, 0, command)

    rows = [
        row(1, 0, "init"),
        row(2, 1, "sh"),
        row(5, 2, "yes"),
        row(3, 2, "sleep 9", "alice"),
        row(4, 3, "cat"),
        row(9, 7, "orphan"),
    ]
    assert matches(rows[3], "ALI") and matches(rows[3], "sleep") and not matches(rows[3], "x")
    assert [r.pid for r in filter_rows(rows, "s")] == [2, 5, 3]  # "yes" holds an s
    assert tree_order(rows, lambda r: r.pid) == [
        (1, ""),
        (2, "└─ "),
        (3, "   ├─ "),
        (4, "   │  └─ "),
        (5, "   └─ "),
        (9, ""),
    ]
    by_name = [pid for pid, _ in tree_order(rows, lambda r: r.command, reverse=True)]
    assert by_name == [9, 1, 2, 5, 3, 4]


def test_help_lists_every_panes_keys_from_their_bindings() -> None:
    text = app_pane_keys()
    assert "### Processes" in text and "### Threads" in text and "### Heap" in text
    assert "| Home, g, ^Home | First row |" in text
    assert "| End, G, ^End | Last row |" in text
    for key in ("| / |", "| t |", "| k |", "| s |", "| r |", "| Esc |"):
        assert key in text, key
    assert key_name("ctrl+home") == "^Home" and key_name("slash") == "/"
    assert key_name("left_square_bracket") == "["
    assert "| x |" in pane_keys_markdown([("Threads", ThreadsPane)])
