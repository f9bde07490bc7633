"""``iobench [-n COUNT] [-r RECORDS] [-s SIZE] [-D DEVICE] [--no-device] [--no-stream]``:
the same I/O at each of libk's four levels, measured.

Two workloads. On the block device (root, for level 4): COUNT random 4 KiB reads at
level 1 (``do_io``, one request per call), level 2 (a completion ring, with a batch
sweep of 1, 8, 32 and 128 requests per ``ring_enter``, and with a polling kernel
thread: SQPOLL), and level 4 (an integrated driver on the device's own queue, 32 in
flight). A producer/consumer stream of RECORDS records of SIZE bytes between two
threads: level 1 (``do_io`` on a pipe, a call per record on each side), level 2 (a
ring on each side of the pipe, 32 records per call) and level 3 (libk's shared-memory
queue: the kernel is entered only to sleep and wake).

For each it prints system calls per I/O (every thread of the process, from
/proc/self/syscalls), virtual microseconds per I/O, I/Os per virtual second, and host
nanoseconds per I/O (from clock_gettime(CLOCK_HOST): ``-`` on a machine whose front end
gives no host clock). ``man 7 io`` explains the levels and shows a measured table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from kernel.abi import (
    CLOCK_HOST,
    DQ_OP_READ,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    O_RDONLY,
    OP_READ,
    OP_WRITE,
    PROT_READ,
    PROT_WRITE,
    Error,
    checkpoint,
)
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.blkdev import BlockDriver, random_offsets
from userland.libk.procinfo import syscall_counts
from userland.libk.ring import Ring, alloc_buffers
from userland.libk.shmq import ShmQueue

USAGE = """Usage: iobench [OPTION]...
Run the same I/O at each of the four I/O levels (do_io, completion rings, shared
memory, an integrated driver) and print what each costs.

  -n, --count=N        random 4 KiB reads of the device per run (default 2000)
  -r, --records=N      records in the producer/consumer stream (default 2000)
  -s, --size=BYTES     bytes per record (default 64, at most 4096)
  -D, --device=PATH    the block device (default /dev/blk0)
      --no-device      skip the device workload
      --no-stream      skip the stream workload
      --help           display this help and exit

Columns: system calls per I/O, virtual us per I/O, I/Os per virtual second, and host
ns per I/O (- when the machine has no host clock). Level 4 needs root (it claims the
device); without it that row says why it is missing.
Exit status: 0 when done, 1 for a usage error, 2 if the device cannot be opened.
"""
LONG = {
    "count": "n",
    "records": "r",
    "size": "s",
    "device": "D",
    "no-device": "X",
    "no-stream": "Y",
}
BLOCK = 4096
BATCHES = (1, 8, 32, 128)
STREAM_BATCH = 32


@dataclass(slots=True)
class Row:
    """One measured run."""

    level: str
    workload: str
    how: str
    ios: int = 0
    calls: int = 0
    virt_ns: int = 0
    host_ns: int | None = None
    note: str = ""


class Meter:
    """Counts system calls, virtual and host time around a run, less its own cost."""

    def __init__(self) -> None:
        self.has_host = True
        self.own_calls = 0

    async def calls(self) -> int:
        """Every system call of the process so far."""
        return sum((await syscall_counts()).values())

    async def host(self) -> int | None:
        if not self.has_host:
            return None
        try:
            return await sys.clock_gettime(CLOCK_HOST)
        except Error:
            self.has_host = False
            return None

    async def calibrate(self) -> None:
        """What one measurement adds by itself (its own system calls)."""

        async def nothing() -> None:
            return None

        await self.host()  # find out once whether there is a host clock
        row = Row("", "", "", 1)
        self.own_calls = 0
        await self.measure(row, nothing)
        self.own_calls = row.calls

    async def measure(self, row: Row, run: Callable[[], Awaitable[Any]]) -> None:
        c0 = await self.calls()
        h0 = await self.host()
        v0 = await sys.clock_gettime()
        await run()
        v1 = await sys.clock_gettime()
        h1 = await self.host()
        row.calls = await self.calls() - c0 - self.own_calls
        row.virt_ns = v1 - v0
        row.host_ns = h1 - h0 if h0 is not None and h1 is not None else None


# ------------------------------------------------------------------ the device


async def level1_device(fd: int, offsets: list[int]) -> None:
    """One do_io call per read."""
    for pos in offsets:
        await sys.do_io(fd, OP_READ, BLOCK, pos)


async def level2_device(
    ring: Ring, fd: int, offsets: list[int], batch: int, bufs: list[Any]
) -> None:
    """A ring: ``batch`` reads per ring_enter (or none at all with SQPOLL)."""
    free = bufs
    i = 0
    n = len(offsets)
    while i < n:
        take = min(batch, n - i)
        for pos in offsets[i : i + take]:
            ring.read(fd, free.pop(), pos)
        i += take
        if ring.sqpoll:
            await ring.submit()
            got = 0
            while got < take:  # poll the completion queue: loads, no system call
                cs = ring.completions()
                got += len(cs)
                free += [c.buffer for c in cs]
                if not cs:
                    await checkpoint()
        else:
            await ring.submit(wait=take)
            free += [c.buffer for c in ring.completions()]


async def device_rows(path: str, count: int, meter: Meter) -> list[Row]:
    """The device workload at levels 1, 2 (batch sweep, SQPOLL) and 4."""
    fd = await sys.open(path, O_RDONLY)
    size = (await sys.fstat(fd)).st_size
    offsets = random_offsets(7, count, max(1, size // BLOCK), BLOCK)
    name = f"{path.rsplit('/', 1)[-1]} 4K random read"
    rows = []
    row = Row("1", name, "do_io", count)
    await meter.measure(row, lambda: level1_device(fd, offsets))
    rows.append(row)
    bufs = await alloc_buffers(max(BATCHES), BLOCK)
    for batch in BATCHES:
        ring = await Ring.setup(max(BATCHES))
        row = Row("2", name, f"ring, batch {batch}", count)
        await meter.measure(row, lambda r=ring, b=batch: level2_device(r, fd, offsets, b, bufs))
        rows.append(row)
        await ring.close()
    ring = await Ring.setup(32, sqpoll=True)
    row = Row("2", name, "ring, SQPOLL, batch 32", count)
    await meter.measure(row, lambda: level2_device(ring, fd, offsets, 32, bufs))
    rows.append(row)
    await ring.close()
    await sys.close(fd)
    row = Row("4", name, "integrated driver, depth 32", count)
    try:
        drv = await BlockDriver.attach(path)
    except Error as err:
        row.note = f"cannot claim {path}: {err.message}"
    else:
        slots = await sys.mmap(0, BLOCK * 32, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
        await meter.measure(row, lambda: drv.run(DQ_OP_READ, offsets, BLOCK, 32, slots))
        await drv.detach()
    rows.append(row)
    return rows


# ------------------------------------------------------------------ the stream


def _record(i: int, size: int) -> bytes:
    return i.to_bytes(4, "little") * (size // 4) + bytes(size % 4)


async def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await sys.do_io(fd, OP_READ, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


async def level1_stream(records: int, size: int) -> None:
    """A pipe, one do_io per record on each side."""
    r, w = await sys.pipe()

    async def produce(_arg: Any) -> int:
        for i in range(records):
            await sys.do_io(w, OP_WRITE, _record(i, size))
        await sys.close(w)
        return 0

    tid = await sys.thread_spawn(produce, None)
    for i in range(records):
        if await _read_exactly(r, size) != _record(i, size):
            raise Error(5, f"iobench: record {i} arrived wrong")
    await sys.thread_join(tid)
    await sys.close(r)


async def level2_stream(records: int, size: int) -> None:
    """A pipe with a ring on each side: STREAM_BATCH records per ring_enter."""
    r, w = await sys.pipe()
    mem = await sys.mmu()

    async def produce(_arg: Any) -> int:
        ring = await Ring.setup(STREAM_BATCH)
        free = await alloc_buffers(STREAM_BATCH, size)
        i = 0
        while i < records:
            take = min(STREAM_BATCH, records - i)
            for j in range(take):
                buf = free.pop()
                mem.write(buf.addr, _record(i + j, size))
                ring.write(w, buf, size)
            i += take
            await ring.submit(wait=take)
            free += [c.buffer for c in ring.completions()]
        await ring.close()
        await sys.close(w)
        return 0

    tid = await sys.thread_spawn(produce, None)
    ring = await Ring.setup(STREAM_BATCH)
    free = await alloc_buffers(STREAM_BATCH, size)
    i = 0
    while i < records:
        take = min(STREAM_BATCH, records - i)
        uds = [ring.read(r, free.pop(), length=size) for _ in range(take)]
        await ring.submit(wait=take)
        got = {c.user_data: c for c in ring.completions()}
        for j, ud in enumerate(uds):  # submitted in order, served in order by the pipe
            c = got[ud]
            if c.res != size or mem.read(c.buffer.addr, size) != _record(i + j, size):
                raise Error(5, f"iobench: record {i + j} arrived wrong")
            free.append(c.buffer)
        i += take
    await ring.close()
    await sys.thread_join(tid)
    await sys.close(r)


async def level3_stream(records: int, size: int) -> None:
    """libk's shared-memory queue: the kernel only for sleeping and waking."""
    q = await ShmQueue.create_memfd("iobench", 256, size)
    fd = await sys.dup(q.fd)

    async def produce(_arg: Any) -> int:
        mine = await ShmQueue.attach(fd)
        for i in range(records):
            await mine.put(_record(i, size))
        await mine.close_producer()
        await mine.detach()
        return 0

    tid = await sys.thread_spawn(produce, None)
    i = 0
    while (data := await q.get()) is not None:
        if data != _record(i, size):
            raise Error(5, f"iobench: record {i} arrived wrong")
        i += 1
    await sys.thread_join(tid)
    await q.detach()
    if i != records:
        raise Error(5, f"iobench: {i} of {records} records arrived")


async def stream_rows(records: int, size: int, meter: Meter) -> list[Row]:
    """The stream workload at levels 1, 2 and 3."""
    name = f"stream {size} B"
    rows = [
        Row("1", name, "do_io on a pipe", records),
        Row("2", name, f"ring on a pipe, batch {STREAM_BATCH}", records),
        Row("3", name, "shared-memory queue", records),
    ]
    for row, run in zip(rows, (level1_stream, level2_stream, level3_stream), strict=True):
        await meter.measure(row, lambda f=run: f(records, size))
    return rows


# ------------------------------------------------------------------ the table


def table(rows: list[Row]) -> str:
    """The report, one line per run."""
    head = (
        f"{'level':<6}{'workload':<22}{'how':<29}{'syscalls/IO':>12}"
        f"{'virt us/IO':>12}{'IOPS':>10}{'host ns/IO':>12}"
    )
    lines = [head]
    for r in rows:
        left = f"{r.level:<6}{r.workload:<22}{r.how:<29}"
        if r.note:
            lines.append(left + r.note)
            continue
        per_call = r.calls / r.ios
        virt = r.virt_ns / r.ios / 1000
        iops = r.ios * 1e9 / r.virt_ns if r.virt_ns else 0
        host = f"{r.host_ns / r.ios:.0f}" if r.host_ns is not None else "-"
        lines.append(f"{left}{per_call:>12.3f}{virt:>12.2f}{iops:>10.0f}{host:>12}")
    return "\n".join(lines) + "\n"


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "n:r:s:D:XY", long=LONG)
        count = args.number(opts, "n", 2000, 1, 1 << 20)
        records = args.number(opts, "r", 2000, 1, 1 << 20)
        size = args.number(opts, "s", 64, 1, 4096)
        if opts.help:
            await kio.write_all(1, USAGE)
            return 0
        if opts.operands:
            raise args.UsageError(f"extra operand '{opts.operands[0]}'")
    except args.UsageError as err:
        return await text.usage_error("iobench", err)
    device = opts.value("D", "/dev/blk0") or "/dev/blk0"
    meter = Meter()
    await meter.calibrate()
    rows: list[Row] = []
    if not opts.has("X"):
        try:
            rows += await device_rows(device, count, meter)
        except Error as err:
            await kio.warn("iobench", f"{device}: {err.message}")
            return 2
    if not opts.has("Y"):
        rows += await stream_rows(records, size, meter)
    await kio.write_all(1, table(rows))
    return 0
