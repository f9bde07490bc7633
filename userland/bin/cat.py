"""``cat [-n] [file…]``: concatenate files (``-`` or none: standard input)."""

from __future__ import annotations

from kernel.abi import O_RDONLY, Error
from userland.libk import args, sys
from userland.libk import io as kio

USAGE = (
    "Usage: cat [-n] [FILE]...\nConcatenate FILEs to standard output.\n"
    "  -n  number all output lines\nWith no FILE, or when FILE is -, read standard input.\n"
)


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "nu", long={"number": "n"})
    except args.UsageError as err:
        await kio.warn("cat", f"{err}\nTry 'cat --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    number = opts.has("n")
    status = 0
    lineno = 1
    at_line_start = True
    for name in opts.operands or ["-"]:
        try:
            fd = 0 if name == "-" else await sys.open(name, O_RDONLY)
        except Error as err:
            await kio.warn("cat", f"{name}: {err.message}")
            status = 1
            continue
        try:
            while True:
                try:
                    chunk = await sys.read(fd, 65536)
                except Error as err:
                    await kio.warn("cat", f"{name}: {err.message}")
                    status = 1
                    break
                if not chunk:
                    break
                if number:
                    out = bytearray()
                    for line in chunk.splitlines(keepends=True):
                        if at_line_start:
                            out += f"{lineno:6d}\t".encode()
                            lineno += 1
                        out += line
                        at_line_start = line.endswith(b"\n")
                    chunk = bytes(out)
                try:
                    await kio.write_all(1, chunk)
                except Error as err:
                    await kio.warn("cat", f"write error: {err.message}")
                    return 1
        finally:
            if fd != 0:
                await sys.close(fd)
    return status
