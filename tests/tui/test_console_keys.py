"""The console pane's line editing as readline has it: ^C, Tab Tab, ^R (Textual pilot)."""

from __future__ import annotations

import asyncio

from kernel.image import BootInfo
from tui.app import LibkApp
from tui.widgets.console import ConsolePane

SIZE = (140, 28)
PROMPT = "root@libk:~# "


async def settle(app: LibkApp, pilot) -> None:  # noqa: ANN001
    """Run the machine until it waits for input, then show it."""
    app.machine.run_until_idle()
    app.sync()
    await pilot.pause()


def screen_lines(console: ConsolePane) -> list[str]:
    """The console's text, trailing blank lines dropped."""
    return console.term.text().split("\n")


def test_ctrl_c_keeps_the_line_drops_it_and_a_fresh_prompt_comes(info: BootInfo) -> None:
    async def main() -> list[str]:
        app = LibkApp(info, autorun=False)
        async with app.run_test(size=SIZE) as pilot:
            console = app.query_one(ConsolePane)
            await settle(app, pilot)
            await pilot.press(*"echo never", "left", "ctrl+c")
            await settle(app, pilot)
            assert console.buffer == ""
            await pilot.press(*"echo $?", "enter")
            await settle(app, pilot)
            return screen_lines(console)

    lines = asyncio.run(main())
    at = lines.index(PROMPT + "echo never^C")  # the line stays, ^C after it
    assert lines[at + 1 : at + 4] == [PROMPT + "echo $?", "130", PROMPT.rstrip()]
    assert "never" not in lines[at + 1 :]  # never ran


def test_second_tab_lists_then_redraws_the_prompt_and_the_word(info: BootInfo) -> None:
    async def main() -> tuple[list[str], str]:
        app = LibkApp(info, autorun=False)
        async with app.run_test(size=SIZE) as pilot:
            console = app.query_one(ConsolePane)
            await settle(app, pilot)
            await pilot.press(*"ls /bin/mk", "tab", "tab")
            await settle(app, pilot)
            listed = screen_lines(console)
            await pilot.press(*"dir", "enter")  # editing goes on: ls /bin/mkdir
            await settle(app, pilot)
            return listed, console.term.text()

    listed, after = asyncio.run(main())
    at = listed.index(PROMPT + "ls /bin/mk")  # the typed word stays above the list
    assert listed[at + 1].split() == ["mkdir", "mkfifo", "mknod"]
    assert listed[at + 2] == PROMPT.rstrip()  # the prompt again; the word is drawn after it
    assert PROMPT + "ls /bin/mkdir\n/bin/mkdir\n" in after


def test_ctrl_r_searches_the_history_backwards(info: BootInfo) -> None:
    async def main() -> list[str]:
        app = LibkApp(info, autorun=False)
        async with app.run_test(size=SIZE) as pilot:
            console = app.query_one(ConsolePane)
            await settle(app, pilot)
            for line in ("echo alpha", "echo beta", "true"):
                await pilot.press(*line, "enter")
                await settle(app, pilot)
            seen = []
            await pilot.press("ctrl+r", *"ech")
            seen.append(_cursor_row(console))
            await pilot.press("ctrl+r")  # the next older match
            seen.append(_cursor_row(console))
            await pilot.press("x")  # nothing older holds "echx"
            seen.append(_cursor_row(console))
            await pilot.press("backspace", "escape")  # cancelled: the line as it was
            seen.append(_cursor_row(console).rstrip() + f"|{console.buffer}")
            await pilot.press("ctrl+r", *"beta", "end", *" gamma")  # other keys edit it
            seen.append(console.buffer)
            await pilot.press("ctrl+u", "ctrl+r", *"alp", "enter")  # Enter runs the match
            await settle(app, pilot)
            seen.append(console.term.text())
            return seen

    seen = asyncio.run(main())
    assert seen[0].startswith("(reverse-i-search)`ech': echo beta")
    assert seen[1].startswith("(reverse-i-search)`ech': echo alpha")
    assert seen[2].startswith("(failed reverse-i-search)`echx': echo alpha")
    assert seen[3] == PROMPT.rstrip() + "|"
    assert seen[4] == "echo beta gamma"
    assert seen[5].endswith(f"{PROMPT}echo alpha\nalpha\n{PROMPT.rstrip()}")


def _cursor_row(console: ConsolePane) -> str:
    """The cursor's screen row as drawn (the locally edited line on top)."""
    t = console.term
    strip = console.render_line(t.cursor_row + len(t.scrollback) - round(console.scroll_y))
    return "".join(seg.text for seg in strip)
