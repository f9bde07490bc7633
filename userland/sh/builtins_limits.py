"""The shell's ``ulimit`` builtin, as dash has it, over getrlimit(2) and setrlimit(2).

``ulimit [-H|-S] [-a | -tfdscmlpnv] [value]``: without a value it prints the limit
(the soft one unless ``-H``), with one it sets both the soft and the hard limit
(only one of them with ``-S`` or ``-H``). Values are in dash's units: blocks of 512
bytes for ``-f`` and ``-c``, KiB for ``-d -s -m -l -v``, plain counts for the rest;
``unlimited`` is RLIM_INFINITY. ``-a`` lists them all in dash's layout. The limits
are the shell's own, and every command it starts inherits them. dash also knows
``-w`` (locks) and ``-r`` (rtprio), compiled in only where the system has those
limits; this machine does not, so, like such a dash, this ulimit rejects them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import (
    RLIM_INFINITY,
    RLIMIT_AS,
    RLIMIT_CORE,
    RLIMIT_CPU,
    RLIMIT_DATA,
    RLIMIT_FSIZE,
    RLIMIT_MEMLOCK,
    RLIMIT_NOFILE,
    RLIMIT_NPROC,
    RLIMIT_RSS,
    RLIMIT_STACK,
    Error,
)
from userland.libk import sys

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell

#: (option letter, name in ``ulimit -a``, resource, unit in bytes), in dash's order.
LIMITS = (
    ("t", "time(seconds)", RLIMIT_CPU, 1),
    ("f", "file(blocks)", RLIMIT_FSIZE, 512),
    ("d", "data(kbytes)", RLIMIT_DATA, 1024),
    ("s", "stack(kbytes)", RLIMIT_STACK, 1024),
    ("c", "coredump(blocks)", RLIMIT_CORE, 512),
    ("m", "memory(kbytes)", RLIMIT_RSS, 1024),
    ("l", "locked memory(kbytes)", RLIMIT_MEMLOCK, 1024),
    ("p", "process", RLIMIT_NPROC, 1),
    ("n", "nofiles", RLIMIT_NOFILE, 1),
    ("v", "vmemory(kbytes)", RLIMIT_AS, 1024),
)
BY_OPTION = {opt: (name, res, unit) for opt, name, res, unit in LIMITS}
SOFT, HARD = 1, 2


def show(value: int, unit: int) -> str:
    """A limit in ulimit's units: ``unlimited`` or the number of units."""
    return "unlimited" if value == RLIM_INFINITY else str(value // unit)


def parse_value(text: str, unit: int) -> int | None:
    """dash's reading of a value: ``unlimited``, or digits (none at all reads as 0)."""
    if text == "unlimited":
        return RLIM_INFINITY
    if text and not text.isdigit():
        return None
    if not text.isascii():
        return None
    return (int(text or "0") * unit) & RLIM_INFINITY


async def b_ulimit(sh: Shell, argv: list[str], io: IO) -> int:
    """``ulimit [-H|-S] [-a | -tfdscmlpnv] [value]``: show or set a resource limit."""
    how = SOFT | HARD
    show_all = False
    what = "f"
    i = 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        for c in word[1:]:
            if c == "H":
                how = HARD
            elif c == "S":
                how = SOFT
            elif c == "a":
                show_all = True
            elif c in BY_OPTION:
                what = c
            else:
                await sh.error(f"ulimit: Illegal option -{c}", io)
                return 2
        i += 1
    operands = argv[i:]
    name, resource, unit = BY_OPTION[what]
    value = None
    if operands:
        if show_all or len(operands) > 1:
            await sh.error("ulimit: too many arguments", io)
            return 2
        value = parse_value(operands[0], unit)
        if value is None:
            await sh.error("ulimit: bad number", io)
            return 2
    if show_all:
        lines = []
        for _, label, res, size in LIMITS:
            soft, hard = await sys.getrlimit(res)
            lines.append(f"{label:<20} {show(soft if how & SOFT else hard, size)}")
        await sh.write(io, 1, "\n".join(lines) + "\n")
        return 0
    soft, hard = await sys.getrlimit(resource)
    if value is None:
        await sh.write(io, 1, show(soft if how & SOFT else hard, unit) + "\n")
        return 0
    if how & HARD:
        hard = value
    if how & SOFT:
        soft = value
    try:
        await sys.setrlimit(resource, soft, hard)
    except Error as err:
        await sh.error(f"ulimit: error setting limit ({err.message})", io)
        return 2
    return 0


LIMIT_BUILTINS = {"ulimit": b_ulimit}
