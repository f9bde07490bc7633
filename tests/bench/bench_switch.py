"""Context switches per second: 1,000 processes calling ``sched_yield`` in a loop.

libk side: a registered spawner starts 1,000 children running a registered program
that only calls ``await sys.sched_yield()`` forever, then waits for them. Once all are
running, the machine runs for a fixed number of dispatched requests (``k.run(budget=…)``)
and the figure is the growth of the CPUs' context-switch counters (``k.cpus[i].ctxt``,
what /proc/stat ``ctxt`` sums) divided by the host time of that run. The machine has one
CPU, so every yield is a switch to the next process in the run queue.

Baseline: a minimal generator round-robin in this file — a deque of 1,000 generators
that only yield; the loop pops one, calls ``next()`` on it and appends it back. One
``next()`` is one switch.

Target: libk switches/s ≥ 0.3 × baseline switches/s.

Also shown, for context: the same round-robin over coroutines resumed with
``send`` through a trivial awaitable — what a switch costs when threads are
coroutines and the kernel does nothing at all.
"""

from __future__ import annotations

import time
from collections import deque

import _common as c

from userland.libk import sys as lsys

TARGET_RATIO = 0.3
NPROCS = 1000


async def yielder(argv: list[str]) -> int:
    """``bench_yielder``: yield the CPU forever."""
    sched_yield = lsys.sched_yield
    while True:
        await sched_yield()


async def spawner(argv: list[str]) -> int:
    """``bench_yield_spawner N``: start N yielders, then wait (for ever)."""
    for _ in range(int(argv[1])):
        await lsys.spawn("/bin/bench_yielder", ["bench_yielder"])
    while True:
        await lsys.wait4(-1, 0)


def ready_machine(nprocs: int, cpus: int) -> c.Kernel:
    """A machine with ``nprocs`` yielders all started and in the run queue."""
    # 1,000 processes need more than the default 64 MiB allows (threads-max is memory / 128 KiB).
    k = c.boot_program(["/bin/bench_yield_spawner", str(nprocs)], cpus=cpus, memory=256 << 20)
    while len(k.procs.procs) < nprocs + 2:
        if k.run(budget=10_000) != c.BUDGET:
            raise RuntimeError("the machine stopped while starting the yielders")
    k.run(budget=5 * nprocs)  # every yielder has run at least once
    return k


def machine_rate(k: c.Kernel, requests: int) -> tuple[float, int, float]:
    """(switches/s, switches, seconds) of running ``requests`` more requests."""
    before = sum(cpu.ctxt for cpu in k.cpus)
    t0 = time.perf_counter()
    state = k.run(budget=requests)
    dt = time.perf_counter() - t0
    if state != c.BUDGET:
        raise RuntimeError(f"the machine stopped with {state!r}")
    switches = sum(cpu.ctxt for cpu in k.cpus) - before
    return switches / dt, switches, dt


def minimal_rate(nprocs: int, switches: int) -> float:
    """Switches/s of the minimal generator round-robin."""

    def task():  # noqa: ANN202
        while True:
            yield

    runq = deque(task() for _ in range(nprocs))
    for g in runq:
        next(g)
    pop, push = runq.popleft, runq.append
    t0 = time.perf_counter()
    for _ in range(switches):
        g = pop()
        next(g)
        push(g)
    return switches / (time.perf_counter() - t0)


class _Yield:
    """A trivial awaitable, as a system call is one (for the coroutine floor figure)."""

    __slots__ = ()

    def __await__(self):  # noqa: ANN204 - generator protocol
        return (yield self)


def coroutine_rate(nprocs: int, switches: int) -> float:
    """Switches/s of the same round-robin over coroutines resumed with ``send`` — the
    floor for any kernel whose threads are coroutines (not the target's baseline)."""
    y = _Yield()

    async def task() -> None:
        while True:
            await y

    runq = deque(task() for _ in range(nprocs))
    for co in runq:
        co.send(None)
    pop, push = runq.popleft, runq.append
    t0 = time.perf_counter()
    for _ in range(switches):
        co = pop()
        co.send(0)
        push(co)
    dt = time.perf_counter() - t0
    for co in runq:
        co.close()
    return switches / dt


def main() -> int:
    p = c.parser(__doc__.splitlines()[0], repeats=5)
    p.add_argument("--cpus", type=int, default=1, help="simulated CPUs (default 1)")
    args = p.parse_args()
    requests = 100_000 if args.quick else 400_000
    repeats = 3 if args.quick else args.repeats
    c.register_program("bench_yielder", yielder)
    c.register_program("bench_yield_spawner", spawner)
    print(
        f"bench_switch: {NPROCS:,} yielding processes, {args.cpus} CPU(s), "
        f"{requests:,} requests per run, best of {repeats}"
    )

    k = ready_machine(NPROCS, args.cpus)
    libk_runs = []
    for _ in range(repeats):
        libk_runs.append(machine_rate(k, requests))
    libk_best = max(r[0] for r in libk_runs)
    switches = libk_runs[0][1]
    if switches < requests // 2:
        raise RuntimeError(f"only {switches} switches in {requests} requests")
    base = [minimal_rate(NPROCS, requests) for _ in range(repeats)]
    base_best = max(base)
    floor_best = max(coroutine_rate(NPROCS, requests) for _ in range(repeats))
    ratio = libk_best / base_best
    c.report(
        "switch",
        {
            "libk context switches": f"{libk_best / 1e3:,.0f} k/s "
            f"({switches:,} switches per run, "
            f"{1e9 / libk_best:.0f} ns each)",
            "minimal generator round-robin": f"{base_best / 1e3:,.0f} k/s "
            f"({1e9 / base_best:.0f} ns each)",
            "coroutine round-robin (send; floor)": f"{floor_best / 1e3:,.0f} k/s "
            f"({1e9 / floor_best:.0f} ns each; "
            f"{floor_best / base_best:.2f}× minimal)",
        },
        ratio,
        "libk switches/s ÷ minimal switches/s",
        f"≥ {TARGET_RATIO:g}×",
        ratio >= TARGET_RATIO,
        {
            "libk_switches_per_s": libk_best,
            "minimal_switches_per_s": base_best,
            "coroutine_floor_switches_per_s": floor_best,
        },
        headline=f"{libk_best / 1e6:.2f} M/s vs minimal {base_best / 1e6:.1f} M/s",
    )
    if args.profile:
        c.profile_call(lambda: k.run(budget=requests))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
