"""``clear [-x]``: clear the terminal screen (and its scrollback) with ANSI escapes."""

from __future__ import annotations

from userland.libk import args
from userland.libk import io as kio

USAGE = """Usage: clear [options]

Options:
  -x       do not try to clear scrollback
  --help   display this help and exit
"""

#: Cursor home, erase the screen, erase the scrollback (xterm's E3).
CLEAR = "\x1b[H\x1b[2J"
CLEAR_SCROLLBACK = "\x1b[3J"


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "xT:V")
    except args.UsageError as err:
        await kio.warn("clear", f"{err}\n{USAGE}")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    if opts.operands:
        await kio.warn("clear", f"unexpected argument: '{opts.operands[0]}'\n{USAGE}")
        return 1
    await kio.write_all(1, CLEAR + ("" if opts.has("x") else CLEAR_SCROLLBACK))
    return 0
