"""Formatting shared by the utilities: permission strings, human sizes, dates.

Timestamps in ``Stat`` are virtual nanoseconds since boot (CLOCK_MONOTONIC); wall-clock
time is CLOCK_REALTIME, which starts at the image's ``params.epoch``. ``boot_epoch_ns``
gives the offset between the two so a file time can be shown as a date.
"""

from __future__ import annotations

import datetime

from kernel.abi import CLOCK_MONOTONIC, CLOCK_REALTIME, S_IFMT
from userland.libk import sys

TYPE_CHARS = {
    0o040000: "d",
    0o120000: "l",
    0o020000: "c",
    0o060000: "b",
    0o010000: "p",
    0o140000: "s",
    0o100000: "-",
}


def mode_string(mode: int) -> str:
    """``drwxr-xr-x`` from a st_mode."""
    out = [TYPE_CHARS.get(mode & S_IFMT, "?")]
    for shift, special, char in ((6, 0o4000, "s"), (3, 0o2000, "s"), (0, 0o1000, "t")):
        bits = (mode >> shift) & 7
        out.append("r" if bits & 4 else "-")
        out.append("w" if bits & 2 else "-")
        if mode & special:
            out.append(char if bits & 1 else char.upper())
        else:
            out.append("x" if bits & 1 else "-")
    return "".join(out)


def human_size(n: int, *, si: bool = False) -> str:
    """A size the way GNU ``-h`` prints it: ``512``, ``1.5K``, ``12K``, ``3.0M``.

    Args:
        n: bytes.
        si: powers of 1000 (``-H``/``--si``) instead of 1024.
    """
    base = 1000 if si else 1024
    if n < base:
        return str(n)
    value = float(n)
    for unit in "KMGTPE":
        value /= base
        if value < base or unit == "E":
            if value < 10:
                # GNU rounds up: 1.01K shows as 1.1K.
                tenths = -(-int(value * 10 * 1000) // 1000)
                if tenths < 100:
                    return f"{tenths // 10}.{tenths % 10}{unit}"
                value = tenths / 10
            whole = -(-int(value * 1000) // 1000)
            if whole >= base and unit != "E":
                continue
            return f"{whole}{unit}"
    return str(n)  # pragma: no cover - the loop always returns


async def boot_epoch_ns() -> int:
    """CLOCK_REALTIME minus CLOCK_MONOTONIC: add it to a Stat time to get a wall time."""
    real = await sys.clock_gettime(CLOCK_REALTIME)
    mono = await sys.clock_gettime(CLOCK_MONOTONIC)
    return real - mono


def wall_time(epoch_ns: int) -> datetime.datetime:
    """A CLOCK_REALTIME value (ns since 1970) as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(epoch_ns / 1e9, tz=datetime.UTC)


def ls_date(when: datetime.datetime, now: datetime.datetime) -> str:
    """``Nov 21 10:03`` for the last six months, ``Nov 21  2025`` for older or future."""
    recent = datetime.timedelta(days=182)
    if now - recent < when <= now + datetime.timedelta(hours=1):
        return f"{when:%b} {when.day:2d} {when:%H:%M}"
    return f"{when:%b} {when.day:2d}  {when.year}"
