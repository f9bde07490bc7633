"""Processes: spawn, wait4, zombies and orphans, and bad arguments that never panic.

Each test runs a small program as the machine's command (pid 2, root, a session leader
on the console) and checks what it saw with Linux-like expectations. Signals are in
test_proc_signals.py, groups and sessions in test_proc_groups.py, crashes and
executables in test_proc_exec.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from ksim import MS, SECOND, _listdir, errno_of, ok, register, run_main

from kernel.abi import (
    ECHILD,
    EFAULT,
    EINVAL,
    ENOENT,
    ESRCH,
    O_RDONLY,
    SPAWN_CHDIR,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    SPAWN_OPEN,
    WEXITSTATUS,
    WIFEXITED,
    WIFSIGNALED,
    WNOHANG,
    Error,
    SpawnAttr,
)
from userland.libk import io as kio
from userland.libk import sys


async def read_text(path: str) -> str:
    return (await kio.read_file(path)).decode()


async def proc_state(pid: int) -> str:
    """The state letter of /proc/<pid>/stat."""
    text = await read_text(f"/proc/{pid}/stat")
    return text[text.rindex(")") + 2]


async def sleeper_main(argv: list[str]) -> int:
    await sys.nanosleep(int(argv[1]) if len(argv) > 1 else 100 * SECOND)
    return 0


async def exiter_main(argv: list[str]) -> int:
    return int(argv[1])


async def crasher_main(argv: list[str]) -> int:
    await sys.getpid()
    raise ValueError("boom from the crasher")


SLEEPER = register(sleeper_main)
EXITER = register(exiter_main)
CRASHER = register(crasher_main)


# ------------------------------------------------------------------ spawn


def test_spawn_passes_argv_env_cwd_and_file_actions() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["argv"] = argv
        seen["env"] = await sys.environ()
        seen["cwd"] = await sys.getcwd()
        seen["stdin"] = await sys.read(0, 100)
        seen["fd5"] = await sys.read(5, 100)
        seen["fd7"] = await errno_of(sys.fstat(7))
        seen["ppid"] = await sys.getppid()
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        extra = await sys.open("/etc/hostname", O_RDONLY)
        await sys.dup2(extra, 7)
        actions = [
            (SPAWN_OPEN, 0, "/etc/passwd", O_RDONLY, 0),
            (SPAWN_DUP2, extra, 5),
            (SPAWN_CLOSE, 7),
        ]
        pid = await sys.spawn(cpath, ["kid", "a b", ""], {"X": "1"}, "/etc", actions)
        seen["pid"] = pid
        seen["status"] = await sys.wait4(pid)
        seen["me"] = await sys.getpid()
        return 0

    ok(run_main(main))
    assert seen["argv"] == ["kid", "a b", ""]
    assert seen["env"] == {"X": "1"}
    assert seen["cwd"] == "/etc"
    assert seen["stdin"].startswith(b"root:x:0:0:")
    assert seen["fd5"] == b"libk\n"
    assert seen["fd7"] == 9  # EBADF: closed by the action
    assert seen["ppid"] == seen["me"]
    assert seen["status"] == (seen["pid"], 0)


def test_spawn_inherits_env_cwd_and_descriptors_by_default() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["argv"] = argv
        seen["env"] = await sys.environ()
        seen["cwd"] = await sys.getcwd()
        seen["fd4"] = await sys.read(4, 100)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        await sys.chdir("/tmp")
        fd = await sys.open("/etc/hostname")
        await sys.dup2(fd, 4)
        seen["parent_env"] = await sys.environ()
        pid = await sys.spawn(cpath, [])
        await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert seen["argv"] == [cpath]  # an empty argv becomes [path]
    assert seen["env"] == seen["parent_env"]
    assert seen["cwd"] == "/tmp"
    assert seen["fd4"] == b"libk\n"


def test_spawn_errors_leave_nothing_behind() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["noent"] = await errno_of(sys.spawn("/bin/no-such-program", ["x"]))
        seen["badopen"] = await errno_of(
            sys.spawn(SLEEPER, ["s"], None, None, [(SPAWN_OPEN, 0, "/nope/x", O_RDONLY, 0)])
        )
        seen["badchdir"] = await errno_of(
            sys.spawn(SLEEPER, ["s"], None, None, [(SPAWN_CHDIR, "/etc/passwd")])
        )
        seen["badcwd"] = await errno_of(sys.spawn(SLEEPER, ["s"], None, "/nope"))
        seen["badattr"] = await errno_of(sys.spawn(SLEEPER, ["s"], None, None, None, "attr"))
        seen["children"] = await errno_of(sys.wait4(-1, WNOHANG))
        seen["fds"] = [fd for fd in range(10) if not await errno_of(sys.fstat(fd))]
        return 0

    ok(run_main(main))
    assert seen["noent"] == ENOENT
    assert seen["badopen"] == ENOENT
    assert seen["badchdir"] == 20  # ENOTDIR
    assert seen["badcwd"] == ENOENT
    assert seen["badattr"] == EINVAL
    assert seen["children"] == ECHILD
    assert seen["fds"] == [0, 1, 2]


# ------------------------------------------------------------------ wait4


def test_wait4_reports_exit_codes() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        out = {}
        for code in ("0", "3", "255", "263"):
            pid = await sys.spawn(EXITER, ["e", code])
            got, status = await sys.wait4(pid)
            assert got == pid
            out[code] = (WIFEXITED(status), WEXITSTATUS(status), WIFSIGNALED(status))
        seen["out"] = out
        return 0

    ok(run_main(main))
    assert seen["out"] == {
        "0": (True, 0, False),
        "3": (True, 3, False),
        "255": (True, 255, False),
        "263": (True, 7, False),
    }


def test_wait4_with_sys_exit() -> None:
    async def child(argv: list[str]) -> int:
        await sys.exit(42)
        raise AssertionError("exit returned")

    cpath = register(child)
    seen = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        seen["st"] = await sys.wait4(pid)
        seen["pid"] = pid
        return 0

    ok(run_main(main))
    assert seen["st"][0] == seen["pid"]
    assert WIFEXITED(seen["st"][1]) and WEXITSTATUS(seen["st"][1]) == 42


def test_wait4_nohang_echild_and_selection() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["none"] = await errno_of(sys.wait4(-1))
        seen["none_nohang"] = await errno_of(sys.wait4(-1, WNOHANG))
        a = await sys.spawn(SLEEPER, ["s", str(2 * SECOND)])
        b = await sys.spawn(EXITER, ["e", "5"])
        seen["nohang"] = await sys.wait4(a, WNOHANG)
        seen["not_child"] = await errno_of(sys.wait4(1))
        seen["b"] = await sys.wait4(b)
        seen["b_again"] = await errno_of(sys.wait4(b))
        seen["any"] = await sys.wait4(-1)
        seen["pids"] = (a, b)
        seen["after"] = await errno_of(sys.wait4(-1))
        return 0

    ok(run_main(main))
    a, b = seen["pids"]
    assert seen["none"] == ECHILD
    assert seen["none_nohang"] == ECHILD
    assert seen["nohang"] == (0, 0)
    assert seen["not_child"] == ECHILD
    assert seen["b"] == (b, 5 << 8)
    assert seen["b_again"] == ECHILD
    assert seen["any"] == (a, 0)
    assert seen["after"] == ECHILD


def test_wait4_by_process_group() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        a = await sys.spawn(EXITER, ["e", "1"], None, None, None, SpawnAttr(pgroup=0))
        b = await sys.spawn(EXITER, ["e", "2"])
        seen["other_group"] = await sys.wait4(-a)
        seen["own_group"] = await sys.wait4(0)
        seen["pids"] = (a, b)
        return 0

    ok(run_main(main))
    a, b = seen["pids"]
    assert seen["other_group"] == (a, 1 << 8)
    assert seen["own_group"] == (b, 2 << 8)


def test_zombie_stays_until_reaped() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(EXITER, ["e", "3"])
        await sys.nanosleep(SECOND)  # the child has long exited
        seen["state"] = await proc_state(pid)
        seen["status"] = await read_text(f"/proc/{pid}/status")
        seen["cmdline"] = await read_text(f"/proc/{pid}/cmdline")
        seen["listed"] = str(pid) in await _listdir("/proc")
        seen["kill0"] = await errno_of(sys.kill(pid, 0))
        seen["wait"] = await sys.wait4(pid)
        seen["gone"] = await errno_of(sys.open(f"/proc/{pid}/stat"))
        seen["gone_kill"] = await errno_of(sys.kill(pid, 0))
        seen["pid"] = pid
        return 0

    ok(run_main(main))
    assert seen["state"] == "Z"
    assert "State:\tZ (zombie)" in seen["status"]
    assert seen["cmdline"] == ""
    assert seen["listed"]
    assert seen["kill0"] == 0  # a zombie still exists for kill(pid, 0)
    assert seen["wait"] == (seen["pid"], 3 << 8)
    assert seen["gone"] == ENOENT
    assert seen["gone_kill"] == ESRCH


def test_orphans_are_reparented_to_init() -> None:
    seen: dict[str, Any] = {}

    async def grandchild(argv: list[str]) -> int:
        seen["ppid_before"] = await sys.getppid()
        await sys.nanosleep(SECOND)
        seen["ppid_after"] = await sys.getppid()
        seen["status_ppid"] = [
            line
            for line in (await read_text("/proc/self/status")).splitlines()
            if line.startswith("PPid:")
        ]
        return 0

    gpath = register(grandchild)

    async def middle(argv: list[str]) -> int:
        seen["grandchild"] = await sys.spawn(gpath, ["g"])
        seen["middle"] = await sys.getpid()
        await sys.nanosleep(10 * MS)
        return 0

    mpath = register(middle)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(mpath, ["m"])
        await sys.wait4(pid)
        seen["wait_gc"] = await errno_of(sys.wait4(seen["grandchild"]))
        await sys.nanosleep(3 * SECOND)
        seen["gc_gone"] = await errno_of(sys.kill(seen["grandchild"], 0))
        return 0

    ok(run_main(main))
    assert seen["ppid_before"] == seen["middle"]
    assert seen["ppid_after"] == 1
    assert seen["status_ppid"] == ["PPid:\t1"]
    assert seen["wait_gc"] == ECHILD  # not the caller's child
    assert seen["gc_gone"] == ESRCH  # init reaped it


def test_wait4_unknown_options_are_einval() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(EXITER, ["e", "0"])
        seen["bad"] = await errno_of(sys.wait4(pid, 0x40000))
        await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert seen["bad"] == EINVAL


# ------------------------------------------------------------------ bad arguments never panic


async def _long_sleeper(argv: list[str]) -> int:
    await sys.nanosleep(SECOND)
    return 0


LONG_SLEEPER = register(_long_sleeper)


def _bad_call_outcome(make: Any) -> tuple[Any, str | None]:
    """Run ``await make(seen)`` in a program: (errno or "ok", the panic report)."""
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        try:
            await make(seen)
            seen["r"] = "ok"
        except Error as err:
            seen["r"] = err.errno
        return 0

    k = run_main(main).kernel
    return seen.get("r"), k.panic_report


@pytest.mark.parametrize(
    "actions",
    [[(SPAWN_OPEN, 0)], [(SPAWN_OPEN, 0, 5, O_RDONLY, 0)], [(SPAWN_DUP2, 1)]],
    ids=["short-open", "int-path", "short-dup2"],
)
def test_malformed_spawn_actions_are_einval_not_a_panic(actions: list[Any]) -> None:
    async def make(seen: dict[str, Any]) -> None:
        await sys.spawn(LONG_SLEEPER, ["s"], None, None, actions)

    result, panic = _bad_call_outcome(make)
    assert panic is None
    assert result in (EINVAL, EFAULT, 9)


def test_spawn_open_action_with_a_non_int_fd_is_ebadf() -> None:
    async def make(seen: dict[str, Any]) -> None:
        pid = await sys.spawn(
            LONG_SLEEPER, ["s"], None, None, [(SPAWN_OPEN, "x", "/etc/passwd", O_RDONLY, 0)]
        )
        seen["pid"] = pid
        await _listdir(f"/proc/{pid}/fd")

    result, panic = _bad_call_outcome(make)
    assert panic is None
    assert result in (9, EINVAL)


def test_spawn_attr_with_bad_signals_is_einval() -> None:
    async def make(seen: dict[str, Any]) -> None:
        pid = await sys.spawn(LONG_SLEEPER, ["s"], None, None, None, SpawnAttr(sigignore=("x",)))
        await read_text(f"/proc/{pid}/stat")

    result, panic = _bad_call_outcome(make)
    assert panic is None
    assert result == EINVAL


def test_thread_spawn_of_a_raising_callable_is_einval() -> None:
    async def make(seen: dict[str, Any]) -> None:
        await sys.thread_spawn(int, "x")

    result, panic = _bad_call_outcome(make)
    assert panic is None
    assert result == EINVAL


def test_crash_report_names_the_programs_file_and_line() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(CRASHER, ["c"])
        await sys.wait4(pid)
        seen["log"] = await sys.syslog()
        return 0

    ok(run_main(main))
    assert " at test_proc.py:" in seen["log"]
