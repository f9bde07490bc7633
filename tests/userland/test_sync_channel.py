"""libk's Channel (order, back pressure, closing, between processes) and blocked waits
of every sync object surfacing an exit request."""

from __future__ import annotations

import sys as host_sys
from pathlib import Path
from typing import Any

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import MS, errno_of, ok, register, run_main  # noqa: E402
from test_sync import PS, RW, _until_asleep, _wchan  # noqa: E402

from kernel.abi import (  # noqa: E402
    EINTR,
    EINVAL,
    EPIPE,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    W_EXITCODE,
    Error,
    SpawnAttr,
)
from userland.libk import sys  # noqa: E402
from userland.libk.sync import (  # noqa: E402
    Arena,
    Barrier,
    Channel,
    Condvar,
    Mutex,
    Semaphore,
)


# ---------------------------------------------------------------------- Channel
def test_channel_keeps_order_applies_backpressure_and_closes() -> None:
    seen: dict[str, Any] = {"sent": 0}

    async def sender(ch: Channel) -> str:
        try:
            for i in range(10):
                await ch.send(f"m{i}")
                seen["sent"] += 1
        except Error as err:
            return err.name
        return "all sent"

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        ch = await arena.channel(2, msg_size=8)
        tid = await sys.thread_spawn(sender, ch)
        await sys.nanosleep(MS)
        seen["blocked_at"] = (seen["sent"], len(ch), await _wchan(tid))
        seen["first"] = await ch.recv()
        await sys.nanosleep(MS)
        seen["after_one"] = seen["sent"]
        seen["next"] = [await ch.recv() for _ in range(4)]
        await sys.nanosleep(MS)
        await ch.close()
        seen["sender"] = await sys.thread_join(tid)
        seen["rest"] = [msg async for msg in ch]
        seen["end"] = await ch.recv()
        seen["send_closed"] = await errno_of(ch.send(b"x"))
        seen["too_long"] = await errno_of((await arena.channel(1, msg_size=4)).send(b"12345"))
        return 0

    ok(run_main(main, cpus=2))
    assert seen["blocked_at"] == (2, 2, b"futex_wait_queue")
    assert seen["first"] == b"m0"
    assert seen["after_one"] == 3
    assert seen["next"] == [b"m1", b"m2", b"m3", b"m4"]
    assert seen["sender"] == "EPIPE"  # closed while it waited for room
    assert seen["rest"] == [b"m5", b"m6"]
    assert seen["end"] is None
    assert (seen["send_closed"], seen["too_long"]) == (EPIPE, EINVAL)


def test_a_thread_told_to_stop_through_its_channel_leaves_on_its_own() -> None:
    seen: dict[str, Any] = {}

    async def worker(ch: Channel) -> int:
        done = 0
        async for msg in ch:  # ends when the channel is closed and drained
            done += int(msg)
        return done

    async def stopper(ch: Channel) -> str:
        while (msg := await ch.recv()) != b"stop":
            seen.setdefault("got", []).append(msg)
        return "stopped"

    async def flagged(ch: Channel) -> str:
        while True:
            try:
                await ch.recv()
            except Error as err:
                if err.errno == EINTR and await sys.thread_should_exit():
                    return "left"
                raise

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        chans = [await arena.channel(4) for _ in range(3)]
        t1 = await sys.thread_spawn(worker, chans[0])
        t2 = await sys.thread_spawn(stopper, chans[1])
        t3 = await sys.thread_spawn(flagged, chans[2])
        for n in (1, 2, 3, 4, 5):
            await chans[0].send(str(n))
        await chans[1].send(b"work")
        await _until_asleep([t1, t2, t3])
        await chans[0].close()
        await chans[1].send(b"stop")
        await sys.thread_request_exit(t3)
        seen["results"] = [await sys.thread_join(t) for t in (t1, t2, t3)]
        return 0

    ok(run_main(main, cpus=2))
    assert seen["results"] == [15, "stopped", "left"]
    assert seen["got"] == [b"work"]


def test_a_channel_between_processes() -> None:
    async def child(argv: list[str]) -> int:
        a = await sys.mmap(0, PS, RW, MAP_SHARED, 3, 0)
        ch = Channel(await sys.mmu(), a)
        for word in ("one", "two", "three"):
            await ch.send(word)
        await ch.close()
        return 0

    prog = register(child)
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        fd = await sys.memfd_create("chan")
        await sys.ftruncate(fd, PS)
        await sys.mmap(0, 2 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS)
        a = await sys.mmap(0, PS, RW, MAP_SHARED, fd, 0)
        ch = Channel(await sys.mmu(), a).init(1, msg_size=8)
        pid = await sys.spawn(prog, [prog], None, None, [("dup2", fd, 3)], SpawnAttr())
        seen["got"] = [m async for m in ch]
        seen["status"] = (await sys.wait4(pid))[1]
        return 0

    ok(run_main(main))
    assert seen["got"] == [b"one", b"two", b"three"]
    assert seen["status"] == W_EXITCODE(0)


# ---------------------------------------------------------------------- interruptions
def test_blocked_waits_surface_an_exit_request() -> None:
    seen: dict[str, Any] = {}

    async def on_condvar(arg: tuple[Mutex, Condvar]) -> tuple[str, bool]:
        m, cv = arg
        async with m:
            try:
                await cv.wait()
            except Error as err:
                return err.name, m.locked  # the mutex is ours again
        return "woken", False

    async def on_semaphore(sem: Semaphore) -> str:
        try:
            await sem.acquire()
        except Error as err:
            return err.name
        return "acquired"

    async def on_barrier(b: Barrier) -> str:
        try:
            await b.wait()
        except Error as err:
            return err.name
        return "passed"

    async def on_mutex(m: Mutex) -> str:
        await m.lock()  # not interrupted: it waits for the holder
        await m.unlock()
        return f"locked, flag {int(await sys.thread_should_exit())}"

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        m, m2 = await arena.mutex(), await arena.mutex()
        cv = await arena.condvar(m)
        sem = await arena.semaphore(0)
        barrier = await arena.barrier(3)
        await m2.lock()
        tids = [
            await sys.thread_spawn(on_condvar, (m, cv)),
            await sys.thread_spawn(on_semaphore, sem),
            await sys.thread_spawn(on_barrier, barrier),
            await sys.thread_spawn(on_mutex, m2),
        ]
        await _until_asleep(tids)
        for t in tids:
            await sys.thread_request_exit(t)
        results = [await sys.thread_join(t) for t in tids[:3]]
        await sys.nanosleep(MS)
        seen["mutex_waiter"] = await _wchan(tids[3])
        await m2.unlock()
        results.append(await sys.thread_join(tids[3]))
        seen["results"] = results
        seen["barrier_arrived"] = m.mem.load32(barrier.addr + 4)
        seen["sem_waiters"] = m.mem.load32(sem.addr + 4)
        return 0

    ok(run_main(main, cpus=2))
    assert seen["results"] == [("EINTR", True), "EINTR", "EINTR", "locked, flag 1"]
    assert seen["mutex_waiter"] == b"futex_wait_queue"
    assert seen["barrier_arrived"] == 0  # the interrupted thread left the round
    assert seen["sem_waiters"] == 0
