"""poll(2) and libk's select (issue #12 part 3): readiness of pipes, FIFOs, rings and
plain files, timeouts in virtual time, EINTR, POLLNVAL and POLLHUP, bad arguments."""

from __future__ import annotations

from typing import Any

from ksim import MS, check, errno_of, register

from kernel.abi import (
    EBADF,
    EINTR,
    EINVAL,
    O_NONBLOCK,
    O_RDONLY,
    O_WRONLY,
    POLLHUP,
    POLLIN,
    POLLNVAL,
    POLLOUT,
    S_IFIFO,
    SIG_CATCH,
    SIGTERM,
)
from userland.libk import sys
from userland.libk.poll import select
from userland.libk.ring import Ring


def test_a_pipe_becomes_readable_when_written_and_hangs_up_when_closed() -> None:
    seen: dict[str, Any] = {}

    async def writer(w: int) -> int:
        await sys.nanosleep(4 * MS)
        await sys.write(w, b"x")
        await sys.nanosleep(4 * MS)
        await sys.close(w)
        return 0

    async def main(argv: list[str]) -> int:
        r, w = await sys.pipe()
        seen["now"] = await sys.poll([(r, POLLIN), (w, POLLOUT)], 0)
        seen["timeout"] = await sys.poll([(r, POLLIN)], 3)
        t0 = await sys.clock_gettime(1)
        w2 = await sys.dup(w)
        await sys.close(w)
        tid = await sys.thread_spawn(writer, w2)
        seen["ready"] = await sys.poll([(r, POLLIN), (-1, POLLIN)])
        seen["waited"] = await sys.clock_gettime(1) - t0
        await sys.read(r, 10)
        seen["hup"] = await sys.poll([(r, POLLIN)], 1000)
        await sys.thread_join(tid)
        return 0

    check(main)
    assert seen["now"] == [0, POLLOUT]
    assert seen["timeout"] == [0]
    assert seen["ready"] == [POLLIN, 0] and seen["waited"] >= 4 * MS
    assert seen["hup"] == [POLLHUP]


def test_poll_over_mixed_files() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        await sys.mknod("/tmp/f", S_IFIFO | 0o600, 0)
        fifo = await sys.open("/tmp/f", O_RDONLY | O_NONBLOCK)
        fw = await sys.open("/tmp/f", O_WRONLY)
        plain = await sys.open("/etc/passwd", O_RDONLY)
        r, w = await sys.pipe()
        ring = await Ring.setup(4)
        await sys.write(fw, b"in the fifo")
        entries = [(fifo, POLLIN), (plain, POLLIN), (r, POLLIN), (ring.fd, POLLIN), (99, POLLIN)]
        seen["mixed"] = await sys.poll(entries, 0)
        ring.nop(user_data=1)
        await ring.submit()
        seen["ring"] = await sys.poll([(ring.fd, POLLIN)], 0)
        seen["select"] = await select([r, fifo], [w], [], 0)
        seen["fds"] = (fifo, w)
        seen["ebadf"] = await errno_of(select([99], [], [], 0))
        return 0

    check(main)
    fifo, plain, pipe, ring, closed = seen["mixed"]
    assert fifo == POLLIN and plain == POLLIN and pipe == 0 and ring == 0
    assert closed == POLLNVAL
    assert seen["ring"] == [POLLIN]
    fifo_fd, w_fd = seen["fds"]
    assert seen["select"] == ([fifo_fd], [w_fd], [])  # the empty pipe is not readable
    assert seen["ebadf"] == EBADF


def test_a_signal_interrupts_and_bad_arguments_are_einval() -> None:
    seen: dict[str, Any] = {}

    async def sender(argv: list[str]) -> int:
        await sys.nanosleep(5 * MS)
        await sys.kill(int(argv[1]), SIGTERM)
        return 0

    path = register(sender)

    async def main(argv: list[str]) -> int:
        await sys.sigaction(SIGTERM, SIG_CATCH)
        r, _w = await sys.pipe()
        child = await sys.spawn(path, [path, str(await sys.getpid())])
        seen["eintr"] = await errno_of(sys.poll([(r, POLLIN)], -1))
        await sys.wait4(child)
        seen["bad"] = [
            await errno_of(sys.poll("nope")),
            await errno_of(sys.poll([(r,)])),
            await errno_of(sys.poll([(r, 1 << 20)])),
            await errno_of(sys.poll([(r, POLLIN)] * 2000)),
        ]
        return 0

    check(main)
    assert seen["eintr"] == EINTR
    assert seen["bad"] == [EINVAL] * 4
