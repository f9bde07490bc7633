"""``hexdump [-C] [-n LENGTH] [-s OFFSET] [-v] [file…]``: bytes in hexadecimal.

The default format is util-linux's: a 7-digit hex offset and eight little-endian
2-byte words a line; ``-C`` is the canonical hex+ASCII display. A repeated line
becomes ``*`` unless ``-v``; the last line is the total length.
"""

from __future__ import annotations

from userland.bin.head import parse_count
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage:
 hexdump [options] <file>...

Display file contents in hexadecimal, decimal, octal, or ascii.

Options:
 -C, --canonical           canonical hex+ASCII display
 -n, --length <length>     interpret only length bytes of input
 -s, --skip <offset>       skip offset bytes from the beginning
 -v, --no-squeezing        output identical lines
 -h, --help                display this help
"""

LONG = {"canonical": "C", "length": "n", "skip": "s", "no-squeezing": "v"}


def canonical(off: int, block: bytes) -> str:
    """One ``-C`` line."""
    hexes = [f"{b:02x}" for b in block] + ["  "] * (16 - len(block))
    ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in block)
    return f"{off:08x}  {' '.join(hexes[:8])}  {' '.join(hexes[8:])}  |{ascii_}|"


def words(off: int, block: bytes) -> str:
    """One line of the default format."""
    if len(block) % 2:
        block += b"\0"
    fields = [f"{int.from_bytes(block[i : i + 2], 'little'):04x}" for i in range(0, len(block), 2)]
    return (f"{off:07x} " + " ".join(fields)).ljust(47)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("hexdump", argv, "Cn:s:vh", USAGE, help_flags="h", long=LONG)
    if isinstance(opts, int):
        return opts
    skip, limit = 0, None
    for flag in "ns":
        value = opts.value(flag)
        if value is not None:
            n = parse_count(value)
            if n is None:
                await kio.warn("hexdump", f"failed to parse argument: '{value}'")
                return 1
            skip, limit = (n, limit) if flag == "s" else (skip, n)
    data, status = await text.read_inputs("hexdump", opts.operands or ["-"])
    data = data[skip:] if limit is None else data[skip : skip + limit]
    line = canonical if opts.has("C") else words
    out = kio.Output(1, 65536)
    prev = None
    starred = False
    for off in range(0, len(data), 16):
        block = data[off : off + 16]
        if block == prev and not opts.has("v") and len(block) == 16:
            if not starred:
                await out.write("*\n")
                starred = True
            continue
        starred = False
        prev = block
        await out.write(line(skip + off, block) + "\n")
        if off % 4096 == 0:
            await sys.checkpoint()
    if data or skip:
        width = 8 if opts.has("C") else 7
        await out.write(f"{skip + len(data):0{width}x}\n")
    return await text.finish(out, "hexdump", status)
