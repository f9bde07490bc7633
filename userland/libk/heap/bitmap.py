"""The bitmap strategy (tinymalloc lineage): regions split into 16-byte granules tracked
by two bitmaps, scanned a 64-bit word at a time with find-first-set tricks.

A region follows ``kernel.abi.heap``'s ``FORMAT_BITMAP``: the ``REGION`` header (and,
in a home region, ``META`` bytes a subclass keeps there), the *full summary*, then the
*used* bitmap, then the *end* bitmap (``ceil(cells / 64)`` little-endian words each;
bit i of word j is granule 64*j+i), then the data area of ``cells`` granules. A set
end bit marks the last granule of an allocation: that is where each block's size is
stored, so blocks have no header. Granules past ``cells`` in the last word are marked
used (never handed out). The full summary (before ``data_off``: tools see metadata)
has a bit per used-bitmap word, set while the word is wholly used (and for the bits
past the last word); it changes only when a word fills or stops being full (a load and
a store of the summary word), and a fresh mapping's zeros are right.

The header's ``aux`` word is the region's own state: ``count << 32 | hint``, the
granules in use (a wholly free region has count 0) and the lowest bitmap word that may
have a free granule (every word before it is full, so starting the scan there keeps
the search a true first fit). One load and one store of ``aux`` per call keep both;
when an allocation fills the hint word, the hint moves on to the next word that the
summary word it just stored says is not full.

Splitting and coalescing are implicit in the bitmap: an allocation takes the first
``n`` granules of a free run (the rest of the run stays free: a split), and clearing a
block's used bits merges it with the free granules on both sides (coalescing) with no
extra work. ``LIBK_HEAP_FIT`` chooses first fit (the lowest address; the common case
is one load of ``aux``, one of a used word, a store of it, a load and a store of the
end word and a store of ``aux``: 6 accesses) or best fit (the smallest free run that
fits, which scans every word of every region). A free is 6 accesses too.

When the hint word has no room, first fit reads only the words the summary says are
not full, up to 7 consecutive words in one access (56 bytes: one ``unpack``, within the
page); a block that spans words is marked or cleared with one ``fill`` of the words
wholly inside it, and the end of a long block is found 7 end words an access.

The Python object caches each region's geometry (addresses derived from its header,
fixed once the region is laid out) and the last block it handed out or measured
(``last``, ``got``: the heap asks its usable size right after an alloc, and a realloc
asks it before it resizes); everything that changes lives in memory.
"""

from __future__ import annotations

from kernel.abi import FORMAT_BITMAP, REGION_OFF, REGION_SIZE
from userland.libk.heap.arena import Arena, HeapCorruption
from userland.libk.heap.bitmapfit import HINT, M64, FitSearch, Geo, _low, _runs

O_MAP = REGION_OFF["map_off"]
O_CELLS = REGION_OFF["cells"]
O_AUX = REGION_OFF["aux"]

NOT_START = "invalid pointer (not the start of a block)"
DOUBLE = "double free (the block is already free)"
INSIDE = "invalid pointer (inside a block)"
DAMAGED = "heap corrupted (the bitmap of the block is damaged)"


class BitmapArena(FitSearch, Arena):
    """Granules tracked by a used bitmap and an end bitmap (see the module docstring)."""

    strategy = "bitmap"
    format = FORMAT_BITMAP
    granule = 16
    META = 0  # bytes after the home region's header that a subclass keeps

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.geo: dict[int, Geo] = {}
        self.load = self.mem.load64  # bound once: the hot paths call them most
        self.store = self.mem.store64
        self.pg = self.heap.page
        self.best = self.heap.cfg.fit == "best"
        self.masks: dict[tuple[int, int], int] = {}  # (phase, step) -> aligned granules
        self.last = 0  # the block alloc returned (or usable measured) last, and its size
        self.got = 0
        self.maybe_empty = False  # a further region's count reached 0: release looks

    # ------------------------------------------------------------------ regions
    def setup_region(self, addr: int, length: int, home: bool) -> int:
        mem = self.mem
        sum_off = REGION_SIZE + (self.META if home else 0)
        avail = length - sum_off
        words = -(-avail // 1040)  # 64 granules and their 2 bits each: 1040 bytes a word
        avail -= 16 * -(-words // 128)  # and the summary's bits (in 16-byte steps)
        cells = min(64 * words, (avail - 16 * words) // 16)
        words = -(-cells // 64)
        sw = -(-words // 64)
        map_off = sum_off + 16 * -(-sw // 2)
        data_off = map_off + 16 * words
        mem.store64(addr + O_MAP, map_off)
        mem.store64(addr + O_CELLS, cells)
        mem.store64(addr + O_AUX, 0)
        used = addr + map_off
        fsum = addr + sum_off
        if cells & 63:  # the granules past the end of the last word are never free
            mem.store64(used + 8 * (words - 1), (M64 << (cells & 63)) & M64)
        if words & 63:  # nor are the words past the last
            mem.store64(fsum + 8 * (sw - 1), (M64 << (words & 63)) & M64)
        self.geo[addr] = (addr + data_off, cells, used, used + 8 * words, addr + O_AUX, words, fsum)
        if home:
            self.setup_home(addr)
        return data_off

    def setup_home(self, addr: int) -> None:
        """Lay out the home region's ``META`` bytes (a subclass's)."""

    def region_length(self, size: int, align: int) -> int:
        cells = ((size + 15) >> 4) + (align >> 4)
        maps = 16 * (cells // 64 + 2) + 16 * (cells // 8192 + 1)
        need = REGION_SIZE + self.META + 16 * cells + maps + self.heap.page
        length = self.heap.cfg.region
        while length < need:
            length *= 2
        return length

    def release(self) -> list[int]:
        if not self.maybe_empty:
            return []
        self.maybe_empty = False
        load = self.mem.load64
        empty = [r for r in self.regions[1:] if not load(r + O_AUX) >> 32]
        gone = empty[self.heap.cfg.release :]
        for r in gone:
            del self.geo[r]
        return gone

    # ------------------------------------------------------------------ summaries
    def _sum(self, base: int, js: list[int], on: bool, hint: int = -1) -> int:
        """Set (``on``) or clear the bits of words ``js`` (ascending) of a summary, a
        summary word at a time. Setting full bits, pass the ``hint``: if it is one of
        ``js``, it moves to the next word that is not full; returns it."""
        load, store = self.load, self.store
        k = js[0] >> 6
        s = load(base + (k << 3))
        for j in js:
            if j >> 6 != k:
                store(base + (k << 3), s)
                if hint >> 6 == k:
                    hint = self._next_free(s, hint)
                k = j >> 6
                s = load(base + (k << 3))
            if on:
                s |= 1 << (j & 63)
            else:
                s &= ~(1 << (j & 63))
        store(base + (k << 3), s)
        if hint >> 6 == k:
            hint = self._next_free(s, hint)
        return hint

    @staticmethod
    def _next_free(s: int, hint: int) -> int:
        """The first word at or after ``hint`` whose bit of full-summary word ``s`` (the
        one ``hint`` is in) is clear; the next summary word's first if none is."""
        t = ~s & M64 >> (hint & 63) << (hint & 63)
        return ((hint >> 6) << 6) + _low(t) if t else ((hint >> 6) + 1) << 6

    # ------------------------------------------------------------------ allocating
    def alloc(self, size: int, align: int) -> int:
        n = (size + 15) >> 4 or 1
        geo = self.geo
        if align == 16 and n <= 64 and not self.best:  # the first region's hint word
            data, _, used, end, aux, words, fsum = geo[self.home]
            load = self.load
            a = load(aux)
            j = a & HINT
            if j < words:
                ua = used + (j << 3)
                w = load(ua)
                x = _runs(w, n)
                if x:
                    b = (x & -x).bit_length() - 1
                    store = self.store
                    nw = w | (((1 << n) - 1) << b)
                    store(ua, nw)
                    ea = end + (j << 3)
                    store(ea, load(ea) | (1 << (b + n - 1)))
                    if nw == M64:  # full: the hint moves on
                        a += self._sum(fsum, [j], True, j) - j
                    store(aux, a + (n << 32))
                    addr = data + (((j << 6) + b) << 4)
                    self.last = addr
                    self.got = n << 4
                    return addr
        for region in self.regions:
            g = geo[region]
            addr = self._best(g, n, align) if self.best else self._first(g, n, align)
            if addr:
                self.last = addr
                self.got = n << 4
                return addr
        return 0

    def _take(self, g: Geo, s: int, n: int, a: int, hint: int, w0: int = -1) -> int:
        """Mark granules s..s+n-1 used (``w0``: the first word's value if known), their
        end bit, the summaries, and the count and ``hint`` in ``aux``."""
        load, store = self.load, self.store
        last = s + n - 1
        ea = g[3] + ((last >> 6) << 3)
        store(ea, load(ea) | (1 << (last & 63)))
        hint = self._fill(g, s, n, w0, -1, hint)
        store(g[4], a + (n << 32) - (a & HINT) + hint)
        return g[0] + (s << 4)

    def _fill(
        self, g: Geo, s: int, n: int, head: int, tail: int, hint: int = -1, on: bool = True
    ) -> int:
        """Set (``on``: they are all clear) or clear (they are all set) used bits
        s..s+n-1: the words wholly inside with one fill, the partial first and last
        words (``head``, ``tail``: their values, -1 to load them) with a load and a
        store; then the full summary. Returns ``hint`` moved past words now full."""
        load, store = self.load, self.store
        used = g[2]
        last = s + n - 1
        j, jl = s >> 6, last >> 6
        if j == jl:
            parts = [(j, head, ((1 << n) - 1) << (s & 63))]
            whole = []
        else:
            parts = [(j, head, (M64 << (s & 63)) & M64)] if s & 63 else []
            lo, hi = (s + 63) >> 6, (last + 1) >> 6  # the words wholly inside
            if lo < hi:
                self.mem.fill(used + (lo << 3), 0xFF if on else 0, (hi - lo) << 3)
            whole = list(range(lo, hi))
            if (last + 1) & 63:
                parts.append((jl, tail, (1 << ((last & 63) + 1)) - 1))
        for k, w, mask in parts:
            wa = used + (k << 3)
            if w < 0:
                w = load(wa)
            store(wa, w | mask if on else w & ~mask)
            if (w | mask if on else w) == M64:
                whole.append(k)
        return self._sum(g[6], sorted(whole), on, hint) if whole else hint

    # ------------------------------------------------------------------ freeing
    def free(self, addr: int, region: int) -> int:
        g = self.geo[region]
        _, _, used, end, aux, _, fsum = g
        load, store = self.load, self.store
        i, w, e = self._check(addr, g)
        j = i >> 6
        b = i & 63
        ua = used + (j << 3)
        ea = end + (j << 3)
        t = e >> b
        if t:  # the block ends in this word
            k = _low(t) + 1
            mask = ((1 << k) - 1) << b
            if w & mask != mask:
                raise HeapCorruption(addr, DAMAGED)
            store(ua, w ^ mask)
            store(ea, e ^ (1 << (b + k - 1)))
            if w == M64:
                self._sum(fsum, [j], False)
            n = k
        else:
            n = self._clear_long(addr, g, j, w, b)
        a = load(aux) - (n << 32)
        if j < a & HINT:
            a = a - (a & HINT) + j
        store(aux, a)
        if not a >> 32 and region != self.home:
            self.maybe_empty = True
        if addr == self.last:
            self.last = 0
        return n << 4

    def _clear_long(self, addr: int, g: Geo, j: int, w: int, b: int) -> int:
        """Clear a block that starts at bit ``b`` of word ``j`` (value ``w``) and runs
        past it, and its full-summary bits; returns its granules. The words after are
        read a few at a time (one access for up to 7), the ones inside cleared with
        one fill."""
        used, end = g[2], g[3]
        if w >> b != M64 >> b:
            raise HeapCorruption(addr, DAMAGED)
        jl, el = self._next_set(end, j + 1)  # the word the block ends in
        ws = self._read(used + ((j + 1) << 3), jl - j)
        wl = ws[-1]
        k = _low(el) + 1
        mask = (1 << k) - 1
        if wl & mask != mask or any(x != M64 for x in ws[:-1]):
            raise HeapCorruption(addr, DAMAGED)
        store = self.store
        store(used + (j << 3), w & ((1 << b) - 1))
        if jl > j + 1:
            self.mem.fill(used + ((j + 1) << 3), 0, (jl - j - 1) << 3)
        store(used + (jl << 3), wl ^ mask)
        store(end + (jl << 3), el ^ (1 << (k - 1)))
        unfull = ([j] if w == M64 else []) + list(range(j + 1, jl)) + ([jl] if wl == M64 else [])
        if unfull:
            self._sum(g[6], unfull, False)
        return 64 - b + ((jl - j - 1) << 6) + k

    def _check(self, addr: int, g: Geo) -> tuple[int, int, int]:
        """(granule, its used word, its end word) of the live block at ``addr``; raise
        HeapCorruption for an address that is not one's start."""
        data, cells, used, end = g[:4]
        load = self.load
        off = addr - data
        if off < 0 or off & 15 or off >= cells << 4:
            raise HeapCorruption(addr, NOT_START)
        i = off >> 4
        j, b = (i >> 6) << 3, i & 63
        w = load(used + j)
        if not (w >> b) & 1:
            raise HeapCorruption(addr, DOUBLE)
        e = load(end + j)
        if b:
            if (w >> (b - 1)) & 1 and not (e >> (b - 1)) & 1:
                raise HeapCorruption(addr, INSIDE)
        elif i and load(used + j - 8) >> 63 and not load(end + j - 8) >> 63:
            raise HeapCorruption(addr, INSIDE)
        return i, w, e

    def _block(self, addr: int, region: int) -> tuple[int, int]:
        """(first granule, granules) of the live block at ``addr`` (a load of its used
        word and one of its end word, a few more for a long block)."""
        g = self.geo[region]
        i, _, e = self._check(addr, g)
        j = i >> 6
        t = e >> (i & 63) << (i & 63)
        if not t:
            j, t = self._next_set(g[3], j + 1)
        return i, (j << 6) + _low(t) - i + 1

    def usable(self, addr: int, region: int) -> int:
        if addr != self.last:
            self.got = self._block(addr, region)[1] << 4
            self.last = addr  # remembered: realloc asks, then resizes
        return self.got

    def resize(self, addr: int, region: int, size: int) -> bool:
        g = self.geo[region]
        data, cells, _, end, aux = g[:5]
        if addr == self.last:  # usable checked it just now
            i, n = (addr - data) >> 4, self.got >> 4
        else:
            i, n = self._block(addr, region)
        m = (size + 15) >> 4 or 1
        if m != n:
            if m > n and (i + m > cells or not self._grow(g, i + n, m - n)):
                return False
            if m < n:
                self._fill(g, i + m, n - m, -1, -1, on=False)
            load, store = self.load, self.store
            old, new = i + n - 1, i + m - 1  # the end bit moves
            ea, eb = end + ((old >> 6) << 3), end + ((new >> 6) << 3)
            if ea == eb:
                store(ea, load(ea) ^ (1 << (old & 63)) ^ (1 << (new & 63)))
            else:
                store(ea, load(ea) & ~(1 << (old & 63)))
                store(eb, load(eb) | (1 << (new & 63)))
            a = load(aux) + ((m - n) << 32)
            j = (i + m) >> 6
            if m < n and j < a & HINT:
                a = a - (a & HINT) + j
            store(aux, a)
        self.last = addr
        self.got = m << 4
        return True

    def _grow(self, g: Geo, i: int, n: int) -> bool:
        """Take granules i..i+n-1 if they are all free (their words read a few at a
        time)."""
        j, jl = i >> 6, (i + n - 1) >> 6
        ws = self._read(g[2] + (j << 3), jl - j + 1)
        last = i + n - 1
        if j == jl:
            if ws[0] & (((1 << n) - 1) << (i & 63)):
                return False
        elif ws[0] >> (i & 63) or ws[-1] & ((2 << (last & 63)) - 1) or any(ws[1:-1]):
            return False
        self._fill(g, i, n, ws[0], ws[-1])
        return True
