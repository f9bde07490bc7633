"""``tee [-ai] [file…]``: copy standard input to standard output and to files."""

from __future__ import annotations

from kernel.abi import O_APPEND, O_CREAT, O_TRUNC, O_WRONLY, SIG_IGN, SIGINT, Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: tee [OPTION]... [FILE]...
Copy standard input to each FILE, and also to standard output.

  -a, --append              append to the given FILEs, do not overwrite
  -i, --ignore-interrupts   ignore interrupt signals
      --help                display this help and exit
"""

LONG = {"append": "a", "ignore-interrupts": "i"}


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("tee", argv, "aip", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if opts.has("i"):
        await sys.sigaction(SIGINT, SIG_IGN)
    flags = O_WRONLY | O_CREAT | (O_APPEND if opts.has("a") else O_TRUNC)
    status = 0
    outputs: list[tuple[str, int]] = [("standard output", 1)]
    for name in opts.operands:
        if name == "-":
            outputs.append(("standard output", 1))
            continue
        try:
            outputs.append((name, await sys.open(name, flags, 0o666)))
        except Error as err:
            await kio.warn("tee", f"{name}: {err.message}")
            status = 1
    try:
        while True:
            try:
                data = await sys.read(0, text.CHUNK)
            except Error as err:
                await kio.warn("tee", f"standard input: {err.message}")
                status = 1
                break
            if not data:
                break
            for i, (name, fd) in enumerate(outputs):
                if fd < 0:
                    continue
                try:
                    await kio.write_all(fd, data)
                except Error as err:
                    await kio.warn("tee", f"{name}: {err.message}")
                    outputs[i] = (name, -1)
                    status = 1
            if all(fd < 0 for _, fd in outputs):
                break
    finally:
        for _, fd in outputs[1:]:
            if fd > 1:
                await sys.close(fd)
    return status
