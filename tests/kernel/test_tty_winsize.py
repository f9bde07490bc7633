"""The console TTY's window size: TIOCGWINSZ/TIOCSWINSZ and SIGWINCH on a change."""

from __future__ import annotations

import re
from typing import Any

from kernel.abi import (
    EINTR,
    EINVAL,
    SIG_CATCH,
    SIGWINCH,
    TIOCGWINSZ,
    TIOCSWINSZ,
    Winsize,
)
from kernel.boot import boot, load, with_init
from kernel.kernel import HALTED
from tests.kernel.ksim import check, errno_of, machine, run, run_until_idle
from userland.libk import sys


def test_set_size_is_read_back_and_signals_the_foreground_group_once() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGWINCH, SIG_CATCH)
        seen["start"] = await sys.ioctl(0, TIOCGWINSZ)
        await sys.ioctl(0, TIOCSWINSZ, Winsize(30, 100))
        seen["after"] = await sys.ioctl(0, TIOCGWINSZ)
        seen["signals"] = await sys.sigtake()
        await sys.ioctl(0, TIOCSWINSZ, Winsize(30, 100))  # the same size: no signal
        seen["same"] = await sys.sigtake()
        seen["bad"] = await errno_of(sys.ioctl(0, TIOCSWINSZ, (30, 100)))
        return 0

    check(main)
    assert seen == {
        "start": Winsize(24, 80),
        "after": Winsize(30, 100),
        "signals": [SIGWINCH],
        "same": [],
        "bad": EINVAL,
    }


def test_a_front_end_resize_interrupts_a_waiting_foreground_job() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGWINCH, SIG_CATCH)
        seen["read"] = await errno_of(sys.read(0, 10))  # waits for typing
        seen["signals"] = await sys.sigtake()
        seen["size"] = await sys.ioctl(1, TIOCGWINSZ)
        return 0

    k = machine(main)
    run_until_idle(k)
    k.console.ioctl(None, None, TIOCSWINSZ, Winsize(50, 132))  # what a front end does
    r = run(k)
    assert r.status == 0, r.log
    assert seen == {"read": EINTR, "signals": [SIGWINCH], "size": Winsize(50, 132)}


def test_sigwinch_is_ignored_by_default() -> None:
    async def main(argv: list[str]) -> int:
        await sys.ioctl(0, TIOCSWINSZ, Winsize(10, 40))
        return 0 if (await sys.ioctl(0, TIOCGWINSZ)).cols == 40 else 1

    check(main)


def test_top_redraws_at_the_new_width_and_keeps_running() -> None:
    k = boot(with_init(load(None), ["/bin/sh", "-c", "top -d 5; echo after"]))
    out = bytearray()
    resized = quit_sent = False
    for _ in range(20_000):
        state = k.run(budget=200)
        out += k.console.drain()
        frames = out.decode(errors="replace").count("\x1b[Htop - ")
        if frames == 1 and not resized:
            k.console.ioctl(None, None, TIOCSWINSZ, Winsize(20, 50))
            resized = True
        elif frames == 2 and not quit_sent:
            k.console.feed(b"q")
            quit_sent = True
        if state == HALTED:
            break
    text = out.decode(errors="replace").replace("\r\n", "\n")
    assert text.endswith("after\n")  # q ended top, not SIGWINCH
    second = text.split("\x1b[Htop - ")[2].split("\x1b[?25h")[0]
    lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line) for line in second.split("\n")]
    assert lines and max(len(line) for line in lines[1:]) <= 50
    assert len(lines) <= 20
