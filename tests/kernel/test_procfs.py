"""procfs: the formats of /proc files (Linux's proc(5)), the magic links, and /proc off."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, check, errno_of, image, machine, register, run

from kernel.abi import (
    EACCES,
    ENOENT,
    EPERM,
    O_CREAT,
    O_DIRECTORY,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    S_ISLNK,
    Error,
    SpawnAttr,
)
from kernel.host import HostClient
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


def test_machine_wide_files_parse_like_linux() -> None:
    seen: dict[str, str] = {}

    async def main(argv: list[str]) -> int:
        await sys.nanosleep(2 * SECOND)
        for name in (
            "meminfo",
            "stat",
            "uptime",
            "loadavg",
            "cpuinfo",
            "version",
            "mounts",
            "filesystems",
        ):
            seen[name] = await text(f"/proc/{name}")
        seen["pid"] = str(await sys.getpid())
        return 0

    check(main, cpus=4)
    # meminfo: "Key:   value kB" (Linux's HugePages_* counts have no unit)
    mem = {}
    for line in seen["meminfo"].splitlines():
        key, _, rest = line.partition(":")
        value, *unit = rest.split()
        assert unit == ([] if key.startswith("HugePages_") else ["kB"])
        mem[key] = int(value)
    assert mem["MemTotal"] == (64 - 1) * 1024
    assert 0 < mem["MemFree"] <= mem["MemTotal"]
    assert 0 < mem["MemAvailable"] <= mem["MemTotal"]
    for key in ("Buffers", "Cached", "SwapTotal", "SwapFree", "Shmem"):
        assert key in mem
    # stat
    lines = seen["stat"].splitlines()
    cpu = lines[0].split()
    assert cpu[0] == "cpu" and len(cpu) == 11 and all(x.isdigit() for x in cpu[1:])
    assert [x.split()[0] for x in lines[1:5]] == ["cpu0", "cpu1", "cpu2", "cpu3"]
    keys = {x.split()[0]: x.split()[1:] for x in lines}
    for key in ("ctxt", "btime", "processes", "procs_running", "procs_blocked", "intr"):
        assert key in keys and keys[key][0].isdigit()
    assert int(keys["processes"][0]) >= 2
    assert int(keys["btime"][0]) == 1_767_225_600
    # Idle time dominates a machine that slept for 2 s.
    assert int(cpu[4]) >= 4 * 190
    # uptime
    up, idle = (float(x) for x in seen["uptime"].split())
    assert 2.0 <= up < 2.1
    assert idle <= 4 * up
    # loadavg: "0.00 0.00 0.00 1/3 2"
    parts = seen["loadavg"].split()
    assert len(parts) == 5
    assert all(float(x) >= 0 for x in parts[:3])
    running, total = parts[3].split("/")
    assert 1 <= int(running) <= int(total)
    assert int(parts[4]) >= int(seen["pid"])
    # cpuinfo: a block per CPU
    blocks = [b for b in seen["cpuinfo"].split("\n\n") if b.strip()]
    assert len(blocks) == 4
    for i, block in enumerate(blocks):
        fields = dict(
            (k.strip(), v.strip())
            for k, _, v in (line.partition(":") for line in block.splitlines())
        )
        assert fields["processor"] == str(i)
        assert "model name" in fields
    # version
    assert seen["version"].startswith("libk version ")
    assert seen["version"].endswith("\n")
    # mounts: "source target fstype options 0 0"
    mounts = [line.split() for line in seen["mounts"].splitlines()]
    assert all(len(m) == 6 and m[4:] == ["0", "0"] for m in mounts)
    by_target = {m[1]: m[2] for m in mounts}
    assert by_target["/"] == "tmpfs"
    assert by_target["/proc"] == "proc"
    assert by_target["/tmp"] == "tmpfs"
    assert by_target["/dev"] == "devtmpfs"  # Linux's name for devfs
    # filesystems: "nodev\tname"
    fs = [line.split("\t") for line in seen["filesystems"].splitlines()]
    assert all(len(x) == 2 for x in fs)
    assert {"tmpfs", "proc", "devtmpfs", "sysfs"} <= {x[1] for x in fs}  # mount(2)'s names


def test_proc_root_lists_processes_and_files() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/proc", O_RDONLY | O_DIRECTORY)
        seen["names"] = [d.d_name for d in await sys.getdents(fd)]
        seen["pid"] = await sys.getpid()
        seen["nosuch"] = await errno_of(sys.open("/proc/99999/status"))
        seen["junk"] = await errno_of(sys.open("/proc/nonsense"))
        return 0

    check(main)
    names = seen["names"]
    assert {"1", str(seen["pid"]), "self", "meminfo", "stat", "uptime", "mounts"} <= set(names)
    assert "0" not in names  # the host client is not a process of the machine
    assert seen["nosuch"] == ENOENT
    assert seen["junk"] == ENOENT


def test_proc_files_are_read_only() -> None:
    seen: dict[str, Any] = {}

    async def try_write(path: str) -> int:
        try:
            fd = await sys.open(path, O_WRONLY)
        except Error as err:
            return err.errno
        return await errno_of(sys.write(fd, b"1"))

    async def user(argv: list[str]) -> int:
        seen["user_write"] = await try_write("/proc/self/status")
        seen["user_kmsg"] = await errno_of(sys.open("/proc/kmsg"))
        seen["user_environ_of_root"] = await errno_of(sys.open("/proc/1/environ"))
        seen["user_own_environ"] = await errno_of(sys.open("/proc/self/environ"))
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        seen["stat"] = await try_write("/proc/self/stat")
        seen["meminfo"] = await try_write("/proc/meminfo")
        seen["create"] = await errno_of(sys.open("/proc/newfile", O_WRONLY | O_CREAT))
        seen["mkdir"] = await errno_of(sys.mkdir("/proc/newdir"))
        seen["truncate"] = await errno_of(sys.truncate("/proc/uptime", 0))
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["stat"] == EACCES
    assert seen["meminfo"] == EACCES
    assert seen["create"] == EACCES
    assert seen["mkdir"] == EPERM  # root passes the permission check; procfs has no mkdir
    assert seen["truncate"] == EACCES
    assert seen["user_write"] == EACCES
    assert seen["user_kmsg"] == EACCES
    assert seen["user_environ_of_root"] == EACCES
    assert seen["user_own_environ"] == 0


def test_kmsg_is_the_kernel_log_and_reading_does_not_consume_it() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.klog("hello from the test")
        seen["a"] = await text("/proc/kmsg")
        seen["b"] = await text("/proc/kmsg")
        return 0

    check(main)
    assert "hello from the test" in seen["a"]
    assert seen["a"] in seen["b"]
    first = seen["a"].splitlines()[0]
    assert first.startswith("[    0.000000] libk version")


def test_files_are_snapshots_taken_at_open() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/proc/uptime")
        await sys.nanosleep(5 * SECOND)
        seen["old"] = float((await sys.read(fd, 100)).split()[0])
        seen["new"] = float((await text("/proc/uptime")).split()[0])
        return 0

    check(main)
    assert seen["old"] < 1.0 <= 5.0 <= seen["new"]


def test_procfs_disabled_leaves_proc_empty() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/proc", O_RDONLY | O_DIRECTORY)
        seen["names"] = [d.d_name for d in await sys.getdents(fd)]
        seen["status"] = await errno_of(sys.open("/proc/self/status"))
        seen["meminfo"] = await errno_of(sys.open("/proc/meminfo"))
        seen["pid"] = await sys.getpid()
        return 0

    r = check(main, info=image(procfs=False))
    assert sorted(seen["names"]) == [".", ".."]
    assert seen["status"] == ENOENT
    assert seen["meminfo"] == ENOENT
    assert HostClient(r.kernel).listdir("/proc") == []
    assert "procfs: disabled" in r.log


def test_procfs_disabled_machine_still_runs_the_shell() -> None:
    k = machine(["/bin/sh", "-c", "echo works; ls /proc; echo done"], info=image(procfs=False))
    r = run(k)
    assert r.status == 0
    assert r.output.split() == ["works", "done"]


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


def test_host_and_machine_read_the_same_format() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        seen["stat"] = await text("/proc/1/stat")
        seen["status"] = await text("/proc/1/status")
        seen["meminfo"] = await text("/proc/meminfo")
        return 0

    r = check(main)
    host = HostClient(r.kernel)
    assert (
        len(split_stat(host.read_file("/proc/1/stat").decode()))
        == len(split_stat(seen["stat"]))
        == 52
    )
    assert (
        status_fields(host.read_file("/proc/1/status").decode()).keys()
        == status_fields(seen["status"]).keys()
    )
    assert [x.split(":")[0] for x in host.read_file("/proc/meminfo").decode().splitlines()] == [
        x.split(":")[0] for x in seen["meminfo"].splitlines()
    ]


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


def test_generation_changes_with_the_machine_only() -> None:
    k = machine(["/bin/sleep", "100"])
    k.run(until=10 * MS)
    host = HostClient(k)
    first = host.read_file("/proc/generation")
    fields = first.split()
    assert first.endswith(b"\n") and len(fields) == 10
    assert all(f.isdigit() for f in fields)
    host.read_file("/proc/1/stat")
    host.listdir("/proc")
    assert host.read_file("/proc/generation") == first  # looking changes nothing
    host.kill(2, 19)  # SIGSTOP, with the clock standing still
    stopped = host.read_file("/proc/generation")
    assert stopped != first
    k.run(until=20 * MS)
    assert host.read_file("/proc/generation") != stopped
    assert "generation" in host.listdir("/proc")
    assert host.stat("/proc/generation").st_ino == host.stat("/proc/generation").st_ino


async def _two_idle_children(argv: list[str]) -> int:
    for _ in range(2):
        await sys.spawn(IDLE, ["idle"])
    await sys.nanosleep(100 * SECOND)
    return 0


def test_allstat_is_every_process_stat_line() -> None:
    k = machine(_two_idle_children)
    k.run(until=100 * MS)
    host = HostClient(k)
    lines = host.read_file("/proc/allstat").decode().splitlines(keepends=True)
    pids = sorted(int(n) for n in host.listdir("/proc") if n.isdigit())
    assert len(pids) >= 4
    assert [int(line.split()[0]) for line in lines] == pids
    for line, pid in zip(lines, pids, strict=True):
        assert line == host.read_file(f"/proc/{pid}/stat").decode()


def test_the_manual_page_covers_every_proc_file() -> None:
    import re
    from pathlib import Path

    import userland.man

    page = (Path(userland.man.__file__).parent / "man5" / "proc.5").read_text()
    k = machine(_two_idle_children)
    k.run(until=10 * MS)
    host = HostClient(k)
    names = {n for n in host.listdir("/proc") if not n.isdigit()}
    names |= set(host.listdir("/proc/2")) | set(host.listdir("/proc/2/task/2"))
    tags = [re.match(r" {7}([^\s,]+(?:, [^\s,]+)*)", line) for line in page.splitlines()]
    described = {name.rstrip("/") for tag in tags if tag for name in tag[1].split(", ")}
    missing = sorted(n for n in names if n not in described)
    assert not missing, f"proc(5) does not describe {missing}"
    lines = page.splitlines()
    assert all(len(line) <= 78 for line in lines)
    heading = re.compile(r"[A-Z][A-Z -]*[A-Z]")
    assert all(not line or line.startswith(" " * 7) or heading.fullmatch(line) for line in lines)


def test_threads_file_lists_every_thread() -> None:
    async def worker(arg: Any) -> None:
        while not await sys.thread_should_exit():
            try:
                await sys.nanosleep(SECOND)
            except Error:
                pass
        await sys.nanosleep(100 * SECOND)

    async def main(argv: list[str]) -> int:
        for _ in range(2):
            await sys.thread_spawn(worker)
        await sys.nanosleep(100 * SECOND)
        return 0

    k = machine(main)
    k.run(until=10 * MS)
    host = HostClient(k)
    host.call("thread_request_exit", 4)
    k.run(until=20 * MS)
    header, *lines = host.read_file("/proc/threads").decode().splitlines()
    assert header.split() == ["TID", "PID", "S", "CPU", "UTIME", "STIME", "EXIT", "WCHAN", "NAME"]
    rows = {int(f[0]): f for f in (line.split(None, 8) for line in lines)}
    assert sorted(rows) == [1, 2, 3, 4]
    assert rows[1][1:3] == ["1", "S"] and rows[1][7] == "do_wait" and rows[1][8] == "init"
    assert [rows[t][1] for t in (2, 3, 4)] == ["2", "2", "2"]
    assert rows[2][8] == rows[3][8] == rows[4][8] != "worker"  # threads take the comm
    assert [rows[t][6] for t in (2, 3, 4)] == ["0", "0", "1"]
    assert rows[4][7] == "hrtimer_nanosleep"  # asked to leave, taking its time
    for tid, f in rows.items():
        task = split_stat(host.read_file(f"/proc/{f[1]}/task/{tid}/stat").decode())
        assert f[2] == task[2] and f[3] == task[38]
        assert int(f[4]) + int(f[5]) == int(task[13]) + int(task[14])


def test_making_names_in_proc_and_sys_is_eperm_for_root_and_eacces_for_others() -> None:
    seen: dict[str, Any] = {}

    async def user(argv: list[str]) -> int:
        seen["user"] = [
            await errno_of(sys.mkdir("/proc/d")),
            await errno_of(sys.symlink("x", "/sys/l")),
        ]
        return 0

    upath = register(user)

    async def main(argv: list[str]) -> int:
        seen["root"] = [
            await errno_of(sys.mkdir("/sys/d")),
            await errno_of(sys.symlink("x", "/proc/l")),
            await errno_of(sys.mknod("/proc/f", 0o010644, 0)),
            await errno_of(sys.open("/sys/new", O_WRONLY | O_CREAT)),
        ]
        pid = await sys.spawn(upath, ["u"], None, None, None, SpawnAttr(uid=1000, gid=1000))
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["root"] == [EPERM, EPERM, EPERM, EACCES]  # as vfs_mkdir and lookup_open say
    assert seen["user"] == [EACCES, EACCES]  # the directory's permissions refuse first
