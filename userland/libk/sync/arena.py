"""Arena: memory for sync objects, apart from the libk heap (kmheapa(3)), so that a lock
never needs the heap (whose arenas have locks of their own).

Pages are mapped one at a time and named ``[anon:libk-sync]``; each is carved into equal
slots of one size class.
"""

from __future__ import annotations

from kernel.abi import (
    EINVAL,
    MAP_ANONYMOUS,
    MAP_PRIVATE,
    MMU,
    PR_SET_VMA,
    PR_SET_VMA_ANON_NAME,
    PROT_READ,
    PROT_WRITE,
    Error,
)
from userland.libk import sys
from userland.libk.sync.channel import Channel
from userland.libk.sync.locks import Barrier, Condvar, Mutex, Once, Semaphore
from userland.libk.sync.word import SyncWord


class Arena:
    """Memory for sync objects, apart from the heap: pages mapped one at a time
    (``[anon:libk-sync]``), each carved into equal slots of one size class (8, 16, 32,
    … bytes, half a page at most); a bigger object gets a mapping of its own. Freed
    slots are reused. Its objects use private futexes: they are for this process's
    threads. Make one per process with ``await Arena.new()``.
    """

    NAME = "libk-sync"
    MIN_SLOT = 8

    def __init__(self, mem: MMU) -> None:
        self.mem = mem
        self.page_size = mem.page_size
        self._free: dict[int, list[int]] = {}  # slot size -> free slots, lowest last
        self._size: dict[int, int] = {}  # address -> slot size (or mapping length)

    @classmethod
    async def new(cls) -> Arena:
        """An arena over the calling process's memory."""
        return cls(await sys.mmu())

    async def _map(self, length: int) -> int:
        addr = await sys.mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)
        await sys.prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, length, self.NAME)
        return addr

    async def alloc(self, size: int) -> int:
        """The address of ``size`` free bytes, aligned to their slot size (at least 8)."""
        if size < 1:
            raise Error(EINVAL, "Arena.alloc: size must be at least 1")
        slot = self.MIN_SLOT
        while slot < size:
            slot <<= 1
        if slot > self.page_size // 2:
            length = -(-size // self.page_size) * self.page_size
            addr = await self._map(length)
            self._size[addr] = length
            return addr
        free = self._free.setdefault(slot, [])
        if not free:
            page = await self._map(self.page_size)
            free.extend(range(page + self.page_size - slot, page - 1, -slot))
        addr = free.pop()
        self._size[addr] = slot
        return addr

    async def free(self, obj: SyncWord | int) -> None:
        """Give back an object's memory (or an address from alloc).

        Raises:
            Error: EINVAL for memory this arena did not hand out (or already freed).
        """
        addr = obj if isinstance(obj, int) else obj.addr
        size = self._size.pop(addr, None)
        if size is None:
            raise Error(EINVAL, f"Arena.free: {addr:#x} was not allocated here")
        if size > self.page_size // 2:
            await sys.munmap(addr, size)
        else:
            self._free[size].append(addr)

    async def mutex(self) -> Mutex:
        """A new unlocked Mutex."""
        return Mutex(self.mem, await self.alloc(Mutex.SIZE), shared=False).init()

    async def condvar(self, mutex: Mutex) -> Condvar:
        """A new Condvar used with ``mutex``."""
        return Condvar(self.mem, await self.alloc(Condvar.SIZE), mutex).init()

    async def semaphore(self, value: int = 0) -> Semaphore:
        """A new Semaphore with count ``value``."""
        return Semaphore(self.mem, await self.alloc(Semaphore.SIZE), shared=False).init(value)

    async def once(self) -> Once:
        """A new Once."""
        return Once(self.mem, await self.alloc(Once.SIZE), shared=False).init()

    async def barrier(self, count: int) -> Barrier:
        """A new Barrier for ``count`` threads."""
        return Barrier(self.mem, await self.alloc(Barrier.SIZE), shared=False).init(count)

    async def channel(self, capacity: int, msg_size: int = 64) -> Channel:
        """A new open, empty Channel of ``capacity`` messages of up to ``msg_size`` bytes."""
        if capacity < 1 or msg_size < 1:
            raise Error(EINVAL, "Channel: capacity and message size must be at least 1")
        addr = await self.alloc(Channel.size(capacity, msg_size))
        return Channel(self.mem, addr, shared=False).init(capacity, msg_size)
