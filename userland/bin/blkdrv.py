"""``blkdrv [-n COUNT] [-q DEPTH] [-b SIZE] [-w] [-s SEED] [-H SECS] DEVICE``: an
integrated driver for a block device (level 4 of libk's I/O).

It claims DEVICE (root only; while it holds it, every other open gets EBUSY), maps the
device's own queue, and does COUNT random reads (or writes with ``-w``) of SIZE bytes
with DEPTH of them in flight, submitting with stores and a doorbell and reaping
completions with loads — no system call per I/O. It prints the virtual time taken,
the I/O rate, and how many system calls it made in all (from /proc/self/syscalls), then
holds the device for ``--hold`` seconds (for trying EBUSY from the shell) and lets go.
"""

from __future__ import annotations

from kernel.abi import (
    DQ_ENTRIES,
    DQ_OP_READ,
    DQ_OP_WRITE,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    PROT_READ,
    PROT_WRITE,
    Error,
)
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.blkdev import BlockDriver, random_offsets
from userland.libk.procinfo import syscall_counts

USAGE = """Usage: blkdrv [OPTION]... DEVICE
Drive the block device DEVICE from this program: claim it, map its queue, and do
random I/O with several requests in flight, with no system call per request.

  -n, --count=N        do N requests (default 1000)
  -q, --depth=N        keep N requests in flight (1 to 64, default 32)
  -b, --block=SIZE     bytes per request (default 4096)
  -w, --write          write (a pattern) instead of reading
  -s, --seed=N         seed of the random offsets (default 1)
  -H, --hold=SECS      hold the device SECS seconds after the I/O (default 0)
      --help           display this help and exit

Only root may claim a device; while blkdrv holds it, opening it elsewhere fails with
EBUSY. Exit status: 0 when done, 1 for a usage error, 2 if the device could not be
claimed, 3 if a request failed.
"""
LONG = {"count": "n", "depth": "q", "block": "b", "write": "w", "seed": "s", "hold": "H"}


async def syscalls_so_far() -> int:
    """Every system call this process has made (/proc/self/syscalls)."""
    return sum((await syscall_counts()).values())


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "n:q:b:ws:H:", long=LONG)
        count = args.number(opts, "n", 1000, 1, 1 << 24)
        depth = args.number(opts, "q", 32, 1, DQ_ENTRIES)
        block = args.number(opts, "b", 4096, 1, 1 << 20)
        seed = args.number(opts, "s", 1, 0, 1 << 32)
        hold = args.number(opts, "H", 0, 0, 1 << 20)
        if opts.help:
            await kio.write_all(1, USAGE)
            return 0
        if len(opts.operands) != 1:
            raise args.UsageError(
                "missing device operand" if not opts.operands else "extra operand"
            )
    except args.UsageError as err:
        return await text.usage_error("blkdrv", err)
    path = opts.operands[0]
    try:
        drv = await BlockDriver.attach(path)
    except Error as err:
        await kio.warn("blkdrv", f"cannot claim {path}: {err.message}")
        return 2
    write = opts.has("w")
    mem = await sys.mmu()
    slots = await sys.mmap(0, block * depth, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
    if write:
        for i in range(depth):
            mem.fill(slots + i * block, 0x30 + i % 10, block)
    offsets = random_offsets(seed, count, max(1, drv.device_size // block), block)
    start = await sys.clock_gettime()
    calls0 = await syscalls_so_far()
    failed = await drv.run(DQ_OP_WRITE if write else DQ_OP_READ, offsets, block, depth, slots)
    calls1 = await syscalls_so_far()
    took = await sys.clock_gettime() - start
    counting = await syscalls_so_far() - calls1 - 1  # what one look at the counters costs
    calls = calls1 - calls0 - counting
    what = "writes" if write else "reads"
    rate = count * 1e9 / took if took else 0.0
    await kio.write_all(
        1,
        f"blkdrv: {count} {what} of {block} bytes, depth {depth}: {took / 1e6:.3f} ms, "
        f"{rate:.0f} IOPS, {took / count / 1000:.2f} us per I/O, "
        f"{calls} system calls ({calls / count:.3f} per I/O)\n",
    )
    if hold:
        await sys.nanosleep(hold * 1_000_000_000)
    await drv.detach()
    if failed:
        await kio.warn("blkdrv", f"{failed} requests failed")
        return 3
    return 0
