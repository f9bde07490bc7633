"""``rev [file…]``: reverse the bytes of every line."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: rev [options] [file ...]

Reverse lines characterwise.

Options:
 -h, --help     display this help
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("rev", argv, "h", USAGE, help_flags="h")
    if isinstance(opts, int):
        return opts
    out = kio.Output(1, 65536)

    async def rev(fd: int, _name: str) -> None:
        async for batch in text.line_batches(fd):
            await out.write(
                b"".join(
                    line[-2::-1] + b"\n" if line.endswith(b"\n") else line[::-1] for line in batch
                )
            )
            if fd == 0:
                await out.flush()

    names = opts.operands or ["-"]
    status = await text.each_input("rev", names, rev, cannot_open="cannot open {name}: {msg}")
    return await text.finish(out, "rev", status)
