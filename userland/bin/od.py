"""``od [-A RADIX] [-t TYPE]… [-bcdox] [-j N] [-N N] [-v] [file…]``: dump bytes.

GNU od's layout: 16 bytes a line after the offset; with several types, one line per
type, the fields of every type padded so that they line up (GNU's pad distribution);
a repeated line becomes ``*`` unless ``-v``; the last line is the final offset.
"""

from __future__ import annotations

import re

from userland.bin.head import parse_count
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: od [OPTION]... [FILE]...
Write an unambiguous representation, octal bytes by default,
of FILE to standard output.  With more than one FILE argument,
concatenate them in the listed order to form the input.

With no FILE, or when FILE is -, read standard input.

  -A, --address-radix=RADIX   output format for file offsets; RADIX is one
                                of [doxn], for Decimal, Octal, Hex or None
  -j, --skip-bytes=BYTES      skip BYTES input bytes first
  -N, --read-bytes=BYTES      limit dump to BYTES input bytes
  -t, --format=TYPE           select output format or formats
  -v, --output-duplicates     do not use * to mark line suppression

Traditional format specifications may be intermixed; they accumulate:
  -b   same as -t o1, select octal bytes
  -c   same as -t c,  select printable characters or backslash escapes
  -d   same as -t u2, select unsigned decimal 2-byte units
  -o   same as -t o2, select octal 2-byte units
  -x   same as -t x2, select hexadecimal 2-byte units

TYPE is made up of one or more of these specifications:
  a          named character, ignoring high-order bit
  c          printable character or backslash escape
  d[SIZE]    signed decimal, SIZE bytes per integer
  o[SIZE]    octal, SIZE bytes per integer
  u[SIZE]    unsigned decimal, SIZE bytes per integer
  x[SIZE]    hexadecimal, SIZE bytes per integer
"""

LONG = {
    "address-radix": "A",
    "skip-bytes": "j",
    "read-bytes": "N",
    "format": "t",
    "output-duplicates": "v",
}
SIZES = {"C": 1, "S": 2, "I": 4, "L": 8}
_NAMES_TEXT = "nul soh stx etx eot enq ack bel bs ht nl vt ff cr so si dle dc1 dc2 dc3 dc4"
NAMES = (*_NAMES_TEXT.split(), "nak", "syn", "etb", "can", "em", "sub", "esc")
NAMES += ("fs", "gs", "rs", "us", "sp")
C_ESCAPES = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r"}


class Spec:
    """One output type: kind (a c d o u x), element size, field width, pad."""

    def __init__(self, kind: str, size: int) -> None:
        self.kind, self.size = kind, size
        if kind in "ac":
            self.width = 3
        else:
            bits = 8 * size
            self.width = {
                "x": 2 * size,
                "o": len(format((1 << bits) - 1, "o")),
                "u": len(str((1 << bits) - 1)),
                "d": len(str(-(1 << (bits - 1)))),
            }[kind]
        self.pad = 0

    def field(self, chunk: bytes) -> str:
        """One element as text (unpadded)."""
        if self.kind == "a":
            b = chunk[0] & 0x7F
            return NAMES[b] if b <= 32 else "del" if b == 127 else chr(b)
        if self.kind == "c":
            b = chunk[0]
            if b in C_ESCAPES:
                return C_ESCAPES[b]
            return chr(b) if 32 <= b < 127 else f"{b:03o}"
        value = int.from_bytes(chunk, "little", signed=self.kind == "d")
        if self.kind == "x":
            return f"{value:0{self.width}x}"
        if self.kind == "o":
            return f"{value:0{self.width}o}"
        return str(value)

    def line(self, block: bytes, per_block: int) -> str:
        """The fields of one (possibly short) block, padded as GNU od pads them."""
        fields = per_block // self.size
        present = -(-len(block) // self.size)
        block = block + b"\0" * (present * self.size - len(block))
        out = []
        pad_remaining = self.pad
        for n, i in enumerate(range(fields, fields - present, -1)):
            next_pad = self.pad * (i - 1) // fields
            width = pad_remaining - next_pad + self.width
            out.append(self.field(block[n * self.size : (n + 1) * self.size]).rjust(width))
            pad_remaining = next_pad
        return "".join(out)


def parse_type(spec: str) -> list[Spec]:
    """``x1``, ``d4``, ``c``, ``xC``, ``ox2``… as a list of specs.

    Raises:
        ValueError: GNU's message.
    """
    out = []
    i = 0
    while i < len(spec):
        kind = spec[i]
        i += 1
        if kind in "ac":
            out.append(Spec(kind, 1))
            continue
        if kind not in "doux":
            raise ValueError(f"invalid character '{kind}' in type string '{spec}'")
        m = re.match(r"\d+|[CSIL]", spec[i:])
        size = 4
        if m:
            token = m.group(0)
            size = SIZES[token] if token in SIZES else int(token)
            i += len(token)
            if size not in (1, 2, 4, 8):
                raise ValueError(
                    f"invalid type string '{spec}';\nthis system doesn't provide "
                    f"a {size}-byte integral type"
                )
        out.append(Spec(kind, size))
    return out


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("od", argv, "A:j:N:t:vbcdoxw:", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    specs: list[Spec] = []
    radix = "o"
    skip, limit = 0, None
    for flag, value in opts.seen:
        if flag in "bcdox":
            specs += parse_type({"b": "o1", "c": "c", "d": "u2", "o": "o2", "x": "x2"}[flag])
        elif flag == "t":
            try:
                specs += parse_type(value or "")
            except ValueError as err:
                await kio.warn("od", str(err))
                return 1
        elif flag == "A":
            if value not in ("d", "o", "x", "n"):
                await kio.warn(
                    "od",
                    f"invalid output address radix '{value}'; it must be one character from [doxn]",
                )
                return 1
            radix = value
        elif flag in "jN":
            n = parse_count(value or "")
            if n is None:
                what = "skip" if flag == "j" else "read"
                await kio.warn("od", f"invalid {what} count argument: '{value}'")
                return 1
            if flag == "j":
                skip = n
            else:
                limit = n
    if not specs:
        specs = parse_type("o2")
    per_block = 16
    widest = max((s.width + 1) * (per_block // s.size) for s in specs)
    for s in specs:
        s.pad = widest - s.width * (per_block // s.size)
    data, status = await text.read_inputs("od", opts.operands or ["-"])
    data = data[skip:] if limit is None else data[skip : skip + limit]

    def address(n: int) -> str:
        if radix == "n":
            return ""
        return {"o": f"{n:07o}", "d": f"{n:07d}", "x": f"{n:06x}"}[radix]

    out = kio.Output(1, 65536)
    prev = None
    starred = False
    for off in range(0, len(data), per_block):
        block = data[off : off + per_block]
        if block == prev and not opts.has("v") and len(block) == per_block:
            if not starred:
                await out.write("*\n")
                starred = True
            continue
        starred = False
        prev = block
        for n, spec in enumerate(specs):
            lead = address(skip + off) if n == 0 else " " * len(address(0))
            await out.write(lead + spec.line(block, per_block) + "\n")
        if off % (per_block * 256) == 0:
            await sys.checkpoint()
    if radix != "n":
        await out.write(address(skip + len(data)) + "\n")
    return await text.finish(out, "od", status)
