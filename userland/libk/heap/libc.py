"""The libc strategy: boundary tags and segregated free lists, as dlmalloc and glibc's
ptmalloc do it — the baseline every other strategy's figures are compared with.

Blocks are tagged chunks (``kernel.abi.heap.FORMAT_TAGS``): an 8-byte tag ``size |
flags`` (size with the 16-byte head, a multiple of 16), the payload 16 bytes in. Flags:
``TAG_USED`` (bit 0), ``PINUSE`` (bit 1: the chunk before is in use, dlmalloc's
PREV_INUSE) and ``TOP`` (bit 2: this is the top chunk). A free chunk keeps its bin links
(``fd`` at +8, ``bk`` at +16) and a footer (its size, in its last 8 bytes), so a free
coalesces backwards when PINUSE is clear and forwards by reading the next tag: no two
free chunks are ever neighbours, so every free chunk's PINUSE is set.

The home region's header is followed by the arena's state (``META`` bytes): the top
chunk's address, a binmap (one bit per bin, set when a bin goes from empty to not
empty, cleared lazily by the search that finds it empty, as glibc does), and 128 bins,
each a circular doubly linked list whose head is a pair (fd, bk) read as the links of a
fake chunk 8 bytes before it (glibc's ``bin_at``), so unlinking never tests for the
ends. Bins 2-63 are small bins: one exact chunk size each (32 to 1008 bytes), LIFO.
Bins 64-126 are large bins, log-spaced as glibc's ``largebin_index_64``; a chunk is
pushed at the front (free is O(1)) and alloc takes the best fit of the bin (the
smallest chunk that fits, an exact fit ending the scan). There is no unsorted bin, no
fastbins and no tcache: dlmalloc 2.8's shape, where a free goes straight to its bin.
The fast paths cost 7 MMU accesses (alloc from a non-empty small bin) and 10 (free
with both neighbours in use; 12 when its bin was empty and the binmap is marked).

Alloc looks at the request's exact bin, then (a large request) scans its bin for the
best fit, then takes the smallest chunk of the next non-empty bin the binmap shows,
splitting off a remainder of 32 bytes or more into its bin; else it carves the top
chunk (the never-used tail of the newest region), keeping at least 32 bytes of top;
else it returns 0 and the heap maps a region whose space becomes the new top (the old
top goes to a bin). Alignment above 16 is dlmalloc's memalign: allocate size + align
+ 32, give the leading part back as a free chunk and trim the tail.

Every region's data area ends 16 bytes before the region does, with a 0 tag (the
fence that ends the walk), so ``kernel.abi.heap.region_cells`` walks the chunks and
the top chunk (shown free) up to it. A free that leaves a further region wholly one
free chunk notes it; past ``LIBK_HEAP_RELEASE`` such regions (default 1 kept, the top's
in preference), ``release`` gives the others back.
"""

from __future__ import annotations

import struct

from kernel.abi import FORMAT_TAGS, REGION_SIZE, TAG_USED
from userland.libk.heap.arena import Arena, HeapCorruption

USED = TAG_USED
PINUSE = 2
TOP = 4
SIZE_MASK = ~15
HEAD = 16
MIN_CHUNK = 32
FENCE = 16  # the 0 tag ending every region's data area
NBINS = 128
SMALL_LIMIT = 1024  # chunks smaller than this have an exact bin (size >> 4)
O_TOP = 0  # offsets in the arena's state, after the home region's header
O_MAP = 8  # two 64-bit words, one bit per bin
O_BINS = 32
META = O_BINS + 16 * NBINS
HOME_DATA = REGION_SIZE + META

BAD_POINTER = "invalid pointer"
NO_HEADER = "invalid pointer (no block header there)"
DOUBLE_FREE = "double free (the block is already free)"


def bin_index(size: int) -> int:
    """The bin of a chunk of ``size`` bytes (glibc's smallbin and largebin_index_64)."""
    if size < SMALL_LIMIT:
        return size >> 4
    if size >> 6 <= 48:
        return 48 + (size >> 6)
    if size >> 9 <= 20:
        return 91 + (size >> 9)
    if size >> 12 <= 10:
        return 110 + (size >> 12)
    if size >> 15 <= 4:
        return 119 + (size >> 15)
    if size >> 18 <= 2:
        return 124 + (size >> 18)
    return 126


class LibcArena(Arena):
    """dlmalloc-style boundary tags, exact small bins, best-fit large bins, a top chunk."""

    strategy = "libc"
    format = FORMAT_TAGS

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.meta = 0  # the arena's state in the home region
        self.bins = 0  # bin i's head (fd, bk) is at bins + 16 * i
        self.lo: dict[int, int] = {}  # region -> the start of its data area
        self.fence: dict[int, int] = {}  # region -> its end tag (the end of its data area)
        self.empty: list[int] = []  # further regions a free left wholly free

    # ------------------------------------------------------------------ regions
    def setup_region(self, addr: int, length: int, home: bool) -> int:
        mem = self.mem
        fence = addr + length - FENCE
        if home:
            self.meta = addr + REGION_SIZE
            self.bins = bins = self.meta + O_BINS
            heads = [bins + 16 * i - 8 for i in range(NBINS) for _ in (0, 1)]
            mem.write(bins, struct.pack(f"<{2 * NBINS}Q", *heads))
            lo = addr + HOME_DATA
        else:
            lo = addr + REGION_SIZE
            old = mem.load64(self.meta + O_TOP)
            if old:  # the old top's remainder becomes an ordinary free chunk
                size = mem.load64(old) & SIZE_MASK
                mem.store64(old, size | PINUSE)
                mem.store64(old + size - 8, size)
                self._insert(old, size)
        mem.store64(lo, (fence - lo) | PINUSE | TOP)
        mem.store64(self.meta + O_TOP, lo)
        self.lo[addr] = lo
        self.fence[addr] = fence
        return lo - addr

    def release(self) -> list[int]:
        keep = self.heap.cfg.release
        if len(self.empty) <= keep:
            return []
        load = self.mem.load64
        still = []
        for region in self.empty:  # a region noted empty may have been used since
            tag = load(self.lo[region])
            if not tag & USED and self.lo[region] + (tag & SIZE_MASK) == self.fence[region]:
                still.append((bool(tag & TOP), region))
        still.sort()  # the top's region last: it is the one kept
        gone: list[int] = []
        while len(still) > keep:
            is_top, region = still.pop(0)
            if is_top:
                self.mem.store64(self.meta + O_TOP, 0)
            else:
                self._unlink(self.lo[region])
            del self.lo[region], self.fence[region]
            gone.append(region)
        self.empty = [region for _, region in still]
        return gone

    # ------------------------------------------------------------------ bins
    def _insert(self, p: int, size: int) -> None:
        """Push the free chunk ``p`` on the front of its bin."""
        mem = self.mem
        i = size >> 4 if size < SMALL_LIMIT else bin_index(size)
        h = self.bins + 16 * i - 8
        f = mem.load64(h + 8)
        mem.store64(p + 8, f)
        mem.store64(p + 16, h)
        mem.store64(h + 8, p)
        mem.store64(f + 16, p)
        if f == h:  # the bin was empty: mark it in the binmap
            word = self.meta + O_MAP + 8 * (i >> 6)
            mem.store64(word, mem.load64(word) | 1 << (i & 63))

    def _unlink(self, p: int) -> None:
        mem = self.mem
        f = mem.load64(p + 8)
        b = mem.load64(p + 16)
        mem.store64(f + 16, b)
        mem.store64(b + 8, f)

    def _best(self, h: int, nb: int) -> tuple[int, int]:
        """The smallest chunk of at least ``nb`` bytes in the bin whose fake chunk is
        ``h``, unlinked, and its size; (0, 0) if none fits."""
        load = self.mem.load64
        best = size = 0
        p = load(h + 8)
        while p != h:
            s = load(p) & SIZE_MASK
            if s >= nb and (not best or s < size):
                best, size = p, s
                if s == nb:
                    break
            p = load(p + 8)
        if best:
            self._unlink(best)
        return best, size

    def _search(self, i: int, nb: int) -> tuple[int, int]:
        """The smallest chunk of the first non-empty bin from ``i`` on (all its chunks
        are bigger than ``nb``), unlinked, and its size; (0, 0) if every bin is empty."""
        mem = self.mem
        while i < NBINS:
            w = i >> 6
            at = self.meta + O_MAP + 8 * w
            full = mem.load64(at)
            word = full >> (i & 63) << (i & 63)
            while word:
                low = word & -word
                j = (w << 6) + low.bit_length() - 1
                h = self.bins + 16 * j - 8
                v = mem.load64(h + 8)
                if v != h:
                    if j < 64:  # a small bin: its chunks have one size
                        f = mem.load64(v + 8)
                        mem.store64(h + 8, f)
                        mem.store64(f + 16, h)
                        return v, j << 4
                    return self._best(h, nb)
                word ^= low
                full &= ~low
                mem.store64(at, full)  # an empty bin's bit, cleared lazily
            i = (w + 1) << 6
        return 0, 0

    # ------------------------------------------------------------------ alloc
    def alloc(self, size: int, align: int) -> int:
        nb = (size + HEAD + 15) & SIZE_MASK
        if nb < MIN_CHUNK:
            nb = MIN_CHUNK
        if align > 16:
            return self._memalign(nb, align)
        v = self._take(nb)
        return v + HEAD if v else 0

    def _take(self, nb: int) -> int:
        """A chunk of at least ``nb`` bytes marked in use (its successor's PINUSE set),
        or 0 when no bin and not the top has room."""
        mem = self.mem
        if nb < SMALL_LIMIT:
            i = nb >> 4
            h = self.bins + 16 * i - 8
            v = mem.load64(h + 8)
            if v != h:  # the fast path: an exact fit from a small bin
                f = mem.load64(v + 8)
                mem.store64(h + 8, f)
                mem.store64(f + 16, h)
                mem.store64(v, nb | USED | PINUSE)
                t = mem.load64(v + nb)
                if t:
                    mem.store64(v + nb, t | PINUSE)
                self.got = nb - HEAD
                return v
            v, s = self._search(i + 1, nb)
        else:
            i = bin_index(nb)
            v, s = self._best(self.bins + 16 * i - 8, nb)
            if not v:
                v, s = self._search(i + 1, nb)
        if v:
            return self._use(v, s, nb)
        top = mem.load64(self.meta + O_TOP)
        if not top:
            return 0
        s = mem.load64(top) & SIZE_MASK
        if s < nb + MIN_CHUNK:
            return 0
        mem.store64(top + nb, (s - nb) | PINUSE | TOP)
        mem.store64(self.meta + O_TOP, top + nb)
        mem.store64(top, nb | USED | PINUSE)
        self.got = nb - HEAD
        return top

    def _use(self, v: int, s: int, nb: int) -> int:
        """Mark the unlinked free chunk ``v`` (``s`` bytes) in use for ``nb`` bytes,
        splitting off the rest when it is a chunk of its own."""
        mem = self.mem
        rest = s - nb
        if rest >= MIN_CHUNK:
            r = v + nb
            mem.store64(r, rest | PINUSE)
            mem.store64(r + rest - 8, rest)
            self._insert(r, rest)
            mem.store64(v, nb | USED | PINUSE)
            self.got = nb - HEAD
        else:
            mem.store64(v, s | USED | PINUSE)
            t = mem.load64(v + s)
            if t:
                mem.store64(v + s, t | PINUSE)
            self.got = s - HEAD
        return v

    def _memalign(self, nb: int, align: int) -> int:
        """dlmalloc's memalign: over-allocate, give back the lead and the tail."""
        mem = self.mem
        v = self._take(nb + align + MIN_CHUNK)
        if not v:
            return 0
        s = mem.load64(v) & SIZE_MASK
        pin = PINUSE
        a = (v + HEAD + align - 1) & -align
        if a != v + HEAD:
            if a - (v + HEAD) < MIN_CHUNK:
                a += align
            lead = a - HEAD - v
            mem.store64(v, lead | PINUSE)
            mem.store64(v + lead - 8, lead)
            self._insert(v, lead)
            v += lead
            s -= lead
            pin = 0
        if s - nb >= MIN_CHUNK:
            mem.store64(v, nb | USED | pin)
            self._merge(v + nb, s - nb, mem.load64(v + s))
            self.got = nb - HEAD
        else:
            mem.store64(v, s | USED | pin)
            self.got = s - HEAD
        return a

    # ------------------------------------------------------------------ free
    def _check(self, addr: int, region: int) -> tuple[int, int]:
        """The chunk at ``addr`` - 16 and its tag; HeapCorruption unless it is live."""
        blk = addr - HEAD
        fence = self.fence.get(region, 0)
        if addr & 15 or blk < self.lo.get(region, fence) or blk >= fence:
            raise HeapCorruption(addr, BAD_POINTER)
        tag = self.mem.load64(blk)
        size = tag & SIZE_MASK
        if size < MIN_CHUNK or blk + size > fence or tag & 8:
            raise HeapCorruption(addr, NO_HEADER)
        if not tag & USED:
            raise HeapCorruption(addr, DOUBLE_FREE)
        return blk, tag

    def free(self, addr: int, region: int) -> int:
        mem = self.mem
        p, tag = self._check(addr, region)
        size = tag & SIZE_MASK
        freed = size - HEAD
        t = mem.load64(p + size)
        if t and not t & PINUSE:  # the next chunk says this one is free already
            raise HeapCorruption(addr, NO_HEADER)
        if not tag & PINUSE:  # coalesce backwards
            prev = mem.load64(p - 8)
            if prev & 15 or prev < MIN_CHUNK or p - prev < self.lo[region]:
                raise HeapCorruption(addr, NO_HEADER)
            p -= prev
            self._unlink(p)
            size += prev
        size = self._merge(p, size, t)
        whole = p == self.lo[region] and p + size == self.fence[region]
        if whole and region != self.home and region not in self.empty:
            self.empty.append(region)
        return freed

    def _merge(self, p: int, size: int, t: int) -> int:
        """Make ``p`` (``size`` bytes, its predecessor in use, ``t`` its successor's
        tag) a free chunk: coalesce forwards (into the top, or with a free chunk), then
        bin it. Returns its final size."""
        mem = self.mem
        nxt = p + size
        if t & TOP:
            size += t & SIZE_MASK
            mem.store64(p, size | PINUSE | TOP)
            mem.store64(self.meta + O_TOP, p)
            return size
        if t and not t & USED:
            self._unlink(nxt)
            size += t & SIZE_MASK
        elif t:
            mem.store64(nxt, t & ~PINUSE)
        mem.store64(p, size | PINUSE)
        mem.store64(p + size - 8, size)
        self._insert(p, size)
        return size

    # ------------------------------------------------------------------ in place
    def usable(self, addr: int, region: int) -> int:
        return (self._check(addr, region)[1] & SIZE_MASK) - HEAD

    def resize(self, addr: int, region: int, size: int) -> bool:
        mem = self.mem
        blk, tag = self._check(addr, region)
        have = tag & SIZE_MASK
        pin = tag & PINUSE
        nb = (size + HEAD + 15) & SIZE_MASK
        if nb < MIN_CHUNK:
            nb = MIN_CHUNK
        if nb <= have:  # shrink: the tail becomes free if it is a chunk of its own
            if have - nb >= MIN_CHUNK:
                mem.store64(blk, nb | USED | pin)
                self._merge(blk + nb, have - nb, mem.load64(blk + have))
            return True
        t = mem.load64(blk + have)
        if t & TOP:  # grow into the top, leaving it at least a minimal chunk
            total = have + (t & SIZE_MASK)
            if total < nb + MIN_CHUNK:
                return False
            mem.store64(blk + nb, (total - nb) | PINUSE | TOP)
            mem.store64(self.meta + O_TOP, blk + nb)
            mem.store64(blk, nb | USED | pin)
            return True
        if not t or t & USED or have + (t & SIZE_MASK) < nb:
            return False
        self._unlink(blk + have)  # grow into the free chunk after it
        total = have + (t & SIZE_MASK)
        if total - nb >= MIN_CHUNK:
            r = blk + nb
            mem.store64(r, (total - nb) | PINUSE)
            mem.store64(r + total - nb - 8, total - nb)
            self._insert(r, total - nb)
            total = nb
        else:
            n2 = mem.load64(blk + total)
            if n2:
                mem.store64(blk + total, n2 | PINUSE)
        mem.store64(blk, total | USED | pin)
        return True
