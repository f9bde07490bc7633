"""The bitmap strategy's searches: first fit and best fit over a region's used bitmap,
a word (or a cache line of words) at a time with find-first-set tricks, and the
multi-word reads they share with the rest of the strategy (``bitmap``, whose docstring
describes the layout and what each search costs).
"""

from __future__ import annotations

import struct

M64 = (1 << 64) - 1
COUNT = 1 << 32  # aux: the used-granule count in the high half, the hint in the low
HINT = COUNT - 1
_ST = tuple(struct.Struct(f"<{k}Q") for k in range(8))  # k words: one access

# (data, cells, used map, end map, aux address, words, full summary)
Geo = tuple[int, int, int, int, int, int, int]


def _low(x: int) -> int:
    """The index of the lowest set bit of ``x`` (find-first-set; ``x`` != 0)."""
    return (x & -x).bit_length() - 1


def _runs(w: int, n: int) -> int:
    """Bit p set: bits p..p+n-1 of ``w`` are all clear (1 <= n <= 64)."""
    x = ~w & M64
    k = 1
    while k << 1 <= n:
        x &= x >> k
        k <<= 1
    if k < n:
        x &= x >> (n - k)
    return x


class FitSearch:
    """The searches and reads, mixed into BitmapArena (they use its ``mem``, ``load``,
    ``store``, ``masks`` and ``_take``)."""

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
        """First fit in one region: the lowest aligned run of ``n`` free granules,
        reading only the words the full summary says are not full."""
        data, cells, used, _, aux, words, fsum = g
        load = self.load
        a = load(aux)
        if (a >> 32) + n > cells:
            return 0
        hint = a & HINT
        if align == 16:
            phase, step, amask = 0, 1, M64
        else:
            phase, step, amask = self._mask(data, align)
        nsw = (words + 63) >> 6
        k = hint >> 6
        bits = ~load(fsum + (k << 3)) & M64 >> (hint & 63) << (hint & 63) if k < nsw else 0
        first = -1  # the first word with a free granule: the new hint
        carry = -1  # where a free run that reaches the end of the last word started
        prev = -2  # the word read last
        at, ws = 0, ()  # words read ahead: ws[0] is word ``at``
        while True:
            if not bits:
                k += 1
                if k >= nsw:
                    break
                bits = ~load(fsum + (k << 3)) & M64
                continue
            low = bits & -bits
            bits ^= low
            j = (k << 6) + low.bit_length() - 1
            if j != prev + 1:
                carry = -1  # the words between are full
            prev = j
            if not 0 <= j - at < len(ws):  # read this word and the next few at once
                at, ws = j, self._words(used + (j << 3), words - j)
            w = ws[j - at]
            if w == M64:
                carry = -1
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
                x = _runs(w, n)
                if amask >= 0:
                    x &= amask
                else:
                    i0 = (phase - base) % step
                    x &= 1 << i0 if i0 < 64 else 0
                if x:
                    return self._take(g, base + _low(x), n, a, first, w)
            if not w:
                if carry < 0:
                    carry = base
            elif not w >> 63:
                carry = base + w.bit_length()
        if first < 0:
            first = nsw << 6
        if first != hint:
            self.store(aux, a - hint + first)
        return 0

    def _best(self, g: Geo, n: int, align: int) -> int:
        """Best fit in one region: the smallest free run an aligned block fits in."""
        data, cells, used, _, aux, words, _ = g
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

    def _words(self, addr: int, most: int) -> tuple[int, ...]:
        """Up to ``most`` (at most 7: one access) words from ``addr``, not past its page
        (a page the caller touches anyway: no fault)."""
        room = (self.pg - (addr & (self.pg - 1))) >> 3
        return self.mem.unpack(addr, _ST[min(most, room, 7)])

    def _read(self, addr: int, count: int) -> list[int]:
        """``count`` words from ``addr``, a few at a time."""
        out: list[int] = []
        while len(out) < count:
            out.extend(self._words(addr + (len(out) << 3), count - len(out)))
        return out

    def _next_set(self, base: int, j: int) -> tuple[int, int]:
        """(index, value) of the first nonzero word at or after word ``j`` of a bitmap."""
        while True:
            for x in self._words(base + (j << 3), 7):
                if x:
                    return j, x
                j += 1

    # ------------------------------------------------------------------ inspecting
