"""``shmrecv [-kqv] [-t SECS] [-w NS] [-S N] NAME``: read a shared-memory queue to its end.

shmrecv waits for /dev/shm/NAME to appear (shmsend(1) makes it), maps the queue
(libk's ShmQueue, ``userland.libk.shmq``) and takes records until the producers close
it, checking each record's CRC-32 and payload and that every producer's sequence
numbers come in order with none missing or repeated. It prints ``records N, bytes B,
errors E, wakeups W`` and removes the queue's file.
"""

from __future__ import annotations

from kernel.abi import EAGAIN, ENOENT, Error
from userland.bin.shmsend import busy, decode, parse_count, queue_path, syscall_counts
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.shmq import SPIN, ShmQueue

USAGE = """Usage: shmrecv [OPTION]... NAME
Wait for the shared-memory queue /dev/shm/NAME, read it until it is closed, check
every record, print a summary and remove the queue.

  -k, --keep               do not remove the queue's file at the end
  -t, --timeout=SECS       give up when the queue has not appeared after SECS
  -w, --work=NS            spend about NS ns of virtual time on each record
  -S, --spin=N             spin N rounds on an empty queue before sleeping (768)
  -v, --verbose            also print the sleeps and the system calls it took
  -q, --quiet              print nothing but errors
      --help               display this help and exit

Exit status: 0 when every record was good, 1 for a bad record (or a usage error),
2 if the queue could not be opened.
"""
LONG = {"keep": "k", "timeout": "t", "work": "w", "spin": "S", "verbose": "v", "quiet": "q"}
#: How long to sleep between looks for the queue's file.
RETRY_NS = 1_000_000
#: Bad records reported one by one; the rest are only counted.
REPORT = 5


async def wait_open(path: str, timeout_ns: int | None) -> ShmQueue | str:
    """Open the queue, retrying while it does not exist or is being made; an error
    message when it cannot be opened (or the timeout passed)."""
    waited = 0
    while True:
        try:
            return await ShmQueue.open(path)
        except Error as err:
            if err.errno not in (ENOENT, EAGAIN):
                return f"cannot open {path}: {err.message}"
            if timeout_ns is not None and waited >= timeout_ns:
                return f"{path}: {err.message} (gave up waiting)"
        await sys.nanosleep(RETRY_NS)
        waited += RETRY_NS


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("shmrecv", argv, "kt:w:S:vq", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if len(opts.operands) != 1:
        return await text.usage_error(
            "shmrecv", "missing NAME" if not opts.operands else "too many operands"
        )
    path = queue_path(opts.operands[0])
    if path is None:
        return await text.usage_error("shmrecv", f"invalid queue name '{opts.operands[0]}'")
    work = parse_count(opts.value("w", "0"), 0, 1 << 30)
    if work is None:
        return await text.usage_error("shmrecv", f"invalid work time '{opts.value('w')}'")
    spin = parse_count(opts.value("S", str(SPIN)), 0, 1 << 20)
    if spin is None:
        return await text.usage_error("shmrecv", f"invalid spin count '{opts.value('S')}'")
    timeout_ns: int | None = None
    if opts.has("t"):
        try:
            timeout_ns = int(float(opts.value("t") or "") * 1e9)
        except ValueError:
            timeout_ns = -1
        if not 0 <= timeout_ns < 1 << 62:
            return await text.usage_error("shmrecv", f"invalid timeout '{opts.value('t')}'")
    opened = await wait_open(path, timeout_ns)
    if isinstance(opened, str):
        await kio.warn("shmrecv", opened)
        return 2
    q = opened
    q.spin = spin
    records = nbytes = errors = 0
    expect: dict[int, int] = {}  # producer -> next sequence number
    while (data := await q.get()) is not None:
        records += 1
        nbytes += len(data)
        if work:
            busy(q.mem, q.addr, work)
        got = decode(data)
        if isinstance(got, tuple):
            producer, seq = got
            want = expect.get(producer, 0)
            expect[producer] = seq + 1
            if seq == want:
                continue
            got = f"producer {producer}: record {seq} where {want} was due"
        errors += 1
        if errors <= REPORT:
            await kio.warn("shmrecv", f"record {records}: {got}")
    st = q.stats()
    await q.detach()
    if not opts.has("k"):
        try:
            await sys.unlink(path)
        except Error:
            pass  # a new queue's creator may have replaced it already
    if not opts.has("q"):
        line = f"records {records}, bytes {nbytes}, errors {errors}, wakeups {st.wakeups}\n"
        if opts.has("v"):
            calls = await syscall_counts()
            line += (
                f"producers {len(expect)}, sleeps {st.sleeps} (consumer "
                f"{st.sleeps_consumer}, producers {st.sleeps_producers}), "
                f"futex calls here {calls.get('futex', 0)}, "
                f"system calls here {sum(calls.values())}\n"
            )
        await kio.write_all(1, line)
    return 1 if errors else 0
