"""``shmsend [-qv] [-n COUNT] [-s SIZE] [-p PRODUCERS] [-c CAPACITY] [-w NS] [-S N] NAME``:
write records into a shared-memory queue (I/O level 3).

shmsend makes the queue /dev/shm/NAME (libk's ShmQueue, ``userland.libk.shmq``) and
puts COUNT records of SIZE bytes into it, from PRODUCERS threads (multi-producer mode
when there are several), then closes it; shmrecv(1) reads them. This module also owns
the record format the two programs share: a 16-byte header (producer, sequence
number, payload length, CRC-32 of the rest) and a payload that is a function of the
producer and the sequence number, so the reader can check every byte.
"""

from __future__ import annotations

import struct
import zlib

from kernel.abi import MMU, Error, checkpoint
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.shmq import SPIN, ShmQueue

USAGE = """Usage: shmsend [OPTION]... NAME
Make the shared-memory queue /dev/shm/NAME and write records into it, then close it.

  -n, --count=COUNT        records to write (default 1000)
  -s, --size=SIZE          bytes per record, 16 to 1048576 (default 64)
  -p, --producers=N        producer threads (default 1; more: multi-producer mode)
  -c, --capacity=N         slots in the queue, a power of two (default 256; at
                           least 2 with several producers)
  -w, --work=NS            spend about NS ns of virtual time making each record
  -S, --spin=N             spin N rounds on a full queue before sleeping (768)
  -v, --verbose            print what was sent and the system calls it took
  -q, --quiet              print nothing but errors
      --help               display this help and exit

NAME is a file under /dev/shm (or a path, if it starts with /). Every record carries
its producer, its sequence number and a CRC-32, which shmrecv checks.

Exit status: 0 when every record was written, 1 for a usage error, 2 if the queue
could not be made or the reader went away.
"""
LONG = {
    "count": "n",
    "size": "s",
    "producers": "p",
    "capacity": "c",
    "work": "w",
    "spin": "S",
    "verbose": "v",
    "quiet": "q",
}
#: A record's header: producer, reserved, sequence number, payload length, CRC-32.
RECORD = struct.Struct("<HHIII")
MIN_SIZE = RECORD.size
_PATTERN = bytes(range(256)) * 2
MAX_PRODUCERS = 64


def queue_path(name: str) -> str | None:
    """``/dev/shm/NAME`` (NAME itself if it starts with /); None for a bad name."""
    if name.startswith("/"):
        return name
    if not name or "/" in name or name in (".", ".."):
        return None
    return "/dev/shm/" + name


def payload(producer: int, seq: int, length: int) -> bytes:
    """The payload of record ``seq`` of ``producer``: ``length`` bytes the reader can
    recompute."""
    start = (seq * 7 + producer * 13) % 251
    if length <= 256:
        return _PATTERN[start : start + length]
    return (_PATTERN[start : start + 256] * (length // 256 + 1))[:length]


def encode(producer: int, seq: int, size: int) -> bytes:
    """Record ``seq`` of ``producer``, ``size`` bytes in all (at least MIN_SIZE)."""
    body = payload(producer, seq, size - MIN_SIZE)
    crc = zlib.crc32(body, zlib.crc32(RECORD.pack(producer, 0, seq, len(body), 0)[:12]))
    return RECORD.pack(producer, 0, seq, len(body), crc) + body


def decode(data: bytes) -> tuple[int, int] | str:
    """``(producer, seq)`` of a good record, or what is wrong with a bad one."""
    if len(data) < MIN_SIZE:
        return f"a record of {len(data)} bytes is shorter than its header"
    producer, _, seq, length, crc = RECORD.unpack_from(data)
    body = data[MIN_SIZE:]
    if length != len(body):
        return f"record {producer}:{seq}: says {length} payload bytes, has {len(body)}"
    if zlib.crc32(body, zlib.crc32(data[:12])) != crc:
        return f"record {producer}:{seq}: bad checksum"
    if body != payload(producer, seq, length):
        return f"record {producer}:{seq}: checksum right but payload wrong"
    return producer, seq


def busy(mem: MMU, addr: int, ns: int) -> None:
    """Spend about ``ns`` ns of virtual time without a system call: loads of ``addr``
    (each costs a memory access), as a program doing real work between records."""
    for _ in range(ns // 5):
        mem.load32(addr)


async def syscall_counts() -> dict[str, int]:
    """This process's system calls so far, by name (/proc/self/syscalls)."""
    try:
        text = (await kio.read_file("/proc/self/syscalls")).decode()
    except Error:
        return {}
    out = {}
    for line in text.splitlines():
        name, _, count = line.partition(" ")
        if count.isdigit():
            out[name] = int(count)
    return out


def parse_count(text: str | None, low: int, high: int) -> int | None:
    """An integer from ``low`` to ``high`` (K and M suffixes: 1024s), or None."""
    if text is None:
        return None
    scale = {"k": 1024, "m": 1024 * 1024}.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        return None
    value = int(digits) * scale
    return value if low <= value <= high else None


class Sender:
    """The options and the queue of one run."""

    def __init__(self, q: ShmQueue, count: int, size: int, producers: int, work: int) -> None:
        self.q = q
        self.count = count
        self.size = size
        self.producers = producers
        self.work = work

    def share(self, producer: int) -> int:
        """How many of the records ``producer`` writes."""
        base, extra = divmod(self.count, self.producers)
        return base + (producer < extra)

    async def produce(self, producer: int) -> int:
        """Put this producer's records; 0, or 2 when the reader went away."""
        q, size, work = self.q, self.size, self.work
        for seq in range(self.share(producer)):
            if work:
                busy(q.mem, q.addr, work)
            try:
                await q.put(encode(producer, seq, size))
            except Error as err:
                await kio.warn("shmsend", f"producer {producer}: {err.message}")
                return 2
            if seq % 1024 == 1023:
                await checkpoint()
        return 0


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("shmsend", argv, "n:s:p:c:w:S:vq", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if len(opts.operands) != 1:
        return await text.usage_error(
            "shmsend", "missing NAME" if not opts.operands else "too many operands"
        )
    path = queue_path(opts.operands[0])
    if path is None:
        return await text.usage_error("shmsend", f"invalid queue name '{opts.operands[0]}'")
    count = parse_count(opts.value("n", "1000"), 0, 1 << 31)
    size = parse_count(opts.value("s", "64"), MIN_SIZE, 1 << 20)
    producers = parse_count(opts.value("p", "1"), 1, MAX_PRODUCERS)
    capacity = parse_count(opts.value("c", "256"), 1, 1 << 20)
    work = parse_count(opts.value("w", "0"), 0, 1 << 30)
    spin = parse_count(opts.value("S", str(SPIN)), 0, 1 << 20)
    for value, flag, what in (
        (count, "n", "count"),
        (size, "s", f"record size (from {MIN_SIZE} to 1048576)"),
        (producers, "p", f"number of producers (from 1 to {MAX_PRODUCERS})"),
        (capacity, "c", "capacity"),
        (work, "w", "work time"),
        (spin, "S", "spin count"),
    ):
        if value is None:
            return await text.usage_error("shmsend", f"invalid {what} '{opts.value(flag)}'")
    assert count is not None and size is not None and producers is not None
    assert capacity is not None and work is not None and spin is not None
    if capacity & (capacity - 1):
        return await text.usage_error("shmsend", f"capacity {capacity} is not a power of two")
    if producers > 1 and capacity < 2:
        return await text.usage_error("shmsend", "several producers need a capacity of 2 or more")
    try:
        q = await ShmQueue.create(path, capacity, size, multi_producer=producers > 1)
    except Error as err:
        await kio.warn("shmsend", f"cannot make {path}: {err.message}")
        return 2
    q.spin = spin
    sender = Sender(q, count, size, producers, work)
    if producers == 1:
        status = await sender.produce(0)
    else:
        tids = [await sys.thread_spawn(sender.produce, i) for i in range(producers)]
        status = max([await sys.thread_join(tid) or 0 for tid in tids])
    await q.close_producer()
    st = q.stats()
    await q.detach()
    if opts.has("v") and not opts.has("q"):
        calls = await syscall_counts()
        await kio.write_all(
            1,
            f"shmsend: {count} records of {size} bytes to {path} from {producers} "
            f"producer{'s' if producers > 1 else ''}, {st.sleeps_producers} sleeps, "
            f"{calls.get('futex', 0)} futex calls, {sum(calls.values())} system calls in all\n",
        )
    return status
