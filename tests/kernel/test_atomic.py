"""Atomic operations ordered in virtual time (kernel.mm.atomic) and the thread pointer
(kernel.abi.tls): a shared lock serialises CPUs, private ones do not."""

from __future__ import annotations

from ksim import ok, run_main

from kernel.abi import CLOCK_MONOTONIC, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, tp
from userland.libk import sys
from userland.libk.sync import Mutex

RW = PROT_READ | PROT_WRITE


async def _hammer(shared_lock: bool, nthreads: int, rounds: int) -> tuple[int, int, int]:
    """nthreads threads each lock and unlock a mutex ``rounds`` times, doing 40 memory
    accesses inside; returns (virtual ns taken, stalls seen, cpus used)."""
    mem = await sys.mmu()
    base = await sys.mmap(0, 4096 * 8, RW, MAP_PRIVATE | MAP_ANONYMOUS)
    stalls = [0]
    cpus: set[int] = set()

    async def worker(i: int) -> int:
        m = Mutex(mem, base + (0 if shared_lock else 4096 * (i + 1)), shared=False)
        data = base + 4096 * 7 + 8 * i
        for r in range(rounds):
            if await m.lock():
                stalls[0] += 1
            for _ in range(40):
                mem.store64(data, mem.load64(data) + 1)
            await m.unlock()
            if r % 50 == 0:
                cpus.add(tp.tls.cpu)
                await sys.checkpoint()
        return 0

    t0 = await sys.clock_gettime(CLOCK_MONOTONIC)
    tids = [await sys.thread_spawn(worker, i) for i in range(nthreads)]
    for tid in tids:
        await sys.thread_join(tid, 0)
    t1 = await sys.clock_gettime(CLOCK_MONOTONIC)
    return t1 - t0, stalls[0], len(cpus)


def _measure(shared: bool, n: int) -> tuple[int, int, int]:
    out: list[tuple[int, int, int]] = []

    async def main(argv: list[str]) -> int:
        out.append(await _hammer(shared, n, 2000))
        return 0

    ok(run_main(main, cpus=4))
    return out[0]


def test_private_locks_scale_and_a_shared_lock_serialises() -> None:
    one, _, _ = _measure(True, 1)
    private4, private_stalls, cpus = _measure(False, 4)
    shared4, shared_stalls, _ = _measure(True, 4)
    assert cpus == 4
    assert private_stalls == 0
    # four times the work: in about the same time with four locks, about four times
    # as long with one (the critical section is nearly the whole loop)
    assert private4 < 1.5 * one
    assert shared4 > 2.5 * one
    assert shared_stalls >= 3  # each thread but the first waits (in long runs: the windows)


def test_tls_is_per_thread_and_cpu_matches_sched_getcpu() -> None:
    seen: list[tuple[int, int, int, int, bool]] = []

    async def main(argv: list[str]) -> int:
        tp.tls.process["marker"] = "mine"

        async def child(_: object) -> int:
            tls = tp.tls
            seen.append(
                (
                    tls.tid,
                    await sys.gettid(),
                    tp.tls.cpu,
                    await sys.sched_getcpu(),
                    "marker" in tls.process,
                )
            )
            return 0

        tid = await sys.thread_spawn(child, None)
        await sys.thread_join(tid, 0)
        me = tp.tls
        seen.append((me.tid, await sys.gettid(), me.cpu, await sys.sched_getcpu(), True))
        return 0

    ok(run_main(main, cpus=2))
    for tid, gettid, cpu, getcpu, shares in seen:
        assert tid == gettid and cpu == getcpu and shares
    assert seen[0][0] != seen[1][0]


def test_a_trylock_fails_where_another_cpu_held_the_lock() -> None:
    fails = [0]

    async def main(argv: list[str]) -> int:
        mem = await sys.mmu()
        base = await sys.mmap(0, 4096, RW, MAP_PRIVATE | MAP_ANONYMOUS)
        m = Mutex(mem, base, shared=False)

        async def worker(_: object) -> int:
            for r in range(3000):
                if m.try_lock():
                    for _ in range(20):
                        mem.load64(base + 64)
                    await m.unlock()
                else:
                    fails[0] += 1
                if r % 100 == 0:
                    await sys.checkpoint()
            return 0

        tids = [await sys.thread_spawn(worker, None) for _ in range(2)]
        for tid in tids:
            await sys.thread_join(tid, 0)
        return 0

    ok(run_main(main, cpus=2))
    assert fails[0] > 100
