"""FIFOs (issue #12 part 1): mknod(2) and its errors, opens that wait for the other
end as on Linux, O_NONBLOCK opens, EOF and SIGPIPE, and the shell's utilities."""

from __future__ import annotations

from typing import Any

from ksim import MS, check, errno_of, register, shell

from kernel.abi import (
    EEXIST,
    EINTR,
    EINVAL,
    ENXIO,
    EPERM,
    EPIPE,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    S_IFCHR,
    S_IFDIR,
    S_IFIFO,
    S_IFMT,
    SIG_CATCH,
    SIG_IGN,
    SIGPIPE,
    SIGTERM,
    SPAWN_OPEN,
)
from userland.libk import sys


def test_opens_wait_for_the_other_end() -> None:
    seen: dict[str, Any] = {}

    async def writer(_: int) -> int:
        await sys.nanosleep(5 * MS)
        fd = await sys.open("/tmp/f", O_WRONLY)
        seen["writer_opened"] = await sys.clock_gettime(1)
        await sys.write(fd, b"hello")
        await sys.close(fd)
        return 0

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o600, 0)
        st = await sys.stat("/tmp/f")
        seen["mode"] = st.st_mode
        t0 = await sys.clock_gettime(1)
        tid = await sys.thread_spawn(writer, 0)
        fd = await sys.open("/tmp/f", O_RDONLY)  # waits for the writer
        seen["waited"] = await sys.clock_gettime(1) - t0
        seen["data"] = await sys.read(fd, 100)
        seen["eof"] = await sys.read(fd, 100)  # the writer closed: end of file
        await sys.thread_join(tid)
        await sys.close(fd)
        return 0

    check(main)
    assert seen["mode"] == S_IFIFO | 0o600
    assert seen["waited"] >= 5 * MS
    assert seen["data"] == b"hello" and seen["eof"] == b""


def test_a_writer_waits_for_a_reader_and_nonblocking_opens() -> None:
    seen: dict[str, Any] = {}

    async def reader(_: int) -> int:
        await sys.nanosleep(3 * MS)
        fd = await sys.open("/tmp/f", O_RDONLY)
        seen["read"] = await sys.read(fd, 100)
        await sys.close(fd)
        return 0

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o666, 0)
        seen["wronly_nb"] = await errno_of(sys.open("/tmp/f", O_WRONLY | O_NONBLOCK))
        fd = await sys.open("/tmp/f", O_RDONLY | O_NONBLOCK)  # never waits
        seen["empty"] = await errno_of(sys.read(fd, 10))  # no writer: EOF, not EAGAIN
        await sys.close(fd)
        rw = await sys.open("/tmp/f", O_RDWR)  # never waits either
        await sys.close(rw)
        tid = await sys.thread_spawn(reader, 0)
        t0 = await sys.clock_gettime(1)
        fd = await sys.open("/tmp/f", O_WRONLY)
        seen["waited"] = await sys.clock_gettime(1) - t0
        await sys.write(fd, b"x" * 10)
        await sys.close(fd)
        await sys.thread_join(tid)
        return 0

    check(main)
    assert seen["wronly_nb"] == ENXIO and seen["empty"] == 0
    assert seen["waited"] >= 3 * MS and seen["read"] == b"x" * 10


def test_sigpipe_and_epipe_when_the_reader_has_gone() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o600, 0)
        await sys.sigaction(SIGPIPE, SIG_IGN)
        r = await sys.open("/tmp/f", O_RDONLY | O_NONBLOCK)
        w = await sys.open("/tmp/f", O_WRONLY)
        await sys.write(w, b"lost")
        await sys.close(r)  # the last end of the reader: what was written is gone too
        seen["epipe"] = await errno_of(sys.write(w, b"x"))
        await sys.close(w)
        r = await sys.open("/tmp/f", O_RDONLY | O_NONBLOCK)
        w = await sys.open("/tmp/f", O_WRONLY)
        await sys.close(w)
        seen["after"] = await sys.read(r, 10)
        return 0

    check(main)
    assert seen["epipe"] == EPIPE and seen["after"] == b""


def test_a_waiting_open_is_interrupted_by_a_signal() -> None:
    seen: dict[str, Any] = {}

    async def sender(argv: list[str]) -> int:
        await sys.nanosleep(10 * MS)
        await sys.kill(int(argv[1]), SIGTERM)
        return 0

    path = register(sender)

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o600, 0)
        await sys.sigaction(SIGTERM, SIG_CATCH)
        child = await sys.spawn(path, [path, str(await sys.getpid())])
        seen["open"] = await errno_of(sys.open("/tmp/f", O_RDONLY))
        await sys.wait4(child)
        # nothing is left half-open: a non-blocking writer still finds no reader
        seen["after"] = await errno_of(sys.open("/tmp/f", O_WRONLY | O_NONBLOCK))
        return 0

    check(main)
    assert seen == {"open": EINTR, "after": ENXIO}


def test_mknod_errors_and_device_nodes() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o644, 0)
        seen["exists"] = await errno_of(sys.mknod("/tmp/f", S_IFIFO | 0o644, 0))
        seen["dir"] = await errno_of(sys.mknod("/tmp/d", S_IFDIR | 0o755, 0))
        seen["bad"] = await errno_of(sys.mknod("/tmp/b", 0o170000 | 0o644, 0))
        await sys.mknod("/tmp/null", S_IFCHR | 0o666, (1 << 8) | 3)  # /dev/null's number
        fd = await sys.open("/tmp/null", O_RDWR)
        seen["null"] = (await sys.write(fd, b"abc"), await sys.read(fd, 10))
        await sys.mknod("/tmp/none", S_IFCHR | 0o666, (99 << 8) | 1)
        seen["none"] = await errno_of(sys.open("/tmp/none", O_RDONLY))
        await sys.mknod("/tmp/plain", 0o640, 0)  # no type: a regular file
        seen["plain"] = (await sys.stat("/tmp/plain")).st_mode & S_IFMT
        return 0

    check(main)
    assert seen["exists"] == EEXIST and seen["dir"] == EPERM and seen["bad"] == EINVAL
    assert seen["null"] == (3, b"") and seen["none"] == ENXIO
    assert seen["plain"] == 0o100000


def test_the_shell_and_utilities() -> None:
    r = shell(
        "mkfifo /tmp/f; (echo through-fifo > /tmp/f &); cat /tmp/f; ls -l /tmp/f | cut -c1-10;"
        " mkfifo -m 600 /tmp/g; stat -c '%A %F' /tmp/g; test -p /tmp/g && echo fifo;"
        " mkfifo /tmp/f; mknod /tmp/p p 1 2; echo $?;"
        " su alice -c 'mknod /tmp/c c 1 3'; echo $?"
    )
    assert r.output.splitlines() == [
        "through-fifo",
        "prw-r--r--",
        "prw------- fifo",
        "fifo",
        "mkfifo: cannot create fifo '/tmp/f': File exists",
        "mknod: extra operand '1'",
        "Fifos do not have major and minor device numbers.",
        "Try 'mknod --help' for more information.",
        "1",
        "mknod: /tmp/c: Operation not permitted",
        "1",
    ], r.output


def test_a_spawn_opens_a_fifo_without_waiting() -> None:
    seen: dict[str, Any] = {}

    async def child(argv: list[str]) -> int:
        return 0

    path = register(child)

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o600, 0)
        write = [(SPAWN_OPEN, 1, "/tmp/f", O_WRONLY, 0)]
        seen["write"] = await errno_of(sys.spawn(path, [path], None, None, write))
        read = [(SPAWN_OPEN, 0, "/tmp/f", O_RDONLY, 0)]
        pid = await sys.spawn(path, [path], None, None, read)
        seen["read"] = (await sys.wait4(pid))[1]
        return 0

    check(main)
    assert seen == {"write": ENXIO, "read": 0}
