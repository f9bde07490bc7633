"""The host syscall client: reads /proc, never blocks, changes nothing, refuses some calls."""

from __future__ import annotations

from typing import Any

import pytest
from ksim import SECOND, machine, register, run, run_until_idle

from kernel.abi import (
    EAGAIN,
    EFAULT,
    EINVAL,
    ENOENT,
    ENOSYS,
    EPERM,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    Error,
    checkpoint,
)
from kernel.host import IN_MACHINE_ONLY, HostClient
from kernel.kernel import BUDGET, HALTED
from userland.libk import io as kio
from userland.libk import sys


def host_errno(fn: Any, *args: Any) -> int:
    try:
        fn(*args)
    except Error as err:
        return err.errno
    return 0


def test_host_reads_proc() -> None:
    async def main(argv: list[str]) -> int:
        await sys.nanosleep(SECOND)
        return 0

    k = machine(main)
    k.run(until=SECOND // 2)
    host = HostClient(k)
    status = host.read_file("/proc/1/status").decode()
    assert "Name:\tinit" in status
    assert "Pid:\t1" in status
    stat = host.read_file("/proc/2/stat").decode()
    assert stat.startswith("2 (")
    names = host.listdir("/proc")
    assert {"1", "2", "self", "meminfo"} <= set(names)
    assert "0" not in names
    assert float(host.read_file("/proc/uptime").split()[0]) == pytest.approx(0.5)
    assert host.readlink("/proc/2/exe").startswith("/bin/t_main_")
    assert host.getpid() == 0
    assert run(k).status == 0


def test_host_calls_never_block() -> None:
    async def main(argv: list[str]) -> int:
        await sys.read(0, 10)
        return 0

    k = machine(main)
    assert run_until_idle(k) == "idle"
    host = HostClient(k)
    fd = host.open("/dev/console", O_RDWR)
    assert host_errno(host.read, fd, 10) == EAGAIN
    host.close(fd)
    r, w = host.pipe()
    assert host_errno(host.read, r, 10) == EAGAIN
    host.write(w, b"x" * 65536)
    assert host_errno(host.write, w, b"y") == EAGAIN
    assert host.read(r, 3) == b"xxx"
    # The machine's own reader is still waiting, and gets what is typed.
    assert k.console.waiting_for_input
    k.console.feed(b"hi\n")
    assert run(k).status == 0


def test_host_refuses_calls_that_only_make_sense_inside() -> None:
    k = machine(["/bin/true"])
    host = HostClient(k)
    for name in (
        "exit",
        "exit_group",
        "spawn",
        "wait4",
        "thread_spawn",
        "thread_join",
        "thread_exit",
        "nanosleep",
        "sched_yield",
        "reboot",
    ):
        assert name in IN_MACHINE_ONLY
    assert host_errno(host.exit, 0) == EPERM
    assert host_errno(host.spawn, "/bin/true", ["true"]) == EPERM
    assert host_errno(host.wait4, -1) == EPERM
    assert host_errno(host.nanosleep, 10) == EPERM
    assert host_errno(host.reboot, 0x4321FEDC) == EPERM
    assert host_errno(host.call, "no_such_call") == ENOSYS
    with pytest.raises(AttributeError):
        host.no_such_call  # noqa: B018
    assert not k.halted
    assert run(k).status == 0


def test_host_bad_arguments_are_errno() -> None:
    k = machine(["/bin/true"])
    host = HostClient(k)
    assert host_errno(host.open, 123) == EFAULT
    assert host_errno(host.open) == EINVAL
    assert host_errno(host.read, "x", 1) == 9
    assert host_errno(host.open, "/nonexistent") == ENOENT
    assert host_errno(host.read_file, "/nonexistent") == ENOENT
    assert run(k).status == 0


def test_host_reads_do_not_advance_virtual_time() -> None:
    async def main(argv: list[str]) -> int:
        for _ in range(100):
            await checkpoint()
        await sys.nanosleep(SECOND)
        return 0

    k = machine(main)
    assert k.run(budget=50) == BUDGET
    now = k.now_ns
    calls = list(k.syscount)
    host = HostClient(k)
    for _ in range(20):
        host.read_file("/proc/stat")
        host.read_file("/proc/2/status")
        host.listdir("/proc")
        host.stat("/etc/passwd")
    assert k.now_ns == now
    assert k.syscount == calls
    assert run(k).status == 0


def _program_for_observation() -> str:
    """A program whose output shows what it sees of the machine."""

    async def worker(arg: int) -> int:
        total = 0
        for i in range(300):
            total += i
            await checkpoint()
        return total + arg

    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/data", 0o100 | O_WRONLY)
        await sys.write(fd, b"content")
        await sys.close(fd)
        tids = [await sys.thread_spawn(worker, n) for n in range(3)]
        for tid in tids:
            await sys.thread_join(tid)
        await sys.nanosleep(SECOND)
        lines = []
        for path in ("/tmp/data", "/etc/passwd", "/proc/self/status", "/proc/1", "/proc/uptime"):
            st = await sys.stat(path)
            lines.append(f"{path} ino={st.st_ino} atime={st.st_atime_ns} mtime={st.st_mtime_ns}")
        lines.append((await kio.read_file("/proc/self/status")).decode())
        lines.append((await kio.read_file("/proc/stat")).decode())
        lines.append(f"now={await sys.clock_gettime()}")
        await kio.write_all(1, "\n".join(lines) + "\n")
        pid = await sys.spawn("/bin/ps", ["ps"])
        await sys.wait4(pid)
        return 0

    return register(main)


def _observe(path: str, *, look: bool, slices: int = 10_000) -> tuple[str, bytes, int]:
    k = machine([path])
    k.console.hangup()
    host = HostClient(k)
    out = bytearray()
    for _ in range(slices):
        if look:
            host.listdir("/proc")
            for pid in host.listdir("/proc"):
                if pid.isdigit():
                    for name in ("stat", "status", "cmdline"):
                        try:
                            host.read_file(f"/proc/{pid}/{name}")
                        except Error:
                            pass
            host.read_file("/proc/stat")
            host.read_file("/proc/meminfo")
            host.listdir("/tmp")
        state = k.run(budget=97)
        out += k.console.drain()
        if state == HALTED:
            break
    return out.decode(), host.read_file("/proc/stat"), k.now_ns


def test_looking_at_the_machine_does_not_change_it() -> None:
    path = _program_for_observation()
    plain = _observe(path, look=False)
    looked = _observe(path, look=True)
    assert "content" not in plain[0]  # sanity: the program printed its observations
    assert "/tmp/data ino=" in plain[0]
    assert looked == plain


def test_looking_at_the_machine_keeps_its_timing_and_output_apart_from_proc_inodes() -> None:
    """The same run with and without host reads, ignoring the stat() of /proc inodes."""
    import re

    path = _program_for_observation()
    plain = _observe(path, look=False)
    looked = _observe(path, look=True)

    def scrub(text: str) -> str:
        return re.sub(r"(/proc/\S+) ino=\d+ atime=\d+ mtime=\d+", r"\1 ?", text)

    assert scrub(looked[0]) == scrub(plain[0])
    assert looked[1:] == plain[1:]


def test_reading_a_file_from_the_host_keeps_its_atime() -> None:
    async def main(argv: list[str]) -> int:
        fd = await sys.open("/tmp/f", 0o100 | O_WRONLY)
        await sys.write(fd, b"x")
        await sys.close(fd)
        await sys.read(0, 1)
        st = await sys.stat("/tmp/f")
        await kio.write_all(1, f"atime={st.st_atime_ns}\n")
        return 0

    outputs = []
    for look in (False, True):
        k = machine(main)
        assert run_until_idle(k) == "idle"
        k.run(until=k.now_ns + SECOND)
        if look:
            HostClient(k).read_file("/tmp/f")
        k.console.feed(b"\n")
        outputs.append(run(k).output)
    assert outputs[0] == outputs[1]


def test_host_client_is_not_a_process_of_the_machine() -> None:
    k = machine(["/bin/true"])
    host = HostClient(k)
    fd = host.open("/etc/hostname", O_RDONLY)
    assert host.read(fd, 100) == b"libk\n"
    assert 0 not in k.procs.procs
    assert "0" not in host.listdir("/proc")
    host.close(fd)
    assert run(k).status == 0


def test_the_host_cannot_start_a_ring_polling_thread() -> None:
    # Found by the fuzzer's long run: the host's ring with SETUP_SQPOLL started a thread
    # of the hidden host process, whose first system call crashed the run loop.
    from kernel.abi import SETUP_SQPOLL

    k = machine(["/bin/sh", "-c", "sleep 2"])
    host = HostClient(k)
    assert host_errno(host.ring_setup, 4, SETUP_SQPOLL) == EPERM
    fd = host.ring_setup(4)  # without a thread: fine
    host.close(fd)
    assert run(k).status == 0
