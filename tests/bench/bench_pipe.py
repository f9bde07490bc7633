"""Pipe throughput: ``cat`` of an 8 MiB file through a pipe into a counting reader.

libk side: the host writes an 8 MiB file to /tmp/big through the host syscall client
(``HostClient``, not timed). A registered parent makes a pipe, spawns the real
``/bin/cat /tmp/big`` with its standard output on the write end and a registered
``bench_count`` (reads standard input in 64 KiB reads until end of file and writes the
byte count to /tmp/count) on the read end, and waits for both. The figure is 8 MiB
divided by the host time of the machine run, minus the same run over an empty file
(boot-to-halt fixed costs: init, three spawns, exits). The host checks the count.

Baseline: plain Python copying the same bytes in 64 KiB chunks from one end of an
``os.pipe()`` to the other, with a reader thread counting them.

Target: libk MiB/s ≥ 0.25 × baseline MiB/s.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import _common as c

from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY, SPAWN_CLOSE, SPAWN_DUP2, SPAWN_OPEN
from kernel.host import HostClient
from userland.libk import proc as kproc
from userland.libk import sys as lsys

TARGET_RATIO = 0.25
SIZE = 8 * 1024 * 1024
CHUNK = 64 * 1024


async def counter(argv: list[str]) -> int:
    """``bench_count``: count the bytes of standard input; print the number."""
    total = 0
    read = lsys.read
    while True:
        chunk = await read(0, CHUNK)
        if not chunk:
            break
        total += len(chunk)
    await lsys.write(1, str(total).encode())
    return 0


async def cat_into(path: str, reader: str, reader_argv: list[str]) -> int:
    """``cat PATH | READER > /tmp/count``: spawn both on a pipe, wait, OR their statuses."""
    r, w = await lsys.pipe()
    both = [(SPAWN_CLOSE, r), (SPAWN_CLOSE, w)]
    cat = await lsys.spawn("/bin/cat", ["cat", path], None, None, [(SPAWN_DUP2, w, 1), *both])
    count = await lsys.spawn(
        reader,
        reader_argv,
        None,
        None,
        [
            (SPAWN_DUP2, r, 0),
            (SPAWN_OPEN, 1, "/tmp/count", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
            *both,
        ],
    )
    await lsys.close(r)
    await lsys.close(w)
    status = 0
    for _ in range(2):
        pid, st = await lsys.wait4(-1, 0)
        if pid in (cat, count):
            status |= kproc.exit_code(st)
    return status


async def pipeline(argv: list[str]) -> int:
    """``bench_pipe_parent FILE``: ``cat FILE | bench_count > /tmp/count``."""
    return await cat_into(argv[1], "/bin/bench_count", ["bench_count"])


def put_file(k: c.Kernel, path: str, data: bytes) -> None:
    host = HostClient(k)
    fd = host.call("open", path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = host.call("write", fd, bytes(view[: 1 << 20]))
            view = view[n:]
    finally:
        host.call("close", fd)


def machine_seconds(
    data: bytes, parent: str = "bench_pipe_parent", counted_by: str = "the counter read"
) -> float:
    """Host seconds of one machine run of ``/bin/PARENT /tmp/big`` over ``data``; the
    count the reader left in /tmp/count must be ``len(data)``."""
    k = c.boot_program([f"/bin/{parent}", "/tmp/big"])
    put_file(k, "/tmp/big", data)
    t0 = time.perf_counter()
    c.run_to_halt(k)
    dt = time.perf_counter() - t0
    got = HostClient(k).read_file("/tmp/count")
    if int(got.strip() or b"-1") != len(data):
        raise RuntimeError(f"{counted_by} {got!r} bytes of {len(data)}")
    return dt


def os_pipe_seconds(data: bytes) -> float:
    r, w = os.pipe()
    counted = [0]

    def reader() -> None:
        n = 0
        while chunk := os.read(r, CHUNK):
            n += len(chunk)
        counted[0] = n

    th = threading.Thread(target=reader)
    t0 = time.perf_counter()
    th.start()
    view = memoryview(data)
    for off in range(0, len(data), CHUNK):
        piece = view[off : off + CHUNK]
        while piece:
            piece = piece[os.write(w, piece) :]
    os.close(w)
    th.join()
    dt = time.perf_counter() - t0
    os.close(r)
    if counted[0] != len(data):
        raise RuntimeError(f"the reader thread counted {counted[0]} of {len(data)}")
    return dt


def measure(
    args: argparse.Namespace, name: str, parent: str, how: str, label: str, counted_by: str
) -> int:
    """Time ``/bin/PARENT`` (registered by the caller) over an empty and an 8 MiB file
    against :func:`os_pipe_seconds`, and report it as benchmark ``name``.

    Args:
        args: the parsed command line (``--quick``, ``--repeats``, ``--profile``).
        name: the benchmark's name (``bench_NAME`` in the title line, the report key).
        parent: the registered parent program that runs the pipeline.
        how: the end of the title line after ``cat of 8 MiB``.
        label: the report row of the libk figure.
        counted_by: the start of the error when the count is wrong.
    """
    repeats = 3 if args.quick else args.repeats
    data = bytes(range(256)) * (SIZE // 256)
    mib = len(data) / (1 << 20)
    print(f"bench_{name}: cat of {mib:g} MiB{how}, best of {repeats}")

    empty = c.time_best(lambda: machine_seconds(b"", parent, counted_by), repeats)
    full = c.time_best(lambda: machine_seconds(data, parent, counted_by), repeats)
    base = c.time_best(lambda: os_pipe_seconds(data), repeats)
    libk_s = full.best - empty.best
    libk_rate = mib / libk_s
    base_rate = mib / base.best
    ratio = libk_rate / base_rate
    c.report(
        name,
        {
            "machine run, empty file (fixed costs)": f"{empty.best * 1e3:.2f} ms",
            label: f"{libk_rate:,.0f} MiB/s ({libk_s * 1e3:.1f} ms; median "
            f"{mib / (full.median - empty.median):,.0f} MiB/s)",
            "os.pipe + reader thread": f"{base_rate:,.0f} MiB/s ({base.best * 1e3:.1f} ms; "
            f"median {mib / base.median:,.0f} MiB/s)",
        },
        ratio,
        "libk MiB/s ÷ os.pipe MiB/s",
        f"≥ {TARGET_RATIO:g}×",
        ratio >= TARGET_RATIO,
        {"libk_mib_per_s": libk_rate, "os_pipe_mib_per_s": base_rate},
        headline=f"{libk_rate:,.0f} MiB/s vs os.pipe {base_rate:,.0f} MiB/s",
    )
    if args.profile:
        k = c.boot_program([f"/bin/{parent}", "/tmp/big"])
        put_file(k, "/tmp/big", data)
        c.profile_call(lambda: c.run_to_halt(k))
    return 0


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=9).parse_args()
    c.register_program("bench_count", counter)
    c.register_program("bench_pipe_parent", pipeline)
    return measure(
        args, "pipe", "bench_pipe_parent", " through a pipe", "libk cat | count", "the counter read"
    )


if __name__ == "__main__":
    raise SystemExit(main())
