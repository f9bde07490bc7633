"""The app driven through Textual's pilot: console keys, every binding, the palette."""

from __future__ import annotations

import asyncio
import functools
import os
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static
from tuihelp import screen_text

from kernel import sysproc
from kernel.boot import default_image
from kernel.exec import register_program
from kernel.image import BootInfo
from tui.app import LibkApp
from tui.commands import all_commands
from tui.machine import Machine
from tui.widgets.console import ConsolePane
from tui.widgets.dialogs import ConfirmScreen, MessageScreen
from tui.widgets.header import HISTORY, NO_SAMPLE, MachineHeader, sparkline
from tui.widgets.help import HelpScreen
from tui.widgets.panic import PanicView
from userland.libk import sys as libk_sys


async def _asks_for_parent(argv: list[str]) -> int:
    return await libk_sys.getppid()


register_program("tui_getppid", _asks_for_parent)

SIZE = (140, 28)


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test with asyncio (the suite has no async plugin)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


async def settle(app: LibkApp, pilot) -> None:  # noqa: ANN001
    """Run the machine until it waits for input, then show it."""
    app.machine.run_until_idle()
    app.sync()
    await pilot.pause()


def console_text(app: LibkApp) -> str:
    return app.query_one(ConsolePane).term.text()


@run_async
async def test_typing_at_the_console_edits_locally_and_runs_on_enter(info: BootInfo) -> None:
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"echo hellp", "backspace", "o", "left", "left", "home", "end")
        console = app.query_one(ConsolePane)
        assert console.buffer == "echo hello"
        assert "echo hello" not in console_text(app)  # not sent yet: edited locally
        await pilot.press("enter")
        await settle(app, pilot)
        assert "root@libk:~# echo hello\nhello\nroot@libk:~#" in console_text(app)
        # history: Up brings the line back, and it is saved in root's home on the machine
        await pilot.press("up")
        assert console.buffer == "echo hello"
        await pilot.press("ctrl+u")
        assert console.buffer == ""
        assert app.machine.host.read_file("/root/.libk_history") == b"echo hello\n"
        # Tab completes commands and paths through system calls
        await pilot.press(*"ca", "tab", *"/etc/hostn", "tab")
        assert console.buffer == "cat /etc/hostname "
        await pilot.press("enter")
        await settle(app, pilot)
        assert "cat /etc/hostname\nlibk\n" in console_text(app)
        # two Tabs on an ambiguous word list the choices
        await pilot.press(*"ls /etc/", "tab", "tab")
        assert "group      heap.conf  hostname   motd       passwd" in console_text(app)
        assert console.buffer == "ls /etc/"


@run_async
async def test_ctrl_c_goes_to_the_tty_and_raw_mode_passes_keys(info: BootInfo) -> None:
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"yes > /dev/null", "enter")
        app.machine.run_for(20_000_000)
        await pilot.press("ctrl+c")
        await settle(app, pilot)
        await pilot.press(*"echo $?", "enter")
        await settle(app, pilot)
        assert "^C\nroot@libk:~# echo $?\n130" in console_text(app)
        # cat reading lines: canonical, so ^D on an empty line ends its input
        await pilot.press(*"cat", "enter")
        await settle(app, pilot)
        await pilot.press(*"abc", "enter", "ctrl+d")
        await settle(app, pilot)
        assert "cat\nabc\nabc\nroot@libk:~#" in console_text(app)
        assert app.query_one(ConsolePane).line_editing()


@run_async
async def test_every_binding(
    info: BootInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = LibkApp(info, autorun=False)
    m = app.machine
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        assert m.paused
        await pilot.press("f5")
        assert not m.paused
        t0 = m.kernel.now_ns
        await pilot.press(*"yes > /dev/null", "enter")
        await pilot.press("f6")
        assert m.paused and m.kernel.now_ns - t0 >= m.quantum_ns
        m.set_speed(1)
        await pilot.press("f8")
        assert (m.speed, m.fast) == (2.0, False)
        await pilot.press("f7", "f7")
        assert m.speed == 0.5
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f3")
        assert not app.query_one(ConsolePane).has_focus
        await pilot.press("question_mark")  # ? is help when the console lacks focus
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.press("f2")
        assert app.query_one(ConsolePane).has_focus
        await pilot.press("question_mark")  # ... and a character when it has it
        assert app.query_one(ConsolePane).buffer == "?"
        await pilot.press("f11")
        assert app.screen.maximized is app.query_one(ConsolePane)
        await pilot.press("f11")
        assert app.screen.maximized is None
        active = app.query_one("#panes").active
        await pilot.press("f4")
        assert app.query_one("#panes").active != active
        await pilot.press("f12")
        await pilot.pause()
        assert any(name.endswith(".svg") for name in os.listdir(tmp_path))
        boots = m.boots
        await pilot.press("f9")  # asks first: Enter is Cancel, n and Esc cancel too
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await pilot.press("f9", "escape")
        assert m.boots == boots and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("f9", "y")
        await pilot.pause()
        assert m.boots == boots + 1 and m.kernel.now_ns == 0
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press(*str(m.info.source), "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert m.boots == boots + 2
        await pilot.press("ctrl+q")
    assert m.halted


@run_async
async def test_every_palette_command_runs(
    info: BootInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        commands = all_commands(app)
        titles = [title for title, _, _ in commands]
        for needed in (
            "Pause / resume",
            "Step",
            "Speed ×0.1",
            "Speed ×100",
            "Speed fast",
            "Reboot",
            "Open machine file…",
            "Help",
            "Save screenshot",
            "Show Processes",
            "Show Threads",
            "Show /proc",
        ):
            assert needed in titles
        for title, _, action in commands:
            if title.startswith("Open") or ": " in title:
                continue  # a dialog / a pane's own action: tested elsewhere
            await app.run_action(action)
            await pilot.pause()
            while len(app.screen_stack) > 1:
                app.pop_screen()
                await pilot.pause()
        # Through the palette UI itself
        await pilot.press("ctrl+p")
        await pilot.press(*"Speed fast")
        await pilot.press("enter")
        await pilot.pause()
        assert app.machine.fast


@run_async
async def test_a_kernel_panic_replaces_the_panes(
    info: BootInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = sysproc.sys_getppid

    def broken(k: Any, t: Any) -> int:
        if t.proc.comm != "tui_getppid":
            return original(k, t)  # (the shell asks for $PPID at start-up)
        raise RuntimeError("simulated kernel bug")

    monkeypatch.setattr(sysproc, "sys_getppid", broken)
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(*"tui_getppid", "enter")
        await settle(app, pilot)
        assert app.machine.panicked
        view = app.query_one(PanicView)
        assert view.has_focus and not app.query_one("#panes").display
        assert "simulated kernel bug" in screen_text(app)
        assert "panicked" in screen_text(app)
        monkeypatch.undo()
        await pilot.press("r")
        assert not app.machine.panicked and not app.query(PanicView)
        assert app.query_one("#panes").display


@run_async
async def test_bad_machine_file_is_reported_and_changes_nothing(
    info: BootInfo, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncpus: lots\nseed: -1\n")
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not await app.open_image(str(bad))
        assert app.machine.boots == 1
        await pilot.pause()
        assert isinstance(app.screen, MessageScreen)  # every mistake, until dismissed
        text = str(app.screen.query_one("#message", Static).render())
        assert "bad.yaml:2:7: cpus: " in text and "bad.yaml:3:" in text
        await pilot.press("enter")
        assert not isinstance(app.screen, MessageScreen)


@run_async
async def test_a_halted_machine_reboots_without_asking(info: BootInfo) -> None:
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.machine.power_off(0)
        await pilot.press("f9")
        await pilot.pause()
        assert app.machine.boots == 2 and not isinstance(app.screen, ConfirmScreen)


def test_the_picker_starts_here_for_the_packaged_image_and_beside_a_users_file(
    info: BootInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = LibkApp(None, autorun=False)  # the packaged default image
    assert app.picker_start() == str(tmp_path)
    mine = tmp_path / "machines" / "m.yaml"
    mine.parent.mkdir()
    mine.write_text(Path(default_image()).read_text())
    other = LibkApp(str(mine), autorun=False)
    assert other.picker_start() == str(mine.parent)
    for never_run in (app, other):  # close init's coroutine here, not in the GC
        never_run.machine.kernel.shutdown()


@run_async
async def test_a_flood_of_output_is_shown_over_several_ticks(info: BootInfo) -> None:
    app = LibkApp(info, autorun=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.machine.feed(b"yes | head -n 40000; echo flood-over\n")
        app.machine.run_until_idle()  # 120 kB of output waits for the console
        app._flush_output(0)  # a tick with no time to spare shows one chunk of it
        assert "flood-over" not in console_text(app).splitlines()
        assert app.machine.hold_output  # the rest is a backlog: the machine's writers wait
        app.sync()
        assert not app.machine.hold_output
        lines = console_text(app).splitlines()
        assert lines[-3:] == ["y", "flood-over", "root@libk:~#"]


def test_idle_cpus_draw_the_lowest_bar_not_a_blank(info: BootInfo) -> None:
    assert sparkline([0.0, 0.0, 0.5, 1.0]) == "▁▁▅█"
    assert sparkline([1.0] * 12) == "█" * HISTORY
    header = MachineHeader()
    header.cpu_history = [deque(), deque([0.0])]  # just booted: one CPU not sampled yet
    machine = Machine(info)
    text = header.render_text(machine)
    machine.kernel.shutdown()  # never run: close init's coroutine here, not in the GC
    assert text.plain.endswith(f"cpu {NO_SAMPLE * HISTORY} {NO_SAMPLE * (HISTORY - 1)}▁")
