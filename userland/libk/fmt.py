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
    """CLOCK_REALTIME minus CLOCK_MONOTONIC: add it to a Stat time to get a wall time.

    Each clock read costs virtual time, so the realtime read is bracketed by two
    monotonic reads and compared with their midpoint.
    """
    before = await sys.clock_gettime(CLOCK_MONOTONIC)
    real = await sys.clock_gettime(CLOCK_REALTIME)
    after = await sys.clock_gettime(CLOCK_MONOTONIC)
    return real - (before + after) // 2


def wall_time(epoch_ns: int) -> datetime.datetime:
    """A CLOCK_REALTIME value (ns since 1970) as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(epoch_ns / 1e9, tz=datetime.UTC)


def ls_date(when: datetime.datetime, now: datetime.datetime) -> str:
    """``Nov 21 10:03`` for the last six months, ``Nov 21  2025`` for older or future."""
    recent = datetime.timedelta(days=182)
    if now - recent < when <= now + datetime.timedelta(hours=1):
        return f"{when:%b} {when.day:2d} {when:%H:%M}"
    return f"{when:%b} {when.day:2d}  {when.year}"


FILE_TYPES = {
    0o040000: "directory",
    0o120000: "symbolic link",
    0o020000: "character special file",
    0o060000: "block special file",
    0o010000: "fifo",
    0o140000: "socket",
    0o100000: "regular file",
}


def file_type(mode: int, size: int = 1) -> str:
    """What ``stat`` calls a file type (``%F``): ``regular empty file``, ``directory``…"""
    kind = mode & S_IFMT
    if kind == 0o100000 and size == 0:
        return "regular empty file"
    return FILE_TYPES.get(kind, "weird file")


def stat_date(epoch_ns: int) -> str:
    """``2026-01-01 00:00:00.000000000 +0000``: a CLOCK_REALTIME value as stat prints it."""
    secs, frac = divmod(epoch_ns, 1_000_000_000)
    when = datetime.datetime.fromtimestamp(secs, tz=datetime.UTC)
    return f"{when:%Y-%m-%d %H:%M:%S}.{frac:09d} +0000"


def dev_major(dev: int) -> int:
    """The major number of a device number (Linux encoding)."""
    return ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF)


def dev_minor(dev: int) -> int:
    """The minor number of a device number (Linux encoding)."""
    return (dev & 0xFF) | ((dev >> 12) & ~0xFF)


# --------------------------------------------------------------- modes: chmod, mkdir -m

_CLASS_BITS = {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}
_PERM_BITS = {"r": 0o444, "w": 0o222, "x": 0o111, "s": 0o6000, "t": 0o1000}


class ModeError(ValueError):
    """A mode string that is neither octal nor valid symbolic notation."""


def parse_mode(spec: str, old: int, *, is_dir: bool = False, umask: int = 0) -> int:
    """Apply a chmod-style mode (``755``, ``u+x,go-w``, ``a=r``, ``g=u``) to ``old``.

    Args:
        spec: octal digits or comma-separated symbolic clauses ``[ugoa]*([-+=]perms)+``.
        old: the current permission bits (only the low 12 bits are used).
        is_dir: the file is a directory (``X`` applies; octal keeps set-id bits).
        umask: with no ``ugoa`` given, bits in the umask are left alone.

    Returns:
        The new permission bits.

    Raises:
        ModeError: the spec is malformed.
    """
    old &= 0o7777
    if spec and all(c in "01234567" for c in spec):
        if len(spec) > 5 or int(spec, 8) > 0o7777:
            raise ModeError(spec)
        new = int(spec, 8)
        if is_dir and len(spec) < 5:
            new |= old & 0o6000  # GNU: a leading 0 (five digits) is needed to clear them
        return new
    mode = old
    for clause in spec.split(","):
        i = 0
        who = 0
        while i < len(clause) and clause[i] in "ugoa":
            who |= _CLASS_BITS[clause[i]]
            i += 1
        masked = who == 0
        if masked:
            who = 0o7777 & ~(umask & 0o777)
        if i >= len(clause):
            raise ModeError(spec)
        while i < len(clause):
            op = clause[i]
            if op not in "+-=":
                raise ModeError(spec)
            i += 1
            value = 0
            if i < len(clause) and clause[i] in "ugo":
                src = clause[i]
                i += 1
                bits = {"u": (mode >> 6) & 7, "g": (mode >> 3) & 7, "o": mode & 7}[src]
                value = bits * 0o111
            else:
                while i < len(clause) and clause[i] in "rwxXst":
                    c = clause[i]
                    i += 1
                    if c == "X":
                        if is_dir or mode & 0o111:
                            value |= 0o111
                    else:
                        value |= _PERM_BITS[c]
            value &= who
            if op == "+":
                mode |= value
            elif op == "-":
                mode &= ~value
            else:
                cleared = 0o7777 if masked else who
                keep = 0o6000 if is_dir and not value & 0o6000 else 0
                mode = (mode & ~(cleared & ~keep)) | value
    return mode & 0o7777


async def create_mode(
    prog: str, spec: str | None, base: int, *, is_dir: bool
) -> tuple[int | None, int]:
    """The ``-m MODE`` of mkdir, mkfifo and mknod: the mode to create with (None: the
    default ``base`` less the umask) and the umask, read without changing it.

    Raises:
        ModeError: after printing ``PROG: invalid mode 'SPEC'``.
    """
    from userland.libk import io as kio

    umask = await sys.umask(0)
    await sys.umask(umask)
    if spec is None:
        return None, umask
    try:
        return parse_mode(spec, base, is_dir=is_dir, umask=umask), umask
    except ModeError:
        await kio.warn(prog, f"invalid mode '{spec}'")
        raise
