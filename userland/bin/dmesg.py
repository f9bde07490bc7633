"""``dmesg``: print the kernel log (syslog(2)); each line starts with its boot time.

The kernel's log cannot be cleared, so there is no ``-c``.
"""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text

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
    opts = await text.options("dmesg", argv, "t", USAGE.lstrip("\n"), long={"notime": "t"})
    if isinstance(opts, int):
        return opts
    if opts.operands:
        return await text.usage_error("dmesg", "bad usage")
    try:
        log = await sys.syslog()
    except Error as err:
        await kio.warn("dmesg", f"read kernel buffer failed: {err.message}")
        return 1
    if opts.has("t"):
        log = "".join(strip_time(line) + "\n" for line in log.splitlines())
    await kio.write_all(1, log)
    return 0
