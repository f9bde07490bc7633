"""``libk-tui --plain``: prompt-toolkit's pipe input typed at the machine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from kernel.image import BootInfo
from tui.repl import PlainRepl


def run_repl(
    info: BootInfo, keys: Sequence[str | Callable[[], None]], output: DummyOutput | None = None
) -> tuple[str, int, PlainRepl]:
    """Type ``keys`` and return (printed output, status, repl).

    A chunk is typed when the machine next asks for a line; a chunk starting with
    ``!`` is typed (without the ``!``) as soon as the machine is busy instead; a callable
    is called (a resize of the host terminal) and given time to be noticed.
    """
    printed: list[str] = []

    async def main() -> tuple[int, PlainRepl]:
        with create_pipe_input() as pipe:
            repl = PlainRepl(info, input=pipe, output=output or DummyOutput(), write=printed.append)
            task = asyncio.create_task(repl.run())
            for chunk in keys:
                if callable(chunk):
                    chunk()  # e.g. resize the host terminal
                    for _ in range(1000):  # until the REPL has looked at the size again
                        await asyncio.sleep(0.005)
                        if repl._sent_size == repl.host_size():
                            break
                    continue
                busy = chunk.startswith("!")
                for _ in range(2000):  # until the machine asks for a line (or is busy)
                    await asyncio.sleep(0.005)
                    reading = repl.machine.kernel.console.waiting_for_input
                    prompting = repl.session.app.is_running
                    if (busy and not reading and not prompting) or (
                        not busy and reading and prompting
                    ):
                        break
                assert isinstance(chunk, str)
                pipe.send_text(chunk.removeprefix("!"))
            return await asyncio.wait_for(task, 30), repl

    status, repl = asyncio.run(main())
    return "".join(printed), status, repl


def test_lines_run_history_is_saved_and_ctrl_d_powers_off(info: BootInfo) -> None:
    out, status, repl = run_repl(info, ["echo hello plain\r", "cd /etc\r", "pwd\r", "\x04"])
    assert "root@libk:~# echo hello plain\nhello plain\n" in out
    assert "/etc\n" in out
    assert status == 0
    assert repl.machine.halted
    history = repl.machine.host.read_file("/root/.libk_history").decode()
    assert history.splitlines() == ["echo hello plain", "cd /etc", "pwd"]


def test_tab_completes_through_system_calls(info: BootInfo) -> None:
    out, status, _ = run_repl(info, ["ec\thi\r", "cat /etc/hostn\t\r", "\x04"])
    assert "echo hi\nhi\n" in out
    assert "cat /etc/hostname \nlibk\n" in out
    assert status == 0


def test_ctrl_c_interrupts_the_foreground_job(info: BootInfo) -> None:
    keys = ["yes > /dev/null\r", "!\x03", "echo status $?\r", "\x04"]
    out, status, _ = run_repl(info, keys)
    assert "^C\nroot@libk:~# echo status $?\nstatus 130\n" in out
    assert status == 0


class SizedOutput(DummyOutput):
    """A host terminal of a chosen size that can be resized."""

    def __init__(self, rows: int, cols: int) -> None:
        super().__init__()
        self.size = Size(rows=rows, columns=cols)

    def get_size(self) -> Size:
        return self.size


def test_the_console_takes_the_host_terminal_size_and_follows_a_resize(info: BootInfo) -> None:
    out_term = SizedOutput(33, 101)

    def resize() -> None:
        out_term.size = Size(rows=50, columns=132)

    keys: list[str | Callable[[], None]] = ["stty size\r", resize, "stty size\r", "\x04"]
    out, status, _ = run_repl(info, keys, out_term)
    assert "stty size\n33 101\n" in out
    assert "stty size\n50 132\n" in out
    assert status == 0


def test_ctrl_d_is_end_of_file_for_the_reader_and_the_session_ends_with_the_shells_status(
    info: BootInfo,
) -> None:
    out, status, repl = run_repl(info, ["cat\r", "\x04", "echo cat ended $?\r", "exit 3\r"])
    assert "cat ended 0\n" in out
    assert status == 3
    assert repl.machine.halted


def test_keys_pass_through_one_by_one_while_the_console_is_not_canonical(info: BootInfo) -> None:
    """``top`` turns canonical mode off: ``q`` alone (no Enter) reaches it."""
    printed: list[str] = []

    async def until(cond: Callable[[], bool]) -> None:
        for _ in range(1000):
            await asyncio.sleep(0.005)
            if cond():
                return
        raise AssertionError("the REPL never got there")

    async def main() -> tuple[int, PlainRepl]:
        with create_pipe_input() as pipe:
            repl = PlainRepl(info, input=pipe, output=DummyOutput(), write=printed.append)
            task = asyncio.create_task(repl.run())
            await until(lambda: repl.session.app.is_running)
            pipe.send_text("top -d 100\r")
            await until(
                lambda: not repl.canonical() and repl.machine.kernel.console.waiting_for_input
            )
            assert not repl.session.app.is_running  # no line editing while top runs
            pipe.send_text("q")
            await until(lambda: repl.session.app.is_running and repl.canonical())
            pipe.send_text("echo after top\r")
            await until(lambda: "after top\n" in "".join(printed))
            pipe.send_text("\x04")
            return await asyncio.wait_for(task, 10), repl

    status, repl = asyncio.run(main())
    out = "".join(printed)
    assert "PID USER" in out
    assert "echo after top\nafter top\n" in out
    assert status == 0
