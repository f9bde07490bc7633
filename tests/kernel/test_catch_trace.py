"""Caught signals (SIG_CATCH + sigtake), system-call tracing, utimens, statfs, mount."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, check, errno_of, register, run_main

from kernel.abi import (
    EBUSY,
    EINTR,
    EINVAL,
    ENODEV,
    ENOENT,
    EPERM,
    O_CREAT,
    O_RDONLY,
    O_WRONLY,
    SIG_CATCH,
    SIG_DFL,
    SIGINT,
    SIGTERM,
    SIGUSR1,
    UTIME_NOW,
    UTIME_OMIT,
    WEXITSTATUS,
    WIFSIGNALED,
    WTERMSIG,
    SpawnAttr,
    TraceEvent,
)
from userland.libk import io as kio
from userland.libk import sys


def test_caught_signal_interrupts_sleep_and_is_collected_once() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        assert await sys.sigaction(SIGUSR1, SIG_CATCH) == SIG_DFL
        assert await sys.sigaction(SIGUSR1, SIG_CATCH) == SIG_CATCH
        pid = await sys.getpid()
        await sys.kill(pid, SIGUSR1)
        await sys.kill(pid, SIGUSR1)
        seen["first"] = await sys.sigtake()
        seen["again"] = await sys.sigtake()
        seen["sleep"] = await errno_of(sys.nanosleep(SECOND))  # nothing pending: sleeps
        return 0

    check(main)
    assert seen == {"first": [SIGUSR1], "again": [], "sleep": 0}


def test_caught_signal_from_another_process_gives_eintr_then_sigtake() -> None:
    seen: dict[str, Any] = {}

    async def sender(argv: list[str]) -> int:
        await sys.nanosleep(10 * MS)
        await sys.kill(int(argv[1]), SIGTERM)
        await sys.kill(int(argv[1]), SIGINT)
        return 0

    path = register(sender)

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGTERM, SIG_CATCH)
        await sys.sigaction(SIGINT, SIG_CATCH)
        me = await sys.getpid()
        child = await sys.spawn(path, [path, str(me)])
        seen["wait"] = await errno_of(sys.nanosleep(10 * SECOND))
        await sys.nanosleep(5 * MS)
        seen["pending"] = await sys.sigtake()
        while True:  # wait4 may be interrupted too; a shell retries
            try:
                await sys.wait4(child)
                break
            except Exception:  # noqa: BLE001
                continue
        return 0

    check(main)
    assert seen["wait"] == EINTR
    assert seen["pending"] == [SIGINT, SIGTERM]


def test_catch_resets_to_default_in_a_spawned_child_and_sigdefault_clears_pending() -> None:
    async def victim(argv: list[str]) -> int:
        await sys.nanosleep(10 * SECOND)
        return 0

    path = register(victim)
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGTERM, SIG_CATCH)
        child = await sys.spawn(path, [path])
        await sys.nanosleep(MS)
        await sys.kill(child, SIGTERM)
        _, status = await sys.wait4(child)
        seen["signaled"] = WIFSIGNALED(status) and WTERMSIG(status) == SIGTERM
        me = await sys.getpid()
        await sys.kill(me, SIGTERM)
        await sys.sigaction(SIGTERM, SIG_DFL)  # dropping the catch drops what is pending
        seen["after"] = await sys.sigtake()
        seen["bad"] = await errno_of(sys.sigaction(SIGTERM, 7))
        return 0

    check(main)
    assert seen == {"signaled": True, "after": [], "bad": EINVAL}


def test_trace_reads_a_childs_calls_with_results_errors_and_blocking_calls() -> None:
    async def traced(argv: list[str]) -> int:
        try:
            await sys.open("/nope", O_RDONLY)
        except Exception:  # noqa: BLE001
            pass
        fd = await sys.open("/etc/hostname", O_RDONLY)
        await sys.read(fd, 100)
        await sys.close(fd)
        await sys.nanosleep(3 * MS)
        return 7

    path = register(traced)
    events: list[TraceEvent] = []
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        child = await sys.spawn(path, [path], None, None, None, SpawnAttr(trace=1))
        await sys.getpid()  # the tracer's own calls are not traced
        while batch := await sys.trace_read(2):
            assert len(batch) <= 2
            events.extend(batch)
        _, status = await sys.wait4(child)
        seen["status"] = WEXITSTATUS(status)
        seen["eof"] = await sys.trace_read()
        return 0

    check(main)
    names = [e.name for e in events]
    assert names == ["open", "open", "read", "close", "nanosleep", "exit"][: len(names)]
    assert names[:5] == ["open", "open", "read", "close", "nanosleep"]
    bad, good, read = events[0], events[1], events[2]
    assert (bad.args, bad.result, bad.errno) == (("/nope", O_RDONLY), None, ENOENT)
    assert good.errno == 0 and good.result == read.args[0]
    assert read.result == b"libk\n"
    sleep = events[4]
    assert sleep.end_ns - sleep.start_ns >= 3 * MS  # completion time, not the start
    assert {e.pid for e in events} == {events[0].pid}
    assert seen == {"status": 7, "eof": []}


def test_trace_follow_covers_grandchildren_and_plain_trace_does_not() -> None:
    async def leaf(argv: list[str]) -> int:
        await sys.getuid()
        return 0

    leaf_path = register(leaf)

    async def middle(argv: list[str]) -> int:
        pid = await sys.spawn(leaf_path, [leaf_path])
        await sys.wait4(pid)
        return 0

    mid_path = register(middle)
    seen: dict[int, set[str]] = {}

    async def main(argv: list[str]) -> int:
        for mode in (1, 2):
            child = await sys.spawn(mid_path, [mid_path], None, None, None, SpawnAttr(trace=mode))
            names: set[str] = set()
            while batch := await sys.trace_read():
                names |= {e.name for e in batch}
            await sys.wait4(child)
            seen[mode] = names
        return 0

    check(main)
    assert "getuid" not in seen[1] and "spawn" in seen[1]
    assert "getuid" in seen[2]


def test_bad_trace_attribute_is_einval() -> None:
    seen: dict[str, int] = {}

    async def main(argv: list[str]) -> int:
        seen["attr"] = await errno_of(
            sys.spawn("/bin/true", ["true"], None, None, None, SpawnAttr(trace=5))
        )
        seen["max"] = await errno_of(sys.trace_read(0))
        return 0

    check(main)
    assert seen == {"attr": EINVAL, "max": EINVAL}


def test_utimens_sets_omits_and_checks_permission() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/f", O_WRONLY | O_CREAT, 0o644)
        await sys.close(fd)
        await sys.utimens("/tmp/f", 5, 6)
        st = await sys.stat("/tmp/f")
        seen["set"] = (st.st_atime_ns, st.st_mtime_ns)
        await sys.nanosleep(MS)
        await sys.utimens("/tmp/f", UTIME_OMIT, UTIME_NOW)
        st2 = await sys.stat("/tmp/f")
        seen["omit"] = st2.st_atime_ns == 5 and st2.st_mtime_ns > 6
        await sys.utimens("/tmp/f", -9 * SECOND, UTIME_OMIT)  # before boot: negative
        seen["before_boot"] = (await sys.stat("/tmp/f")).st_atime_ns
        await sys.symlink("/tmp/f", "/tmp/l")
        await sys.lchown("/tmp/l", 1000, 1000)
        seen["lchown"] = ((await sys.lstat("/tmp/l")).st_uid, (await sys.stat("/tmp/l")).st_uid)
        seen["missing"] = await errno_of(sys.utimens("/tmp/none"))
        await sys.setuid(1000)
        seen["perm"] = await errno_of(sys.utimens("/tmp/f", 1, 1))
        return 0

    check(main)
    assert seen == {
        "set": (5, 6),
        "omit": True,
        "before_boot": -9 * SECOND,
        "lchown": (1000, 0),
        "missing": ENOENT,
        "perm": EPERM,
    }


def test_mount_statfs_umount() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mount("scratch", "/mnt", "tmpfs", 0, "mode=0700,size=1M")
        st = await sys.stat("/mnt")
        seen["mode"] = oct(st.st_mode & 0o7777)
        mounts = (await kio.read_file("/proc/mounts")).decode()
        seen["listed"] = "scratch /mnt tmpfs rw,mode=0700,size=1M 0 0" in mounts
        before = await sys.statfs("/mnt")
        fd = await sys.open("/mnt/big", O_WRONLY | O_CREAT)
        await sys.write(fd, b"x" * 10000)
        after = await sys.statfs("/mnt")
        seen["used"] = (after.f_blocks - after.f_bfree) - (before.f_blocks - before.f_bfree)
        seen["type"] = after.f_type
        seen["busy"] = await errno_of(sys.umount("/mnt"))
        await sys.close(fd)
        await sys.umount("/mnt")
        seen["gone"] = await errno_of(sys.stat("/mnt/big"))
        seen["nodev"] = await errno_of(sys.mount("x", "/mnt", "ext9"))
        seen["notmounted"] = await errno_of(sys.umount("/mnt"))
        await sys.mount("proc", "/mnt", "proc")
        seen["proc"] = (await sys.statfs("/mnt/self")).f_type
        await sys.umount("/mnt")
        await sys.setuid(1000)
        seen["perm"] = await errno_of(sys.mount("x", "/mnt", "tmpfs"))
        return 0

    check(main)
    assert seen == {
        "mode": "0o700",
        "listed": True,
        "used": 3,
        "type": "tmpfs",
        "busy": EBUSY,
        "gone": ENOENT,
        "nodev": ENODEV,
        "notmounted": EINVAL,
        "proc": "proc",
        "perm": EPERM,
    }


def test_a_registered_program_that_cannot_be_imported_fails_the_spawn_not_the_kernel() -> None:
    from kernel.programs import _registered

    _registered["t_broken_import"] = "userland.bin.no_such_module:main"
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        from kernel.abi import Error

        try:
            await sys.spawn("/bin/t_broken_import", ["x"])
        except Error as err:
            seen["err"] = (err.errno, str(err))
        return 0

    try:
        r = run_main(main)
    finally:
        _registered.pop("t_broken_import", None)
    assert r.status == 0, r.log
    errno, message = seen["err"]
    assert errno == 8 and "cannot be loaded: ModuleNotFoundError" in message


def test_thread_join_wnohang_is_ebusy_while_the_thread_runs() -> None:
    from kernel.abi import EBUSY, WNOHANG

    seen: dict[str, Any] = {}

    async def worker(arg: int) -> int:
        await sys.nanosleep(5 * MS)
        return arg

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(worker, 9)
        seen["early"] = await errno_of(sys.thread_join(tid, WNOHANG))
        await sys.nanosleep(10 * MS)
        seen["late"] = await sys.thread_join(tid, WNOHANG)
        seen["flags"] = await errno_of(sys.thread_join(tid, 0x40))
        return 0

    check(main)
    assert seen == {"early": EBUSY, "late": 9, "flags": EINVAL}


def test_background_subshell_job_finishes_without_procfs() -> None:
    from ksim import shell

    r = shell("(sleep 0.01; exit 4) & sleep 0.05; jobs; wait $!; echo status=$?", procfs=False)
    assert r.output.endswith("status=4\n"), r.output


def test_spawn_may_stay_in_a_cwd_the_user_cannot_enter_but_not_enter_one() -> None:
    from kernel.abi import EACCES

    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mkdir("/tmp/locked", 0o700)
        await sys.chdir("/tmp/locked")
        await sys.setuid(1000)  # like su from root's home: the cwd is kept, not entered
        pid = await sys.spawn("/bin/true", ["true"], None, "/tmp/locked")
        seen["stay"] = (await sys.wait4(pid))[1]
        await sys.chdir("/")
        seen["enter"] = await errno_of(sys.spawn("/bin/true", ["true"], None, "/tmp/locked"))
        return 0

    check(main)
    assert seen == {"stay": 0, "enter": EACCES}
