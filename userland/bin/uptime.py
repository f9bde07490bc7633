"""``uptime [-p] [-s]``: how long the machine has been up, users, and load averages."""

from __future__ import annotations

import datetime

from kernel.abi import CLOCK_REALTIME
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import (
    count_users,
    format_uptime,
    read_all_stats,
    read_loadavg,
    read_uptime,
)

USAGE = """
Usage:
 uptime [options]

Options:
 -p, --pretty   show uptime in pretty format
 -s, --since    system up since
     --help     display this help and exit

For more details see uptime(1).
"""


async def users_logged_in() -> int:
    """Terminal session leaders: the machine's stand-in for utmp's login records."""
    return count_users(await read_all_stats())


def pretty(seconds: float) -> str:
    """``up 1 hour, 5 minutes``, as ``uptime -p`` says it."""
    minutes = int(seconds) // 60
    parts = []
    for unit, size in (("year", 525600), ("week", 10080), ("day", 1440), ("hour", 60)):
        n, minutes = divmod(minutes, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    if minutes or not parts:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return "up " + ", ".join(parts)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "uptime",
        argv,
        "ps",
        USAGE.lstrip("\n"),
        hint=USAGE.strip(),
        long={"pretty": "p", "since": "s"},
    )
    if isinstance(opts, int):
        return opts
    if opts.operands:
        await kio.warn("uptime", f"unexpected argument: '{opts.operands[0]}'")
        return 1
    up, _ = await read_uptime()
    now_ns = await sys.clock_gettime(CLOCK_REALTIME)
    now = datetime.datetime.fromtimestamp(now_ns // 1_000_000_000, tz=datetime.UTC)
    if opts.has("s"):
        since = now - datetime.timedelta(seconds=int(up))
        await kio.write_all(1, f"{since:%Y-%m-%d %H:%M:%S}\n")
        return 0
    if opts.has("p"):
        await kio.write_all(1, pretty(up) + "\n")
        return 0
    users = await users_logged_in()
    load = await read_loadavg()
    line = (
        f" {now:%H:%M:%S} up {format_uptime(up)}, {users:2d} user{'s' if users != 1 else ''}, "
        f" load average: {load.one:.2f}, {load.five:.2f}, {load.fifteen:.2f}"
    )
    await kio.write_all(1, line + "\n")
    return 0
