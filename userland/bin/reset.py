"""``reset``: put the terminal back to a sane state (cooked mode, echo) and clear it.

The terminal is the first of standard error, output and input that is one (then
/dev/tty); its attributes go back to the line discipline's defaults (canonical input,
echo, signals from ^C/^Z, CR-LF output), and ``ESC c`` resets the screen.
"""

from __future__ import annotations

from kernel.abi import O_RDWR, TCGETS, TCSETSF, Error, Termios
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: reset [options]

Reset the terminal: cooked mode with echo, default control characters, and a
cleared screen.

Options:
  -q       print the terminal type and do nothing else
  --help   display this help and exit
"""

#: RIS, "reset to initial state": the screen, modes and character sets.
RESET_SCREEN = "\x1bc"


async def terminal_fd() -> tuple[int | None, bool]:
    """A descriptor on the terminal, and whether reset opened it itself."""
    for fd in (2, 1, 0):
        try:
            await sys.ioctl(fd, TCGETS)
            return fd, False
        except Error:
            continue
    try:
        return await sys.open("/dev/tty", O_RDWR), True
    except Error:
        return None, False


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("reset", argv, "q", USAGE, hint=USAGE)
    if isinstance(opts, int):
        return opts
    if opts.has("q"):
        env = await sys.environ()
        await kio.write_all(1, env.get("TERM", "unknown") + "\n")
        return 0
    fd, opened = await terminal_fd()
    if fd is None:
        await kio.warn("reset", "terminal attributes: No such device or address")
        return 1
    try:
        await sys.ioctl(fd, TCSETSF, Termios())
        await kio.write_all(fd, RESET_SCREEN)
    except Error as err:
        await kio.warn("reset", err.message)
        return 1
    finally:
        if opened:
            await sys.close(fd)
    return 0
