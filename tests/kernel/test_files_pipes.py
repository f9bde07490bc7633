"""Files: pipes (end of file, blocking, back pressure, fstat, interruption by a signal,
SIGPIPE for a writer whose reader went away)."""

from __future__ import annotations

from typing import Any

from ksim import MS, SECOND, check, errno_of, register

from kernel.abi import EBADF
from userland.libk import io as kio
from userland.libk import sys

# ------------------------------------------------------------------ pipes


def test_pipe_eof_after_the_last_writer_closes() -> None:
    seen: dict[str, Any] = {}

    async def writer(argv: list[str]) -> int:
        await sys.nanosleep(SECOND)
        await sys.write(1, b"from child")
        return 0

    wpath = register(writer)

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        pid = await sys.spawn(
            wpath, ["w"], None, None, [("dup2", w, 1), ("close", r), ("close", w)]
        )
        await sys.close(w)
        data = b""
        while chunk := await sys.read(r, 100):
            data += chunk
        seen["data"] = data
        seen["eof_at"] = await sys.clock_gettime()
        seen["eof_again"] = await sys.read(r, 100)
        await sys.wait4(pid)
        return 0

    check(main)
    assert seen["data"] == b"from child"
    assert seen["eof_at"] >= SECOND
    assert seen["eof_again"] == b""


def test_pipe_with_a_writer_left_blocks_the_reader() -> None:
    seen: dict[str, Any] = {}

    async def reader(arg: int) -> bytes:
        return await sys.read(arg, 10)

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        tid = await sys.thread_spawn(reader, r)
        await sys.nanosleep(SECOND)
        stat = (await kio.read_file(f"/proc/self/task/{tid}/stat")).split()
        seen["state"] = stat[2]
        await sys.write(w, b"late")
        seen["got"] = await sys.thread_join(tid)
        return 0

    check(main)
    assert seen["state"] == b"S"
    assert seen["got"] == b"late"


def test_pipe_back_pressure() -> None:
    seen: dict[str, Any] = {}
    size = 200 * 1024

    async def writer(arg: int) -> int:
        n = await sys.write(arg, bytes(range(256)) * (size // 256))
        seen["written_at"] = await sys.clock_gettime()
        return n

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        tid = await sys.thread_spawn(writer, w)
        await sys.nanosleep(SECOND)
        seen["blocked"] = "written_at" not in seen
        seen["state"] = (await kio.read_file(f"/proc/self/task/{tid}/stat")).split()[2]
        seen["drain_at"] = await sys.clock_gettime()
        data = b""
        while len(data) < size:
            data += await sys.read(r, 10_000)
        seen["n"] = await sys.thread_join(tid)
        seen["ok"] = data == bytes(range(256)) * (size // 256)
        return 0

    check(main)
    assert seen["blocked"]
    assert seen["state"] == b"S"
    assert seen["n"] == size
    assert seen["written_at"] >= seen["drain_at"]
    assert seen["ok"]


def test_pipe_fstat_and_fd_names() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        seen["mode"] = (await sys.fstat(r)).st_mode
        seen["same"] = (await sys.fstat(r)).st_ino == (await sys.fstat(w)).st_ino
        seen["read_w"] = await errno_of(sys.read(w, 1))
        seen["write_r"] = await errno_of(sys.write(r, b"x"))
        seen["link"] = await sys.readlink(f"/proc/self/fd/{r}")
        return 0

    check(main)
    assert seen["mode"] & 0o170000 == 0o010000  # S_IFIFO
    assert seen["same"]
    assert seen["read_w"] == EBADF
    assert seen["write_r"] == EBADF
    assert seen["link"].startswith("pipe:[")


def test_blocked_pipe_reader_is_interrupted_by_a_fatal_signal() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        r, _w = await sys.pipe()
        await sys.read(r, 1)
        return 0

    cpath = register(child)

    async def main(argv: list[str]) -> int:
        pid = await sys.spawn(cpath, ["c"])
        await sys.nanosleep(MS)
        await sys.kill(pid, 15)
        seen["st"] = await sys.wait4(pid)
        return 0

    check(main)
    assert seen["st"][1] == 15


def test_reader_closing_kills_a_blocked_writer_with_sigpipe() -> None:
    seen: dict[str, Any] = {}

    async def writer(argv: list[str]) -> int:
        await sys.write(1, bytes(200 * 1024))
        return 0

    wpath = register(writer)

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        actions = [("dup2", w, 1), ("close", w), ("close", r)]
        pid = await sys.spawn(wpath, ["w"], None, None, actions)
        await sys.close(w)
        await sys.nanosleep(MS)
        seen["first"] = len(await sys.read(r, 10))
        await sys.close(r)
        seen["st"] = (await sys.wait4(pid))[1]
        return 0

    check(main)
    assert seen["first"] == 10
    assert seen["st"] == 13  # SIGPIPE
