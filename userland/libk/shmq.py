"""ShmQueue: I/O level 3, a queue of records in shared memory that bypasses the kernel.

This module owns the queue's layout in memory and the protocol its users follow: a
ring of fixed-size record slots in a ``MAP_SHARED`` mapping (a file under /dev/shm, or
a memfd handed to a child), filled by one producer (or several, each claiming a slot
with ``cas32``) and emptied by one consumer. Records are application-defined bytes of
up to ``record_size`` bytes. Putting and getting are plain loads and stores through the
MMU view: the kernel is entered only to sleep (FUTEX_WAIT) when the queue is empty or
full, and to wake the other side (FUTEX_WAKE) when that side said it sleeps.

Layout (all integers 32-bit little-endian; every counter counts modulo 2**32)::

      0  magic "SHMQ", version, capacity (a power of two), record_size, slot_size,
         flags (1: multi producer), closed (1: producers done, 2: consumer gone),
         creator pid                                     -- read-mostly line
     64  tail: records published (single producer) or slots claimed (multi)
    128  head: records taken by the consumer
    192  consumer_sleeping, producers_sleeping           -- the futex words
    256  wakeups of the consumer, wakeups of producers, consumer sleeps,
         producer sleeps                                 -- counters
    320  capacity slots of slot_size bytes: sequence number, length, record

Single producer: the producer writes the slot, then stores the new tail (the release:
a consumer that sees the tail sees the slot). Multi producer (Vyukov's bounded queue,
capacity 2 or more):
slot ``i`` starts with sequence number ``i``; a producer at position ``p`` whose slot
holds ``p`` claims it with ``cas32(tail, p, p + 1)``, writes it and publishes sequence
``p + 1``; the consumer takes the slot when it holds ``head + 1`` and frees it for the
next lap by storing ``head + capacity``. So the consumer never reads a half-written slot.

The wake-up rule: a side that finds nothing to do spins a while (``SPIN`` rounds, each
a ``checkpoint()``, not a system call), then announces that it sleeps by setting its
futex word, looks once more, and only then calls FUTEX_WAIT on that word (a shared
futex: the two sides are different processes). The other side calls FUTEX_WAKE only
when it finds the word set, and clears it first with ``xchg32`` so only one waker
enters the kernel. Producers sleeping on a full queue are woken once half of it is
free, not at the first free slot. With both sides busy nothing sleeps, and no record
costs a system call.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.abi import (
    EAGAIN,
    EINVAL,
    EPIPE,
    MAP_SHARED,
    MMU,
    O_CREAT,
    O_EXCL,
    O_RDWR,
    PROT_READ,
    PROT_WRITE,
    Error,
    checkpoint,
)
from userland.libk import sys
from userland.libk.sync.word import INT_MAX, U32, SyncWord

MAGIC = int.from_bytes(b"SHMQ", "little")
VERSION = 1
MULTI_PRODUCER = 1
CLOSED_PRODUCERS = 1
CLOSED_CONSUMER = 2
#: Byte offsets of the header's words (see the module docstring).
OFF_MAGIC, OFF_VERSION, OFF_CAPACITY, OFF_RECORD, OFF_SLOT = 0, 4, 8, 12, 16
OFF_FLAGS, OFF_CLOSED, OFF_PID = 20, 24, 28
OFF_TAIL = 64
OFF_HEAD = 128
OFF_CONS_SLEEP, OFF_PROD_SLEEP = 192, 196
OFF_WAKE_CONS, OFF_WAKE_PROD, OFF_SLEEP_CONS, OFF_SLEEP_PROD = 256, 260, 264, 268
HEADER = 320
SLOT_HEADER = 8  # sequence number, length
MAX_CAPACITY = 1 << 20
MAX_RECORD = 1 << 20
#: Rounds a side spins (one checkpoint each, about 65 ns of virtual time with its
#: loads: some 50 us in all, longer than the machine runs one CPU before the others
#: catch up) before it announces that it sleeps. ``q.spin`` changes it per handle.
SPIN = 768
#: A fast put or get runs a checkpoint every so many records, so the machine can
#: preempt a side that never has to wait.
CHECKPOINT_EVERY = 8
#: Claims a producer tries in a row before it waits as if the queue were full (so a
#: slot scribbled over by a buggy program cannot make it loop for ever).
CLAIM_TRIES = 64


def _signed(x: int) -> int:
    """A 32-bit difference as a signed number."""
    x &= U32
    return x - (1 << 32) if x & 0x8000_0000 else x


def queue_size(capacity: int, record_size: int) -> int:
    """Bytes a queue of ``capacity`` slots of ``record_size`` bytes takes."""
    return HEADER + capacity * slot_size(record_size)


def slot_size(record_size: int) -> int:
    """Bytes one slot takes: its sequence number, length and record, rounded to 8."""
    return SLOT_HEADER + (record_size + 7) // 8 * 8


@dataclass(slots=True, frozen=True)
class QueueStats:
    """What a queue has seen (``ShmQueue.stats()``).

    Attributes:
        produced: records published (the tail; modulo 2**32).
        consumed: records taken (the head; modulo 2**32).
        queued: records waiting now.
        wakeups: FUTEX_WAKE calls made by either side (both sides together).
        wakeups_consumer, wakeups_producers: of them, those waking the consumer and the
            producers.
        sleeps: FUTEX_WAIT calls made by either side.
        sleeps_consumer, sleeps_producers: of them, by the consumer and by producers.
        local_records: records put or got through this handle.
        local_futex: futex calls this handle made.
        local_spins: spin rounds this handle ran.
    """

    produced: int
    consumed: int
    queued: int
    wakeups: int
    wakeups_consumer: int
    wakeups_producers: int
    sleeps: int
    sleeps_consumer: int
    sleeps_producers: int
    local_records: int
    local_futex: int
    local_spins: int


class ShmQueue(SyncWord):
    """A handle on a shared-memory queue mapped into this process.

    Make one with :meth:`create` / :meth:`create_memfd` (the producer side, usually) or
    :meth:`open` / :meth:`attach` (the other side). One process (or thread) consumes
    with :meth:`get`; producers :meth:`put`. In single-producer mode exactly one
    thread may put; in multi-producer mode any number of threads and processes may.
    """

    __slots__ = (
        "fd",
        "length",
        "capacity",
        "record_size",
        "slot_size",
        "multi",
        "_mask",
        "_slots",
        "_head_cache",
        "_tail_cache",
        "_n",
        "_futex",
        "_spins",
        "spin",
    )

    def __init__(self, mem: MMU, addr: int, fd: int, length: int) -> None:
        super().__init__(mem, addr, shared=True)
        self.fd = fd
        self.length = length
        self.capacity = self.mem.load32(addr + OFF_CAPACITY)
        self.record_size = self.mem.load32(addr + OFF_RECORD)
        self.slot_size = self.mem.load32(addr + OFF_SLOT)
        self.multi = bool(self.mem.load32(addr + OFF_FLAGS) & MULTI_PRODUCER)
        self._mask = self.capacity - 1
        self._slots = addr + HEADER
        self._head_cache = 0  # the producer's last look at head (single producer)
        self._tail_cache = 0  # the consumer's last look at tail
        self._n = 0
        self._futex = 0
        self._spins = 0
        self.spin = SPIN

    # ------------------------------------------------------------------ making one
    @classmethod
    async def create(
        cls,
        path: str,
        capacity: int,
        record_size: int,
        *,
        multi_producer: bool = False,
        mode: int = 0o600,
    ) -> ShmQueue:
        """Make a new, empty queue in the file ``path`` (any old file there is removed
        first) and map it.

        Args:
            path: where, usually ``/dev/shm/NAME``.
            capacity: slots, a power of two up to 2**20 (at least 2 for multi producer).
            record_size: the most bytes a record may have (1 .. 2**20).
            multi_producer: let several threads or processes put at once.
            mode: the file's permission bits.

        Raises:
            Error: EINVAL for a bad capacity or record size; what open, ftruncate and
                mmap raise (ENOSPC, ENOMEM, EACCES, ...).
        """
        _check_geometry(capacity, record_size, multi_producer)
        try:
            await sys.unlink(path)
        except Error:
            pass
        fd = await sys.open(path, O_RDWR | O_CREAT | O_EXCL, mode)
        return await cls._init_fd(fd, capacity, record_size, multi_producer)

    @classmethod
    async def create_memfd(
        cls, name: str, capacity: int, record_size: int, *, multi_producer: bool = False
    ) -> ShmQueue:
        """:meth:`create` in an anonymous memfd: hand ``q.fd`` to a child (spawn's
        ``("dup2", q.fd, N)`` action), which maps it with :meth:`attach`."""
        _check_geometry(capacity, record_size, multi_producer)
        fd = await sys.memfd_create(name)
        return await cls._init_fd(fd, capacity, record_size, multi_producer)

    @classmethod
    async def _init_fd(
        cls, fd: int, capacity: int, record_size: int, multi_producer: bool
    ) -> ShmQueue:
        length = queue_size(capacity, record_size)
        try:
            await sys.ftruncate(fd, length)
            addr = await sys.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        except Error:
            await sys.close(fd)
            raise
        mem = await sys.mmu()
        mem.store32(addr + OFF_VERSION, VERSION)
        mem.store32(addr + OFF_CAPACITY, capacity)
        mem.store32(addr + OFF_RECORD, record_size)
        mem.store32(addr + OFF_SLOT, slot_size(record_size))
        mem.store32(addr + OFF_FLAGS, MULTI_PRODUCER if multi_producer else 0)
        mem.store32(addr + OFF_PID, await sys.getpid())
        if multi_producer:  # slot i starts free for position i
            stride = slot_size(record_size)
            for i in range(capacity):
                mem.store32(addr + HEADER + i * stride, i)
                if i % 256 == 255:
                    await checkpoint()
        mem.store32(addr + OFF_MAGIC, MAGIC)  # last: the queue is ready
        return cls(mem, addr, fd, length)

    @classmethod
    async def open(cls, path: str) -> ShmQueue:
        """Map the queue in the file ``path``.

        Raises:
            Error: ENOENT while there is no such file; EAGAIN while the file is there
                but its creator has not finished making the queue (retry both);
                EINVAL if it is not a queue; what open and mmap raise.
        """
        fd = await sys.open(path, O_RDWR)
        try:
            return await cls.attach(fd)
        except Error:
            await sys.close(fd)
            raise

    @classmethod
    async def attach(cls, fd: int) -> ShmQueue:
        """Map the queue in the open file ``fd`` (a memfd from :meth:`create_memfd`, or
        a file under /dev/shm); the handle owns ``fd`` from now on.

        Raises:
            Error: EAGAIN if the queue is not made yet; EINVAL if it is not a queue.
        """
        size = (await sys.fstat(fd)).st_size
        if size < HEADER:
            raise Error(EAGAIN, "shmq: the queue is not initialised yet")
        mem = await sys.mmu()
        addr = await sys.mmap(0, HEADER, PROT_READ, MAP_SHARED, fd, 0)
        try:
            magic, version = mem.load32(addr), mem.load32(addr + OFF_VERSION)
            cap, rec = mem.load32(addr + OFF_CAPACITY), mem.load32(addr + OFF_RECORD)
        finally:
            await sys.munmap(addr, HEADER)
        if magic == 0:
            raise Error(EAGAIN, "shmq: the queue is not initialised yet")
        if magic != MAGIC or version != VERSION:
            raise Error(EINVAL, "shmq: not a shared-memory queue (bad magic or version)")
        length = queue_size(cap, rec)
        if size < length:
            raise Error(EINVAL, f"shmq: the file holds {size} bytes, the queue needs {length}")
        addr = await sys.mmap(0, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        return cls(mem, addr, fd, length)

    async def detach(self) -> None:
        """Unmap the queue and close its file (the queue lives on in the file)."""
        if self.fd >= 0:
            await sys.munmap(self.addr, self.length)
            await sys.close(self.fd)
            self.fd = -1

    # ------------------------------------------------------------------ producing
    def _try_put(self, data: bytes) -> int:
        """Put without waiting: 0 if full, 1 if put, 2 if put and the consumer sleeps."""
        mem, a = self.mem, self.addr
        if self.multi:
            for _ in range(CLAIM_TRIES):
                pos = mem.load32(a + OFF_TAIL)
                slot = self._slots + (pos & self._mask) * self.slot_size
                dif = _signed(mem.load32(slot) - pos)
                if dif < 0:
                    return 0  # the consumer has not freed this slot: full
                if dif == 0 and mem.cas32(a + OFF_TAIL, pos, (pos + 1) & U32) == pos:
                    break  # claimed; otherwise another producer took it: look again
            else:
                return 0  # lost every race (or a corrupt slot): wait as if full
            mem.store32(slot + 4, len(data))
            mem.write(slot + SLOT_HEADER, data)
            mem.store32(slot, (pos + 1) & U32)  # publish
        else:
            tail = mem.load32(a + OFF_TAIL)
            if (tail - self._head_cache) & U32 >= self.capacity:
                self._head_cache = mem.load32(a + OFF_HEAD)
                if (tail - self._head_cache) & U32 >= self.capacity:
                    return 0
            slot = self._slots + (tail & self._mask) * self.slot_size
            mem.store32(slot + 4, len(data))
            mem.write(slot + SLOT_HEADER, data)
            mem.store32(a + OFF_TAIL, (tail + 1) & U32)  # publish: after the slot
        return 2 if mem.load32(a + OFF_CONS_SLEEP) else 1

    async def put(self, data: bytes) -> None:
        """Append one record, waiting while the queue is full.

        Raises:
            Error: EINVAL for a record longer than the queue's record size; EPIPE if the
                consumer went away (seen when the queue is full); EINTR when a signal
                interrupts a wait (nothing was put).
        """
        mem, a = self.mem, self.addr
        if len(data) > self.record_size:
            raise Error(
                EINVAL, f"shmq: a record of {len(data)} bytes; the most is {self.record_size}"
            )
        self._n += 1
        if self._n % CHECKPOINT_EVERY == 0:
            await checkpoint()
        while True:
            r = self._try_put(data)
            if r:
                break
            if mem.load32(a + OFF_CLOSED) & CLOSED_CONSUMER:
                raise Error(EPIPE, "shmq: the consumer has gone")
            for _ in range(self.spin):
                self._spins += 1
                await checkpoint()
                r = self._try_put(data)
                if r:
                    break
            if r:
                break
            mem.xchg32(a + OFF_PROD_SLEEP, 1)  # announce, then look once more
            r = self._try_put(data)
            if r:
                if not self.multi:  # others may sleep too when there are several
                    mem.store32(a + OFF_PROD_SLEEP, 0)
                break
            if mem.load32(a + OFF_CLOSED) & CLOSED_CONSUMER:
                raise Error(EPIPE, "shmq: the consumer has gone")
            self._add(a + OFF_SLEEP_PROD, 1)
            self._futex += 1
            await self._wait(a + OFF_PROD_SLEEP, 1)
        if r == 2:
            await self._wake_consumer()

    async def _wake_consumer(self) -> None:
        mem, a = self.mem, self.addr
        if mem.xchg32(a + OFF_CONS_SLEEP, 0):  # only one waker enters the kernel
            self._add(a + OFF_WAKE_CONS, 1)
            self._futex += 1
            await self._wake(a + OFF_CONS_SLEEP, 1)

    async def close_producer(self) -> None:
        """Say no more records will come (after every producer's last put): the
        consumer gets what is left, then None. Idempotent."""
        mem, a = self.mem, self.addr
        if not mem.load32(a + OFF_CLOSED) & CLOSED_PRODUCERS:
            mem.add32(a + OFF_CLOSED, CLOSED_PRODUCERS)
        if mem.load32(a + OFF_CONS_SLEEP):
            await self._wake_consumer()

    # ------------------------------------------------------------------ consuming
    def _try_get(self) -> bytes | None:
        """Take a record without waiting (None: empty); the head moves past it."""
        mem, a = self.mem, self.addr
        head = mem.load32(a + OFF_HEAD)
        slot = self._slots + (head & self._mask) * self.slot_size
        if not 0 < (self._tail_cache - head) & U32 <= self.capacity:  # look at tail again
            self._tail_cache = mem.load32(a + OFF_TAIL)
            if self._tail_cache == head:
                return None  # nothing published (or claimed, multi producer)
        if self.multi:
            if mem.load32(slot) != (head + 1) & U32:
                return None  # claimed but not published yet
            data = mem.read(slot + SLOT_HEADER, mem.load32(slot + 4))
            mem.store32(slot, (head + self.capacity) & U32)  # free for the next lap
        else:
            data = mem.read(slot + SLOT_HEADER, mem.load32(slot + 4))
        mem.store32(a + OFF_HEAD, (head + 1) & U32)
        return data

    def _producers_to_wake(self) -> bool:
        """Producers sleep and at least half the queue is free."""
        mem, a = self.mem, self.addr
        if not mem.load32(a + OFF_PROD_SLEEP):
            return False
        used = (mem.load32(a + OFF_TAIL) - mem.load32(a + OFF_HEAD)) & U32
        return self.capacity - used >= (self.capacity + 1) // 2

    async def _wake_producers(self) -> None:
        mem, a = self.mem, self.addr
        if mem.xchg32(a + OFF_PROD_SLEEP, 0):
            self._add(a + OFF_WAKE_PROD, 1)
            self._futex += 1
            await self._wake(a + OFF_PROD_SLEEP, INT_MAX)

    async def get(self) -> bytes | None:
        """Take the oldest record, waiting while the queue is empty and open.

        Returns:
            The record, or None once the producers closed the queue and it is empty.

        Raises:
            Error: EINTR when a signal interrupts a wait (nothing was taken).
        """
        mem, a = self.mem, self.addr
        self._n += 1
        if self._n % CHECKPOINT_EVERY == 0:
            await checkpoint()
        while True:
            data = self._try_get()
            if data is None:
                for _ in range(self.spin):
                    self._spins += 1
                    await checkpoint()
                    data = self._try_get()
                    if data is not None:
                        break
            if data is None:
                mem.xchg32(a + OFF_CONS_SLEEP, 1)  # announce (a full fence), look again
                closed = mem.load32(a + OFF_CLOSED) & CLOSED_PRODUCERS
                data = self._try_get()
                if data is None and closed:
                    mem.store32(a + OFF_CONS_SLEEP, 0)
                    return None
            if data is not None:
                if mem.load32(a + OFF_CONS_SLEEP):
                    mem.store32(a + OFF_CONS_SLEEP, 0)  # single consumer: no race
                if self._producers_to_wake():
                    await self._wake_producers()
                return data
            self._add(a + OFF_SLEEP_CONS, 1)
            self._futex += 1
            await self._wait(a + OFF_CONS_SLEEP, 1)

    async def close_consumer(self) -> None:
        """Say the consumer has gone: sleeping and later puts fail with EPIPE."""
        mem, a = self.mem, self.addr
        if not mem.load32(a + OFF_CLOSED) & CLOSED_CONSUMER:
            mem.add32(a + OFF_CLOSED, CLOSED_CONSUMER)
        await self._wake_producers()

    # ------------------------------------------------------------------ looking at it
    def __len__(self) -> int:
        """Records waiting (claimed but unpublished ones included, multi producer)."""
        mem, a = self.mem, self.addr
        return (mem.load32(a + OFF_TAIL) - mem.load32(a + OFF_HEAD)) & U32

    @property
    def closed(self) -> int:
        """The closed bits: CLOSED_PRODUCERS (1), CLOSED_CONSUMER (2)."""
        return self.mem.load32(self.addr + OFF_CLOSED)

    def stats(self) -> QueueStats:
        """The queue's counters (shared) and this handle's own."""
        mem, a = self.mem, self.addr
        tail, head = mem.load32(a + OFF_TAIL), mem.load32(a + OFF_HEAD)
        wc, wp = mem.load32(a + OFF_WAKE_CONS), mem.load32(a + OFF_WAKE_PROD)
        sc, sp = mem.load32(a + OFF_SLEEP_CONS), mem.load32(a + OFF_SLEEP_PROD)
        return QueueStats(
            produced=tail,
            consumed=head,
            queued=(tail - head) & U32,
            wakeups=wc + wp,
            wakeups_consumer=wc,
            wakeups_producers=wp,
            sleeps=sc + sp,
            sleeps_consumer=sc,
            sleeps_producers=sp,
            local_records=self._n,
            local_futex=self._futex,
            local_spins=self._spins,
        )


def _check_geometry(capacity: int, record_size: int, multi: bool) -> None:
    if not 1 <= capacity <= MAX_CAPACITY or capacity & (capacity - 1):
        raise Error(
            EINVAL, f"shmq: capacity {capacity} is not a power of two from 1 to {MAX_CAPACITY}"
        )
    if multi and capacity < 2:  # a freed slot's number would read as published
        raise Error(EINVAL, "shmq: a multi-producer queue needs a capacity of 2 or more")
    if not 1 <= record_size <= MAX_RECORD:
        raise Error(EINVAL, f"shmq: record size {record_size} is not from 1 to {MAX_RECORD}")
