"""An integrated block driver (level 4 of libk's I/O): drive a block device's own queue
from the program, with no system call per I/O.

``drv = await BlockDriver.attach("/dev/blk0")`` claims the device (root only; every
other open of it gets EBUSY until the driver lets go) and maps its queue (layout:
``kernel.abi``'s DQ_*). ``drv.submit(op, pos, length, addr, tag)`` writes a device
submission entry with stores; ``drv.kick()`` stores the tail into the doorbell, which
the device sees without a system call; ``drv.reap()`` reads the completions the
device posted, with loads. Buffers are plain addresses in the program's memory: the
device moves data through its page table when a request completes.
"""

from __future__ import annotations

from kernel.abi import (
    BLK_CLAIM,
    BLK_RELEASE,
    DB_SQ_TAIL,
    DQ_CQ_HEAD,
    DQ_CQ_TAIL,
    DQ_CQE,
    DQ_CQES,
    DQ_ENTRIES,
    DQ_SIZE,
    DQ_SQ_HEAD,
    DQ_SQE,
    DQ_SQES,
    MAP_SHARED,
    MMU,
    O_RDWR,
    PROT_READ,
    PROT_WRITE,
    Error,
    checkpoint,
)
from userland.libk import sys

U32 = 0xFFFF_FFFF


def random_offsets(seed: int, count: int, blocks: int, block: int) -> list[int]:
    """``count`` block-aligned offsets in a device of ``blocks`` blocks, from a 64-bit
    LCG seeded with ``seed`` (the same seed gives the same offsets everywhere)."""
    state = seed or 1
    out = []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        out.append((state >> 33) % blocks * block)
    return out


class BlockDriver:
    """A claimed block device and its mapped queue; see the module docstring."""

    def __init__(self, fd: int, mem: MMU, base: int, size: int) -> None:
        self.fd = fd
        self.mem = mem
        self.base = base
        self.map_size = size
        self.bell = base
        self.q = base + mem.page_size
        self.device_size = mem.load64(self.q + DQ_SIZE)
        self.sq_tail = 0
        self.sq_head = 0  # the device's, as last loaded
        self.cq_head = 0

    @classmethod
    async def attach(cls, path: str) -> BlockDriver:
        """Claim the block device at ``path`` and map its queue.

        Raises:
            Error: EPERM (not root), EBUSY (someone else has it open), ENOTTY (not a
                block device).
        """
        fd = await sys.open(path, O_RDWR)
        try:
            size = await sys.ioctl(fd, BLK_CLAIM)
            base = await sys.mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        except Error:
            await sys.close(fd)
            raise
        return cls(fd, await sys.mmu(), base, size)

    @property
    def in_queue(self) -> int:
        """Entries submitted that the device has not taken yet (as last seen)."""
        return (self.sq_tail - self.sq_head) & U32

    def submit(self, op: int, pos: int, length: int, addr: int, tag: int) -> bool:
        """Write one submission entry (not yet visible to the device: see
        :meth:`kick`); False when the submission queue is full."""
        mem = self.mem
        if (self.sq_tail - self.sq_head) & U32 >= DQ_ENTRIES:
            self.sq_head = mem.load32(self.q + DQ_SQ_HEAD)
            if (self.sq_tail - self.sq_head) & U32 >= DQ_ENTRIES:
                return False
        slot = self.sq_tail & (DQ_ENTRIES - 1)
        mem.write(self.q + DQ_SQES + slot * DQ_SQE.size, DQ_SQE.pack(op, 0, tag, length, pos, addr))
        self.sq_tail = (self.sq_tail + 1) & U32
        return True

    def kick(self) -> None:
        """Ring the doorbell: the device takes every entry up to the tail."""
        self.mem.store32(self.bell + DB_SQ_TAIL, self.sq_tail)

    def reap(self) -> list[tuple[int, int]]:
        """The completions posted since the last reap: (tag, status) pairs, where the
        status is the bytes moved or -errno."""
        mem = self.mem
        tail = mem.load32(self.q + DQ_CQ_TAIL)
        head = self.cq_head
        if head == tail:
            return []
        out = []
        mask = DQ_ENTRIES - 1
        while head != tail:
            out.append(mem.unpack(self.q + DQ_CQES + (head & mask) * DQ_CQE.size, DQ_CQE))
            head = (head + 1) & U32
        self.cq_head = head
        mem.store32(self.q + DQ_CQ_HEAD, head)
        return out

    async def run(self, op: int, offsets: list[int], block: int, depth: int, bufs: int) -> int:
        """Do one request per offset with up to ``depth`` in flight, buffers at
        ``bufs`` (``depth`` slots of ``block`` bytes), polling for completions; returns
        how many failed."""
        free = list(range(depth))
        issued = done = failed = 0
        count = len(offsets)
        while done < count:
            submitted = False
            while free and issued < count:
                tag = free.pop()
                if not self.submit(op, offsets[issued], block, bufs + tag * block, tag):
                    free.append(tag)
                    break
                issued += 1
                submitted = True
            if submitted:
                self.kick()
            for tag, status in self.reap():
                done += 1
                free.append(tag)
                if status < 0:
                    failed += 1
            await checkpoint()  # polling: let the machine run the device's completions
        return failed

    async def detach(self) -> None:
        """Give the device back and unmap its queue."""
        await sys.ioctl(self.fd, BLK_RELEASE)
        await sys.munmap(self.base, self.map_size)
        await sys.close(self.fd)
