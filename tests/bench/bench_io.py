"""Host cost of an I/O request: a NOP through a completion ring (batches of 32) vs a
NOP through ``do_io`` (one system call each).

libk side: a registered program makes N no-op requests each way; the figure is the
host time of the whole machine run minus the same run with N = 0, divided by N. The
ring's figure covers everything a request costs on the host: libk writing the
submission entry into the ring's memory, the kernel reading it and making a request,
the completion entry it posts, and libk reading it back — with one ring_enter per 32.

Baseline: the same N requests through ``do_io``, measured in the same run: one system
call per request, the kernel's request engine behind it.

Target: ring ns/request ≤ 1 × do_io ns/request — batching must not cost the host more
per request than a system call does (it saves virtual time; it should not spend host
time to do it).
"""

from __future__ import annotations

import time

import _common as c

from kernel.abi import OP_NOP
from userland.libk import sys as lsys
from userland.libk.ring import Ring

TARGET_RATIO = 1.0
BATCH = 32


async def io_loop(argv: list[str]) -> int:
    """``bench_io MODE N``: N no-op requests through a ring or do_io."""
    n = int(argv[2])
    if argv[1] == "ring":
        ring = await Ring.setup(BATCH)
        done = 0
        while done < n:
            take = min(BATCH, n - done)
            for _ in range(take):
                ring.nop()
            await ring.submit(wait=take)
            done += len(ring.completions())
        await ring.close()
    else:
        do_io = lsys.do_io
        for _ in range(n):
            await do_io(0, OP_NOP)
    return 0


def machine_seconds(mode: str, n: int) -> float:
    k = c.boot_program(["/bin/bench_io", mode, str(n)])
    t0 = time.perf_counter()
    c.run_to_halt(k)
    return time.perf_counter() - t0


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=5).parse_args()
    n = 20_000 if args.quick else 100_000
    repeats = 3 if args.quick else args.repeats
    c.register_program("bench_io", io_loop)
    print(f"bench_io: {n:,} no-op requests per run, best of {repeats}")
    empty = c.time_best(lambda: machine_seconds("ring", 0), repeats)
    ring = c.time_best(lambda: machine_seconds("ring", n), repeats)
    doio = c.time_best(lambda: machine_seconds("do_io", n), repeats)
    ring_ns = (ring.best - empty.best) / n * 1e9
    doio_ns = (doio.best - empty.best) / n * 1e9
    ratio = ring_ns / doio_ns
    c.report(
        "io",
        {
            "machine run, N=0": f"{empty.best * 1e3:.2f} ms",
            f"ring, batch {BATCH}": f"{ring_ns:.0f} ns/request "
            f"(median {(ring.median - empty.median) / n * 1e9:.0f})",
            "do_io": f"{doio_ns:.0f} ns/request "
            f"(median {(doio.median - empty.median) / n * 1e9:.0f})",
        },
        ratio,
        "ring ns/request ÷ do_io ns/request",
        f"≤ {TARGET_RATIO:g}×",
        ratio <= TARGET_RATIO,
        {"ring_ns": ring_ns, "do_io_ns": doio_ns},
        headline=f"ring {ring_ns:.0f} ns vs do_io {doio_ns:.0f} ns per request",
    )
    if args.profile:
        k = c.boot_program(["/bin/bench_io", "ring", str(n)])
        c.profile_call(lambda: c.run_to_halt(k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
