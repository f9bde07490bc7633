"""The layout follows the window (issue #16 items 3 and 4): the console gets 80 columns
of text beside the panes, the side-by-side or stacked choice is made on the new size,
and every key binding is in the footer at 80 columns."""

from __future__ import annotations

import asyncio

from tuihelp import fast_info, screen_text

from tui.app import NARROW, LibkApp
from tui.widgets.console import ConsolePane
from tui.widgets.footer import rows

KEYS = ("f1 Help", "f2 Console", "f3 f4 Panes", "f5 Pause", "f6 Step", "f7 f8 Speed",
        "f9 Reboot", "^o Open", "f11 Max", "f12 SVG", "^p palette")  # fmt: skip


def test_rows_fill_in_order_and_never_overflow() -> None:
    assert rows([10, 10, 10], 30) == [[0, 1, 2]]
    assert rows([10, 10, 10], 25) == [[0, 1], [2]]
    assert rows([40, 5], 30) == [[0], [1]]  # too wide for any row: a row of its own
    assert rows([], 30) == [[]]


def _layout(sizes: list[tuple[int, int]]) -> list[tuple[bool, int, str]]:
    """(stacked?, console text columns, the screen's last two lines) at each size, the
    window resized from one to the next."""
    out = []

    async def run() -> None:
        app = LibkApp(fast_info(), autorun=False)
        async with app.run_test(size=sizes[0]) as pilot:
            for size in sizes:
                await pilot.resize_terminal(*size)
                await pilot.pause()
                app.machine.run_until_idle()
                app.sync()
                await pilot.pause()
                console = app.query_one(ConsolePane)
                footer = "\n".join(screen_text(app).splitlines()[-2:])
                out.append((app.screen.has_class("narrow"), console.term.cols, footer))

    asyncio.run(run())
    return out


def test_the_layout_follows_resizes_both_ways() -> None:
    wide, narrow, wide_again, mid = _layout([(160, 45), (80, 24), (160, 45), (NARROW, 30)])
    assert not wide[0] and wide[1] >= 80  # programs get their 80 columns beside the panes
    assert narrow[0] and narrow[1] == 80  # stacked: the whole width, no side borders
    assert not wide_again[0] and wide_again[1] == wide[1]
    assert not mid[0] and mid[1] == 80


def test_every_key_is_in_the_footer_at_80_columns() -> None:
    ((_, _, footer),) = _layout([(80, 24)])
    for key in KEYS:
        assert key in footer, (key, footer)
    assert footer.rstrip().endswith("^p palette")  # no stray letter after it


def test_f4_keeps_the_focus_where_it_was() -> None:
    seen = []

    async def run() -> None:
        app = LibkApp(fast_info(), autorun=False)
        async with app.run_test(size=(160, 45)) as pilot:
            await pilot.press("f4")
            seen.append(isinstance(app.focused, ConsolePane))  # typing goes on
            await pilot.press("f3", "f4")
            await pilot.pause()
            panes = app.query_one("#panes")
            seen.append(app.focused is not None and panes in app.focused.ancestors)
            seen.append(panes.active)

    asyncio.run(run())
    assert seen == [True, True, "tab-procfs"]
