"""Threads: spawn and join, ids, thread_exit, exit requests (never kills), process exit."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, _listdir, errno_of, ok, register, run_main

from kernel.abi import (
    EDEADLK,
    EINTR,
    EINVAL,
    EPERM,
    ESRCH,
    SIGKILL,
    WTERMSIG,
    Error,
    SpawnAttr,
    checkpoint,
)
from userland.libk import io as kio
from userland.libk import sys


def test_thread_spawn_and_join_return_values() -> None:
    seen: dict[str, Any] = {}

    async def square(arg: int) -> int:
        await sys.sched_yield()
        return arg * arg

    async def main(argv: list[str]) -> int:
        tids = [await sys.thread_spawn(square, n) for n in range(5)]
        seen["tids"] = tids
        seen["values"] = [await sys.thread_join(t) for t in tids]
        seen["pid"] = await sys.getpid()
        return 0

    ok(run_main(main))
    tids = seen["tids"]
    assert len(set(tids)) == 5
    assert seen["pid"] not in tids
    assert seen["values"] == [0, 1, 4, 9, 16]


def test_join_after_the_thread_already_ended() -> None:
    seen: dict[str, Any] = {}

    async def quick(arg: Any) -> Any:
        return {"got": arg}

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(quick, "x")
        await sys.nanosleep(MS)
        seen["v"] = await sys.thread_join(tid)
        seen["again"] = await errno_of(sys.thread_join(tid))
        return 0

    ok(run_main(main))
    assert seen["v"] == {"got": "x"}
    assert seen["again"] == ESRCH


def test_gettid_and_getpid() -> None:
    seen: dict[str, Any] = {}

    async def who(arg: Any) -> tuple[int, int, int]:
        return await sys.gettid(), await sys.getpid(), await sys.getppid()

    async def main(argv: list[str]) -> int:
        seen["main"] = (await sys.gettid(), await sys.getpid(), await sys.getppid())
        tid = await sys.thread_spawn(who)
        seen["tid"] = tid
        seen["thread"] = await sys.thread_join(tid)
        return 0

    ok(run_main(main))
    mtid, pid, ppid = seen["main"]
    assert mtid == pid
    assert seen["thread"] == (seen["tid"], pid, ppid)


def test_thread_exit_ends_only_the_thread_with_a_value() -> None:
    seen: dict[str, Any] = {}

    async def leaver(arg: Any) -> int:
        await sys.thread_exit("left early")
        seen["after_exit"] = True
        return 1

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(leaver)
        seen["v"] = await sys.thread_join(tid)
        seen["alive"] = await sys.getpid()
        return 0

    ok(run_main(main))
    assert seen["v"] == "left early"
    assert "after_exit" not in seen


def test_main_thread_exit_leaves_the_process_to_other_threads() -> None:
    seen: dict[str, Any] = {}

    async def worker(arg: Any) -> None:
        await sys.nanosleep(SECOND)
        seen["worker_done"] = True

    async def child(argv: list[str]) -> int:
        await sys.thread_spawn(worker)
        await sys.thread_exit(None)
        return 5

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        await sys.nanosleep(MS)
        seen["alive_after_main_left"] = await sys.wait4(pid, 1)
        seen["st"] = await sys.wait4(pid)
        return 0

    ok(run_main(main))
    assert seen["alive_after_main_left"] == (0, 0)
    assert seen["worker_done"]
    assert seen["st"][1] == 0  # the last thread left: exit status 0


def test_exit_request_sets_the_flag_and_the_thread_leaves() -> None:
    seen: dict[str, Any] = {}

    async def polite(arg: Any) -> int:
        seen["flag_before"] = await sys.thread_should_exit()
        n = 0
        while not await sys.thread_should_exit():
            n += 1
            await checkpoint()
        return n

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(polite)
        await sys.nanosleep(MS)
        seen["status_before"] = await kio.read_file(f"/proc/self/task/{tid}/status")
        await sys.thread_request_exit(tid)
        seen["status_after"] = await kio.read_file(f"/proc/self/task/{tid}/status")
        seen["main_status"] = await kio.read_file("/proc/self/status")
        seen["main_flag"] = await sys.thread_should_exit()
        seen["n"] = await sys.thread_join(tid)
        return 0

    ok(run_main(main))
    assert seen["flag_before"] is False
    assert b"ExitRequested:\t0\n" in seen["status_before"]
    assert b"ExitRequested:\t1\n" in seen["status_after"]
    assert b"ExitRequested:\t0\n" in seen["main_status"]
    assert seen["main_flag"] is False
    assert seen["n"] > 0


def test_exit_request_wakes_a_sleeping_thread_with_eintr() -> None:
    seen: dict[str, Any] = {}

    async def sleeper(arg: Any) -> str:
        try:
            await sys.nanosleep(100 * SECOND)
        except Error as err:
            seen["errno"] = err.errno
            seen["flag"] = await sys.thread_should_exit()
            seen["woke_at"] = await sys.clock_gettime()
            return "interrupted"
        return "slept"

    async def reader(arg: Any) -> str:
        r, _w = arg
        try:
            await sys.read(r, 10)
        except Error as err:
            return f"read:{err.errno}"
        return "read:data"

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(sleeper)
        rtid = await sys.thread_spawn(reader, await sys.pipe())
        await sys.nanosleep(SECOND)
        seen["state"] = (await kio.read_file(f"/proc/self/task/{tid}/stat")).split()[2]
        seen["asked_at"] = await sys.clock_gettime()
        await sys.thread_request_exit(tid)
        await sys.thread_request_exit(rtid)
        seen["v"] = await sys.thread_join(tid)
        seen["r"] = await sys.thread_join(rtid)
        return 0

    ok(run_main(main))
    assert seen["state"] == b"S"
    assert seen["v"] == "interrupted"
    assert seen["errno"] == EINTR
    assert seen["flag"] is True
    assert seen["woke_at"] < seen["asked_at"] + SECOND
    assert seen["r"] == f"read:{EINTR}"


def test_exit_request_errors() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["nosuch"] = await errno_of(sys.thread_request_exit(99999))
        seen["self"] = await errno_of(sys.thread_request_exit(await sys.gettid()))
        seen["self_flag"] = await sys.thread_should_exit()
        return 0

    ok(run_main(main))
    assert seen["nosuch"] == ESRCH
    assert seen["self"] == 0
    assert seen["self_flag"] is True


def test_threads_end_with_their_process() -> None:
    seen: dict[str, Any] = {}
    tids: list[int] = []

    async def forever(arg: Any) -> None:
        try:
            while True:
                await sys.nanosleep(SECOND)
        finally:
            seen.setdefault("finally", 0)
            seen["finally"] += 1

    async def child(argv: list[str]) -> int:
        for _ in range(3):
            tids.append(await sys.thread_spawn(forever))
        await sys.nanosleep(MS)
        return 4

    cpath = register(child)

    async def killed_child(argv: list[str]) -> int:
        tids.append(await sys.thread_spawn(forever))
        await sys.nanosleep(100 * SECOND)
        return 0

    kpath = register(killed_child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        seen["st"] = await sys.wait4(pid)
        seen["gone"] = [await errno_of(sys.thread_request_exit(t)) for t in tids]
        pid = await sys.spawn(kpath, ["k"])
        await sys.nanosleep(MS)
        seen["task_count"] = len(await _listdir(f"/proc/{pid}/task"))
        await sys.kill(pid, SIGKILL)
        seen["kst"] = await sys.wait4(pid)
        seen["gone2"] = await errno_of(sys.thread_request_exit(tids[-1]))
        return 0

    ok(run_main(main))
    assert seen["st"][1] == 4 << 8
    assert seen["gone"] == [ESRCH] * 3
    assert seen["task_count"] == 2
    assert WTERMSIG(seen["kst"][1]) == SIGKILL
    assert seen["gone2"] == ESRCH
    assert seen["finally"] == 4  # each thread's coroutine was closed


def test_join_errors() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["self"] = await errno_of(sys.thread_join(await sys.gettid()))
        seen["nosuch"] = await errno_of(sys.thread_join(99999))
        seen["init"] = await errno_of(sys.thread_join(1))  # another process's thread
        seen["notint"] = await errno_of(sys.thread_join("3"))
        return 0

    ok(run_main(main))
    assert seen["self"] == EDEADLK
    assert seen["nosuch"] == ESRCH
    assert seen["init"] == ESRCH
    assert seen["notint"] == EINVAL


def test_thread_spawn_argument_errors() -> None:
    seen: dict[str, Any] = {}

    def not_async(arg: Any) -> int:
        return 1

    async def two_args(a: Any, b: Any) -> None:
        return None

    async def main(argv: list[str]) -> int:
        seen["not_callable"] = await errno_of(sys.thread_spawn(42))
        seen["not_async"] = await errno_of(sys.thread_spawn(not_async))
        seen["bad_sig"] = await errno_of(sys.thread_spawn(two_args, 1))
        return 0

    ok(run_main(main))
    assert seen == {"not_callable": EINVAL, "not_async": EINVAL, "bad_sig": EINVAL}


def test_a_crashing_thread_takes_its_process_down() -> None:
    seen: dict[str, Any] = {}

    async def bad(arg: Any) -> None:
        await sys.getpid()
        raise KeyError("thread boom")

    async def child(argv: list[str]) -> int:
        await sys.thread_spawn(bad)
        await sys.nanosleep(100 * SECOND)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        seen["st"] = await sys.wait4(pid)
        return 0

    r = run_main(main)
    ok(r)
    assert WTERMSIG(seen["st"][1]) == 11
    assert "thread boom" in r.log


def test_threads_share_descriptors_and_cwd() -> None:
    seen: dict[str, Any] = {}

    async def opener(arg: Any) -> int:
        await sys.chdir("/etc")
        return await sys.open("hostname")

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(opener)
        fd = await sys.thread_join(tid)
        seen["data"] = await sys.read(fd, 100)
        seen["cwd"] = await sys.getcwd()
        return 0

    ok(run_main(main))
    assert seen["data"] == b"libk\n"
    assert seen["cwd"] == "/etc"


def test_task_directory_lists_threads() -> None:
    seen: dict[str, Any] = {}

    async def idle(arg: Any) -> None:
        while not await sys.thread_should_exit():
            try:
                await sys.nanosleep(SECOND)
            except Error:
                pass

    async def main(argv: list[str]) -> int:
        tids = [await sys.thread_spawn(idle) for _ in range(2)]
        pid = await sys.getpid()
        seen["tasks"] = sorted(int(x) for x in await _listdir("/proc/self/task"))
        seen["threads_line"] = [
            line
            for line in (await kio.read_file("/proc/self/status")).decode().splitlines()
            if line.startswith("Threads:")
        ]
        seen["task_comm"] = await kio.read_file(f"/proc/{pid}/task/{tids[0]}/comm")
        seen["comm"] = await kio.read_file("/proc/self/comm")
        seen["task_pid"] = [
            line
            for line in (await kio.read_file(f"/proc/{pid}/task/{tids[0]}/status"))
            .decode()
            .splitlines()
            if line.startswith(("Pid:", "Tgid:"))
        ]
        for t in tids:
            await sys.thread_request_exit(t)
            await sys.thread_join(t)
        seen["after"] = sorted(int(x) for x in await _listdir("/proc/self/task"))
        seen["ids"] = (pid, tids)
        return 0

    ok(run_main(main))
    pid, tids = seen["ids"]
    assert seen["tasks"] == sorted([pid, *tids])
    assert seen["threads_line"] == ["Threads:\t3"]
    assert seen["task_comm"] == seen["comm"]  # the process's name, not the function's
    assert seen["task_pid"] == [f"Tgid:\t{pid}", f"Pid:\t{tids[0]}"]
    assert seen["after"] == [pid]


def test_exit_from_a_thread_ends_the_whole_process() -> None:
    seen: dict[str, Any] = {}

    async def quitter(arg: Any) -> None:
        await sys.nanosleep(MS)
        await sys.exit(6)

    async def child(argv: list[str]) -> int:
        await sys.thread_spawn(quitter)
        await sys.nanosleep(100 * SECOND)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        seen["st"] = await sys.wait4(pid)
        seen["at"] = await sys.clock_gettime()
        return 0

    ok(run_main(main))
    assert seen["st"][1] == 6 << 8
    assert seen["at"] < SECOND


def test_exit_request_across_users_is_eperm() -> None:
    seen: dict[str, Any] = {}
    tids: list[int] = []

    async def idle(arg: Any) -> None:
        try:
            await sys.nanosleep(100 * SECOND)
        except Error:
            pass

    async def user(argv: list[str]) -> int:
        seen["other_user"] = await errno_of(sys.thread_request_exit(tids[0]))
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        tids.append(await sys.thread_spawn(idle))
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        seen["flag_kept"] = (await kio.read_file(f"/proc/self/task/{tids[0]}/status")).count(
            b"ExitRequested:\t0"
        )
        await sys.thread_request_exit(tids[0])
        await sys.thread_join(tids[0])
        return 0

    ok(run_main(main))
    assert seen["other_user"] == EPERM
    assert seen["flag_kept"] == 1
