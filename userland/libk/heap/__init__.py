"""The libk heap: ``kmheapa`` (allocate), ``kmheapf`` (free), ``kmheapr`` (resize),
``kmheapc`` (zeroed array), ``kmheap_usable`` and ``kmheap_dump``.

Addresses are the process's own memory (read and write them through ``await
sys.mmu()``). The strategy, its tunables and the arena policy come from /etc/heap.conf
and the environment (``userland.libk.heap.config``); strategies are registered under
the ``libk.allocators`` entry-point group (``registry``). The layout of everything the
heap keeps in memory is published in ``kernel.abi.heap``.

- ``await kmheapa(size, align=16)``: the address of at least ``size`` bytes aligned to
  ``align`` (a power of two). ``kmheapa(0)`` returns a unique block.
- ``await kmheapf(addr)``: give it back (``0`` is ignored).
- ``await kmheapr(addr, size)``: realloc — the block grown or shrunk in place when it
  can be, else moved (contents kept up to the smaller size); ``kmheapr(0, n)`` is
  ``kmheapa(n)``, ``kmheapr(addr, 0)`` frees and returns 0.
- ``await kmheapc(n, size)``: ``n * size`` zeroed bytes; an overflowing product is
  ENOMEM.
- ``await kmheap_usable(addr)``: how many bytes the block really has.

Errors are the one ``Error``: ENOMEM when memory runs out, EINVAL for bad arguments
or settings. An address that is not a live block (a double free, an invalid pointer)
ends the process with SIGABRT after a message on stderr naming the address and what
was wrong, as glibc does.
"""

from __future__ import annotations

from kernel.abi import tp
from userland.libk.heap.arena import Arena, HeapCorruption
from userland.libk.heap.config import HeapConfig
from userland.libk.heap.core import Heap
from userland.libk.heap.registry import register_strategy, strategy_class, strategy_names

__all__ = [
    "Arena",
    "Heap",
    "HeapConfig",
    "HeapCorruption",
    "heap",
    "kmheapa",
    "kmheapc",
    "kmheapf",
    "kmheapr",
    "kmheap_dump",
    "kmheap_usable",
    "register_strategy",
    "strategy_class",
    "strategy_names",
]


async def heap() -> Heap:
    """The calling process's heap (made on first use)."""
    h = tp.tls.process.get("heap")  # type: ignore[union-attr]
    return h if h is not None else await Heap.open()


async def kmheapa(size: int, align: int = 16) -> int:
    """Allocate ``size`` bytes aligned to ``align``; returns the address."""
    h = tp.tls.process.get("heap")  # type: ignore[union-attr]
    if h is None:
        h = await Heap.open()
    return await h.alloc(size, align)


async def kmheapf(addr: int) -> None:
    """Free the block at ``addr`` (0: nothing)."""
    h = tp.tls.process.get("heap")  # type: ignore[union-attr]
    if h is None:
        h = await Heap.open()
    await h.free(addr)


async def kmheapr(addr: int, size: int) -> int:
    """Resize the block at ``addr`` to ``size`` bytes (realloc); returns its address."""
    return await (await heap()).realloc(addr, size)


async def kmheapc(n: int, size: int) -> int:
    """Allocate ``n * size`` zeroed bytes (calloc)."""
    return await (await heap()).calloc(n, size)


async def kmheap_usable(addr: int) -> int:
    """The usable size of the block at ``addr``."""
    return (await heap()).usable(addr)


async def kmheap_dump(fd: int = 2) -> None:
    """Write the heap's state to ``fd``: settings, then each region and arena."""
    from userland.libk.heap.check import dump

    await dump(await heap(), fd)
