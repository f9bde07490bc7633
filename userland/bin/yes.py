"""``yes [string…]``: print a line (``y`` by default) over and over until killed.

The line is repeated into a 64 KiB buffer written whole, so a pipe is filled with few
system calls; a closed pipe ends the program (SIGPIPE, or EPIPE if it is ignored).
"""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: yes [STRING]...
Repeatedly output a line with all specified STRING(s), or 'y'.

      --help     display this help and exit
"""

BUFFER = 65536


async def main(argv: list[str]) -> int:
    """Entry point."""
    words = argv[1:]
    if words[:1] == ["--"]:
        words = words[1:]
    elif words and words[0].startswith("-") and words[0] != "-":
        if words[0] == "--help":
            await kio.write_all(1, USAGE)
            return 0
        bad = words[0]
        message = (
            f"unrecognized option '{bad}'"
            if bad.startswith("--")
            else (f"invalid option -- '{bad[1]}'")
        )
        return await text.usage_error("yes", message)
    line = (" ".join(words) if words else "y").encode() + b"\n"
    buf = line * max(1, BUFFER // len(line))
    write = sys.write
    try:
        while True:
            await write(1, buf)
    except Error as err:
        await kio.warn("yes", f"standard output: {err.message}")
        return 1
