"""procfs: the files of /proc/<pid> and its task directories in Linux's formats
(proc(5)), /proc/self and the magic links, and zombie and reaped processes.

The machine-wide files, the filesystem itself and /proc off are in
test_procfs_machine.py.
"""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, check, errno_of, register

from kernel.abi import (
    ENOENT,
    O_CREAT,
    O_DIRECTORY,
    O_RDONLY,
    O_RDWR,
    S_ISLNK,
    Error,
    SpawnAttr,
)
from userland.libk import io as kio
from userland.libk import sys


async def text(path: str) -> str:
    return (await kio.read_file(path)).decode()


def split_stat(line: str) -> list[str]:
    """/proc/<pid>/stat fields, comm (which may hold spaces) kept whole."""
    head, _, tail = line.rstrip("\n").rpartition(")")
    pid, _, comm = head.partition(" (")
    return [pid, f"({comm})", *tail.split()]


def status_fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        assert sep, line
        out[key] = value.strip()
    return out


async def idle_child(argv: list[str]) -> int:
    await sys.nanosleep(100 * SECOND)
    return 0


IDLE = register(idle_child)


def test_pid_stat_has_52_fields() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(IDLE, ["idle", "x"])
        await sys.nanosleep(MS)
        seen["child"] = await text(f"/proc/{pid}/stat")
        seen["self"] = await text("/proc/self/stat")
        seen["comm"] = await text("/proc/self/comm")
        seen["ids"] = (await sys.getpid(), pid)
        await sys.kill(pid, 9)
        await sys.wait4(pid)
        return 0

    check(main)
    me, pid = seen["ids"]
    for line, who, state in ((seen["self"], me, "R"), (seen["child"], pid, "S")):
        assert line.endswith("\n") and line.count("\n") == 1
        f = split_stat(line)
        assert len(f) == 52
        assert f[0] == str(who)
        assert f[1].startswith("(") and f[1].endswith(")")
        assert f[2] == state
        assert all(x.lstrip("-").isdigit() for i, x in enumerate(f) if i not in (1, 2)), f
    f = split_stat(seen["child"])
    assert f[3] == str(me)  # ppid
    assert f[4] == str(me) and f[5] == str(me)  # pgrp, session: the caller's
    assert f[6] == str((5 << 8) | 1)  # tty_nr: /dev/console
    assert f[7] == str(me)  # tpgid: the foreground group
    assert f[19] == "1"  # num_threads
    assert int(f[22]) > 0  # vsize
    assert int(f[23]) > 0  # rss
    assert 0 <= int(f[38]) < 4  # processor
    assert split_stat(seen["self"])[1] == "(" + seen["comm"].strip() + ")"


def test_pid_stat_counts_threads_and_cpu_time() -> None:
    seen: dict[str, Any] = {}

    async def spin(arg: Any) -> None:
        while not await sys.thread_should_exit():
            try:
                await sys.nanosleep(MS)
            except Error:
                pass

    async def main(argv: list[str]) -> int:
        tids = [await sys.thread_spawn(spin) for _ in range(2)]
        seen["stat"] = split_stat(await text("/proc/self/stat"))
        seen["task_stat"] = split_stat(await text(f"/proc/self/task/{tids[0]}/stat"))
        seen["tids"] = tids
        for t in tids:
            await sys.thread_request_exit(t)
            await sys.thread_join(t)
        return 0

    check(main)
    assert seen["stat"][19] == "3"
    assert seen["task_stat"][0] == str(seen["tids"][0])
    assert seen["task_stat"][1] == seen["stat"][1]  # a thread inherits the process's comm
    assert seen["task_stat"][37] == "-1" and seen["stat"][37] == "17"  # exit_signal


def test_status_fields() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(IDLE, ["idle"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.nanosleep(MS)
        seen["child"] = status_fields(await text(f"/proc/{pid}/status"))
        seen["self"] = status_fields(await text("/proc/self/status"))
        seen["ids"] = (await sys.getpid(), await sys.getppid(), pid)
        await sys.kill(pid, 9)
        await sys.wait4(pid)
        return 0

    check(main)
    me, parent, pid = seen["ids"]
    s = seen["self"]
    for key in (
        "Name",
        "State",
        "Tgid",
        "Pid",
        "PPid",
        "Uid",
        "Gid",
        "VmRSS",
        "VmSize",
        "Threads",
        "SigIgn",
        "voluntary_ctxt_switches",
        "ExitRequested",
    ):
        assert key in s, key
    assert s["Pid"] == s["Tgid"] == str(me)
    assert s["PPid"] == str(parent)
    assert s["State"] == "R (running)"
    assert s["Uid"].split() == ["0"] * 4
    assert s["Threads"] == "1"
    assert s["ExitRequested"] == "0"
    assert s["VmRSS"].endswith(" kB") and int(s["VmRSS"].split()[0]) > 0
    c = seen["child"]
    assert c["Name"] == IDLE.rsplit("/", 1)[1][:15]
    assert c["State"] == "S (sleeping)"
    assert c["Pid"] == str(pid) and c["PPid"] == str(me)
    assert c["Uid"].split() == ["1000"] * 4
    assert c["Gid"].split() == ["1000"] * 4


def test_cmdline_environ_comm_cwd_exe() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(IDLE, ["idle", "two words", ""], {"A": "1", "B": "x=y"}, "/etc")
        await sys.nanosleep(MS)
        seen["cmdline"] = await kio.read_file(f"/proc/{pid}/cmdline")
        seen["environ"] = await kio.read_file(f"/proc/{pid}/environ")
        seen["comm"] = await text(f"/proc/{pid}/comm")
        seen["cwd"] = await sys.readlink(f"/proc/{pid}/cwd")
        seen["cwd_follow"] = sorted(
            d.d_name
            for d in await sys.getdents(await sys.open(f"/proc/{pid}/cwd", O_RDONLY | O_DIRECTORY))
        )
        seen["exe"] = await sys.readlink(f"/proc/{pid}/exe")
        seen["cwd_lstat"] = S_ISLNK((await sys.lstat(f"/proc/{pid}/cwd")).st_mode)
        await sys.kill(pid, 9)
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["cmdline"] == b"idle\0two words\0\0"
    assert seen["cmdline"].split(b"\0")[:-1] == [b"idle", b"two words", b""]
    assert sorted(seen["environ"].split(b"\0")[:-1]) == [b"A=1", b"B=x=y"]
    assert seen["comm"] == IDLE.rsplit("/", 1)[1][:15] + "\n"
    assert seen["cwd"] == "/etc"
    assert "hostname" in seen["cwd_follow"] and "passwd" in seen["cwd_follow"]
    assert seen["exe"] == IDLE
    assert seen["cwd_lstat"]


def test_proc_self_resolves_to_the_caller() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        seen["child_link"] = await sys.readlink("/proc/self")
        seen["child_status"] = status_fields(await text("/proc/self/status"))["Pid"]
        seen["child_pid"] = await sys.getpid()
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        seen["link"] = await sys.readlink("/proc/self")
        seen["status"] = status_fields(await text("/proc/self/status"))["Pid"]
        seen["pid"] = await sys.getpid()
        await sys.wait4(await sys.spawn(cpath, ["c"]))
        seen["self_lstat"] = S_ISLNK((await sys.lstat("/proc/self")).st_mode)
        return 0

    check(main)
    assert seen["link"] == seen["status"] == str(seen["pid"])
    assert seen["child_link"] == seen["child_status"] == str(seen["child_pid"])
    assert seen["child_pid"] != seen["pid"]
    assert seen["self_lstat"]


def test_fd_links_name_the_files_and_reopen_them() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/etc/hostname")
        await sys.chdir("/tmp")
        fd2 = await sys.open("rel.txt", O_RDWR | O_CREAT)
        await sys.write(fd2, b"relative")
        r, w = await sys.pipe()
        seen["fds"] = (fd, fd2, r, w)
        names = [
            d.d_name
            for d in await sys.getdents(await sys.open("/proc/self/fd", O_RDONLY | O_DIRECTORY))
        ]
        seen["listing"] = names
        seen["links"] = [await sys.readlink(f"/proc/self/fd/{n}") for n in (0, 1, 2, fd, fd2)]
        seen["pipe"] = await sys.readlink(f"/proc/self/fd/{r}")
        again = await sys.open(f"/proc/self/fd/{fd}")
        st1, st2 = await sys.fstat(fd), await sys.fstat(again)
        seen["same_file"] = (st1.st_ino, st1.st_dev) == (st2.st_ino, st2.st_dev)
        await sys.read(fd, 2)
        seen["own_offset"] = await sys.read(again, 100)
        tty = await sys.open("/proc/self/fd/0", O_RDWR)
        seen["tty_same"] = (await sys.fstat(tty)).st_rdev == (await sys.fstat(0)).st_rdev
        await sys.write(w, b"through the pipe")
        pr = await sys.open(f"/proc/self/fd/{r}")
        seen["pipe_reopen"] = await sys.read(pr, 100)
        seen["dev_stdin"] = (await sys.stat("/dev/stdin")).st_rdev == (await sys.fstat(0)).st_rdev
        seen["dev_fd"] = await sys.readlink("/dev/fd")
        seen["closed"] = await errno_of(sys.readlink("/proc/self/fd/77"))
        return 0

    check(main)
    fd, fd2, r, w = seen["fds"]
    assert {".", "..", "0", "1", "2", str(fd), str(fd2), str(r), str(w)} <= set(seen["listing"])
    assert seen["links"] == ["/dev/console"] * 3 + ["/etc/hostname", "/tmp/rel.txt"]
    assert seen["pipe"].startswith("pipe:[") and seen["pipe"].endswith("]")
    assert seen["same_file"]
    assert seen["own_offset"] == b"libk\n"  # a new open file description
    assert seen["tty_same"]
    assert seen["pipe_reopen"] == b"through the pipe"
    assert seen["dev_stdin"]
    assert seen["dev_fd"] == "/proc/self/fd"
    assert seen["closed"] == ENOENT


def test_zombie_and_reaped_directories() -> None:
    seen: dict[str, Any] = {}

    async def quick(argv: list[str]) -> int:
        return 3

    qpath = register(quick)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(qpath, ["q"])
        await sys.nanosleep(MS)
        seen["zombie_stat"] = split_stat(await text(f"/proc/{pid}/stat"))
        seen["zombie_status"] = status_fields(await text(f"/proc/{pid}/status"))
        await sys.wait4(pid)
        seen["reaped"] = await errno_of(sys.stat(f"/proc/{pid}"))
        return 0

    check(main)
    z = seen["zombie_stat"]
    assert z[2] == "Z"
    assert int(z[51]) == 3 << 8  # exit_code, as waitpid would report it
    assert seen["zombie_status"]["State"] == "Z (zombie)"
    assert "VmRSS" not in seen["zombie_status"]
    assert seen["reaped"] == ENOENT


def test_maps_lists_text_and_stack() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["maps"] = await text("/proc/self/maps")
        return 0

    check(main)
    lines = seen["maps"].splitlines()
    assert lines
    for line in lines:
        fields = line.split()
        start, _, end = fields[0].partition("-")
        assert int(start, 16) < int(end, 16)
        assert len(fields[1]) == 4 and set(fields[1]) <= set("rwxps-")
    names = [line.split()[-1] for line in lines]
    assert "[stack]" in names


def test_wchan_names_the_wait_or_zero() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(IDLE, ["idle"])
        await sys.nanosleep(MS)
        seen["child"] = await text(f"/proc/{pid}/wchan")
        seen["task"] = await text(f"/proc/{pid}/task/{pid}/wchan")
        seen["self"] = await text("/proc/self/wchan")
        seen["names"] = sorted(await _listdir_names(f"/proc/{pid}/task/{pid}"))
        await sys.kill(pid, 9)
        await sys.nanosleep(MS)
        seen["zombie"] = await text(f"/proc/{pid}/wchan")
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["child"] == seen["task"] == "hrtimer_nanosleep"  # no newline, as Linux
    assert seen["self"] == "0"  # running: not waiting
    assert seen["zombie"] == "0"
    assert seen["names"] == sorted(
        ["comm", "schedstat", "stat", "status", "wchan"]  # the thread's own
        + ["cmdline", "cwd", "environ", "exe", "fd", "fdinfo", "maps", "root", "statm"]
    )


async def _listdir_names(path: str) -> list[str]:
    fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
    names = []
    while batch := await sys.getdents(fd):
        names += [d.d_name for d in batch if d.d_name not in (".", "..")]
    await sys.close(fd)
    return names


def test_task_stat_shows_the_threads_own_times() -> None:
    seen: dict[str, Any] = {}

    async def spinner(arg: Any) -> None:
        end = await sys.clock_gettime(1) + 20 * MS
        while await sys.clock_gettime(1) < end:
            pass

    async def main(argv: list[str]) -> int:
        tid = await sys.thread_spawn(spinner)
        await sys.thread_join(tid)
        me = await sys.getpid()
        seen["proc"] = split_stat(await text(f"/proc/{me}/stat"))
        seen["main"] = split_stat(await text(f"/proc/{me}/task/{me}/stat"))
        return 0

    check(main)
    ticks = [int(seen[w][13]) + int(seen[w][14]) for w in ("proc", "main")]
    assert ticks[0] >= 2  # the spinner's 20 ms count for the process...
    assert ticks[1] < ticks[0]  # ...but not for the main thread's own line
    assert seen["main"][19] == seen["proc"][19]  # num_threads is the process's
