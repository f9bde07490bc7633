"""Processes: spawn, wait4, zombies and orphans, signals, groups and sessions, crashes, exec.

Each test runs a small program as the machine's command (pid 2, root, a session leader
on the console) and checks what it saw with Linux-like expectations.
"""

from __future__ import annotations

from typing import Any

import pytest
from ksim import MS, SECOND, _listdir, errno_of, ok, register, run_main

from kernel.abi import (
    EACCES,
    ECHILD,
    EFAULT,
    EINVAL,
    EISTHREAD,
    ENOENT,
    ENOEXEC,
    EPERM,
    EPIPE,
    ESRCH,
    O_CREAT,
    O_RDONLY,
    O_WRONLY,
    SIG_IGN,
    SIGCHLD,
    SIGCONT,
    SIGINT,
    SIGKILL,
    SIGPIPE,
    SIGQUIT,
    SIGSEGV,
    SIGSTOP,
    SIGTERM,
    SIGUSR1,
    SPAWN_CHDIR,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    SPAWN_OPEN,
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
    SpawnAttr,
)
from kernel.host import HostClient
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


# ------------------------------------------------------------------ groups and sessions


def test_process_groups_and_sessions() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        if argv[1] == "setsid":
            seen["child_setsid"] = await sys.setsid()
            seen["child_sid"] = await sys.getsid(0)
            seen["child_pgid"] = await sys.getpgid(0)
            seen["child_setsid_again"] = await errno_of(sys.setsid())
        await sys.nanosleep(SECOND)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        me = await sys.getpid()
        seen["me"] = me
        seen["pgid"] = await sys.getpgid(0)
        seen["sid"] = await sys.getsid(0)
        seen["leader_setsid"] = await errno_of(sys.setsid())
        seen["leader_setpgid"] = await errno_of(sys.setpgid(0, 0))
        a = await sys.spawn(cpath, ["c", "plain"])
        seen["a"] = a
        seen["a_pgid"] = await sys.getpgid(a)
        seen["a_sid"] = await sys.getsid(a)
        await sys.setpgid(a, 0)
        seen["a_own_group"] = await sys.getpgid(a)
        await sys.setpgid(a, me)
        seen["a_back"] = await sys.getpgid(a)
        seen["no_group"] = await errno_of(sys.setpgid(a, 99999))
        seen["negative"] = await errno_of(sys.setpgid(a, -1))
        seen["not_child"] = await errno_of(sys.setpgid(1, 1))
        seen["no_proc"] = await errno_of(sys.getpgid(99999))
        b = await sys.spawn(cpath, ["c", "setsid"])
        seen["b"] = b
        await sys.nanosleep(MS)
        seen["other_session"] = await errno_of(sys.setpgid(b, b))
        seen["b_sid_seen"] = await sys.getsid(b)
        c = await sys.spawn(cpath, ["c", "plain"], None, None, None, SpawnAttr(pgroup=0))
        seen["c_pgid"] = await sys.getpgid(c)
        d = await sys.spawn(cpath, ["c", "plain"], None, None, None, SpawnAttr(pgroup=c))
        seen["d_pgid"] = await sys.getpgid(d)
        seen["bad_pgroup"] = await errno_of(
            sys.spawn(cpath, ["c", "plain"], None, None, None, SpawnAttr(pgroup=99999))
        )
        seen["c"], seen["d"] = c, d
        for _ in range(4):
            await sys.wait4(-1)
        return 0

    ok(run_main(main))
    me = seen["me"]
    assert seen["pgid"] == seen["sid"] == me
    assert seen["leader_setsid"] == EPERM
    assert seen["leader_setpgid"] == EPERM  # a session leader cannot change group
    assert seen["a_pgid"] == me and seen["a_sid"] == me
    assert seen["a_own_group"] == seen["a"]
    assert seen["a_back"] == me
    assert seen["no_group"] == EPERM
    assert seen["negative"] == EINVAL
    assert seen["not_child"] == ESRCH
    assert seen["no_proc"] == ESRCH
    b = seen["b"]
    assert seen["child_setsid"] == seen["child_sid"] == seen["child_pgid"] == b
    assert seen["child_setsid_again"] == EPERM
    assert seen["other_session"] == EPERM
    assert seen["b_sid_seen"] == b
    assert seen["c_pgid"] == seen["c"]
    assert seen["d_pgid"] == seen["c"]
    assert seen["bad_pgroup"] == EPERM


def test_kill_a_process_group() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        a = await sys.spawn(SLEEPER, ["s"], None, None, None, SpawnAttr(pgroup=0))
        b = await sys.spawn(SLEEPER, ["s"], None, None, None, SpawnAttr(pgroup=a))
        c = await sys.spawn(SLEEPER, ["s", str(SECOND)])
        await sys.kill(-a, SIGTERM)
        got = {}
        for _ in range(3):
            pid, st = await sys.wait4(-1)
            got[pid] = st
        seen["got"] = got
        seen["pids"] = (a, b, c)
        return 0

    ok(run_main(main))
    a, b, c = seen["pids"]
    assert WTERMSIG(seen["got"][a]) == SIGTERM
    assert WTERMSIG(seen["got"][b]) == SIGTERM
    assert seen["got"][c] == 0


def test_kill_permissions() -> None:
    seen: dict[str, Any] = {}

    async def user_child(argv: list[str]) -> int:
        parent = await sys.getppid()
        seen["uid"] = (await sys.getuid(), await sys.geteuid())
        seen["kill_root"] = await errno_of(sys.kill(parent, SIGTERM))
        seen["probe_root"] = await errno_of(sys.kill(parent, 0))
        seen["kill_init"] = await errno_of(sys.kill(1, SIGTERM))
        seen["spawn_as_root"] = await errno_of(
            sys.spawn(SLEEPER, ["s"], None, None, None, SpawnAttr(uid=0))
        )
        seen["setuid_root"] = await errno_of(sys.setuid(0))
        mine = await sys.spawn(SLEEPER, ["s"])
        seen["kill_own"] = await errno_of(sys.kill(mine, SIGTERM))
        await sys.wait4(mine)
        await sys.nanosleep(100 * SECOND)
        return 0

    upath = register(user_child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.nanosleep(SECOND)
        await sys.kill(pid, SIGKILL)  # root may signal anyone
        seen["st"] = await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert seen["uid"] == (1000, 1000)
    assert seen["kill_root"] == EPERM
    assert seen["probe_root"] == EPERM
    assert seen["kill_init"] == EPERM
    assert seen["spawn_as_root"] == EPERM
    assert seen["setuid_root"] == EPERM
    assert seen["kill_own"] == 0
    assert WTERMSIG(seen["st"][1]) == SIGKILL


def test_kill_of_a_thread_id_is_eisthread() -> None:
    seen: dict[str, Any] = {}

    async def idle(arg: Any) -> None:
        while not await sys.thread_should_exit():
            try:
                await sys.nanosleep(SECOND)
            except Error:
                pass

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(idle, None)
        try:
            await sys.kill(tid, SIGTERM)
        except Error as err:
            seen["err"] = err
        seen["kill_main"] = await errno_of(sys.kill(await sys.getpid(), 0))
        await sys.thread_request_exit(tid)
        await sys.thread_join(tid)
        seen["tid"] = tid
        return 0

    ok(run_main(main))
    err = seen["err"]
    assert err.errno == EISTHREAD
    assert "never killed" in err.message
    assert "thread_request_exit" in err.message
    assert str(seen["tid"]) in err.message
    assert seen["kill_main"] == 0


def test_kill_of_another_process_thread_is_eisthread() -> None:
    seen: dict[str, Any] = {}
    tids: list[int] = []

    async def idle(arg: Any) -> None:
        await sys.nanosleep(100 * SECOND)

    async def threaded(argv: list[str]) -> int:
        tids.append(await sys.thread_spawn(idle, None))
        await sys.nanosleep(100 * SECOND)
        return 0

    tpath = register(threaded)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(tpath, ["t"])
        await sys.nanosleep(MS)
        seen["errno"] = await errno_of(sys.kill(tids[0], SIGKILL))
        await sys.kill(pid, SIGKILL)
        await sys.wait4(pid)
        seen["after_exit"] = await errno_of(sys.kill(tids[0], SIGKILL))
        return 0

    ok(run_main(main))
    assert seen["errno"] == EISTHREAD
    assert seen["after_exit"] == ESRCH


# ------------------------------------------------------------------ crashes


def test_a_crashing_program_dies_with_sigsegv_and_others_keep_running() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        survivor = await sys.spawn(SLEEPER, ["s", str(SECOND)])
        pid = await sys.spawn(CRASHER, ["c"])
        seen["crash"] = await sys.wait4(pid)
        seen["survivor"] = await sys.wait4(survivor)
        seen["kmsg"] = await read_text("/proc/kmsg")
        seen["syslog"] = await sys.syslog()
        seen["pid"] = pid
        return 0

    r = run_main(main)
    ok(r)
    pid, st = seen["crash"]
    assert pid == seen["pid"]
    assert WIFSIGNALED(st) and WTERMSIG(st) == SIGSEGV and WCOREDUMP(st)
    assert seen["survivor"][1] == 0
    for text in (seen["kmsg"], seen["syslog"], r.log):
        assert "ValueError" in text
        assert "boom from the crasher" in text
    assert r.kernel.panic_report is None


def test_awaiting_something_that_is_not_a_request_kills_only_that_process() -> None:
    import asyncio

    async def confused(argv: list[str]) -> int:
        await asyncio.sleep(0)
        return 0

    cpath = register(confused)
    seen = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        seen["st"] = (await sys.wait4(pid))[1]
        return 0

    r = run_main(main)
    ok(r)
    assert WIFSIGNALED(seen["st"]) and WTERMSIG(seen["st"]) == SIGSEGV


# ------------------------------------------------------------------ executables


def test_exec_format_checks_and_scripts() -> None:
    seen: dict[str, Any] = {}

    async def interp(argv: list[str]) -> int:
        seen["interp_argv"] = argv
        return 9

    ipath = register(interp)

    async def make(path: str, data: bytes, mode: int) -> None:
        fd = await sys.open(path, O_WRONLY | O_CREAT, mode)
        await sys.write(fd, data)
        await sys.close(fd)

    async def main(argv: list[str]) -> int:
        await make("/tmp/junk", b"just some text\n", 0o755)
        await make("/tmp/script", f"#!{ipath} -x\necho hi\n".encode(), 0o755)
        await make("/tmp/badinterp", b"#!/no/such/interp\n", 0o755)
        await make("/tmp/unregistered", b"\x7fLBK no_such_program_xyz\n", 0o755)
        seen["junk"] = await errno_of(sys.spawn("/tmp/junk", ["j"]))
        seen["dir"] = await errno_of(sys.spawn("/tmp", ["d"]))
        seen["badinterp"] = await errno_of(sys.spawn("/tmp/badinterp", ["b"]))
        seen["unregistered"] = await errno_of(sys.spawn("/tmp/unregistered", ["u"]))
        # A copy of a /bin program runs; without its x bit it does not.
        data = await kio.read_file(EXITER)
        await make("/tmp/copy", data, 0o755)
        await make("/tmp/copy_nox", data, 0o644)
        pid = await sys.spawn("/tmp/copy", ["copy", "4"])
        seen["copy"] = (await sys.wait4(pid))[1]
        seen["noexec"] = await errno_of(sys.spawn("/tmp/copy_nox", ["n"]))
        pid = await sys.spawn("/tmp/script", ["script", "arg1"])
        seen["script"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    assert seen["junk"] == ENOEXEC
    assert seen["dir"] == EACCES
    assert seen["badinterp"] == ENOENT
    assert seen["unregistered"] == ENOEXEC
    assert WEXITSTATUS(seen["copy"]) == 4
    assert seen["noexec"] == EACCES
    assert WEXITSTATUS(seen["script"]) == 9
    assert seen["interp_argv"] == [ipath, "-x", "/tmp/script", "arg1"]


def test_non_async_main_is_enoexec() -> None:
    def not_async(argv: list[str]) -> int:
        return 0

    npath = register(not_async)
    seen = {}

    async def main(argv: list[str]) -> int:
        seen["e"] = await errno_of(sys.spawn(npath, ["n"]))
        return 0

    ok(run_main(main))
    assert seen["e"] == ENOEXEC


def test_comm_and_exe_come_from_the_executable() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(SLEEPER, ["whatever-argv0"])
        seen["comm"] = await read_text(f"/proc/{pid}/comm")
        seen["exe"] = await sys.readlink(f"/proc/{pid}/exe")
        seen["cmdline"] = await read_text(f"/proc/{pid}/cmdline")
        await sys.kill(pid, SIGKILL)
        await sys.wait4(pid)
        return 0

    ok(run_main(main))
    name = SLEEPER.rsplit("/", 1)[1]
    assert seen["comm"] == name[:15] + "\n"
    assert seen["exe"] == SLEEPER
    assert seen["cmdline"] == "whatever-argv0\0"


def test_host_sees_the_program_as_pid_2() -> None:
    async def main(argv: list[str]) -> int:
        return 0 if await sys.getpid() == 2 and await sys.getppid() == 1 else 1

    r = run_main(main)
    ok(r)
    assert b"init" in HostClient(r.kernel).read_file("/proc/1/comm")


def test_setuid_bit_owner_only_exec_and_interpreter_limits() -> None:
    seen: dict[str, Any] = {}

    async def ids(argv: list[str]) -> int:
        seen.setdefault("ids", []).append((await sys.getuid(), await sys.geteuid()))
        return 0

    ids_path = register(ids)

    async def make(path: str, data: bytes, mode: int) -> None:
        fd = await sys.open(path, O_WRONLY | O_CREAT, mode)
        await sys.write(fd, data)
        await sys.close(fd)
        await sys.chmod(path, mode)

    async def user(argv: list[str]) -> int:
        pid = await sys.spawn("/tmp/suid", ["suid"])
        await sys.wait4(pid)
        pid = await sys.spawn("/tmp/plain", ["plain"])
        await sys.wait4(pid)
        seen["owner_only"] = await errno_of(sys.spawn("/tmp/owner_only", ["o"]))
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        image = await kio.read_file(ids_path)
        await make("/tmp/suid", image, 0o4755)
        await make("/tmp/plain", image, 0o755)
        await make("/tmp/owner_only", image, 0o700)
        await make("/tmp/empty_shebang", b"#!\n", 0o755)
        await make("/tmp/s1", b"#!/tmp/s2\n", 0o755)
        await make("/tmp/s2", b"#!/tmp/s1\n", 0o755)
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["empty_shebang"] = await errno_of(sys.spawn("/tmp/empty_shebang", ["e"]))
        seen["script_loop"] = await errno_of(sys.spawn("/tmp/s1", ["s"]))
        seen["e2big"] = await errno_of(sys.spawn(ids_path, ["x" * 200_000]))
        return 0

    ok(run_main(main))
    assert seen["ids"] == [(1000, 0), (1000, 1000)]
    assert seen["owner_only"] == EACCES
    assert seen["empty_shebang"] == ENOEXEC
    assert seen["script_loop"] == 40  # ELOOP
    assert seen["e2big"] == 7  # E2BIG


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
