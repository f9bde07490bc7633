"""The bitmap strategy (tinymalloc lineage): regions split into 16-byte granules tracked
by two bitmaps, scanned a 64-bit word at a time with find-first-set tricks.

A region follows ``kernel.abi.heap``'s ``FORMAT_BITMAP``: the ``REGION`` header (and,
in a home region, ``META`` bytes a subclass keeps there), then the *used* bitmap, then
the *end* bitmap (``ceil(cells / 64)`` little-endian words each; bit i of word j is
granule 64*j+i), then the data area of ``cells`` granules. A set end bit marks the last
granule of an allocation: that is where each block's size is stored, so blocks have no
header. Granules past ``cells`` in the last word are marked used (never handed out).

The header's ``aux`` word is the region's own state: ``count << 32 | hint``, the
granules in use (a wholly free region has count 0) and the lowest bitmap word that may
have a free granule (every word before it is full, so starting the scan there keeps
the search a true first fit). One load and one store of ``aux`` per call keep both.

Splitting and coalescing are implicit in the bitmap: an allocation takes the first
``n`` granules of a free run (the rest of the run stays free: a split), and clearing a
block's used bits merges it with the free granules on both sides (coalescing) with no
extra work. ``LIBK_HEAP_FIT`` chooses first fit (the lowest address; the common case
is one load of ``aux``, one of a used word, a store of it, a load and a store of the
end word and a store of ``aux``: 6 accesses) or best fit (the smallest free run that
fits, which scans every word of every region). A free is 6 accesses too.

The Python object caches each region's geometry (addresses derived from its header,
fixed once the region is laid out) and the last block it handed out (the heap asks
its usable size right away); everything that changes lives in memory.
"""

from __future__ import annotations

from kernel.abi import FORMAT_BITMAP, REGION_OFF, REGION_SIZE
from userland.libk.heap.arena import Arena, HeapCorruption

O_MAP = REGION_OFF["map_off"]
O_CELLS = REGION_OFF["cells"]
O_AUX = REGION_OFF["aux"]
M64 = (1 << 64) - 1
COUNT = 1 << 32  # aux: the used-granule count in the high half, the hint in the low
HINT = COUNT - 1

NOT_START = "invalid pointer (not the start of a block)"
DOUBLE = "double free (the block is already free)"
INSIDE = "invalid pointer (inside a block)"
DAMAGED = "heap corrupted (the bitmap of the block is damaged)"

# (data, cells, used map, end map, aux address, words) of one region
Geo = tuple[int, int, int, int, int, int]


def _low(x: int) -> int:
    """The index of the lowest set bit of ``x`` (find-first-set; ``x`` != 0)."""
    return (x & -x).bit_length() - 1


class BitmapArena(Arena):
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
        self.best = self.heap.cfg.fit == "best"
        self.masks: dict[tuple[int, int], int] = {}  # (phase, step) -> aligned granules
        self.last = 0  # the block alloc returned last, and its usable size
        self.last_size = 0
        self.maybe_empty = False  # a further region's count reached 0: release looks

    # ------------------------------------------------------------------ regions
    def setup_region(self, addr: int, length: int, home: bool) -> int:
        mem = self.mem
        map_off = REGION_SIZE + (self.META if home else 0)
        avail = length - map_off
        words = -(-avail // 1040)  # 64 granules and their 2 bits each: 1040 bytes a word
        cells = min(64 * words, (avail - 16 * words) // 16)
        words = -(-cells // 64)
        data_off = map_off + 16 * words
        mem.store64(addr + O_MAP, map_off)
        mem.store64(addr + O_CELLS, cells)
        mem.store64(addr + O_AUX, 0)
        used = addr + map_off
        if cells & 63:  # the granules past the end of the last word are never free
            mem.store64(used + 8 * (words - 1), (M64 << (cells & 63)) & M64)
        self.geo[addr] = (addr + data_off, cells, used, used + 8 * words, addr + O_AUX, words)
        if home:
            self.setup_home(addr)
        return data_off

    def setup_home(self, addr: int) -> None:
        """Lay out the home region's ``META`` bytes (a subclass's)."""

    def region_length(self, size: int, align: int) -> int:
        cells = ((size + 15) >> 4) + (align >> 4)
        need = REGION_SIZE + self.META + 16 * cells + 16 * (cells // 64 + 2) + self.heap.page
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

    # ------------------------------------------------------------------ allocating
    def alloc(self, size: int, align: int) -> int:
        n = (size + 15) >> 4 or 1
        geo = self.geo
        if align == 16 and n <= 64 and not self.best:  # the first region's hint word
            data, _, used, end, aux, words = geo[self.home]
            load = self.load
            a = load(aux)
            j = a & HINT
            if j < words:
                ua = used + (j << 3)
                w = load(ua)
                x = ~w & M64
                k = 1
                while k << 1 <= n:
                    x &= x >> k
                    k <<= 1
                if k < n:
                    x &= x >> (n - k)
                if x:
                    b = (x & -x).bit_length() - 1
                    store = self.store
                    store(ua, w | (((1 << n) - 1) << b))
                    ea = end + (j << 3)
                    store(ea, load(ea) | (1 << (b + n - 1)))
                    store(aux, a + (n << 32))
                    addr = data + (((j << 6) + b) << 4)
                    self.last = addr
                    self.last_size = n << 4
                    return addr
        for region in self.regions:
            g = geo[region]
            addr = self._best(g, n, align) if self.best else self._first(g, n, align)
            if addr:
                self.last = addr
                self.last_size = n << 4
                return addr
        return 0

    def _mask(self, data: int, align: int) -> tuple[int, int, int]:
        """(phase, step, mask): granule i's address is ``align``-aligned iff i % step ==
        phase; mask has those bits of a word set (-1 when they differ word to word)."""
        step = align >> 4
        phase = ((-data) % align) >> 4
        if step > 64:
            return phase, step, -1
        key = (phase, step)
        mask = self.masks.get(key)
        if mask is None:
            mask = self.masks[key] = sum(1 << k for k in range(phase % step, 64, step))
        return phase, step, mask

    def _first(self, g: Geo, n: int, align: int) -> int:
        """First fit in one region: the lowest aligned run of ``n`` free granules."""
        data, cells, used, end, aux, words = g
        mem = self.mem
        load = mem.load64
        a = load(aux)
        if (a >> 32) + n > cells:
            return 0
        j = a & HINT
        if align == 16:
            phase, step, amask = 0, 1, M64
        else:
            phase, step, amask = self._mask(data, align)
        first = -1  # the first word with a free granule: the new hint
        carry = -1  # where a free run that reaches the end of the last word started
        while j < words:
            w = load(used + 8 * j)
            if w == M64:
                carry = -1
                j += 1
                continue
            if first < 0:
                first = j
            base = j << 6
            if carry >= 0:  # the run from the previous words, and this word's low free bits
                s = carry + (phase - carry) % step
                if s + n <= base + (_low(w) if w else 64):
                    return self._take(g, s, n, a, first)
                if w:
                    carry = -1
            if n <= 64:  # bit p of x: granules p..p+n-1 of this word are free
                x = ~w & M64
                k = 1
                while k << 1 <= n:
                    x &= x >> k
                    k <<= 1
                if k < n:
                    x &= x >> (n - k)
                if amask >= 0:
                    x &= amask
                else:
                    i0 = (phase - base) % step
                    x &= 1 << i0 if i0 < 64 else 0
                if x:
                    b = _low(x)
                    mem.store64(used + 8 * j, w | (((1 << n) - 1) << b))
                    ea = end + 8 * j
                    mem.store64(ea, load(ea) | (1 << (b + n - 1)))
                    mem.store64(aux, a + (n << 32) - (a & HINT) + first)
                    return data + ((base + b) << 4)
            if not w:
                if carry < 0:
                    carry = base
            elif not w >> 63:
                carry = base + w.bit_length()
            j += 1
        if first < 0:
            first = words
        if first != a & HINT:
            mem.store64(aux, a - (a & HINT) + first)
        return 0

    def _best(self, g: Geo, n: int, align: int) -> int:
        """Best fit in one region: the smallest free run an aligned block fits in."""
        data, cells, used, _, aux, words = g
        load = self.mem.load64
        a = load(aux)
        if (a >> 32) + n > cells:
            return 0
        phase, step, _ = self._mask(data, align) if align > 16 else (0, 1, 0)
        best_len = 1 << 62
        best_at = -1
        run = -1

        def close(start: int, stop: int) -> bool:
            nonlocal best_len, best_at
            s = start + (phase - start) % step
            if s + n <= stop and stop - start < best_len:
                best_len, best_at = stop - start, s
            return best_len == n

        for j in range(a & HINT, words):
            w = load(used + 8 * j)
            base = j << 6
            if w == M64:
                if run >= 0:
                    if close(run, base):
                        break
                    run = -1
                continue
            if not w:
                if run < 0:
                    run = base
                continue
            pos = 0
            while pos < 64:
                t = w >> pos
                if t & 1:  # used here: close the run, skip to the next free granule
                    if run >= 0:
                        if close(run, base + pos):
                            break
                        run = -1
                    f = ~t & (M64 >> pos)
                    if not f:
                        break
                    pos += _low(f)
                else:
                    if run < 0:
                        run = base + pos
                    if not t:
                        break
                    pos += _low(t)
            if best_len == n:
                break
        else:
            if run >= 0:
                close(run, words << 6)
        if best_at < 0:
            return 0
        return self._take(g, best_at, n, a, a & HINT)

    def _take(self, g: Geo, s: int, n: int, a: int, hint: int) -> int:
        """Mark granules s..s+n-1 used (word by word), their end bit, and the count."""
        data, _, used, end, aux, _ = g
        mem = self.mem
        load, store = mem.load64, mem.store64
        i, left = s, n
        while left:
            b = i & 63
            k = min(64 - b, left)
            wa = used + ((i >> 6) << 3)
            store(wa, load(wa) | (((1 << k) - 1) << b))
            i += k
            left -= k
        last = s + n - 1
        ea = end + ((last >> 6) << 3)
        store(ea, load(ea) | (1 << (last & 63)))
        store(aux, a + (n << 32) - (a & HINT) + hint)
        return data + (s << 4)

    # ------------------------------------------------------------------ freeing
    def free(self, addr: int, region: int) -> int:
        data, cells, used, end, aux, _ = self.geo[region]
        load, store = self.load, self.store
        off = addr - data
        if off < 0 or off & 15 or off >= cells << 4:
            raise HeapCorruption(addr, NOT_START)
        i = off >> 4
        j = i >> 6
        b = i & 63
        ua = used + (j << 3)
        ea = end + (j << 3)
        w = load(ua)
        if not (w >> b) & 1:
            raise HeapCorruption(addr, DOUBLE)
        e = load(ea)
        if b:
            if (w >> (b - 1)) & 1 and not (e >> (b - 1)) & 1:
                raise HeapCorruption(addr, INSIDE)
        elif i and load(ua - 8) >> 63 and not load(ea - 8) >> 63:
            raise HeapCorruption(addr, INSIDE)
        t = e >> b
        if t:  # the block ends in this word
            k = _low(t) + 1
            mask = ((1 << k) - 1) << b
            if w & mask != mask:
                raise HeapCorruption(addr, DAMAGED)
            store(ua, w ^ mask)
            store(ea, e ^ (1 << (b + k - 1)))
            n = k
        else:
            n = self._clear_long(addr, ua, ea, w, b)
        a = load(aux) - (n << 32)
        if j < a & HINT:
            a = a - (a & HINT) + j
        store(aux, a)
        if not a >> 32 and region != self.home:
            self.maybe_empty = True
        if addr == self.last:
            self.last = 0
        return n << 4

    def _clear_long(self, addr: int, ua: int, ea: int, w: int, b: int) -> int:
        """Clear a block that runs past its first word; returns its granules."""
        load, store = self.mem.load64, self.mem.store64
        if w >> b != M64 >> b:
            raise HeapCorruption(addr, DAMAGED)
        store(ua, w & ((1 << b) - 1))
        n = 64 - b
        while True:
            ua += 8
            ea += 8
            w = load(ua)
            e = load(ea)
            if e:
                k = _low(e) + 1
                mask = (1 << k) - 1
                if w & mask != mask:
                    raise HeapCorruption(addr, DAMAGED)
                store(ua, w ^ mask)
                store(ea, e ^ (1 << (k - 1)))
                return n + k
            if w != M64:
                raise HeapCorruption(addr, DAMAGED)
            store(ua, 0)
            n += 64

    # ------------------------------------------------------------------ inspecting
    def _block(self, addr: int, region: int) -> tuple[int, int]:
        """(first granule, granules) of the live block at ``addr``; raises
        HeapCorruption as free would."""
        data, cells, used, end, _, _ = self.geo[region]
        off = addr - data
        if off < 0 or off & 15 or off >= cells << 4:
            raise HeapCorruption(addr, NOT_START)
        i = off >> 4
        if not self._bit(used, i):
            raise HeapCorruption(addr, DOUBLE)
        if i and self._bit(used, i - 1) and not self._bit(end, i - 1):
            raise HeapCorruption(addr, INSIDE)
        return i, self._end_of(end, i) - i + 1

    def _bit(self, bitmap: int, i: int) -> int:
        return (self.mem.load64(bitmap + ((i >> 6) << 3)) >> (i & 63)) & 1

    def _end_of(self, end: int, i: int) -> int:
        """The granule of the first end bit at or after granule ``i``."""
        load = self.mem.load64
        j = i >> 6
        t = load(end + 8 * j) >> (i & 63) << (i & 63)
        while not t:
            j += 1
            t = load(end + 8 * j)
        return (j << 6) + _low(t)

    def usable(self, addr: int, region: int) -> int:
        if addr == self.last:
            return self.last_size
        return self._block(addr, region)[1] << 4

    def resize(self, addr: int, region: int, size: int) -> bool:
        i, n = self._block(addr, region)
        m = (size + 15) >> 4 or 1
        if m == n:
            return True
        data, cells, used, end, aux, _ = self.geo[region]
        mem = self.mem
        load, store = mem.load64, mem.store64
        if m > n:  # grow: the granules after the block must be free
            if i + m > cells:
                return False
            if not self._clear(used, i + n, m - n):
                return False
            self._set_bits(used, i + n, m - n, True)
        else:
            self._set_bits(used, i + m, n - m, False)
        self._set_bits(end, i + n - 1, 1, False)
        self._set_bits(end, i + m - 1, 1, True)
        a = load(aux) + ((m - n) << 32)
        j = (i + m) >> 6
        if m < n and j < a & HINT:
            a = a - (a & HINT) + j
        store(aux, a)
        if addr == self.last:
            self.last = 0
        return True

    def _clear(self, bitmap: int, i: int, n: int) -> bool:
        """Whether bits i..i+n-1 of a bitmap are all clear (a word at a time)."""
        load = self.mem.load64
        while n:
            b = i & 63
            k = min(64 - b, n)
            if load(bitmap + ((i >> 6) << 3)) & (((1 << k) - 1) << b):
                return False
            i += k
            n -= k
        return True

    def _set_bits(self, bitmap: int, i: int, n: int, on: bool) -> None:
        """Set (``on``) or clear bits i..i+n-1 of a bitmap, a word at a time."""
        load, store = self.mem.load64, self.mem.store64
        while n:
            b = i & 63
            k = min(64 - b, n)
            wa = bitmap + ((i >> 6) << 3)
            mask = ((1 << k) - 1) << b
            w = load(wa)
            store(wa, w | mask if on else w & ~mask)
            i += k
            n -= k
