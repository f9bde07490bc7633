"""The app's console pane sets the TTY's window size, and a resize reaches the machine."""

from __future__ import annotations

import asyncio

from kernel.image import BootInfo
from tui.app import LibkApp
from tui.widgets.console import ConsolePane


def test_stty_size_follows_the_pane(info: BootInfo) -> None:
    async def main() -> tuple[tuple[int, int], tuple[int, int], str]:
        app = LibkApp(info, autorun=False)
        async with app.run_test(size=(140, 28)) as pilot:
            console = app.query_one(ConsolePane)

            async def run(line: str) -> None:
                app.machine.run_until_idle()
                app.sync()
                await pilot.pause()
                await pilot.press(*line, "enter")
                app.machine.run_until_idle()
                app.sync()
                await pilot.pause()

            await run("stty size")
            first = (console.term.rows, console.term.cols)
            await pilot.resize_terminal(70, 40)  # stacked, narrower than the 80 beside the panes
            await pilot.pause()
            await run("stty size")
            second = (console.term.rows, console.term.cols)
            return first, second, console.term.text()

    first, second, text = asyncio.run(main())
    assert first != second and second[1] < first[1]
    assert f"stty size\n{first[0]} {first[1]}\n" in text
    assert f"stty size\n{second[0]} {second[1]}\n" in text


def test_shrinking_the_pane_and_growing_it_again_loses_no_text(info: BootInfo) -> None:
    line = "0123456789" * 6

    async def main() -> tuple[int, str, str]:
        app = LibkApp(info, autorun=False)
        async with app.run_test(size=(140, 28)) as pilot:
            console = app.query_one(ConsolePane)
            app.machine.run_until_idle()
            app.sync()
            await pilot.pause()
            await pilot.press(*f"echo {line}", "enter")
            app.machine.run_until_idle()
            app.sync()
            await pilot.pause()
            wide = console.term.cols
            await pilot.resize_terminal(40, 12)  # narrower and shorter than the line
            await pilot.pause()
            narrow = console.term.text()
            await pilot.resize_terminal(140, 28)
            await pilot.pause()
            return wide, narrow, console.term.text()

    wide, narrow, text = asyncio.run(main())
    assert wide > len(line)
    assert line not in narrow  # cut at the narrow edge while narrow...
    assert f"echo {line}\n{line}\nroot@libk:~#" in text  # ...and whole again after
    assert "Welcome to libk" in text  # the top of the console came back from scrollback
