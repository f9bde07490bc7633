"""``cat`` throughput: ``cat`` of an 8 MiB file through a pipe into ``wc -c``.

libk side: the host writes an 8 MiB file to /tmp/big through the host syscall client
(not timed). A registered parent makes a pipe, spawns the real ``/bin/cat /tmp/big``
with its standard output on the write end and the real ``/bin/wc -c`` on the read end
(its output to /tmp/count), and waits for both. The figure is 8 MiB divided by the
host time of the machine run, minus the same run over an empty file (boot-to-halt
fixed costs: init, three spawns, exits). The host checks wc's count.

Baseline: plain Python copying the same bytes in 64 KiB chunks from one end of an
``os.pipe()`` to the other, with a reader thread counting them.

Target: libk MiB/s ≥ 0.25 × baseline MiB/s.
"""

from __future__ import annotations

import time

import _common as c
from bench_pipe import SIZE, os_pipe_seconds, put_file

from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY, SPAWN_CLOSE, SPAWN_DUP2, SPAWN_OPEN
from kernel.host import HostClient
from userland.libk import proc as kproc
from userland.libk import sys as lsys

TARGET_RATIO = 0.25


async def pipeline(argv: list[str]) -> int:
    """``bench_cat_parent FILE``: ``cat FILE | wc -c > /tmp/count``."""
    r, w = await lsys.pipe()
    both = [(SPAWN_CLOSE, r), (SPAWN_CLOSE, w)]
    cat = await lsys.spawn("/bin/cat", ["cat", argv[1]], None, None, [(SPAWN_DUP2, w, 1), *both])
    wc = await lsys.spawn(
        "/bin/wc",
        ["wc", "-c"],
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
        if pid in (cat, wc):
            status |= kproc.exit_code(st)
    return status


def machine_seconds(data: bytes) -> float:
    """Host seconds of one machine run of the pipeline over ``data``."""
    k = c.boot_program(["/bin/bench_cat_parent", "/tmp/big"])
    put_file(k, "/tmp/big", data)
    t0 = time.perf_counter()
    c.run_to_halt(k)
    dt = time.perf_counter() - t0
    got = HostClient(k).read_file("/tmp/count")
    if int(got.strip() or b"-1") != len(data):
        raise RuntimeError(f"wc -c counted {got!r} bytes of {len(data)}")
    return dt


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=9).parse_args()
    repeats = 3 if args.quick else args.repeats
    c.register_program("bench_cat_parent", pipeline)
    data = bytes(range(256)) * (SIZE // 256)
    mib = len(data) / (1 << 20)
    print(f"bench_cat: cat of {mib:g} MiB | wc -c, best of {repeats}")

    empty = c.time_best(lambda: machine_seconds(b""), repeats)
    full = c.time_best(lambda: machine_seconds(data), repeats)
    base = c.time_best(lambda: os_pipe_seconds(data), repeats)
    libk_s = full.best - empty.best
    libk_rate = mib / libk_s
    base_rate = mib / base.best
    ratio = libk_rate / base_rate
    c.report(
        "cat",
        {
            "machine run, empty file (fixed costs)": f"{empty.best * 1e3:.2f} ms",
            "libk cat | wc -c": f"{libk_rate:,.0f} MiB/s ({libk_s * 1e3:.1f} ms; median "
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
        k = c.boot_program(["/bin/bench_cat_parent", "/tmp/big"])
        put_file(k, "/tmp/big", data)
        c.profile_call(lambda: c.run_to_halt(k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
