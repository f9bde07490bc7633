"""``rev [file…]``: reverse the bytes of every line."""

from __future__ import annotations

from kernel.abi import O_RDONLY, Error
from userland.libk import args, sys, text
from userland.libk import io as kio

USAGE = """Usage: rev [options] [file ...]

Reverse lines characterwise.

Options:
 -h, --help     display this help
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "h")
    except args.UsageError as err:
        return await text.usage_error("rev", err)
    if opts.help or opts.has("h"):
        await kio.write_all(1, USAGE)
        return 0
    status = 0
    out = kio.Output(1, 65536)
    for name in opts.operands or ["-"]:
        fd = 0
        if name != "-":
            try:
                fd = await sys.open(name, O_RDONLY)
            except Error as err:
                await kio.warn("rev", f"cannot open {name}: {err.message}")
                status = 1
                continue
        try:
            async for batch in text.line_batches(fd):
                await out.write(
                    b"".join(
                        line[-2::-1] + b"\n" if line.endswith(b"\n") else line[::-1]
                        for line in batch
                    )
                )
                if fd == 0:
                    await out.flush()
        except Error as err:
            await kio.warn("rev", f"{name}: {err.message}")
            status = 1
        finally:
            await text.close_input(fd)
    try:
        await out.flush()
    except Error as err:
        await kio.warn("rev", f"write error: {err.message}")
        return 1
    return status
