"""The ring paths of ``cat`` and ``cp`` (issue 10, part 11): the same bytes as the plain
paths for empty, small and odd-sized files, /dev/blk0, pipes and a shared offset; the
same messages and exit codes; and several times less virtual time on the device."""

from __future__ import annotations

import sys as host_sys
from pathlib import Path
from typing import Any

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import ok, run_main  # noqa: E402

from kernel.abi import (  # noqa: E402
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    O_TRUNC,
    O_WRONLY,
    OP_WRITE,
    SEEK_CUR,
    SEEK_SET,
    WEXITSTATUS,
    Error,
)
from userland.libk import io as kio  # noqa: E402
from userland.libk import sys  # noqa: E402
from userland.libk.ringcopy import BUFSIZE, ring_chunks, ring_copy  # noqa: E402

DISK = 4 << 20
ODD = 3 * BUFSIZE + 17


def pattern(n: int, seed: int = 0) -> bytes:
    """``n`` bytes with every byte value, newlines, blank-line runs and tabs in them."""
    unit = bytes((i * 7 + seed) % 256 for i in range(1000)) + b"\n\n\n\tend\n"
    return (unit * (n // len(unit) + 1))[:n]


FILES = {
    "/tmp/empty": b"",
    "/tmp/small": b"hello\tworld\n\n\n\x01\x7f\xe9 tail without newline",
    "/tmp/odd": pattern(ODD),
}


async def put(path: str, data: bytes) -> None:
    fd = await sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    await kio.write_all(fd, data)
    await sys.close(fd)


async def get(path: str) -> bytes:
    return await kio.read_file(path)


async def run(argv: list[str], out: str = "/tmp/out", stdin: int | None = None) -> int:
    """Run ``/bin/argv[0]`` with stdout (and stderr: ``out.err``) in files; its exit
    status."""
    actions: list[tuple[Any, ...]] = [
        ("open", 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644),
        ("open", 2, out + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
    ]
    if stdin is not None:
        actions.insert(0, ("dup2", stdin, 0))
    pid = await sys.spawn("/bin/" + argv[0], argv, None, None, actions)
    _, status = await sys.wait4(pid, 0)
    return WEXITSTATUS(status)


def machine(body: Any) -> dict[str, Any]:
    """Run ``await body(seen)`` as a program; return ``seen``."""
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await body(seen)
        return 0

    ok(run_main(main))
    return seen


async def fill_disk(seed: int) -> bytes:
    data = pattern(DISK, seed)
    fd = await sys.open("/dev/blk0", O_RDWR)
    for off in range(0, DISK, 1 << 20):
        await sys.do_io(fd, OP_WRITE, data[off : off + (1 << 20)], off)
    await sys.close(fd)
    return data


# ------------------------------------------------------------------ cat


def test_cat_ring_gives_the_plain_bytes_for_files_and_line_options() -> None:
    async def body(seen: dict[str, Any]) -> None:
        for path, data in FILES.items():
            await put(path, data)
        for path, data in FILES.items():
            for opts in ([], ["-n"], ["-A"], ["-bs"], ["-vT"]):
                assert await run(["cat", "--ring=never", *opts, path], "/tmp/p") == 0
                assert await run(["cat", "--ring", *opts, path], "/tmp/r") == 0
                plain, ring = await get("/tmp/p"), await get("/tmp/r")
                assert ring == plain, (path, opts, len(plain), len(ring))
                if not opts:
                    assert plain == data
        # several operands, one of them missing: same output, message and status
        names = ["/tmp/small", "/nope", "/tmp/odd", "/tmp/empty", "/tmp/small"]
        assert await run(["cat", "-n", *names], "/tmp/p") == 1
        assert await run(["cat", "-n", "--ring", *names], "/tmp/r") == 1
        assert await get("/tmp/r") == await get("/tmp/p")
        assert await get("/tmp/r.err") == await get("/tmp/p.err")
        assert b"cat: /nope: No such file or directory" in await get("/tmp/r.err")

    machine(body)


def test_cat_of_the_block_device_is_the_ring_path_and_reads_the_disk() -> None:
    async def body(seen: dict[str, Any]) -> None:
        data = await fill_disk(3)
        assert await run(["cat", "/dev/blk0"], "/tmp/auto") == 0
        assert await get("/tmp/auto") == data
        assert await run(["cat", "--ring=never", "/dev/blk0"], "/tmp/plain") == 0
        assert await get("/tmp/plain") == data
        # from standard input at an offset: the ring starts there and leaves the
        # shared offset at the end, as read(2) would
        fd = await sys.open("/dev/blk0", O_RDONLY)
        await sys.lseek(fd, DISK - 5000, SEEK_SET)
        assert await run(["cat", "--ring"], "/tmp/tail", stdin=fd) == 0
        assert await get("/tmp/tail") == data[-5000:]
        assert await sys.lseek(fd, 0, SEEK_CUR) == DISK
        await sys.close(fd)

    machine(body)


def test_cat_ring_reads_a_pipe_one_request_at_a_time() -> None:
    async def body(seen: dict[str, Any]) -> None:
        data = pattern(200_000, 5)
        for opts in ([], ["-n"]):
            r, w = await sys.pipe()
            actions = [
                ("dup2", r, 0),
                ("close", w),
                ("open", 1, "/tmp/o", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
            ]
            pid = await sys.spawn("/bin/cat", ["cat", "--ring", *opts], None, None, actions)
            await sys.close(r)
            for off in range(0, len(data), 7000):  # many small writes: short reads
                await kio.write_all(w, data[off : off + 7000])
            await sys.close(w)
            _, status = await sys.wait4(pid, 0)
            assert WEXITSTATUS(status) == 0
            got = await get("/tmp/o")
            await put("/tmp/whole", data)
            assert await run(["cat", *opts, "/tmp/whole"], "/tmp/p") == 0
            assert got == await get("/tmp/p"), opts
        # the library itself, on a pipe: offsets count the bytes before
        r, w = await sys.pipe()
        await sys.write(w, b"abc")
        await sys.write(w, b"defg")
        await sys.close(w)
        async with ring_chunks(r) as chunks:
            seen["chunks"] = [c async for c in chunks]
        await sys.close(r)

    seen = machine(body)
    assert b"".join(d for _, d in seen["chunks"]) == b"abcdefg"
    offs = [o for o, _ in seen["chunks"]]
    assert offs == sorted(offs) and offs[0] == 0


def test_cat_ring_stopping_early_returns_every_buffer() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await fill_disk(1)
        # a write error in the middle (stdout closed): reported, the ring drained
        pid = await sys.spawn("/bin/cat", ["cat", "/dev/blk0"], None, None, [("close", 1)])
        _, status = await sys.wait4(pid, 0)
        seen["status"] = WEXITSTATUS(status)
        # the reader stops after one chunk: the rest is cancelled, the buffers come back
        fd = await sys.open("/dev/blk0", O_RDONLY)
        before = await get("/proc/self/maps")
        async with ring_chunks(fd) as chunks:
            async for off, data in chunks:
                seen["first"] = (off, len(data))
                break
        seen["maps_back"] = await get("/proc/self/maps") == before
        await sys.close(fd)

    seen = machine(body)
    assert seen["status"] == 1
    assert seen["first"] == (0, BUFSIZE)
    assert seen["maps_back"]


def test_cat_of_the_disk_through_the_ring_takes_several_times_less_virtual_time() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await fill_disk(7)
        for name, argv in (
            ("plain", ["cat", "--ring=never", "/dev/blk0"]),
            ("ring", ["cat", "/dev/blk0"]),
        ):
            t0 = await sys.clock_gettime()
            assert await run(argv, "/dev/null") == 0
            seen[name] = await sys.clock_gettime() - t0

    seen = machine(body)
    ratio = seen["plain"] / seen["ring"]
    assert ratio >= 3, (
        f"cat /dev/blk0 > /dev/null: plain {seen['plain'] / 1e6:.3f} ms, "
        f"ring {seen['ring'] / 1e6:.3f} ms, ratio {ratio:.2f}x"
    )


# ------------------------------------------------------------------ cp


def test_cp_ring_gives_the_plain_bytes_messages_and_status() -> None:
    async def body(seen: dict[str, Any]) -> None:
        for path, data in FILES.items():
            await put(path, data)
        for path, data in FILES.items():
            assert await run(["cp", "--ring=never", path, "/tmp/cp_plain"]) == 0
            assert await run(["cp", "--ring", path, "/tmp/cp_ring"]) == 0
            assert await get("/tmp/cp_ring") == await get("/tmp/cp_plain") == data, path
        # over a longer existing file: truncated first, like the plain path
        await put("/tmp/cp_ring", b"x" * (ODD + 5000))
        assert await run(["cp", "--ring", "/tmp/small", "/tmp/cp_ring"]) == 0
        assert await get("/tmp/cp_ring") == FILES["/tmp/small"]
        for argv in (["cp", "/nope", "/tmp/x"], ["cp", "/tmp/small", "/nodir/x"]):
            st_p = await run(argv[:1] + ["--ring=never"] + argv[1:], "/tmp/p")
            st_r = await run(argv[:1] + ["--ring"] + argv[1:], "/tmp/r")
            assert st_p == st_r == 1
            assert await get("/tmp/p.err") == await get("/tmp/r.err") != b""
        assert await run(["cp", "--ring=sometimes", "/tmp/small", "/tmp/y"], "/tmp/r") == 1
        assert b"invalid argument 'sometimes' for '--ring'" in await get("/tmp/r.err")

    machine(body)


def test_cp_to_and_from_the_block_device() -> None:
    async def body(seen: dict[str, Any]) -> None:
        await fill_disk(9)
        for path, data in FILES.items():
            await put(path, data)
        # to the disk (the ring path on its own), then back with both cats
        assert await run(["cp", "/tmp/odd", "/dev/blk0"]) == 0
        assert await run(["cat", "/dev/blk0"], "/tmp/back") == 0
        back = await get("/tmp/back")
        assert back[:ODD] == FILES["/tmp/odd"] and back[ODD:] == pattern(DISK, 9)[ODD:]
        # from the disk to a file: both paths
        assert await run(["cp", "/dev/blk0", "/tmp/disk_ring"]) == 0
        assert await run(["cp", "--ring=never", "/dev/blk0", "/tmp/disk_plain"]) == 0
        assert await get("/tmp/disk_ring") == await get("/tmp/disk_plain") == back
        # past the end of the disk: the same message and status, the same disk
        await put("/tmp/big", pattern(DISK + 3000, 2))
        for when in ("never", "always"):
            assert await run(["cp", f"--ring={when}", "/tmp/big", "/dev/blk0"], "/tmp/" + when) == 1
            assert await run(["cat", "/dev/blk0"], "/tmp/disk_" + when) == 0
        assert await get("/tmp/always.err") == await get("/tmp/never.err")
        assert b"No space left on device" in await get("/tmp/always.err")
        assert await get("/tmp/disk_always") == await get("/tmp/disk_never")
        assert await get("/tmp/disk_always") == pattern(DISK + 3000, 2)[:DISK]

    machine(body)


def test_ring_copy_between_pipes_and_files_keeps_the_order() -> None:
    async def body(seen: dict[str, Any]) -> None:
        data = pattern(300_000, 4)
        await put("/tmp/src", data)
        # a file into a pipe: one write at a time, in order
        r, w = await sys.pipe()
        pid = await sys.spawn(
            "/bin/cat",
            ["cat"],
            None,
            None,
            [
                ("dup2", r, 0),
                ("close", w),
                ("open", 1, "/tmp/o", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
            ],
        )
        await sys.close(r)
        src = await sys.open("/tmp/src", O_RDONLY)
        seen["to_pipe"] = await ring_copy(src, w, qd=4, size=16384)
        await sys.close(src)
        await sys.close(w)
        await sys.wait4(pid, 0)
        seen["pipe_ok"] = await get("/tmp/o") == data
        # a pipe into a file
        r, w = await sys.pipe()
        await kio.write_all(w, data[:50_000])
        await sys.close(w)
        dst = await sys.open("/tmp/dst", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        seen["from_pipe"] = await ring_copy(r, dst)
        await sys.close(dst)
        await sys.close(r)
        seen["file_ok"] = await get("/tmp/dst") == data[:50_000]
        try:
            await ring_copy(99, 1)
        except Error as err:
            seen["ebadf"] = err.errno

    seen = machine(body)
    assert seen["to_pipe"] == 300_000 and seen["pipe_ok"]
    assert seen["from_pipe"] == 50_000 and seen["file_ok"]
    assert seen["ebadf"] == 9
