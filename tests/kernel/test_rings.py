"""Completion rings (issue 10): every operation, links, drains, cancellation outcomes,
owned buffers, buffer groups, completion-queue overflow, and exits with requests in
flight — plus do_io (level 1)."""

from __future__ import annotations

from typing import Any

from ksim import register, run_body

from kernel.abi import (
    EALREADY,
    EBADF,
    ECANCELED,
    EINVAL,
    ENOBUFS,
    ENOENT,
    ETIME,
    IOSQE_IO_DRAIN,
    IOSQE_IO_LINK,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MREMAP_MAYMOVE,
    O_CREAT,
    O_RDONLY,
    O_RDWR,
    OP_FSYNC,
    OP_NOP,
    OP_POLL,
    OP_READ,
    OP_WRITE,
    POLLIN,
    POLLOUT,
    PROT_READ,
    PROT_WRITE,
    SIGSEGV,
    SQ_FLAGS,
    SQ_NEED_WAKEUP,
    WTERMSIG,
    Error,
    checkpoint,
)
from userland.libk import sys
from userland.libk.ring import Buffer, BufferSpent, Ring, alloc_buffers

PS = 4096
MS = 1_000_000


async def _blk() -> int:
    return await sys.open("/dev/blk0", O_RDWR)


# ------------------------------------------------------------------ level 1


def test_do_io_reads_writes_and_fails_with_errno() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        assert await sys.do_io(fd, OP_WRITE, b"disk bytes", 8192) == 10
        t0 = await sys.clock_gettime()
        assert await sys.do_io(fd, OP_READ, 10, 8192) == b"disk bytes"
        seen["took"] = await sys.clock_gettime() - t0
        assert await sys.do_io(fd, OP_FSYNC) == 0
        assert await sys.do_io(fd, OP_NOP) == 0
        r, w = await sys.pipe()
        assert await sys.do_io(w, OP_POLL, POLLOUT) == POLLOUT
        await sys.do_io(w, OP_WRITE, b"x")
        assert await sys.do_io(r, OP_POLL, POLLIN) == POLLIN
        assert await sys.do_io(r, OP_READ, 10) == b"x"
        for args, errno in (
            ((99, OP_READ, 1), EBADF),
            ((fd, 77), EINVAL),
            ((fd, OP_READ, b"no"), EINVAL),
            ((r, OP_WRITE, b"x"), EBADF),
        ):
            try:
                await sys.do_io(*args)
            except Error as err:
                assert err.errno == errno, (args, err)
            else:
                raise AssertionError(f"do_io{args} did not fail")

    seen = run_body(body)
    # 50 us of latency + 1 us for the KiB, plus the system call: one request, one call.
    assert 51_000 <= seen["took"] <= 60_000


# ------------------------------------------------------------------ level 2


def test_ring_reads_a_batch_from_the_device_in_parallel() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        for i in range(8):
            await sys.do_io(fd, OP_WRITE, bytes([65 + i]) * PS, i * PS)
        ring = await Ring.setup(8)
        bufs = await alloc_buffers(8, PS)
        t0 = await sys.clock_gettime()
        for i, b in enumerate(bufs):
            ring.read(fd, b, i * PS, user_data=100 + i)
        assert await ring.submit(wait=8) == 8
        seen["took"] = await sys.clock_gettime() - t0
        mem = await sys.mmu()
        got = {c.user_data: mem.read(c.buffer.addr, 2) for c in ring.completions()}
        assert got == {100 + i: bytes([65 + i]) * 2 for i in range(8)}
        await ring.close()

    seen = run_body(body)
    assert seen["took"] < 2 * 55_000  # 8 channels: one latency, not eight


def test_every_operation_on_files_pipes_and_timeouts() -> None:
    async def body(seen: dict[str, Any]) -> None:
        ring = await Ring.setup(16)
        bufs = await alloc_buffers(4, PS)
        mem = await sys.mmu()
        mem.write(bufs[0].addr, b"file contents")
        ud_open = await ring.open("/tmp/f", O_CREAT | O_RDWR, 0o600)
        await ring.submit()
        (c,) = await ring.wait(1)
        assert c.user_data == ud_open
        fd = c.value()
        ring.write(fd, bufs[0], 13, 0, user_data=1)
        ring.fsync(fd, user_data=2)
        await ring.submit(wait=2)
        done = {c.user_data: c for c in ring.completions()}
        assert done[1].res == 13 and done[2].res == 0
        back = done[1].buffer
        ring.read(fd, bufs[1], 5, user_data=3)  # positional: from offset 5
        ring.close_fd(fd, user_data=4)
        await ring.submit(wait=2)
        done = {c.user_data: c for c in ring.completions()}
        assert done[3].res == 8 and mem.read(done[3].buffer.addr, 8) == b"contents"
        assert done[4].res == 0
        assert mem.read(back.addr, 4) == b"file"
        # a timeout expires; a counting timeout ends when enough others completed
        ring.timeout(2 * MS, user_data=5)
        await ring.submit()
        t0 = await sys.clock_gettime()
        (c,) = await ring.wait(1)
        assert (c.user_data, c.res) == (5, -ETIME)
        assert await sys.clock_gettime() - t0 >= 2 * MS - 1000
        ring.timeout(1000 * MS, 2, user_data=6)
        ring.nop(user_data=7)
        ring.nop(user_data=8)
        await ring.submit(wait=3)
        assert {(c.user_data, c.res) for c in ring.completions()} == {(6, 0), (7, 0), (8, 0)}
        # a read of an empty pipe waits for the writer; poll says when it can read
        r, w = await sys.pipe()
        ring.poll(r, POLLIN, user_data=9)
        ring.read(r, bufs[2], user_data=10)
        await ring.submit()
        await sys.nanosleep(MS)
        assert ring.completions() == []
        await sys.write(w, b"pipe!")
        got = {c.user_data: c for c in await ring.wait(2)}
        assert got[9].res == POLLIN and got[10].res == 5
        assert mem.read(got[10].buffer.addr, 5) == b"pipe!"
        # a bad descriptor and an unknown operation complete with errors
        ring.read(99, got[10].buffer, user_data=11)
        ring.prep(200, user_data=12)
        await ring.submit(wait=2)
        assert {(c.user_data, c.res) for c in ring.completions()} == {(11, -EBADF), (12, -EINVAL)}
        await ring.close()

    run_body(body)


def test_links_run_in_order_and_a_failure_cancels_the_rest() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        ring = await Ring.setup(8)
        bufs = await alloc_buffers(3, PS)
        mem = await sys.mmu()
        mem.write(bufs[0].addr, b"linked")
        ring.write(fd, bufs[0], PS, 0, user_data=1, flags=IOSQE_IO_LINK)
        ring.read(fd, bufs[1], 0, user_data=2)  # sees the write: it starts after it
        await ring.submit(wait=2)
        cs = ring.completions()
        assert [c.user_data for c in cs] == [1, 2]
        assert mem.read(cs[1].buffer.addr, 6) == b"linked"
        ring.read(99, bufs[2], user_data=3, flags=IOSQE_IO_LINK)  # fails
        ring.nop(user_data=4, flags=IOSQE_IO_LINK)
        ring.nop(user_data=5)
        ring.nop(user_data=6)  # not in the chain
        await ring.submit(wait=4)
        got = {c.user_data: c.res for c in ring.completions()}
        assert got == {3: -EBADF, 4: -ECANCELED, 5: -ECANCELED, 6: 0}
        await ring.close()

    run_body(body)


def test_drain_waits_for_everything_before_it() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        ring = await Ring.setup(8)
        bufs = await alloc_buffers(3, PS)
        ring.read(fd, bufs[0], 0, user_data=1)
        ring.read(fd, bufs[1], PS, user_data=2)
        ring.nop(user_data=3, flags=IOSQE_IO_DRAIN)
        ring.nop(user_data=4)  # after the drain, so after the reads too
        await ring.submit(wait=4)
        order = [c.user_data for c in ring.completions()]
        assert order[2:] == [3, 4] and sorted(order[:2]) == [1, 2]
        await ring.close()

    run_body(body)


def test_cancel_outcomes() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        ring = await Ring.setup(16)
        bufs = await alloc_buffers(4, PS)
        r, _w = await sys.pipe()
        ring.read(r, bufs[0], user_data=1)  # parked on the empty pipe
        ring.read(fd, bufs[1], 0, user_data=2)  # on the device at once
        await ring.submit()
        ring.cancel(1, tag=10)
        ring.cancel(2, tag=11)
        ring.cancel(12345, tag=12)
        await ring.submit()
        got = {c.user_data: c for c in await ring.wait(5)}
        assert got[10].res == 0 and got[1].res == -ECANCELED
        assert got[11].res == -EALREADY and got[2].res == PS  # completed normally
        assert got[12].res == -ENOENT
        assert got[1].buffer is not None and got[2].buffer is not None  # both came back
        # by fd, and everything
        ring.read(r, got[1].buffer, user_data=20)
        ring.poll(r, POLLIN, user_data=21)
        await ring.submit()
        ring.cancel(fd=r, every=True, tag=22)
        await ring.submit()
        got = {c.user_data: c.res for c in await ring.wait(3)}
        assert got == {20: -ECANCELED, 21: -ECANCELED, 22: 2}
        ring.timeout(1000 * MS, user_data=30)
        ring.poll(r, POLLIN, user_data=31)
        await ring.submit()
        ring.cancel(any_request=True, every=True, tag=32)
        await ring.submit()
        got = {c.user_data: c.res for c in await ring.wait(3)}
        assert got == {30: -ECANCELED, 31: -ECANCELED, 32: 2}
        await ring.close()

    run_body(body)


def test_a_device_queue_deeper_than_its_depth_can_be_cancelled() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        ring = await Ring.setup(64)
        bufs = await alloc_buffers(40, PS)
        for i, b in enumerate(bufs):
            ring.read(fd, b, 0, user_data=i)
        await ring.submit()
        ring.cancel(39, tag=100)  # the device holds 32: number 39 still waits for it
        ring.cancel(0, tag=101)
        await ring.submit()
        got = {c.user_data: c.res for c in await ring.wait(42)}
        assert got[100] == 0 and got[39] == -ECANCELED
        assert got[101] == -EALREADY and got[0] == PS
        assert sum(1 for u in range(39) if got[u] == PS) == 39
        await ring.close()

    run_body(body)


async def _toucher(argv: list[str]) -> int:
    """Hands a buffer to a ring, then touches it."""
    r, _w = await sys.pipe()
    ring = await Ring.setup(4)
    (buf,) = await alloc_buffers(1, PS)
    addr = buf.addr
    ring.read(r, buf, user_data=7)
    await ring.submit()
    try:
        buf.addr  # noqa: B018 - the handle is spent
    except BufferSpent:
        pass
    else:
        return 3
    mem = await sys.mmu()
    mem.load8(addr)  # the ring owns it: SIGSEGV
    return 4


TOUCHER = register(_toucher)


def test_owned_buffer_is_untouchable_until_its_completion() -> None:
    async def body(seen: dict[str, Any]) -> None:
        pid = await sys.spawn(TOUCHER, ["child"])
        _, status = await sys.wait4(pid)
        seen["sig"] = WTERMSIG(status)

    seen = run_body(body)
    assert seen["sig"] == SIGSEGV
    assert "owned by ring fd 5 of" in seen["log"] and "request 0x7 (read fd" in seen["log"]


def test_buffers_must_be_whole_pages() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        ring = await Ring.setup(4)
        ring.prep(OP_READ, fd, 0, 0x10000 + 8, PS, user_data=1)
        await ring.submit(wait=1)
        assert [(c.user_data, c.res) for c in ring.completions()] == [(1, -EINVAL)]
        await ring.close()

    run_body(body)


def test_buffer_groups_choose_and_return_buffers() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        await sys.do_io(fd, OP_WRITE, b"group data", 0)
        ring = await Ring.setup(8)
        bufs = await alloc_buffers(2, PS)
        ring.provide_buffers(5, bufs, first_bid=10)
        await ring.submit(wait=1)
        assert ring.completions()[0].res == 2
        ring.read_select(fd, 5, 16, 0, user_data=1)
        ring.read_select(fd, 5, 16, 0, user_data=2)
        ring.read_select(fd, 5, 16, 0, user_data=3)  # the group is empty by now
        await ring.submit(wait=3)
        got = {c.user_data: c for c in ring.completions()}
        assert got[3].res == -ENOBUFS
        assert {got[1].bid, got[2].bid} == {10, 11}
        mem = await sys.mmu()
        assert mem.read(got[1].buffer.addr, 10) == b"group data"
        ring.provide_buffers(6, [got[1].buffer])
        await ring.submit(wait=1)
        ring.completions()
        ring.remove_buffers(6)
        await ring.submit(wait=1)
        assert ring.completions()[0].res == 1
        (back,) = ring.reclaim(6)
        mem.store8(back.addr, 1)  # ours again
        await ring.close()

    run_body(body)


def test_the_completion_queue_never_loses_a_completion() -> None:
    async def body(seen: dict[str, Any]) -> None:
        ring = await Ring.setup(2)  # 2 submissions, 4 completions
        for batch in range(5):
            ring.nop(user_data=2 * batch)
            ring.nop(user_data=2 * batch + 1)
            await ring.submit()
        assert ring.overflowing
        got: list[int] = []
        while True:
            got += [c.user_data for c in ring.completions()]
            if len(got) >= 10:
                break
            await ring.submit(wait=1)  # entering flushes the overflow list
        assert got == list(range(10)) and not ring.overflowing
        await ring.close()

    run_body(body)


async def _dying(argv: list[str]) -> int:
    """Leaves with requests on the device and on a pipe."""
    fd = await sys.open("/dev/blk0", O_RDONLY)
    r, _w = await sys.pipe()
    ring = await Ring.setup(32)
    bufs = await alloc_buffers(24, PS)
    for i, b in enumerate(bufs[:20]):
        ring.read(fd, b, i * PS)  # on the device when the process dies
    for b in bufs[20:]:
        ring.read(r, b)  # parked on the pipe
    await ring.submit()
    return 0


DYING = register(_dying)


def test_exit_with_requests_in_flight_returns_every_frame() -> None:

    async def body(seen: dict[str, Any]) -> None:
        async def free() -> int:
            fd = await sys.open("/proc/meminfo")
            text = (await sys.read(fd, 8192)).decode()
            await sys.close(fd)
            return int(text.split("MemFree:")[1].split()[0])

        prog = DYING
        pid = await sys.spawn(prog, ["warm"])  # the first run's one-time costs
        await sys.wait4(pid)
        await sys.nanosleep(MS)
        before = await free()
        pid = await sys.spawn(prog, ["child"])
        await sys.wait4(pid)
        during = await free()
        await sys.nanosleep(MS)  # the device finishes; the pinned pages go
        seen["frames"] = (before, during, await free())

    before, during, after = run_body(body)["frames"]
    assert during < before  # the device still held the dead process's buffers
    assert after == before


def test_ring_fdinfo_shows_queues_and_requests() -> None:
    async def body(seen: dict[str, Any]) -> None:
        ring = await Ring.setup(4)
        r, _w = await sys.pipe()
        (buf,) = await alloc_buffers(1, PS)
        ring.read(r, buf, user_data=0x2A)
        await ring.submit()
        fd = await sys.open(f"/proc/self/fdinfo/{ring.fd}")
        seen["info"] = (await sys.read(fd, 8192)).decode()

    info = run_body(body)["info"]
    assert "SqMask:\t0x3\n" in info and "SqHead:\t1\n" in info and "CqTail:\t0\n" in info
    assert "InFlight:\t1\n" in info and "user_data=0x2a op=read" in info
    assert "OwnedPages:\t1\n" in info


async def _count(name: str) -> int:
    """How many times this process has called ``name`` (/proc/self/syscalls)."""
    fd = await sys.open("/proc/self/syscalls")
    text = (await sys.read(fd, 65536)).decode()
    await sys.close(fd)
    counts = dict(line.split() for line in text.splitlines())
    return int(counts.get(name, 0))


def test_sqpoll_submits_with_no_system_call() -> None:
    async def body(seen: dict[str, Any]) -> None:
        fd = await _blk()
        ring = await Ring.setup(16, sqpoll=True)
        bufs = await alloc_buffers(16, PS)
        tfd = await sys.open("/proc/self/task")
        tids = []
        while batch := await sys.getdents(tfd):
            tids += [d.d_name for d in batch if d.d_name[0].isdigit()]
        for tid in tids:
            cfd = await sys.open(f"/proc/self/task/{tid}/comm")
            seen.setdefault("comms", []).append((await sys.read(cfd, 64)).decode().strip())
        enters = await _count("ring_enter")
        for i, b in enumerate(bufs):
            ring.read(fd, b, i * PS, user_data=i)
        await ring.submit()  # a store of the tail: the polling thread takes it
        got = []
        while len(got) < 16:  # poll the completion queue with loads
            got += ring.completions()
            await checkpoint()
        assert sorted(c.user_data for c in got) == list(range(16))
        assert await _count("ring_enter") == enters  # no system call for 16 reads
        await sys.nanosleep(5 * MS)  # idle: the thread sleeps and asks to be woken
        mem = await sys.mmu()
        assert mem.load32(ring.base + SQ_FLAGS) & SQ_NEED_WAKEUP
        ring.nop(user_data=99)
        await ring.submit(wait=1)  # wakes it
        assert [c.user_data for c in ring.completions()] == [99]
        await ring.close()

    seen = run_body(body)
    assert any(c.startswith("iou-sqp-") for c in seen["comms"]), seen["comms"]


async def _remapper(argv: list[str]) -> int:
    """Moves a mapping that holds an owned buffer; touches the moved page."""
    r, w = await sys.pipe()
    ring = await Ring.setup(4)
    mem = await sys.mmu()
    base = await sys.mmap(0, 2 * PS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
    mem.store8(base + PS, 1)
    ring.read(r, Buffer(base, PS), user_data=1)
    await ring.submit()
    new = await sys.mremap(base, 2 * PS, 64 * PS, MREMAP_MAYMOVE)
    assert new != base
    mem.store8(new + PS, 2)  # the other page moved with it and is ours
    await sys.write(w, b"moved")
    (c,) = await ring.wait(1)
    assert c.res == 5 and mem.read(new, 5) == b"moved"  # given back where it went
    if argv[1:] == ["touch"]:
        ring.read(r, Buffer(new, PS), user_data=2)
        await ring.submit()
        new2 = await sys.mremap(new, 64 * PS, 128 * PS, MREMAP_MAYMOVE)
        mem.load8(new2)  # still owned after the move: SIGSEGV
    return 0


REMAPPER = register(_remapper)


def test_mremap_moves_ownership_with_the_pages() -> None:
    async def body(seen: dict[str, Any]) -> None:
        for how in ("ok", "touch"):
            pid = await sys.spawn(REMAPPER, ["remapper", how])
            _, status = await sys.wait4(pid)
            seen[how] = status

    seen = run_body(body)
    assert seen["ok"] == 0
    assert WTERMSIG(seen["touch"]) == SIGSEGV
