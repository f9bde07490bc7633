"""The heap of one process: its settings, its regions, its arenas, and the calls.

A process's heap is made on its first ``kmheapa`` and kept in its runtime data
(``tp.tls.process["heap"]``, kernel.abi.tls), so every thread of the process finds the
same one without a system call. It owns:

- the **regions**: every mapping it made (named ``[anon:libk-heap]``), each starting
  with a ``REGION`` header; a sorted list of their starts finds the region of an
  address, as the kernel's list of areas finds a mapping (``regions``, the base class
  of :class:`Heap`);
- the **arenas**: one (``global``), one per thread group (``thread``: a thread keeps
  its arena until it finds it contended, then moves to a new or another one), or one
  per CPU (``cpu``: chosen by ``tp.tls.cpu``, a free from another CPU is queued on the
  owner's lock-free list and drained by the owner);
- **large blocks**: requests at or above the mmap threshold get a mapping of their own
  (glibc's M_MMAP_THRESHOLD), resized with mremap (``regions`` too);
- the **checks**: an address that is not a live block's start aborts the process with
  SIGABRT and a message naming it; with LIBK_HEAP_CHECK=1 every block is tracked with
  the function that allocated it, for the leak report at exit.
"""

from __future__ import annotations

from typing import NoReturn

from kernel.abi import (
    EBUSY,
    EINVAL,
    ENOMEM,
    FUTEX_PRIVATE_FLAG,
    FUTEX_WAKE,
    MMU,
    REGION_COUNTS,
    REGION_OFF,
    SIGABRT,
    Error,
    tp,
)
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.heap.arena import (
    O_CONTENDED,
    O_IN_USE,
    O_MIGRATIONS,
    O_REMOTE_FREES,
    O_REMOTE_HEAD,
    Arena,
    HeapCorruption,
)
from userland.libk.heap.config import HeapConfig
from userland.libk.heap.regions import Region, Regions, caller

MAX_SIZE = 1 << 47  # no request bigger than the address space is ever met
_U64 = (1 << 64) - 1


class Heap(Regions):
    """A process's heap (see the module docstring). Make it with :meth:`open`."""

    def __init__(self, mem: MMU, cfg: HeapConfig, arena_cls: type[Arena]) -> None:
        super().__init__(mem, arena_cls)
        self.cfg = cfg
        self.arenas: list[Arena] = []
        self.by_cpu: dict[int, Arena] = {}
        self.threshold = cfg.mmap_threshold or MAX_SIZE
        self.live = {} if cfg.check else None
        self.one_arena = cfg.arenas == "global"
        self.per_cpu = cfg.arenas == "cpu"
        self._next_rebalance = 0

    # ------------------------------------------------------------------ making it
    @classmethod
    async def open(cls) -> Heap:
        """The calling process's heap, made on first use.

        Raises:
            Error: EINVAL for a bad setting or an unknown strategy (the message says
                which).
        """
        runtime = tp.tls.process  # type: ignore[union-attr]
        heap = runtime.get("heap")
        if heap is None:
            from userland.libk.heap import config
            from userland.libk.heap.registry import strategy_class

            cfg = await config.load()
            heap = cls(await sys.mmu(), cfg, strategy_class(cfg.strategy))
            if "heap" in runtime:  # another thread made it while this one read the settings
                return runtime["heap"]
            runtime["heap"] = heap
            heap._started()
        return heap

    def _started(self) -> None:
        """The heap is the process's: with LIBK_HEAP_CHECK=1, report leaks at exit."""
        if self.live is not None:
            from userland.libk import runtime
            from userland.libk.heap.check import report_leaks

            async def leaks() -> None:
                await report_leaks(self)

            runtime.atexit(leaks)

    @classmethod
    async def install(cls, cfg: HeapConfig) -> Heap:
        """Make the calling process's heap with ``cfg`` (instead of /etc/heap.conf and
        the environment): for programs that choose their own strategy, and tests.

        Raises:
            Error: EBUSY if the process already has a heap; EINVAL for an unknown
                strategy.
        """
        from userland.libk.heap.registry import strategy_class

        runtime = tp.tls.process  # type: ignore[union-attr]
        if "heap" in runtime:
            raise Error(EBUSY, "libk heap: this process already has a heap")
        heap = cls(await sys.mmu(), cfg, strategy_class(cfg.strategy))
        runtime["heap"] = heap
        heap._started()
        return heap

    # ------------------------------------------------------------------ arenas
    async def _new_arena(self, cpu: int | None) -> Arena:
        arena = self.arena_cls(self, len(self.arenas), cpu)
        await arena.add_region(arena.region_length(0, 16))
        self.arenas.append(arena)
        if cpu is not None:
            self.by_cpu[cpu] = arena
        return arena

    async def _arena(self) -> Arena:
        """The arena the calling thread allocates from."""
        mode = self.cfg.arenas
        if mode == "global":
            if self.arenas:
                return self.arenas[0]
            return await self._new_arena(None)
        tls = tp.tls
        assert tls is not None
        if mode == "cpu":
            cpu = tls.cpu
            arena = self.by_cpu.get(cpu)
            if arena is None:
                arena = await self._new_arena(cpu)
            last = tls.data.get("heap_cpu")
            if last != cpu:
                if last is not None:  # the thread moved: it now uses this CPU's arena
                    self.mem.store64(
                        arena.home + O_MIGRATIONS, self.mem.load64(arena.home + O_MIGRATIONS) + 1
                    )
                tls.data["heap_cpu"] = cpu
            return arena
        arena = tls.data.get("heap_arena")
        if arena is None:
            if len(self.arenas) < self.cfg.max_arenas:
                arena = await self._new_arena(None)
            else:
                arena = self.arenas[tls.tid % len(self.arenas)]
            tls.data["heap_arena"] = arena
        return arena

    async def _rebalance(self, arena: Arena) -> None:
        """The thread found its arena contended: move it to a new arena, or to the one
        least contended so far (glibc's arena_get2 and reused_arena)."""
        tls = tp.tls
        assert tls is not None
        mem = self.mem
        if len(self.arenas) < self.cfg.max_arenas:
            target = await self._new_arena(None)
        else:
            target = min(
                (a for a in self.arenas if a is not arena),
                key=lambda a: mem.load64(a.home + O_CONTENDED),
                default=arena,
            )
        tls.data["heap_arena"] = target

    async def _lock(self, arena: Arena) -> bool:
        """Take the arena's lock; True if it had to wait (and count that)."""
        mem = self.mem
        taken = mem.cas32(arena.lock, 0, 1) == 0
        if taken and not mem.stall:
            return False
        await self._contended(arena, taken)
        return True

    async def _contended(self, arena: Arena, taken: bool) -> None:
        """The lock's slow path: wait for it unless ``taken`` already (the CAS won after
        spinning for another CPU), and count the contention in the arena's header."""
        mem = self.mem
        lock = arena.lock
        if not taken:
            while mem.xchg32(lock, 2) != 0:
                try:
                    await sys.futex(lock, 0 | FUTEX_PRIVATE_FLAG, 2)  # FUTEX_WAIT
                except Error:
                    pass  # EAGAIN (it changed) or EINTR: try again
        home = arena.home + O_CONTENDED
        mem.store64(home, mem.load64(home) + 1)
        if self.cfg.arenas == "thread":
            await self._rebalance(arena)

    async def _unlock(self, arena: Arena) -> None:
        if self.mem.xchg32(arena.lock, 0) == 2:
            await sys.futex(arena.lock, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1)

    def _count(self, arena: Arena, delta: int, alloc: bool | None) -> None:
        """Update the arena's in_use, peak, allocs and frees (two accesses: they sit
        together in its header); ``alloc`` None: a block was resized in place."""
        mem = self.mem
        at = arena.home + O_IN_USE
        in_use, peak, allocs, frees = mem.unpack(at, REGION_COUNTS)
        in_use = (in_use + delta) & _U64
        if in_use > peak:
            peak = in_use
        if alloc:
            allocs += 1
        elif alloc is not None:
            frees += 1
        mem.pack(at, REGION_COUNTS, in_use, peak, allocs, frees)

    def _drain_remote(self, arena: Arena) -> None:
        """Free the blocks other CPUs queued on this arena (its lock held)."""
        mem = self.mem
        addr = mem.xchg64(arena.home + O_REMOTE_HEAD, 0)
        while addr:
            nxt = mem.load64(addr)
            self._release(arena, addr, self.find(addr))
            addr = nxt

    # ------------------------------------------------------------------ the calls
    async def alloc(self, size: int, align: int = 16) -> int:
        """kmheapa: see the package docstring."""
        if not (size.__class__ is int and align.__class__ is int) and not (
            isinstance(size, int) and isinstance(align, int)
        ):
            raise Error(EINVAL, "kmheapa: the size and alignment are integers")
        if size < 0:
            raise Error(EINVAL, f"kmheapa: negative size {size}")
        if align < 16:
            if align < 1 or align & (align - 1):
                raise Error(EINVAL, f"kmheapa: alignment {align} is not a power of two")
            align = 16
        elif align & (align - 1):
            raise Error(EINVAL, f"kmheapa: alignment {align} is not a power of two")
        if size >= self.threshold or self.naive or align > self.page:
            if size > MAX_SIZE:
                raise Error(ENOMEM, f"kmheapa: {size} bytes is more than the address space")
            addr = await self._map_block(size, align)
        else:
            arenas = self.arenas
            arena = arenas[0] if arenas and self.one_arena else await self._arena()
            mem = self.mem
            lock = arena.lock
            taken = mem.cas32(lock, 0, 1) == 0  # the lock's fast path, inline
            if not taken or mem.stall:
                await self._contended(arena, taken)
            try:
                if self.per_cpu and mem.load64(arena.home + O_REMOTE_HEAD):
                    try:
                        self._drain_remote(arena)
                    except HeapCorruption as err:
                        await self._unlock(arena)
                        await self.abort("kmheapf", err.addr, err.what)
                addr = arena.alloc(size or 1, align)
                if not addr:
                    await arena.add_region(arena.region_length(size or 1, align))
                    addr = arena.alloc(size or 1, align)
                    if not addr:
                        raise Error(ENOMEM, f"kmheapa: no room for {size} bytes")
                self._count(arena, arena.got, True)
            finally:
                if mem.xchg32(lock, 0) == 2:
                    await sys.futex(lock, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1)
        if self.live is not None:
            self.live[addr] = (size, caller())
        return addr

    async def free(self, addr: int) -> None:
        """kmheapf: see the package docstring."""
        if not addr:
            return
        r = self.find(addr) if isinstance(addr, int) else None
        if r is None:
            await self.abort("kmheapf", addr, "invalid pointer (not in the heap)")
        arena = r.arena
        if arena is None:  # a block mapped on its own
            if addr != r.start + self.mem.load64(r.start + REGION_OFF["data_off"]):
                await self.abort("kmheapf", addr, "invalid pointer (inside a block)")
            await self.unmap_region(r.start)
        elif self.per_cpu and arena.cpu != tp.tls.cpu:  # type: ignore[union-attr]
            self._remote_free(arena, addr)
        else:
            mem = self.mem
            lock = arena.lock
            taken = mem.cas32(lock, 0, 1) == 0
            if not taken or mem.stall:
                await self._contended(arena, taken)
            try:
                self._release(arena, addr, r)
                gone = arena.release()
            except HeapCorruption as err:
                await self._unlock(arena)
                await self.abort("kmheapf", err.addr, err.what)
            if mem.xchg32(lock, 0) == 2:
                await sys.futex(lock, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1)
            for start in gone:
                arena.unlink_region(start)
                await self.unmap_region(start)
        if self.live is not None:
            self.live.pop(addr, None)

    def _release(self, arena: Arena, addr: int, r: Region | None) -> None:
        """Free a block of ``arena`` (its lock held); abort on a bad address."""
        if r is None or r.arena is not arena:
            raise HeapCorruption(addr, "invalid pointer (not in its arena)")
        self._count(arena, -arena.free(addr, r.start), False)

    def _remote_free(self, arena: Arena, addr: int) -> None:
        """Queue a block on its owner's list (a lock-free push; the owner frees it)."""
        mem = self.mem
        head = arena.home + O_REMOTE_HEAD
        while True:
            old = mem.load64(head)
            mem.store64(addr, old)
            if mem.cas64(head, old, addr) == old:
                break
        mem.add64(arena.home + O_REMOTE_FREES, 1)

    async def realloc(self, addr: int, size: int) -> int:
        """kmheapr: see the package docstring."""
        if addr == 0:
            return await self.alloc(size)
        if not isinstance(size, int) or size < 0:
            raise Error(EINVAL, f"kmheapr: bad size {size!r}")
        if size == 0:
            await self.free(addr)
            return 0
        r = self.find(addr)
        if r is None:
            await self.abort("kmheapr", addr, "invalid pointer (not in the heap)")
        if r.arena is None:
            if addr != r.start + self.mem.load64(r.start + REGION_OFF["data_off"]):
                await self.abort("kmheapr", addr, "invalid pointer (inside a block)")
            return await self._remap_block(r, addr, size)
        arena = r.arena
        try:
            old = arena.usable(addr, r.start)
        except HeapCorruption as err:
            await self.abort("kmheapr", err.addr, err.what)
        if size < self.threshold and (not self.per_cpu or arena.cpu == tp.tls.cpu):  # type: ignore[union-attr]
            await self._lock(arena)
            try:
                done = arena.resize(addr, r.start, size)
                if done:
                    self._count(arena, arena.usable(addr, r.start) - old, None)
            finally:
                await self._unlock(arena)
            if done:
                if self.live is not None:
                    self.live[addr] = (size, self.live.get(addr, (0, caller()))[1])
                return addr
        new_addr = await self.alloc(size)
        self.mem.copy(new_addr, addr, min(old, size))
        await self.free(addr)
        return new_addr

    async def calloc(self, n: int, size: int) -> int:
        """kmheapc: see the package docstring."""
        if not isinstance(n, int) or not isinstance(size, int) or n < 0 or size < 0:
            raise Error(EINVAL, "kmheapc: the count and size are integers of at least 0")
        total = n * size
        if total > _U64:
            raise Error(ENOMEM, f"kmheapc: {n} x {size} overflows")
        addr = await self.alloc(total)
        r = self.find(addr)
        if r is not None and r.arena is not None:  # fresh mappings are zero already
            self.mem.fill(addr, 0, total)
        return addr

    def usable(self, addr: int) -> int:
        """kmheap_usable: the bytes the block at ``addr`` really has (at least what was
        asked).

        Raises:
            Error: EINVAL if ``addr`` is not a block of this heap.
        """
        r = self.find(addr)
        if r is None:
            raise Error(EINVAL, f"kmheap_usable: {addr:#x} is not in the heap")
        if r.arena is None:
            return r.start + r.length - addr
        try:
            return r.arena.usable(addr, r.start)
        except HeapCorruption as err:
            raise Error(EINVAL, f"kmheap_usable: {err.what} ({addr:#x})") from None

    # ------------------------------------------------------------------ failing
    async def abort(self, call: str, addr: object, what: str) -> NoReturn:
        """Print what was wrong and end the process with SIGABRT (as glibc's
        malloc_printerr does)."""
        where = f"{addr:#x}" if isinstance(addr, int) else repr(addr)
        try:
            await kio.write_all(2, f"{call}(): {what}: {where}\n")
        finally:
            await sys.kill(await sys.getpid(), SIGABRT)
        raise AssertionError("SIGABRT did not end the process")  # pragma: no cover
