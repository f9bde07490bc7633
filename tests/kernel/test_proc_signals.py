"""Processes: signals (default actions, ignored and uncatchable signals, kill's errors,
stop and continue reported to wait4, SIGPIPE or EPIPE)."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import MS, SECOND, errno_of, ok, register, run_main
from test_proc import SLEEPER, proc_state

from kernel.abi import (
    EINVAL,
    EPIPE,
    ESRCH,
    SIG_IGN,
    SIGCHLD,
    SIGCONT,
    SIGINT,
    SIGKILL,
    SIGPIPE,
    SIGQUIT,
    SIGSTOP,
    SIGTERM,
    SIGUSR1,
    WCONTINUED,
    WCOREDUMP,
    WEXITSTATUS,
    WIFCONTINUED,
    WIFEXITED,
    WIFSIGNALED,
    WIFSTOPPED,
    WNOHANG,
    WSTOPSIG,
    WTERMSIG,
    WUNTRACED,
    Error,
)
from userland.libk import sys

# ------------------------------------------------------------------ signals


@pytest.mark.parametrize(
    ("sig", "core"),
    [(SIGTERM, False), (SIGKILL, False), (SIGINT, False), (SIGUSR1, False), (SIGQUIT, True)],
)
def test_fatal_signals_kill_with_their_default_action(sig: int, core: bool) -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(SLEEPER, ["s"])
        await sys.nanosleep(MS)
        await sys.kill(pid, sig)
        seen["st"] = await sys.wait4(pid)
        seen["pid"] = pid
        return 0

    ok(run_main(main))
    pid, st = seen["st"]
    assert pid == seen["pid"]
    assert WIFSIGNALED(st) and WTERMSIG(st) == sig
    assert bool(WCOREDUMP(st)) is core


def test_sigchld_is_ignored_by_default_and_ignored_signals_do_nothing() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        await sys.sigaction(SIGTERM, SIG_IGN)
        await sys.nanosleep(SECOND)
        return 7

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        await sys.nanosleep(MS)
        await sys.kill(pid, SIGCHLD)
        await sys.kill(pid, SIGTERM)
        seen["alive"] = await sys.wait4(pid, WNOHANG)
        seen["st"] = await sys.wait4(pid)
        seen["pid"] = pid
        return 0

    ok(run_main(main))
    assert seen["alive"] == (0, 0)
    assert seen["st"] == (seen["pid"], 7 << 8)


def test_sigkill_and_sigstop_cannot_be_caught_or_ignored() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["kill"] = await errno_of(sys.sigaction(SIGKILL, SIG_IGN))
        seen["stop"] = await errno_of(sys.sigaction(SIGSTOP, SIG_IGN))
        seen["zero"] = await errno_of(sys.sigaction(0, SIG_IGN))
        seen["big"] = await errno_of(sys.sigaction(64, SIG_IGN))
        seen["old"] = await sys.sigaction(SIGUSR1, SIG_IGN)
        seen["old2"] = await sys.sigaction(SIGUSR1, 0)
        return 0

    ok(run_main(main))
    assert seen["kill"] == seen["stop"] == seen["zero"] == seen["big"] == EINVAL
    assert (seen["old"], seen["old2"]) == (0, SIG_IGN)


def test_kill_argument_errors() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["nosuch"] = await errno_of(sys.kill(99999, SIGTERM))
        seen["badsig"] = await errno_of(sys.kill(await sys.getpid(), 99))
        seen["nogroup"] = await errno_of(sys.kill(-99999, SIGTERM))
        seen["self0"] = await errno_of(sys.kill(await sys.getpid(), 0))
        return 0

    ok(run_main(main))
    assert seen == {"nosuch": ESRCH, "badsig": EINVAL, "nogroup": ESRCH, "self0": 0}


def test_stop_and_continue_are_reported_to_wait4() -> None:
    seen: dict[str, Any] = {}
    ticks = {"n": 0}

    async def ticker(argv: list[str]) -> int:
        while True:
            ticks["n"] += 1
            await sys.nanosleep(MS)

    tpath = register(ticker)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(tpath, ["t"])
        await sys.nanosleep(10 * MS)
        await sys.kill(pid, SIGSTOP)
        seen["nohang_plain"] = await sys.wait4(pid, WNOHANG)
        seen["stopped"] = await sys.wait4(pid, WUNTRACED)
        seen["stopped_again"] = await sys.wait4(pid, WUNTRACED | WNOHANG)
        before = ticks["n"]
        await sys.nanosleep(50 * MS)
        seen["frozen"] = ticks["n"] - before
        await sys.kill(pid, SIGCONT)
        seen["continued"] = await sys.wait4(pid, WCONTINUED)
        before = ticks["n"]
        await sys.nanosleep(50 * MS)
        seen["running"] = ticks["n"] - before
        await sys.kill(pid, SIGKILL)
        seen["killed"] = await sys.wait4(pid)
        seen["pid"] = pid
        return 0

    ok(run_main(main))
    pid = seen["pid"]
    assert seen["nohang_plain"] == (0, 0)
    got, st = seen["stopped"]
    assert got == pid and WIFSTOPPED(st) and WSTOPSIG(st) == SIGSTOP
    assert seen["stopped_again"] == (0, 0)  # reported once
    assert seen["frozen"] <= 1
    got, st = seen["continued"]
    assert got == pid and WIFCONTINUED(st)
    assert seen["running"] >= 10
    got, st = seen["killed"]
    assert got == pid and WIFSIGNALED(st) and WTERMSIG(st) == SIGKILL


def test_stopped_sleeping_process_shows_state_t() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(SLEEPER, ["s"])
        await sys.nanosleep(MS)
        await sys.kill(pid, SIGSTOP)
        await sys.wait4(pid, WUNTRACED)
        seen["state"] = await proc_state(pid)
        await sys.kill(pid, SIGKILL)
        await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert seen["state"] == "T"


def test_sigkill_ends_a_stopped_process() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(SLEEPER, ["s"])
        await sys.kill(pid, SIGSTOP)
        await sys.wait4(pid, WUNTRACED)
        await sys.kill(pid, SIGKILL)
        seen["st"] = await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert WIFSIGNALED(seen["st"][1]) and WTERMSIG(seen["st"][1]) == SIGKILL


def test_write_to_a_pipe_without_readers_is_sigpipe_or_epipe() -> None:
    seen: dict[str, Any] = {}

    async def writer(argv: list[str]) -> int:
        r, w = await sys.pipe()
        await sys.close(r)
        if argv[1] == "ignore":
            await sys.sigaction(SIGPIPE, SIG_IGN)
        try:
            await sys.write(w, b"hello")
        except Error as err:
            seen["errno"] = err.errno
            return 3
        return 0

    wpath = register(writer)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(wpath, ["w", "default"])
        seen["default"] = (await sys.wait4(pid))[1]
        seen["errno_default"] = seen.pop("errno", None)
        pid = await sys.spawn(wpath, ["w", "ignore"])
        seen["ignore"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    assert WIFSIGNALED(seen["default"]) and WTERMSIG(seen["default"]) == SIGPIPE
    assert seen["errno_default"] is None  # it died; the write never returned
    assert WIFEXITED(seen["ignore"]) and WEXITSTATUS(seen["ignore"]) == 3
    assert seen["errno"] == EPIPE
