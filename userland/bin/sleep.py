"""``sleep NUMBER[smhd]…``: pause for the sum of the durations (virtual time)."""

from __future__ import annotations

import math

from userland.libk import io as kio
from userland.libk import sys, text

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
USAGE = """Usage: sleep NUMBER[SUFFIX]...
  or:  sleep OPTION
Pause for NUMBER seconds.  SUFFIX may be 's' for seconds (the default),
'm' for minutes, 'h' for hours or 'd' for days.  NUMBER need not be an
integer.  Given two or more arguments, pause for the amount of time
specified by the sum of their values.  'inf' or 'infinity' sleeps forever.

      --help     display this help and exit
"""
TRY = "Try 'sleep --help' for more information."
#: The longest single nanosleep asked for; "infinity" is a loop of these.
LONGEST_NS = 10**18


def parse_interval(arg: str) -> float | None:
    """Seconds for one operand (``1.5``, ``2m``, ``inf``); None if it is not one."""
    unit = arg[-1] if arg and arg[-1] in UNITS else "s"
    number = arg[:-1] if arg and arg[-1] in UNITS else arg
    if number.lower() in ("inf", "infinity"):
        return math.inf
    try:
        value = float(number)
    except ValueError:
        return None
    if value < 0 or math.isnan(value) or number.lower().lstrip("+").startswith(("inf", "nan")):
        return None
    return value * UNITS[unit]


async def main(argv: list[str]) -> int:
    """Entry point."""
    words = argv[1:]
    if words and words[0] == "--":
        words = words[1:]
    elif words == ["--help"]:
        await kio.write_all(1, USAGE)
        return 0
    if not words:
        return await text.usage_error("sleep", "missing operand")
    total = 0.0
    bad = False
    for arg in words:
        if arg.startswith("-") and len(arg) > 1:
            return await text.usage_error("sleep", f"invalid option -- '{arg[1]}'")
        value = parse_interval(arg)
        if value is None:
            await kio.warn("sleep", f"invalid time interval '{arg}'")
            bad = True
            continue
        total += value
    if bad:
        await kio.write_all(2, TRY + "\n")
        return 1
    if math.isinf(total):
        while True:
            await sys.nanosleep(LONGEST_NS)
    await sys.nanosleep(int(total * 1_000_000_000))
    return 0
