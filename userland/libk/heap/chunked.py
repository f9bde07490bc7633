"""The chunked (speculative) strategy: map a chunk of ``LIBK_HEAP_CHUNK`` bytes, carve
allocations from it, and call mmap only when it is exhausted (the libk roadmap's
question is whether this beats the naive strategy, and by how much per chunk size).

Blocks are tagged (``tags``; ``FORMAT_TAGS``). Each chunk is a region; its header's
``aux`` is the bump offset (where never-used space starts) and ``aux2`` counts its
live blocks. The arena's free list (first fit, singly linked through the blocks' second
words) has its head in the 16 bytes after the home region's header. A freed block is
pushed on the list (or, if it is the last one carved, given back to the bump space);
a chunk whose blocks are all free is emptied for reuse, and past ``LIBK_HEAP_RELEASE``
empty chunks the next one is unmapped.
"""

from __future__ import annotations

from kernel.abi import FORMAT_TAGS, REGION_OFF, REGION_SIZE, TAG_USED
from userland.libk.heap.arena import Arena
from userland.libk.heap.tags import HEAD, MIN_BLOCK, SIZE_MASK, block_size, check_used

O_BUMP = REGION_OFF["aux"]
O_LIVE = REGION_OFF["aux2"]


class ChunkedArena(Arena):
    """Chunks carved by a bump pointer, with a first-fit free list for reuse."""

    strategy = "chunked"
    format = FORMAT_TAGS

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.head = 0  # the free list's head word
        self.current = 0  # the chunk being carved
        self.ends: dict[int, int] = {}  # chunk -> its end
        self.empty: list[int] = []  # chunks with no live block (not the current one)

    # ------------------------------------------------------------------ regions
    def setup_region(self, addr: int, length: int, home: bool) -> int:
        data = REGION_SIZE + 16 if home else REGION_SIZE
        if home:
            self.head = addr + REGION_SIZE
        mem = self.mem
        mem.store64(addr + O_BUMP, data)
        mem.store64(addr + O_LIVE, 0)
        self.ends[addr] = addr + length
        if self.current:
            self._retire(self.current)
        self.current = addr
        return data

    def region_length(self, size: int, align: int) -> int:
        length = self.heap.cfg.chunk
        need = REGION_SIZE + 16 + block_size(size) + align + 16
        while length < need:
            length *= 2
        return length

    def _retire(self, chunk: int) -> None:
        """The chunk is no longer carved: its unused tail becomes a free block."""
        mem = self.mem
        bump = chunk + mem.load64(chunk + O_BUMP)
        rest = self.ends[chunk] - bump
        if rest >= MIN_BLOCK:
            mem.store64(bump, rest)
            mem.store64(bump + 8, mem.load64(self.head))
            mem.store64(self.head, bump)
            mem.store64(chunk + O_BUMP, self.ends[chunk] - chunk)

    # ------------------------------------------------------------------ blocks
    def alloc(self, size: int, align: int) -> int:
        mem = self.mem
        need = block_size(size)
        slot = self.head
        cur = mem.load64(slot)
        while cur:  # first fit
            tag = mem.load64(cur)
            have = tag & SIZE_MASK
            if have >= need and not (cur + HEAD) & (align - 1):
                nxt = mem.load64(cur + 8)
                if have - need >= MIN_BLOCK:  # split: the rest takes its place in the list
                    rest = cur + need
                    mem.store64(rest, have - need)
                    mem.store64(rest + 8, nxt)
                    mem.store64(slot, rest)
                    have = need
                else:
                    mem.store64(slot, nxt)
                return self._take(cur, have, size)
            slot = cur + 8
            cur = mem.load64(slot)
        chunk = self.current
        addr = self._carve(chunk, need, align, size)
        if addr or not self.empty:
            return addr
        self._retire(chunk)
        self.current = self.empty.pop()
        return self._carve(self.current, need, align, size)

    def _carve(self, chunk: int, need: int, align: int, size: int) -> int:
        """A block from the chunk's never-used space (0: no room)."""
        mem = self.mem
        bump = chunk + mem.load64(chunk + O_BUMP)
        pad = -(bump + HEAD) & (align - 1)
        if pad and pad < MIN_BLOCK:
            pad += -(-(MIN_BLOCK - pad) // align) * align
        if bump + pad + need + 8 > self.ends[chunk]:
            return 0
        if pad:  # the gap before an aligned block is a free block of its own
            mem.store64(bump, pad)
            mem.store64(bump + 8, mem.load64(self.head))
            mem.store64(self.head, bump)
            bump += pad
        mem.store64(chunk + O_BUMP, bump + need - chunk)
        return self._take(bump, need, size)

    def _take(self, blk: int, have: int, size: int) -> int:
        mem = self.mem
        mem.store64(blk, have | TAG_USED)
        mem.store64(blk + 8, size)
        self.got = have - HEAD
        chunk = self.heap.find(blk).start  # type: ignore[union-attr]
        mem.store64(chunk + O_LIVE, mem.load64(chunk + O_LIVE) + 1)
        return blk + HEAD

    def free(self, addr: int, region: int) -> int:
        mem = self.mem
        lo = region + mem.load64(region + REGION_OFF["data_off"])
        bump = region + mem.load64(region + O_BUMP)
        blk, tag = check_used(mem, addr, lo, bump)
        size = tag & SIZE_MASK
        if blk + size == bump and region == self.current:  # the last carved: uncarve it
            mem.store64(blk, 0)
            mem.store64(region + O_BUMP, blk - region)
        else:
            mem.store64(blk, size)
            mem.store64(blk + 8, mem.load64(self.head))
            mem.store64(self.head, blk)
        live = mem.load64(region + O_LIVE) - 1
        mem.store64(region + O_LIVE, live)
        if not live:
            self._empty(region, lo)
        return size - HEAD

    def _empty(self, chunk: int, lo: int) -> None:
        """A chunk with no live block: take its blocks off the list, reset its bump."""
        mem = self.mem
        end = self.ends[chunk]
        slot = self.head
        cur = mem.load64(slot)
        while cur:
            nxt = mem.load64(cur + 8)
            if chunk <= cur < end:
                mem.store64(slot, nxt)
            else:
                slot = cur + 8
            cur = nxt
        mem.store64(lo, 0)
        mem.store64(chunk + O_BUMP, lo - chunk)
        if chunk != self.current:
            self.empty.append(chunk)

    def release(self) -> list[int]:
        gone: list[int] = []
        for chunk in [c for c in self.empty if c != self.home]:
            if len(self.empty) <= self.heap.cfg.release:
                break
            self.empty.remove(chunk)
            del self.ends[chunk]
            gone.append(chunk)
        return gone

    def usable(self, addr: int, region: int) -> int:
        mem = self.mem
        lo = region + mem.load64(region + REGION_OFF["data_off"])
        blk, tag = check_used(mem, addr, lo, region + mem.load64(region + O_BUMP))
        return (tag & SIZE_MASK) - HEAD

    def resize(self, addr: int, region: int, size: int) -> bool:
        mem = self.mem
        lo = region + mem.load64(region + REGION_OFF["data_off"])
        bump = region + mem.load64(region + O_BUMP)
        blk, tag = check_used(mem, addr, lo, bump)
        have = tag & SIZE_MASK
        need = block_size(size)
        last = blk + have == bump and region == self.current
        if need <= have:
            if last:
                mem.store64(region + O_BUMP, blk + need - region)
                if blk + need < bump:
                    mem.store64(blk + need, 0)
                have = need
            elif have - need >= MIN_BLOCK:
                rest = blk + need
                mem.store64(rest, have - need)
                mem.store64(rest + 8, mem.load64(self.head))
                mem.store64(self.head, rest)
                have = need
        elif last and blk + need + 8 <= self.ends[region]:
            mem.store64(region + O_BUMP, blk + need - region)
            have = need
        else:
            return False
        mem.store64(blk, have | TAG_USED)
        mem.store64(blk + 8, size)
        return True
