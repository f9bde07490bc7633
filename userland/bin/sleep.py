"""``sleep NUMBER[smhd]…``: pause for the sum of the durations (virtual time)."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import sys

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


async def main(argv: list[str]) -> int:
    """Entry point."""
    if len(argv) < 2:
        await kio.warn("sleep", "missing operand\nTry 'sleep --help' for more information.")
        return 1
    if argv[1] == "--help":
        await kio.write_all(
            1,
            "Usage: sleep NUMBER[SUFFIX]...\nPause for NUMBER seconds "
            "(suffix s, m, h or d); several NUMBERs add up.\n",
        )
        return 0
    total = 0.0
    for arg in argv[1:]:
        unit = arg[-1] if arg and arg[-1] in UNITS else "s"
        number = arg[:-1] if arg and arg[-1] in UNITS else arg
        try:
            value = float(number)
            if value < 0 or value != value:
                raise ValueError
        except ValueError:
            await kio.warn(
                "sleep", f"invalid time interval '{arg}'\nTry 'sleep --help' for more information."
            )
            return 1
        total += value * UNITS[unit]
    await sys.nanosleep(int(total * 1_000_000_000))
    return 0
