"""Tagged blocks (``kernel.abi.heap.FORMAT_TAGS``): the block format the chunked and
libc strategies share, and its checks.

A block starts with an 8-byte tag ``size | flags`` (size in bytes including the
16-byte head, a multiple of 16; ``TAG_USED`` set while it is allocated). The next 8
bytes are the strategy's (a free block's list link, a used block's requested size);
the payload starts 16 bytes in.
"""

from __future__ import annotations

from kernel.abi import MMU, TAG_USED
from userland.libk.heap.arena import HeapCorruption

HEAD = 16
MIN_BLOCK = 32
SIZE_MASK = ~15


def block_size(size: int) -> int:
    """The block a request of ``size`` payload bytes needs."""
    n = (size + HEAD + 15) & ~15
    return n if n >= MIN_BLOCK else MIN_BLOCK


def check_used(mem: MMU, addr: int, lo: int, hi: int) -> tuple[int, int]:
    """The block whose payload starts at ``addr`` (inside [lo, hi)): (its start, its
    tag). Raises HeapCorruption when ``addr`` is not a live block's payload."""
    blk = addr - HEAD
    if addr & 15 or blk < lo:
        raise HeapCorruption(addr, "invalid pointer (not the start of a block)")
    if addr >= hi:
        raise HeapCorruption(addr, "double free or invalid pointer (nothing is allocated there)")
    tag = mem.load64(blk)
    size = tag & SIZE_MASK
    if size < MIN_BLOCK or blk + size > hi or tag & 14:
        raise HeapCorruption(addr, "invalid pointer (no block header there)")
    if not tag & TAG_USED:
        raise HeapCorruption(addr, "double free (the block is already free)")
    return blk, tag
