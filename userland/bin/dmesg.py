"""``dmesg``: print the kernel log."""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys


async def main(argv: list[str]) -> int:
    """Entry point."""
    if "--help" in argv:
        await kio.write_all(1, "Usage: dmesg\nPrint the kernel ring buffer.\n")
        return 0
    try:
        text = await sys.syslog()
    except Error as err:
        await kio.warn("dmesg", f"read kernel buffer failed: {err.message}")
        return 1
    await kio.write_all(1, text)
    return 0
