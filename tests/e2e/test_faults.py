"""Faults stay where they belong: a crashing program dies alone; a kernel bug panics."""

from __future__ import annotations

from typing import Any

import pytest

from kernel import sysproc
from kernel.exec import register_program
from tui import cli
from tui.headless import run_command
from userland.libk import sys


async def _crasher(argv: list[str]) -> int:
    await sys.getpid()
    return 1 // 0


async def _asks_for_parent(argv: list[str]) -> int:
    return await sys.getppid()


register_program("e2e_crasher", _crasher)
register_program("e2e_getppid", _asks_for_parent)


def test_a_program_that_raises_kills_only_its_process() -> None:
    out, status = run_command("e2e_crasher; echo after=$?; echo still here; dmesg | cat")
    assert "Segmentation fault (core dumped)" in out
    assert "after=139" in out
    assert "still here" in out
    assert "e2e_crasher[" in out and "uncaught ZeroDivisionError" in out
    assert status == 0


def test_a_kernel_bug_panics_the_machine_and_exits_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    original = sysproc.sys_getppid

    def broken(k: Any, t: Any) -> int:
        if t.proc.comm != "e2e_getppid":
            return original(k, t)  # (the shell asks for $PPID at start-up)
        raise RuntimeError("simulated kernel bug")

    monkeypatch.setattr(sysproc, "sys_getppid", broken)
    status = cli.main(["--headless", "-c", "echo before; e2e_getppid; echo never"])
    captured = capsys.readouterr()
    assert status == 70
    assert "Kernel panic - not syncing" in captured.err
    assert "simulated kernel bug" in captured.err
    assert "in system call getppid from pid" in captured.err
    assert captured.out == "before\n"


def test_a_bad_system_call_argument_is_an_errno_not_a_traceback() -> None:
    async def prog(argv: list[str]) -> int:
        from kernel.abi import Error

        results = []
        for call in (
            lambda: sys.read("x", 1),
            lambda: sys.open(42),
            lambda: sys.write(1),
            lambda: sys.kill(1, 999),
        ):
            try:
                await call()
                results.append("ok")
            except Error as err:
                results.append(err.name)
        from userland.libk import io

        await io.write_all(1, " ".join(results) + "\n")
        return 0

    register_program("e2e_badargs", prog)
    out, status = run_command("e2e_badargs")
    assert out == "EBADF EFAULT EINVAL EINVAL\n"


def test_sigkill_to_init_is_ignored_as_on_linux() -> None:
    # issue #16 item 6: `kill -9 1` as root panicked the machine; Linux's init ignores
    # every signal it does not catch, SIGKILL included (SIGNAL_UNKILLABLE)
    out, status = run_command("kill -9 1; echo rc=$?; kill -TERM 1; echo alive; ps -o pid= -p 1")
    assert out.split() == ["rc=0", "alive", "1"] and status == 0
