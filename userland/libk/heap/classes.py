"""The classes strategy (tinymalloc v0.4): size classes served from slabs, in front of
the bitmap strategy.

Requests of at most ``MAX_SMALL`` bytes (alignment 16) are rounded up to a class (16-byte
steps to 128, then about 25% steps to 512) and served from a *slab*: ``SLAB`` bytes
taken from the bitmap as one block aligned to ``SLAB``, cut into equal slots. A slab
starts with its header:

====== ==================================================================
offset
0      ``slab ^ SLAB_KEY ^ class``: the slab magic (and its class)
8      the next slab of the class's list, ``| LISTED`` while it is on it
16     the previous slab of the class's list (0: it is the head)
24     the slot bitmap, one 64-bit word per 64 slots, a set bit = a free slot
====== ==================================================================

and its slots follow (``HDR[class]`` bytes in). The home region keeps, after its
header, one word per class: the head of the class's list of slabs with free slots,
``slab | word`` (the slot word to take from next). An allocation is find-first-set on
that word: a load of the head, a load and a store of the word (3 accesses). A free
finds the slab by address arithmetic (``addr & ~(SLAB - 1)``), checks the magic, and
sets the slot's bit (3 accesses; a bit already set is a double free, an address that
is not a slot's start an invalid pointer). A full slab leaves its list and comes back
on its first free; a wholly free slab goes back to the bitmap, unless it is its class's
head in the home region (kept, so an alloc/free loop does not make and unmake slabs).

Bigger requests (or ones aligned beyond 16) go to the bitmap as in ``BitmapArena``.
The regions stay ``FORMAT_BITMAP`` for tools: a slab shows as a run of used granules.
A retired slab's magic is cleared, so stale bytes never pass for a slab; a block of the
bitmap whose first word an (invalid) program forged into a slab magic could fool the
check, as a forged chunk header fools dlmalloc's.
"""

from __future__ import annotations

from kernel.abi import REGION_SIZE
from userland.libk.heap.arena import HeapCorruption
from userland.libk.heap.bitmap import DOUBLE, INSIDE, M64, NOT_START, BitmapArena

SLAB = 4096
SLAB_MASK = ~(SLAB - 1)
SLAB_KEY = 0x5AB5_1AB0_C1A5_5000  # the low 12 bits are 0: a class number fits there
LISTED = 1
O_WORDS = 24
SIZES = (16, 32, 48, 64, 80, 96, 112, 128, 160, 208, 256, 320, 400, 512)
NCLASSES = len(SIZES)
MAX_SMALL = SIZES[-1]


def _geometry(size: int) -> tuple[int, int, int]:
    """(header bytes, slots, slot words) of a slab of ``size``-byte slots."""
    words = 1
    while True:
        hdr = (O_WORDS + 8 * words + 15) & ~15
        slots = (SLAB - hdr) // size
        need = -(-slots // 64)
        if need <= words:
            return hdr, slots, words
        words = need


HDR = tuple(_geometry(z)[0] for z in SIZES)
SLOTS = tuple(_geometry(z)[1] for z in SIZES)
WORDS = tuple(_geometry(z)[2] for z in SIZES)
#: the value of each slot word of an empty slab, by class
FULL = tuple(
    tuple(
        M64 if 64 * (k + 1) <= SLOTS[c] else (1 << (SLOTS[c] - 64 * k)) - 1 for k in range(WORDS[c])
    )
    for c in range(NCLASSES)
)
#: the class of a request, by ``(size + 15) >> 4``
CLASS_OF = tuple(
    next(c for c, z in enumerate(SIZES) if z >= 16 * q) for q in range(MAX_SMALL // 16 + 1)
)


class ClassesArena(BitmapArena):
    """Slabs of size classes for small blocks, the bitmap for the rest."""

    strategy = "classes"
    META = (8 * NCLASSES + 15) & ~15

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.heads = 0  # the class heads' array, in the home region
        self.home_end = 0

    def setup_home(self, addr: int) -> None:
        self.heads = addr + REGION_SIZE  # a fresh mapping: every head is 0 already
        self.home_end = addr + self.heap.regions[addr].length

    # ------------------------------------------------------------------ allocating
    def alloc(self, size: int, align: int) -> int:
        if size > MAX_SMALL or align > 16:
            return BitmapArena.alloc(self, size, align)
        c = CLASS_OF[(size + 15) >> 4]
        load = self.load
        h = load(self.heads + 8 * c)
        if h:
            s = h & SLAB_MASK
            wi = h & 7
            wa = s + O_WORDS + (wi << 3)
            w = load(wa)
            if w:
                bit = w & -w
                self.store(wa, w ^ bit)
                z = SIZES[c]
                addr = s + HDR[c] + ((wi << 6) + bit.bit_length() - 1) * z
                self.last = addr
                self.got = z
                return addr
        return self._alloc_slow(c)

    def _alloc_slow(self, c: int) -> int:
        """The class's head slab has no free slot in its current word: find another
        word, drop the slab if it is full, or make a slab."""
        mem = self.mem
        load, store = mem.load64, mem.store64
        ha = self.heads + 8 * c
        while True:
            h = load(ha)
            if not h:
                s = BitmapArena.alloc(self, SLAB, SLAB)
                if not s:
                    return 0
                store(s, s ^ SLAB_KEY ^ c)
                store(s + 8, LISTED)
                store(s + 16, 0)
                for k, full in enumerate(FULL[c]):
                    store(s + O_WORDS + 8 * k, full)
                store(ha, s)
                continue
            s = h & SLAB_MASK
            for wi in range(WORDS[c]):
                if load(s + O_WORDS + 8 * wi):
                    store(ha, s | wi)
                    return self.alloc(SIZES[c], 16)
            nxt = load(s + 8) & SLAB_MASK  # full: it leaves the list until a slot is freed
            store(s + 8, 0)
            if nxt:
                store(nxt + 16, 0)
            store(ha, nxt)

    # ------------------------------------------------------------------ freeing
    def _slab(self, addr: int, region: int) -> int:
        """The class of the slab ``addr`` is in (-1: not in a slab)."""
        s = addr & SLAB_MASK
        data, cells = self.geo[region][:2]
        if not data <= s < data + (cells << 4):
            return -1
        c = self.mem.load64(s) ^ SLAB_KEY ^ s
        if c >= NCLASSES:
            return -1
        if addr == s:
            raise HeapCorruption(addr, NOT_START)
        return c

    def _slot(self, addr: int, c: int) -> tuple[int, int, int]:
        """(slot word address, its bit, its value) of the live slot at ``addr``."""
        s = addr & SLAB_MASK
        off = addr - s - HDR[c]
        k, rem = divmod(off, SIZES[c])
        if off < 0 or k >= SLOTS[c]:
            raise HeapCorruption(addr, NOT_START)
        if rem:
            raise HeapCorruption(addr, INSIDE if not rem & 15 else NOT_START)
        wa = s + O_WORDS + ((k >> 6) << 3)
        w = self.mem.load64(wa)
        bit = 1 << (k & 63)
        if w & bit:
            raise HeapCorruption(addr, DOUBLE)
        return wa, bit, w

    def free(self, addr: int, region: int) -> int:
        s = addr & SLAB_MASK
        data, cells = self.geo[region][:2]
        if data <= s < data + (cells << 4):
            c = self.load(s) ^ SLAB_KEY ^ s
            if c < NCLASSES:
                off = addr - s - HDR[c]
                z = SIZES[c]
                k = off // z
                if off >= 0 and off == k * z and k < SLOTS[c]:
                    wi = k >> 6
                    wa = s + O_WORDS + (wi << 3)
                    w = self.load(wa)
                    bit = 1 << (k & 63)
                    if not w & bit:
                        self.store(wa, w | bit)
                        if not w or w | bit == FULL[c][wi]:
                            self._free_slow(s, c, region, wi)
                        if addr == self.last:
                            self.last = 0
                        return z
                self._slab(addr, region)  # raises: the address is not a live slot
                self._slot(addr, c)
        return BitmapArena.free(self, addr, region)

    def _free_slow(self, s: int, c: int, region: int, wi: int) -> None:
        """A slot word went from full to not, or became wholly free: put the slab back
        on its class's list, or give a wholly free slab back to the bitmap."""
        mem = self.mem
        load, store = mem.load64, mem.store64
        ha = self.heads + 8 * c
        head = load(ha) & SLAB_MASK
        if head == s and self.home <= s < self.home_end:
            return  # the current slab of the class stays, wholly free or not
        if not load(s + 8) & LISTED:  # it was full: back to the front of its list
            store(s + 8, head | LISTED)
            store(s + 16, 0)
            store(ha, s | wi)
            if head:
                store(head + 16, s)
                if self._empty(head, c):  # the head it replaces was kept wholly free
                    self._retire(head, c, self.heap.find(head).start)  # type: ignore[union-attr]
            head = s
        if self._empty(s, c) and not (head == s and self.home <= s < self.home_end):
            self._retire(s, c, region)

    def _empty(self, s: int, c: int) -> bool:
        """Whether every slot of the slab at ``s`` is free."""
        load = self.mem.load64
        return all(load(s + O_WORDS + 8 * k) == full for k, full in enumerate(FULL[c]))

    def _retire(self, s: int, c: int, region: int) -> None:
        """Take a wholly free slab off its class's list and give it back to the bitmap."""
        load, store = self.mem.load64, self.mem.store64
        nxt = load(s + 8) & SLAB_MASK
        prv = load(s + 16)
        if prv:
            store(prv + 8, nxt | LISTED)
        else:
            store(self.heads + 8 * c, nxt)
        if nxt:
            store(nxt + 16, prv)
        store(s, 0)  # no longer a slab
        BitmapArena.free(self, s, region)

    # ------------------------------------------------------------------ inspecting
    def usable(self, addr: int, region: int) -> int:
        if addr == self.last:
            return self.got
        c = self._slab(addr, region)
        if c < 0:
            return BitmapArena.usable(self, addr, region)
        self._slot(addr, c)
        return SIZES[c]

    def resize(self, addr: int, region: int, size: int) -> bool:
        c = self._slab(addr, region)
        if c < 0:
            return BitmapArena.resize(self, addr, region, size)
        self._slot(addr, c)
        return size <= MAX_SMALL and CLASS_OF[(size + 15) >> 4] == c
