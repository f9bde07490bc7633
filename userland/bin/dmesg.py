"""``dmesg``: print the kernel log (syslog(2)); each line starts with its boot time.

The kernel's log cannot be cleared, so there is no ``-c``.
"""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import args, sys
from userland.libk import io as kio

USAGE = """
Usage:
 dmesg [options]

Display the kernel ring buffer.

Options:
 -t, --notime        don't show any timestamp with messages
     --help          display this help and exit

For more details see dmesg(1).
"""


def strip_time(line: str) -> str:
    """A log line without its leading ``[   12.345678] `` stamp."""
    if line.startswith("["):
        end = line.find("] ")
        if end > 0:
            return line[end + 2 :]
    return line


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "t", long={"notime": "t"})
    except args.UsageError as err:
        await kio.warn("dmesg", f"{err}\nTry 'dmesg --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE.lstrip("\n"))
        return 0
    if opts.operands:
        await kio.warn("dmesg", "bad usage\nTry 'dmesg --help' for more information.")
        return 1
    try:
        text = await sys.syslog()
    except Error as err:
        await kio.warn("dmesg", f"read kernel buffer failed: {err.message}")
        return 1
    if opts.has("t"):
        text = "".join(strip_time(line) + "\n" for line in text.splitlines())
    await kio.write_all(1, text)
    return 0
