"""UNIX stream socket throughput against the machine's own pipe, in the same run.

libk side: a registered program makes a connected pair of SOCK_STREAM sockets
(socketpair) or a pipe; a second thread writes 16 MiB into one end in 64 KiB writes and
closes it, and the main thread reads the other end in 64 KiB reads until end of file and
checks the count (a wrong count fails the run). Each figure is 16 MiB divided by the
host time of the machine run, minus the same run with nothing to send (boot-to-halt
fixed costs). The ratio is socket MiB/s ÷ pipe MiB/s; it is reported, not judged (a
socket does more per byte than a pipe: segments, peers, credentials).
"""

from __future__ import annotations

import time

import _common as c

from kernel.abi import AF_UNIX, SOCK_STREAM, Error
from userland.libk import sys as lsys

SIZE = 16 * 1024 * 1024
CHUNK = 64 * 1024


async def transfer(argv: list[str]) -> int:
    """``bench_unix_transfer unix|pipe BYTES``: move BYTES through it; 0 if all came."""
    kind, size = argv[1], int(argv[2])
    if kind == "unix":
        rd, wr = await lsys.socketpair(AF_UNIX, SOCK_STREAM)
    else:
        rd, wr = await lsys.pipe()
    block = bytes(CHUNK)

    async def writer(_: int) -> int:
        left = size
        while left > 0:
            left -= await lsys.write(wr, block if left >= CHUNK else block[:left])
        await lsys.close(wr)
        return 0

    tid = await lsys.thread_spawn(writer, 0)
    total = 0
    read = lsys.read
    try:
        while chunk := await read(rd, CHUNK):
            total += len(chunk)
    except Error:
        return 2
    await lsys.thread_join(tid)
    return 0 if total == size else 1


def machine_seconds(kind: str, size: int) -> float:
    """Host seconds of one machine run moving ``size`` bytes through ``kind``."""
    k = c.boot_program(["/bin/bench_unix_transfer", kind, str(size)])
    t0 = time.perf_counter()
    c.run_to_halt(k)
    return time.perf_counter() - t0


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=7).parse_args()
    c.register_program("bench_unix_transfer", transfer)
    repeats = 3 if args.quick else args.repeats
    mib = SIZE / (1 << 20)
    print(f"bench_unix: {mib:g} MiB through a socketpair and a pipe, best of {repeats}")
    empty = c.time_best(lambda: machine_seconds("unix", 0), repeats)
    sock = c.time_best(lambda: machine_seconds("unix", SIZE), repeats)
    pipe = c.time_best(lambda: machine_seconds("pipe", SIZE), repeats)
    sock_rate = mib / max(sock.best - empty.best, 1e-9)
    pipe_rate = mib / max(pipe.best - empty.best, 1e-9)
    ratio = sock_rate / pipe_rate
    c.report(
        "unix",
        {
            "machine run, nothing sent (fixed costs)": f"{empty.best * 1e3:.2f} ms",
            "libk AF_UNIX stream": f"{sock_rate:,.0f} MiB/s ({sock.best * 1e3:.1f} ms;"
            f" median {sock.median * 1e3:.1f} ms)",
            "libk pipe": f"{pipe_rate:,.0f} MiB/s ({pipe.best * 1e3:.1f} ms;"
            f" median {pipe.median * 1e3:.1f} ms)",
        },
        ratio,
        "socket MiB/s ÷ pipe MiB/s",
        "reported only",
        True,
        {"socket_mib_per_s": sock_rate, "pipe_mib_per_s": pipe_rate},
        headline=f"socket {sock_rate:,.0f} MiB/s vs pipe {pipe_rate:,.0f} MiB/s",
    )
    if args.profile:
        k = c.boot_program(["/bin/bench_unix_transfer", "unix", str(SIZE)])
        c.profile_call(lambda: c.run_to_halt(k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
