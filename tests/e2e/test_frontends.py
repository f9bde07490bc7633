"""End-to-end: the ``libk-tui`` command lines behave like Unix programs (issue 16, item 7).

A closed output pipe ends a run quietly (141, as for SIGPIPE); input that is not a
terminal works with ``--plain`` and its end is the shell's end-of-file; a program that
waits for keys cannot hang a headless run without a keyboard; ``-c`` needs a front end.
And no Python traceback reaches the user when processes die or the machine powers off:
a program's clean-up may await (a ``finally`` that closes descriptors), and when its
thread is torn down the kernel must finish that clean-up chain itself, or the garbage
collector later closes the half-closed coroutines and prints "coroutine ignored
GeneratorExit" on the user's terminal.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from typing import Any

import pytest

from kernel.boot import boot, load, with_init
from kernel.exec import register_program
from kernel.kernel import HALTED
from userland.libk import sys as ksys

EXE = [sys.executable, "-m", "tui.cli"]
SIGPIPE_STATUS = 141


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*EXE, *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=60,
    )


def first_lines_then_close(*args: str, lines: int = 2) -> tuple[list[bytes], int, bytes]:
    """Run, read ``lines`` lines of output, close the pipe (``| head -2``)."""
    p = subprocess.Popen(
        [*EXE, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert p.stdout is not None and p.stderr is not None
    got = [p.stdout.readline() for _ in range(lines)]
    p.stdout.close()
    err = p.stderr.read()
    return got, p.wait(timeout=60), err


def test_headless_output_into_a_closed_pipe_ends_quietly_with_141() -> None:
    got, status, err = first_lines_then_close("--headless", "-c", "seq 1 100000; echo done")
    assert got == [b"1\n", b"2\n"]
    assert status == SIGPIPE_STATUS
    assert err == b""


def test_plain_output_into_a_closed_pipe_ends_quietly_with_141() -> None:
    got, status, err = first_lines_then_close("--plain", "-c", "seq 1 100000")
    assert got == [b"1\n", b"2\n"]
    assert status == SIGPIPE_STATUS
    assert err == b""


def test_plain_with_no_input_is_end_of_file_at_the_prompt() -> None:
    r = run("--plain")  # stdin is /dev/null
    assert r.stderr == ""
    assert r.returncode == 0
    assert r.stdout.endswith("root@libk:~# exit\n")


def test_plain_types_piped_input_and_exits_with_the_shells_status() -> None:
    r = run("--plain", stdin="echo piped in\nfalse\n")
    assert r.stderr == ""
    assert "root@libk:~# echo piped in\npiped in\n" in r.stdout
    assert r.returncode == 1


def test_headless_top_without_a_keyboard_shows_one_screen_and_ends() -> None:
    r = run("--headless", "-c", "top; echo top=$?")
    assert "PID USER" in r.stdout
    assert r.stdout.count("Tasks:") == 1
    assert r.stdout.endswith("top=0\n")
    assert r.returncode == 0


def test_dash_c_needs_headless_or_plain() -> None:
    r = run("-c", "echo hi")
    assert (r.returncode, r.stdout, r.stderr) == (
        2,
        "",
        "libk-tui: -c needs --headless or --plain\n",
    )
    r = run("--plain", "-c", "echo hi; exit 3")
    assert (r.returncode, r.stdout, r.stderr) == (3, "hi\n", "")
    r = run("--plain", "--headless", "-c", "true")
    assert r.returncode == 2 and "not allowed with argument" in r.stderr
    help_text = run("--help").stdout
    assert "with --headless or --plain" in help_text


def test_power_off_after_killing_a_background_pipeline_prints_no_traceback() -> None:
    r = run("--headless", "-c", "sleep 100 | cat & echo $!; kill %1")
    assert r.stderr == ""
    assert r.returncode == 0


# ---------------------------------------------------------------- teardown
FOREVER = 10**15


async def clean_up_that_awaits() -> None:
    """Park; on the way out, await twice in nested clean-up (like the shell's close_all)."""
    try:
        await ksys.nanosleep(FOREVER)
    finally:
        try:
            await ksys.getpid()
        finally:
            await ksys.getpid()


async def parked(argv: list[str]) -> int:
    """A process parked under one more coroutine level (as a shell's _dispatch is)."""
    await clean_up_that_awaits()
    return 0


async def leaves_a_thread(argv: list[str]) -> int:
    """Start a thread that parks, then exit: the exit tears the thread down."""

    async def body(_: object) -> None:
        await clean_up_that_awaits()

    await ksys.thread_spawn(body, None)
    await ksys.nanosleep(1_000_000)
    return 0


register_program("e2e_parked", parked)
register_program("e2e_leaves_a_thread", leaves_a_thread)


def run_to_halt(argv: list[str]) -> int:
    k = boot(with_init(load(None), argv))
    k.console.hangup()
    for _ in range(2000):
        if k.run(budget=50_000) == HALTED:
            break
    assert k.halted
    return k.power_status


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["/bin/e2e_leaves_a_thread"], id="exit-with-a-parked-thread"),
        pytest.param(["/bin/sh", "-c", "/bin/e2e_parked & sleep 1"], id="power-off-while-parked"),
        pytest.param(
            ["/bin/sh", "-c", "/bin/e2e_parked & sleep 1; kill -9 $!; wait"], id="killed-parked"
        ),
    ],
)
def test_no_coroutine_is_left_for_the_garbage_collector_to_complain_about(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list[str] = []

    def hook(u: Any) -> None:
        unraisable.append(f"{u.exc_type.__name__}: {u.exc_value} in {u.object!r}")

    monkeypatch.setattr(sys, "unraisablehook", hook)
    run_to_halt(argv)
    gc.collect()
    assert unraisable == []
