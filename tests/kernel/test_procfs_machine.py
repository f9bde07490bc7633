"""procfs: the machine-wide files of /proc (parsed like Linux's, kmsg, generation,
allstat, threads), the filesystem itself (listing, read only, snapshots taken at open,
no new names, /proc off), the host's view, and proc(5) covering every file."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, check, errno_of, image, machine, register, run
from test_procfs import IDLE, split_stat, status_fields, text

from kernel.abi import (
    EACCES,
    ENOENT,
    EPERM,
    O_CREAT,
    O_DIRECTORY,
    O_RDONLY,
    O_WRONLY,
    Error,
    SpawnAttr,
)
from kernel.host import HostClient
from userland.libk import sys


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
