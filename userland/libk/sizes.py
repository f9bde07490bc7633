"""Sizes as GNU tools read and print them: ``2K``, ``1MB``, ``3x512``; ``1.5 kB``, ``4.0 KiB``.

``parse_size`` reads a number with gnulib's xstrtoumax suffixes (``b`` 512, ``c`` 1,
``w`` 2, ``K`` 1024, ``kB`` 1000, ``KiB`` 1024, … up to ``Q``) and dd's ``x``
products; ``human_readable`` is gnulib's human_readable() with the options dd uses
(autoscale, round to nearest, a space before the unit, a ``B`` suffix), integer and
floating paths alike, so ``dd``'s summary prints exactly what GNU dd prints.
"""

from __future__ import annotations

import re

__all__ = ["INTMAX", "parse_size", "human_readable", "lacks_prefix", "xfer_line"]

INTMAX = (1 << 63) - 1
#: Suffix letter -> power of the base (1024, or 1000 with a ``B`` after it).
POWERS = {"k": 1, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6, "Z": 7, "Y": 8, "R": 9, "Q": 10}
#: Suffix letters worth a fixed multiplier.
FIXED = {"b": 512, "c": 1, "w": 2}
LETTERS = " kMGTPEZYRQ"
_NUMBER = re.compile(r"\s*\+?(\d+)(.*)", re.S)


def parse_size(text: str) -> int | None:
    """A dd operand's number: digits, an optional suffix, optionally ``xN`` more.

    Returns:
        The value (possibly above ``INTMAX``: the caller reports the overflow), or
        None for text that is not a number.
    """
    m = _NUMBER.fullmatch(text)
    if not m:
        return None
    value = int(m.group(1))
    rest = m.group(2)
    if rest and rest[0] != "x":
        c = rest[0]
        if c not in FIXED and c not in POWERS:
            return None
        base, used = 1024, 1
        if rest[1:3] == "iB":
            used = 3
        elif rest[1:2] in ("B", "D"):
            base, used = 1000, 2
        value *= FIXED[c] if c in FIXED else base ** POWERS[c]
        rest = rest[used:]
    if not rest:
        return value
    if rest[0] != "x":
        return None
    other = parse_size(rest[1:])
    if other is None:
        return None
    return value * other


def _suffix(exponent: int, base: int) -> str:
    """`` B``, `` kB``, `` KiB``, `` MB``…: the unit after the number."""
    if not exponent:
        return " B"
    letter = "k" if base == 1000 and exponent == 1 else LETTERS[exponent].upper()
    return f" {letter}{'i' if base == 1024 else ''}B"


def _integer(amt: int, tenths: int, rounding: int, base: int) -> str:
    """gnulib's integer path: ``amt`` plus tenths and a rounding hint (0 exact, 1 below
    half, 2 half, 3 above half), scaled down by ``base`` while it is at least ``base``."""
    exponent = 0
    point = ""
    if base <= amt:
        while True:
            r10 = (amt % base) * 10 + tenths
            r2 = (r10 % base) * 2 + (rounding >> 1)
            amt //= base
            tenths = r10 // base
            rounding = int(r2 + rounding != 0) if r2 < base else 2 + int(base < r2 + rounding)
            exponent += 1
            if not (base <= amt and exponent < 10):
                break
        if amt < 10:
            if rounding + (tenths & 1) > 2:
                tenths += 1
                rounding = 0
                if tenths == 10:
                    amt += 1
                    tenths = 0
            if amt < 10:
                point = f".{tenths}"
                tenths = rounding = 0
    if tenths + int(rounding + (amt & 1) > 0) > 5:
        amt += 1
        if amt == base and exponent < 10:
            exponent += 1
            point = ".0"
            amt = 1
    return f"{amt}{point}{_suffix(exponent, base)}"


def _floating(value: float, base: int) -> str:
    """gnulib's floating path: at least one step of scaling, one decimal below 10."""
    e = float(base)
    exponent = 1
    while e * base <= value and exponent < 10:
        e *= base
        exponent += 1
    value /= e
    text = f"{value:.1f}"
    if len(text) > 3:  # two or more integer digits: no decimal
        text = f"{value:.0f}"
    return text + _suffix(exponent, base)


def human_readable(n: int, base: int = 1000, from_bs: int = 1, to_bs: int = 1) -> str:
    """``n * from_bs / to_bs`` bytes, autoscaled: ``512 B``, ``1.5 kB``, ``4.0 KiB``.

    Args:
        n: the amount.
        base: 1000 (SI: kB, MB) or 1024 (IEC: KiB, MiB).
        from_bs: the size of one unit of ``n``.
        to_bs: the size of one unit of the result (a rate divides by a time).
    """
    if to_bs <= from_bs:
        if from_bs % to_bs == 0:
            return _integer(n * (from_bs // to_bs), 0, 0, base)
    elif to_bs % from_bs == 0:
        divisor = to_bs // from_bs
        r10 = (n % divisor) * 10
        r2 = (r10 % divisor) * 2
        rounding = int(r2 > 0) if r2 < divisor else 2 + int(divisor < r2)
        return _integer(n // divisor, r10 // divisor, rounding, base)
    return _floating(n * (from_bs / to_bs), base)


def lacks_prefix(text: str) -> bool:
    """Is the unit plain bytes (``512 B``)?"""
    return text.endswith(" B")


def xfer_line(nbytes: int, elapsed_ns: int, *, progress: bool = False) -> str:
    """dd's transfer statistics: ``N bytes (X kB, Y KiB) copied, S s, R kB/s``.

    Args:
        nbytes: bytes written.
        elapsed_ns: time since the copy started.
        progress: the once-a-second form (whole seconds).
    """
    si = human_readable(nbytes, 1000)
    iec = human_readable(nbytes, 1024)
    if elapsed_ns > 0:
        seconds = elapsed_ns / 1e9
        rate = human_readable(nbytes, 1000, 1_000_000_000, elapsed_ns) + "/s"
    else:
        seconds = 0.0
        rate = "Infinity B/s"
    took = f"{seconds:.0f} s" if progress else f"{seconds:g} s"
    if lacks_prefix(si):
        noun = "byte" if nbytes == 1 else "bytes"
        return f"{nbytes} {noun} copied, {took}, {rate}"
    if lacks_prefix(iec):
        return f"{nbytes} bytes ({si}) copied, {took}, {rate}"
    return f"{nbytes} bytes ({si}, {iec}) copied, {took}, {rate}"
