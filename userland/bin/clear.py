"""``clear [-x]``: clear the terminal screen (and its scrollback) with ANSI escapes."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import text

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
    opts = await text.options("clear", argv, "xT:V", USAGE, hint=USAGE)
    if isinstance(opts, int):
        return opts
    if opts.operands:
        await kio.warn("clear", f"unexpected argument: '{opts.operands[0]}'\n{USAGE}")
        return 1
    await kio.write_all(1, CLEAR + ("" if opts.has("x") else CLEAR_SCROLLBACK))
    return 0
