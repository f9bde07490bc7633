"""System-call round trip: ``getpid`` from a userland program vs a bare coroutine send.

libk side: a registered program calls ``await sys.getpid()`` N times in a loop. The
figure is the host time of ``k.run()`` for the whole machine run (init, the program,
power-off) minus the same run with N = 0, divided by N: what one round trip costs —
building the ``Req``, suspending the coroutine, the run loop's dispatch and accounting,
the table entry's argument check, the handler, and resuming.

Baseline: a coroutine that awaits a trivial awaitable (a class whose ``__await__``
yields the object itself) N times, driven by a loop calling ``coro.send(value)`` — the
least work a coroutine-based system call can possibly do in CPython.

Target: libk ns/call ≤ 4 × baseline ns/call.
"""

from __future__ import annotations

import time

import _common as c

from kernel.abi import SYSCALL_BY_NAME
from userland.libk import sys as lsys

TARGET_RATIO = 4.0


async def getpid_loop(argv: list[str]) -> int:
    """``bench_getpid N``: N getpid round trips."""
    getpid = lsys.getpid
    for _ in range(int(argv[1])):
        await getpid()
    return 0


class Trivial:
    """The least awaitable: ``await Trivial()`` yields the object to the driver."""

    __slots__ = ()

    def __await__(self):  # noqa: ANN204 - generator protocol
        return (yield self)


async def bare(n: int) -> None:
    t = Trivial()
    for _ in range(n):
        await t


def drive(coro) -> None:  # noqa: ANN001
    send = coro.send
    try:
        send(None)
        while True:
            send(1)
    except StopIteration:
        pass


def machine_seconds(n: int) -> float:
    k = c.boot_program(["/bin/bench_getpid", str(n)])
    t0 = time.perf_counter()
    c.run_to_halt(k)
    dt = time.perf_counter() - t0
    if k.syscount[SYSCALL_BY_NAME["getpid"].nr] < n:
        raise RuntimeError("the program did not make its getpid calls")
    return dt


def bare_seconds(n: int) -> float:
    coro = bare(n)
    t0 = time.perf_counter()
    drive(coro)
    return time.perf_counter() - t0


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=7).parse_args()
    n = 50_000 if args.quick else 300_000
    repeats = 3 if args.quick else args.repeats
    c.register_program("bench_getpid", getpid_loop)
    print(f"bench_syscall: {n:,} getpid calls per run, best of {repeats}")

    empty = c.time_best(lambda: machine_seconds(0), repeats)
    full = c.time_best(lambda: machine_seconds(n), repeats)
    base = c.time_best(lambda: bare_seconds(n), repeats)
    libk_ns = (full.best - empty.best) / n * 1e9
    libk_med = (full.median - empty.median) / n * 1e9
    base_ns = base.best / n * 1e9
    ratio = libk_ns / base_ns
    c.report(
        "syscall",
        {
            "machine run, N=0 (boot-to-halt overhead)": f"{empty.best * 1e3:.2f} ms",
            "libk getpid round trip": f"{libk_ns:.0f} ns/call (median {libk_med:.0f})",
            "bare coroutine send": f"{base_ns:.0f} ns/call (median {base.median / n * 1e9:.0f})",
        },
        ratio,
        "libk ns/call ÷ bare ns/call",
        f"≤ {TARGET_RATIO:g}×",
        ratio <= TARGET_RATIO,
        {"libk_ns_per_call": libk_ns, "bare_ns_per_call": base_ns},
        headline=f"getpid {libk_ns:.0f} ns vs bare send {base_ns:.0f} ns",
    )
    if args.profile:
        k = c.boot_program(["/bin/bench_getpid", str(n)])
        c.profile_call(lambda: c.run_to_halt(k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
