"""libk's sync objects: Mutex, Condvar, Semaphore, Once, Barrier and the Arena, in
threads on several CPUs and across processes sharing a memfd.

Channel and the interruption of blocked waits are in test_sync_channel.py.
"""

from __future__ import annotations

import sys as host_sys
from pathlib import Path
from typing import Any

host_sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "kernel"))

from ksim import MS, errno_of, ok, register, run_main  # noqa: E402

from kernel.abi import (  # noqa: E402
    EINVAL,
    ENOMEM,
    EPERM,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MAP_SHARED,
    O_RDONLY,
    PROT_READ,
    PROT_WRITE,
    W_EXITCODE,
    Error,
    SpawnAttr,
)
from userland.libk import io as kio  # noqa: E402
from userland.libk import sys  # noqa: E402
from userland.libk.sync import (  # noqa: E402
    Arena,
    Barrier,
    Channel,
    Condvar,
    Mutex,
    Once,
    Semaphore,
)

RW = PROT_READ | PROT_WRITE
PS = 4096


async def _wchan(tid: int) -> bytes:
    return await kio.read_file(f"/proc/self/task/{tid}/wchan")


async def _until_asleep(tids: list[int]) -> None:
    for tid in tids:
        while await _wchan(tid) != b"futex_wait_queue":
            await sys.nanosleep(MS // 10)


async def _futex_calls() -> int:
    for line in (await kio.read_file("/proc/self/syscalls")).decode().splitlines():
        name, count = line.split()
        if name == "futex":
            return int(count)
    return 0


async def _nvcsw(tid: int) -> int:
    text = (await kio.read_file(f"/proc/self/task/{tid}/status")).decode()
    return int(text.split("voluntary_ctxt_switches:\t")[1].split("\n")[0])


async def _peek(addr: int) -> int:
    """The word at ``addr`` as /proc/self/mem shows it."""
    fd = await sys.open("/proc/self/mem", O_RDONLY)
    await sys.lseek(fd, addr)
    data = await sys.read(fd, 4)
    await sys.close(fd)
    return int.from_bytes(data, "little")


# ---------------------------------------------------------------------- Mutex
def test_mutex_excludes_threads_on_several_cpus() -> None:
    seen: dict[str, Any] = {}

    async def adder(arg: tuple[Mutex | None, int]) -> int:
        m, counter = arg
        mem = await sys.mmu()
        for _ in range(15):
            if m is not None:
                await m.lock()
            v = mem.load32(counter)
            await sys.nanosleep(1000)  # an await inside the critical section
            mem.store32(counter, v + 1)
            if m is not None:
                await m.unlock()
        return await sys.sched_getcpu()

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        arena = await Arena.new()
        m = await arena.mutex()
        counter = await arena.alloc(8)
        before = await _futex_calls()
        for _ in range(100):
            async with m:
                seen.setdefault("peek_locked", await _peek(m.addr))
        seen["uncontended_futex_calls"] = await _futex_calls() - before
        seen["peek_unlocked"] = await _peek(m.addr)
        for name, lock in (("locked", m), ("unlocked", None)):
            mem.store32(counter, 0)
            tids = [await sys.thread_spawn(adder, (lock, counter)) for _ in range(4)]
            seen[f"cpus_{name}"] = {await sys.thread_join(t) for t in tids}
            seen[name] = mem.load32(counter)
        seen["unlock_unlocked"] = await errno_of(m.unlock())
        seen["try"] = (m.try_lock(), m.try_lock(), m.locked)
        seen["maps"] = (await kio.read_file("/proc/self/maps")).decode()
        return 0

    ok(run_main(main, cpus=4))
    assert seen["uncontended_futex_calls"] == 0
    assert (seen["peek_locked"], seen["peek_unlocked"]) == (Mutex.LOCKED, Mutex.UNLOCKED)
    assert seen["locked"] == 60
    assert seen["unlocked"] < 60  # the same loop without the mutex loses updates
    assert len(seen["cpus_locked"]) > 1
    assert seen["unlock_unlocked"] == EPERM
    assert seen["try"] == (True, False, True)
    assert "[anon:libk-sync]" in seen["maps"]


def test_a_mutex_in_a_shared_memfd_excludes_processes() -> None:
    async def child(argv: list[str]) -> int:
        await sys.mmap(0, 5 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS)  # another address
        a = await sys.mmap(0, PS, RW, MAP_SHARED, 3, 0)
        mem = await sys.mmu()
        m = Mutex(mem, a + 16)  # the parent initialised it
        for _ in range(15):
            async with m:
                v = mem.load32(a + 64)
                await sys.nanosleep(1000)
                mem.store32(a + 64, v + 1)
        return 0

    prog = register(child)
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        fd = await sys.memfd_create("locks")
        await sys.ftruncate(fd, PS)
        a = await sys.mmap(0, PS, RW, MAP_SHARED, fd, 0)
        m = Mutex(mem, a + 16).init()
        pids = [
            await sys.spawn(prog, [prog], None, None, [("dup2", fd, 3)], SpawnAttr())
            for _ in range(3)
        ]
        seen["status"] = [(await sys.wait4(p))[1] for p in pids]
        seen["count"] = mem.load32(a + 64)
        seen["state"] = m.locked
        return 0

    ok(run_main(main, cpus=4))
    assert seen["status"] == [W_EXITCODE(0)] * 3
    assert seen["count"] == 45
    assert seen["state"] is False


# ---------------------------------------------------------------------- Condvar
def test_condvar_producers_and_consumers_share_a_bounded_buffer() -> None:
    got: list[tuple[int, int]] = []
    cap, per_producer = 3, 12

    async def producer(arg: tuple[Any, ...]) -> None:
        m, not_empty, not_full, buf, who = arg
        mem = m.mem
        for i in range(per_producer):
            async with m:
                await not_full.wait_for(lambda: mem.load32(buf) < cap)
                n = mem.load32(buf)
                mem.store32(buf + 8 + 4 * n, who * 1000 + i)
                mem.store32(buf, n + 1)
                await not_empty.notify()

    async def consumer(arg: tuple[Any, ...]) -> None:
        m, not_empty, not_full, buf, _ = arg
        mem = m.mem
        while True:
            async with m:
                await not_empty.wait_for(lambda: mem.load32(buf) > 0 or mem.load32(buf + 4))
                n = mem.load32(buf)
                if not n:
                    return  # done and drained
                item = mem.load32(buf + 8)
                mem.copy(buf + 8, buf + 12, 4 * (n - 1))
                mem.store32(buf, n - 1)
                got.append(divmod(item, 1000))
                await not_full.notify()
            await sys.nanosleep(500)

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        m = await arena.mutex()
        not_empty, not_full = await arena.condvar(m), await arena.condvar(m)
        buf = await arena.alloc(8 + 4 * cap)  # count, done flag, items
        arg = (m, not_empty, not_full, buf)
        producers = [await sys.thread_spawn(producer, (*arg, w)) for w in range(3)]
        consumers = [await sys.thread_spawn(consumer, (*arg, 0)) for _ in range(2)]
        for t in producers:
            await sys.thread_join(t)
        async with m:
            m.mem.store32(buf + 4, 1)
            await not_empty.notify_all()
        for t in consumers:
            await sys.thread_join(t)
        return 0

    ok(run_main(main, cpus=3))
    assert sorted(got) == [(w, i) for w in range(3) for i in range(per_producer)]
    for w in range(3):  # each producer's items arrive in order
        assert [i for x, i in got if x == w] == list(range(per_producer))


def test_notify_all_requeues_waiters_onto_the_mutex() -> None:
    seen: dict[str, Any] = {}

    async def waiter(arg: tuple[Mutex, Condvar, int]) -> int:
        m, cv, flag = arg
        me = await sys.gettid()
        async with m:
            before = await _nvcsw(me)
            while not m.mem.load32(flag):
                await cv.wait()
            slept = await _nvcsw(me) - before
            await sys.nanosleep(MS)  # hold the mutex a while: others would contend
        return slept

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        m = await arena.mutex()
        cv = await arena.condvar(m)
        flag = await arena.alloc(4)
        tids = [await sys.thread_spawn(waiter, (m, cv, flag)) for _ in range(5)]
        while m.mem.load32(cv.addr + 4) != 5:  # all five are on their way to the condvar
            await sys.nanosleep(MS // 10)
        await _until_asleep(tids)
        async with m:
            m.mem.store32(flag, 1)
            await cv.notify_all()
        seen["slept"] = sorted([await sys.thread_join(t) for t in tids])
        seen["waiters_word"] = m.mem.load32(cv.addr + 4)
        seen["no_waiters_no_call"] = await _futex_calls()
        await cv.notify_all()
        await cv.notify()
        seen["no_waiters_no_call"] = await _futex_calls() - seen["no_waiters_no_call"]
        seen["wait_unlocked"] = await errno_of(cv.wait())
        return 0

    ok(run_main(main, cpus=4))
    # Each waiter slept once on the condvar; the requeued ones were handed the mutex
    # by the unlock before them. Only the one notify_all woke may have slept again on
    # the mutex; woken all at once, four would have.
    assert seen["slept"][:4] == [1, 1, 1, 1]
    assert seen["slept"][4] in (1, 2)
    assert seen["waiters_word"] == 0
    assert seen["no_waiters_no_call"] == 0
    assert seen["wait_unlocked"] == EPERM


def test_condvar_wait_times_out_with_the_mutex_held() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        m = await arena.mutex()
        cv = await arena.condvar(m)
        async with m:
            t0 = await sys.clock_gettime(1)
            seen["result"] = await cv.wait(2 * MS)
            seen["took"] = await sys.clock_gettime(1) - t0
            seen["held"] = m.locked
            seen["pred"] = await cv.wait_for(lambda: False, MS)
        return 0

    ok(run_main(main))
    assert seen["result"] is False and 2 * MS <= seen["took"] < 3 * MS
    assert seen["held"] is True and seen["pred"] is False


# ---------------------------------------------------------------------- Semaphore, Once
def test_semaphore_counts() -> None:
    seen: dict[str, Any] = {"inside": 0, "most": 0}

    async def user(sem: Semaphore) -> None:
        await sem.acquire()
        seen["inside"] += 1
        seen["most"] = max(seen["most"], seen["inside"])
        await sys.nanosleep(MS)
        seen["inside"] -= 1
        await sem.release()

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        sem = await arena.semaphore(2)
        tids = [await sys.thread_spawn(user, sem) for _ in range(6)]
        for t in tids:
            await sys.thread_join(t)
        seen["value"] = sem.value
        seen["try"] = (sem.try_acquire(), sem.try_acquire(), sem.try_acquire())
        t0 = await sys.clock_gettime(1)
        seen["timed"] = await sem.acquire(MS)
        seen["took"] = await sys.clock_gettime(1) - t0
        await sem.release(3)
        seen["after_release"] = sem.value
        seen["bad"] = await errno_of(sem.release(0))
        seen["overflow"] = await errno_of(sem.release(1 << 32))
        return 0

    ok(run_main(main, cpus=4))
    assert seen["most"] == 2 and seen["value"] == 2
    assert seen["try"] == (True, True, False)
    assert seen["timed"] is False and MS <= seen["took"] < 2 * MS
    assert seen["after_release"] == 3
    assert seen["bad"] == EINVAL and seen["overflow"] == EINVAL


def test_once_runs_once() -> None:
    runs: list[int] = []
    seen: dict[str, Any] = {}

    async def init() -> None:
        runs.append(await sys.gettid())
        await sys.nanosleep(MS)  # the others arrive meanwhile and wait
        if len(runs) == 1:
            raise ValueError("first attempt fails")

    async def caller(once: Once) -> bool | str:
        try:
            return await once.call(init)
        except ValueError:
            return "raised"

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        once = await arena.once()
        tids = [await sys.thread_spawn(caller, once) for _ in range(5)]
        seen["results"] = [await sys.thread_join(t) for t in tids]
        seen["done"] = once.done
        seen["again"] = await once.call(init)
        return 0

    ok(run_main(main, cpus=3))
    assert len(runs) == 2  # the failed attempt, then one that worked
    assert sorted(map(str, seen["results"])) == ["False", "False", "False", "True", "raised"]
    assert seen["done"] is True and seen["again"] is False


# ---------------------------------------------------------------------- Barrier
def test_barrier_releases_all_together_round_after_round() -> None:
    events: list[tuple[str, int, int]] = []
    serial: list[int] = []

    async def runner(arg: tuple[Barrier, int]) -> None:
        barrier, n = arg
        for r in range(3):
            await sys.nanosleep((n + 1) * 300 * (r + 1))
            events.append(("before", r, n))
            if await barrier.wait():
                serial.append(r)
            events.append(("after", r, n))

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        barrier = await arena.barrier(4)
        tids = [await sys.thread_spawn(runner, (barrier, n)) for n in range(4)]
        for t in tids:
            await sys.thread_join(t)
        return 0

    ok(run_main(main, cpus=2))
    assert sorted(serial) == [0, 1, 2]
    for r in range(3):
        idx = [i for i, e in enumerate(events) if e[1] == r]
        kinds = [events[i][0] for i in idx]
        assert kinds == ["before"] * 4 + ["after"] * 4, kinds


# ---------------------------------------------------------------------- Arena
def test_arena_carves_aligned_slots_and_reuses_them() -> None:
    seen: dict[str, Any] = {}

    async def main(argv: list[str]) -> int:
        arena = await Arena.new()
        mem = await sys.mmu()
        small = [await arena.alloc(4) for _ in range(3)]
        seen["small"] = [a - small[0] for a in small]
        mid = await arena.alloc(100)
        seen["mid_aligned"] = mid % 128
        await arena.free(small[1])
        seen["reused"] = await arena.alloc(8) == small[1]
        big = await arena.alloc(3 * PS)
        seen["big_page"] = big % PS
        seen["big_mapped"] = await errno_of(sys.mincore(big, 3 * PS))
        await arena.free(big)
        seen["big_gone"] = await errno_of(sys.mincore(big, PS))
        seen["double_free"] = await errno_of(arena.free(big))
        seen["zero"] = await errno_of(arena.alloc(0))
        ch = await arena.channel(100)  # bigger than half a page: its own mapping
        seen["channel_page"] = ch.addr % PS
        for bad in (small[0] + 2, 0):
            try:
                Mutex(mem, bad)
            except Error as err:
                seen.setdefault("bad_addr", []).append(err.errno)
        seen["bad_init"] = []
        for make in (
            lambda a: Barrier(mem, a).init(0),
            lambda a: Semaphore(mem, a).init(-1),
            lambda a: Channel(mem, a).init(0),
        ):
            try:
                make(mid)
            except Error as err:
                seen["bad_init"].append(err.errno)
        return 0

    ok(run_main(main))
    assert seen["small"] == [0, 8, 16]
    assert seen["mid_aligned"] == 0
    assert seen["reused"] is True
    assert seen["big_page"] == 0 and seen["big_mapped"] == 0
    assert seen["big_gone"] == ENOMEM
    assert (seen["double_free"], seen["zero"]) == (EINVAL, EINVAL)
    assert seen["channel_page"] == 0
    assert seen["bad_addr"] == [EINVAL, EINVAL]
    assert seen["bad_init"] == [EINVAL] * 3
