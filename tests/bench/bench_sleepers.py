"""10,000 sleeping processes: host memory per process, and ``ps -e`` over all of them.

A registered parent spawns 10,000 children running a registered ``sleeper`` that does
``await sys.nanosleep(10**12)``, then waits for a line on the console. Each line it
reads makes it run the real ``/bin/ps -e`` (output to /tmp/ps.out, whose lines the
host counts to check ps saw every process) and wait for it; at end of input it exits
and init powers the machine off. The host drives it with ``k.run(until=…)`` in 1 s
virtual steps until nothing is runnable (the sleepers' timers are 1,000 s away). The
machine has 1 GiB of simulated memory (the default 64 MiB runs out near 8,000
processes: each takes two page frames).

1. Memory: host bytes allocated while the 10,000 were started and put to sleep,
   divided by 10,000 — by ``tracemalloc`` (Python heap, precise; its own run) and by
   the growth of the process's RSS (another run without tracemalloc). Target ≤ 16 KiB.
2. ``ps -e``: host time from feeding the line to the parent being idle again (spawn of
   ps, ps reading /proc for 10,002 processes, its exit, the wait), best of N. Target
   < 1 s. Baseline for the ratio: the same with only 10 sleepers (fixed costs).
"""

from __future__ import annotations

import gc
import os
import time
import tracemalloc

import _common as c

from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY, SPAWN_OPEN, Error
from kernel.host import HostClient
from userland.libk import proc as kproc
from userland.libk import sys as lsys

TARGET_BYTES = 16 * 1024
TARGET_PS_S = 1.0
STEP_NS = 1_000_000_000
SLEEP_NS = 10**12
MEMORY = 2 << 30  # untouched frames cost the host nothing; threads-max = memory / 128 KiB


async def sleeper(argv: list[str]) -> int:
    """``bench_sleeper``: sleep 1,000 s."""
    await lsys.nanosleep(SLEEP_NS)
    return 0


async def parent(argv: list[str]) -> int:
    """``bench_sleep_parent N``: start N sleepers; run ``ps -e`` once per console line."""
    for _ in range(int(argv[1])):
        await lsys.spawn("/bin/bench_sleeper", ["bench_sleeper"])
    actions = [(SPAWN_OPEN, 1, "/tmp/ps.out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)]
    while True:
        try:
            line = await lsys.read(0, 100)
        except Error:
            return 0
        if not line:
            return 0
        pid = await lsys.spawn("/bin/ps", ["ps", "-e"], None, None, actions)
        while True:
            got, status = await lsys.wait4(pid, 0)
            if got == pid:
                break
        if kproc.exit_code(status) != 0:
            return 1


def sleeping(k: c.Kernel) -> int:
    return sum(1 for t in k.procs.threads.values() if t.wchan == "hrtimer_nanosleep")


def settle(k: c.Kernel) -> None:
    """Run until nothing is runnable (everyone asleep or waiting for input)."""
    while True:
        state = k.run(until=k.now_ns + STEP_NS)
        if state == c.HALTED:
            raise RuntimeError(k.panic_report or f"halted, status {k.power_status}")
        if not k.runnable:
            return


def finish(k: c.Kernel) -> None:
    """End of input: the parent exits and init powers off."""
    k.console.hangup()
    while k.run(until=k.now_ns + STEP_NS) != c.HALTED:
        pass
    if k.panic_report is not None or k.power_status != 0:
        raise RuntimeError(k.panic_report or f"the parent exited {k.power_status}")


def started(n: int) -> c.Kernel:
    """Boot and run until ``n`` sleepers sleep and the parent waits for input."""
    k = c.boot_program(["/bin/bench_sleep_parent", str(n)], memory=MEMORY)
    settle(k)
    if sleeping(k) < n:
        raise RuntimeError(f"only {sleeping(k)} of {n} sleepers are asleep")
    return k


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_tracemalloc(n: int) -> int:
    """Python-heap bytes per sleeping process."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        k = started(n)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del k
    return (after - before) // n


def ps_once(k: c.Kernel, n: int) -> float:
    t0 = time.perf_counter()
    k.console.feed(b"\n")
    settle(k)
    dt = time.perf_counter() - t0
    out = HostClient(k).read_file("/tmp/ps.out", limit=64 << 20)
    lines = out.count(b"\n")
    if lines < n + 3 or sleeping(k) < n:  # header, init, parent, ps itself
        raise RuntimeError(f"ps -e printed {lines} lines for {n} sleepers")
    return dt


def main() -> int:
    p = c.parser(__doc__.splitlines()[0], repeats=5)
    p.add_argument("-n", type=int, default=10_000, help="sleeping processes (10,000)")
    args = p.parse_args()
    n = 2_000 if args.quick else args.n
    repeats = 3 if args.quick else args.repeats
    c.register_program("bench_sleeper", sleeper)
    c.register_program("bench_sleep_parent", parent)
    print(f"bench_sleepers: {n:,} sleeping processes, ps -e best of {repeats}")

    per_traced = memory_tracemalloc(n)

    gc.collect()
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    k = started(n)
    spawn_s = time.perf_counter() - t0
    gc.collect()
    per_rss = (rss_bytes() - rss0) / n
    ps = c.time_best(lambda: ps_once(k, n), repeats)

    small = started(10)
    ps_small = c.time_best(lambda: ps_once(small, 10), repeats)

    ok_mem = per_traced <= TARGET_BYTES
    ok_ps = ps.best < TARGET_PS_S
    ratio = ps.best / ps_small.best
    c.report(
        "sleepers",
        {
            "memory per process (tracemalloc)": f"{per_traced / 1024:.1f} KiB "
            f"[{'PASS' if ok_mem else 'MISS'} ≤ "
            f"{TARGET_BYTES // 1024} KiB]",
            "memory per process (RSS growth)": f"{per_rss / 1024:.1f} KiB",
            "starting them (host)": f"{spawn_s:.2f} s ({spawn_s / n * 1e6:.0f} µs each)",
            f"ps -e over {n + 2:,} processes": f"{ps.best * 1e3:.0f} ms "
            f"(median {ps.median * 1e3:.0f}; "
            f"{ps.best / n * 1e6:.1f} µs per process) "
            f"[{'PASS' if ok_ps else 'MISS'} < "
            f"{TARGET_PS_S:g} s]",
            "ps -e over 12 processes (baseline)": f"{ps_small.best * 1e3:.2f} ms",
        },
        ratio,
        f"ps -e with {n:,} sleepers ÷ with 10",
        f"≤ {TARGET_BYTES // 1024} KiB per process and ps -e < {TARGET_PS_S:g} s"
        + ("" if n == 10_000 else f" (measured at {n:,} processes, not 10,000)"),
        ok_mem and ok_ps,
        {
            "bytes_per_process_tracemalloc": per_traced,
            "bytes_per_process_rss": per_rss,
            "ps_s": ps.best,
            "spawn_s": spawn_s,
        },
        headline=f"{per_traced / 1024:.1f} KiB/proc, ps -e {ps.best * 1e3:.0f} ms",
    )
    if args.profile:
        c.profile_call(lambda: ps_once(k, n), top=8)
    finish(k)
    finish(small)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
