"""Round trip of a served path against an in-kernel device, in the same run.

Second pair: stat(2) of a file in a served tree (``SERVE_DIR``, answers never cached, so
every stat is a LOOKUP round trip that restarts the call) against stat of a tmpfs file.

libk side: a registered program does N round trips — open, read of 1 byte, close — on
a character device: either /dev/zero (the kernel answers) or /dev/bench, served by a
second process (``userland.libk.serve.Server``: every open, read and close is a request
record on its channel and a reply back, with two context switches each). Each figure
is the host time of the machine run minus the same run with no round trips
(boot-to-halt fixed costs), per round trip; the virtual time per round trip (the
machine's own cost model, deterministic) is printed beside it. The ratio is served ÷
in-kernel host time per round trip; it is reported, not judged (a served call crosses
two processes and the protocol; FUSE's ratio on Linux is of the same kind).
"""

from __future__ import annotations

import time

import _common as c

from kernel.abi import O_RDONLY, S_IFREG
from kernel.abi.serve import SERVE_CHR, SERVE_DIR, Attr, ServeRequest
from userland.libk import sys as lsys
from userland.libk.serve import Server

ROUNDS = 2000
VIRTUAL: dict[str, float] = {}  # kind -> virtual ns per round trip of the last run


class Zeros(Server):
    """A /dev/zero in a process."""

    async def read(self, req: ServeRequest) -> bytes:
        return bytes(req.size)


class Tree(Server):
    """A directory holding one file, ``f``; its answers are never cached."""

    def __init__(self) -> None:
        super().__init__()
        self.entry_valid_ms = self.attr_valid_ms = 0

    async def lookup(self, req: ServeRequest, name: str) -> tuple[int, Attr]:
        if name != "f":
            return await super().lookup(req, name)
        return 2, Attr(2, S_IFREG | 0o644, 1)


async def server(argv: list[str]) -> int:
    """``bench_served_server [tree]``: serve /dev/bench (or the tree /srv) until killed."""
    if argv[1:] == ["tree"]:
        await Tree().serve("/srv", SERVE_DIR, 0o755)
    else:
        await Zeros().serve("/dev/bench", SERVE_CHR, 0o666)
    return 0


async def rounds(argv: list[str]) -> int:
    """``bench_served_rounds served|kernel N``: N open+read+close; 0 if all read 1 byte."""
    kind, n = argv[1], int(argv[2])
    path = {"served": "/dev/bench", "kernel": "/dev/zero", "tree": "/srv/f"}.get(kind, "/tmp/f")
    pid = 0
    if kind == "tmpfs":
        await lsys.close(await lsys.open(path, 0o101, 0o644))
    if kind in ("served", "tree"):
        argv = ["bench_served_server"] + (["tree"] if kind == "tree" else [])
        pid = await lsys.spawn("/bin/bench_served_server", argv)
        while True:
            try:
                await lsys.stat(path)
                break
            except Exception:  # noqa: BLE001 - not served yet
                await lsys.nanosleep(100_000)
    t0 = await lsys.clock_gettime()
    ok = True
    for _ in range(n):
        if kind in ("tree", "tmpfs"):
            ok = ok and (await lsys.stat(path)).st_size == (1 if kind == "tree" else 0)
            continue
        fd = await lsys.open(path, O_RDONLY)
        ok = ok and await lsys.read(fd, 1) == b"\0"
        await lsys.close(fd)
    VIRTUAL[kind] = (await lsys.clock_gettime() - t0) / max(n, 1)
    if pid:
        await lsys.kill(pid, 9)
        await lsys.wait4(pid)
    return 0 if ok else 1


def machine_seconds(kind: str, n: int) -> float:
    """Host seconds of one machine run doing ``n`` round trips on ``kind``."""
    k = c.boot_program(["/bin/bench_served_rounds", kind, str(n)])
    t0 = time.perf_counter()
    c.run_to_halt(k)
    return time.perf_counter() - t0


def main() -> int:
    args = c.parser(__doc__.splitlines()[0], repeats=5).parse_args()
    c.register_program("bench_served_rounds", rounds)
    c.register_program("bench_served_server", server)
    repeats = 3 if args.quick else args.repeats
    n = ROUNDS // 4 if args.quick else ROUNDS
    print(f"bench_served: {n} open+read(1)+close round trips, best of {repeats}")
    fixed = {
        kind: c.time_best(lambda kind=kind: machine_seconds(kind, 0), repeats)
        for kind in ("served", "kernel")
    }
    served = c.time_best(lambda: machine_seconds("served", n), repeats)
    vserved = VIRTUAL["served"]
    kernel = c.time_best(lambda: machine_seconds("kernel", n), repeats)
    vkernel = VIRTUAL["kernel"]
    us_served = max(served.best - fixed["served"].best, 1e-9) / n * 1e6
    us_kernel = max(kernel.best - fixed["kernel"].best, 1e-9) / n * 1e6
    ratio = us_served / us_kernel
    stat_us = {}
    for kind in ("tree", "tmpfs"):
        base = c.time_best(lambda kind=kind: machine_seconds(kind, 0), repeats)
        run = c.time_best(lambda kind=kind: machine_seconds(kind, n), repeats)
        stat_us[kind] = (max(run.best - base.best, 1e-9) / n * 1e6, VIRTUAL[kind])
    c.report(
        "served",
        {
            "served /dev/bench (a process)": f"{us_served:.1f} us/round trip host"
            f" (median run {served.median * 1e3:.1f} ms); {vserved / 1e3:.1f} us virtual",
            "in-kernel /dev/zero": f"{us_kernel:.1f} us/round trip host"
            f" (median run {kernel.median * 1e3:.1f} ms); {vkernel / 1e3:.1f} us virtual",
            "virtual-time ratio": f"{vserved / max(vkernel, 1e-9):.3g}",
            "stat in a served tree (LOOKUP each)": f"{stat_us['tree'][0]:.1f} us host;"
            f" {stat_us['tree'][1] / 1e3:.1f} us virtual",
            "stat on tmpfs": f"{stat_us['tmpfs'][0]:.1f} us host;"
            f" {stat_us['tmpfs'][1] / 1e3:.1f} us virtual"
            f" (ratio {stat_us['tree'][0] / stat_us['tmpfs'][0]:.3g})",
        },
        ratio,
        "served us/round trip ÷ in-kernel us/round trip (host)",
        "reported only",
        True,
        {"served_us": us_served, "kernel_us": us_kernel, "virtual_ratio": vserved / vkernel},
        headline=f"served {us_served:.1f} us vs /dev/zero {us_kernel:.1f} us per round trip",
    )
    if args.profile:
        k = c.boot_program(["/bin/bench_served_rounds", "served", str(n)])
        c.profile_call(lambda: c.run_to_halt(k))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
