"""SVG snapshots of the app's screens (pytest-textual-snapshot).

Deterministic: the default machine with the clock in ``fast`` mode (fixed seed), run by
the test (``autorun=False``) to a chosen point, fixed size and theme, no animations.
Update with ``pytest tests/tui/test_snapshots_app.py --snapshot-update`` and look at
the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from typing import Any

import pytest
from tuihelp import fast_info

from kernel import sysproc
from kernel.kernel import Panic
from tui.app import LibkApp
from userland.libk import sys as libk_sys


async def _asks_for_parent(argv: list[str]) -> int:
    return await libk_sys.getppid()


@pytest.fixture(autouse=True)
def same_bin_every_run(installed_programs: dict[str, Any]) -> None:
    """/bin holds the installed programs and this module's, whatever else is registered:
    every /bin file takes memory, and the header shows memory."""
    installed_programs["snap_getppid"] = _asks_for_parent


def make_app() -> LibkApp:
    app = LibkApp(fast_info(), autorun=False)
    app.theme = "textual-dark"
    app.animation_level = "none"
    return app


def typed(*lines: str) -> Any:
    """A run_before that boots to the prompt, then types each line and runs it."""

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await pilot.pause()  # layout and first tab activation before the machine runs
        await pilot.pause()
        app.machine.run_until_idle()
        app.sync()
        await pilot.pause()
        for line in lines:
            await pilot.press(*line, "enter")
            app.machine.run_until_idle()
            app.sync()
            await pilot.pause()

    return run_before


def test_first_screen_after_boot(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 40), run_before=typed())


def test_console_after_a_few_commands(snap_compare: Any) -> None:
    run = typed("echo hello, world", "ls /etc", "printf '\\033[1;32mgreen\\033[0m plain\\n'")
    assert snap_compare(make_app(), terminal_size=(160, 40), run_before=run)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(160, 40), press=["f1"], run_before=typed())


def test_panic_screen(snap_compare: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    original = sysproc.sys_getppid

    def broken(k: Any, t: Any) -> int:
        if t.proc.comm != "snap_getppid":
            return original(k, t)  # (the shell asks for $PPID at start-up)
        # Panic itself (not any exception) keeps the report free of tracebacks, whose
        # line numbers would change with every kernel edit.
        raise Panic("simulated kernel bug in getppid: run queue corrupted")

    monkeypatch.setattr(sysproc, "sys_getppid", broken)
    assert snap_compare(make_app(), terminal_size=(160, 40), run_before=typed("snap_getppid"))


def test_narrow_terminal(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=typed("uname -a"))


def test_wide_terminal(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(200, 50), run_before=typed("uname -a"))
