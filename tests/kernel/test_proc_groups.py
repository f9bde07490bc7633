"""Processes: process groups and sessions, kill of a group, kill permissions, and kill
of a thread id (EISTHREAD)."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, errno_of, ok, register, run_main
from test_proc import SLEEPER

from kernel.abi import (
    EINVAL,
    EISTHREAD,
    EPERM,
    ESRCH,
    SIGKILL,
    SIGTERM,
    WTERMSIG,
    Error,
    SpawnAttr,
)
from userland.libk import sys

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
