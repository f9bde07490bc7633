"""``cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [file…]``: select parts of lines.

LIST is ``N``, ``N-M``, ``N-``, ``-M`` joined by commas; selected parts come out in
input order whatever the order of the list. Characters are bytes (``-c`` is ``-b``, as
GNU cut does). Lines without the delimiter print whole under ``-f`` unless ``-s``.
"""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: cut OPTION... [FILE]...
Print selected parts of lines from each FILE to standard output.

With no FILE, or when FILE is -, read standard input.

  -b, --bytes=LIST        select only these bytes
  -c, --characters=LIST   select only these characters
  -d, --delimiter=DELIM   use DELIM instead of TAB for field delimiter
  -f, --fields=LIST       select only these fields;  also print any line
                            that contains no delimiter character, unless
                            the -s option is specified
  -n                      (ignored)
      --complement        complement the set of selected bytes, characters
                            or fields
  -s, --only-delimited    do not print lines not containing delimiters
      --output-delimiter=STRING  use STRING as the output delimiter
                            the default is to use the input delimiter
      --help              display this help and exit

Each LIST is made up of one range, or many ranges separated by commas.
Each range is one of:
  N     N'th byte, character or field, counted from 1
  N-    from N'th byte, character or field, to end of line
  N-M   from N'th to M'th (included) byte, character or field
  -M    from first to M'th (included) byte, character or field
"""

LONG = {
    "bytes": "b",
    "characters": "c",
    "delimiter": "d",
    "fields": "f",
    "only-delimited": "s",
    "complement": "C",
    "output-delimiter": "O",
}

BIG = 1 << 62


def parse_list(spec: str, kind: str) -> list[tuple[int, int]]:
    """Merged, sorted 1-based inclusive ranges.

    Raises:
        ValueError: GNU's message for a bad list.
    """
    ranges = []
    what = "field" if kind == "f" else "byte/character"
    for item in spec.split(","):
        lo_s, dash, hi_s = item.partition("-")
        numbered = (
            "fields are numbered from 1"
            if kind == "f"
            else "byte/character positions are numbered from 1"
        )
        if item == "-":
            raise ValueError("invalid range with no endpoint: -")
        if not item:
            raise ValueError(numbered)
        for part in (lo_s, hi_s):
            if part and not part.isdigit():
                raise ValueError(f"invalid {what} value '{item}'")
        lo = int(lo_s) if lo_s else 1
        hi = (int(hi_s) if hi_s else BIG) if dash else lo
        if lo == 0:
            raise ValueError(numbered)
        if hi < lo:
            raise ValueError("invalid decreasing range")
        ranges.append((lo, hi))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The positions not in ``ranges``."""
    out = []
    nxt = 1
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt < BIG:
        out.append((nxt, BIG))
    return out


def cut_bytes(line: bytes, ranges: list[tuple[int, int]], sep: bytes | None) -> bytes:
    """The selected bytes of one line (no newline)."""
    parts = [line[lo - 1 : hi] for lo, hi in ranges if lo <= len(line)]
    return (sep if sep is not None else b"").join(parts)


def cut_fields(line: bytes, ranges: list[tuple[int, int]], delim: bytes, out_delim: bytes) -> bytes:
    """The selected fields of one line that has the delimiter."""
    fields = line.split(delim)
    picked = []
    for lo, hi in ranges:
        if lo > len(fields):
            break
        picked.extend(fields[lo - 1 : hi])
    return out_delim.join(picked)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("cut", argv, "b:c:d:f:nsCO:", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    kinds = [f for f, _ in opts.seen if f in "bcf"]
    if not kinds:
        return await text.usage_error(
            "cut", "you must specify a list of bytes, characters, or fields"
        )
    if len(kinds) > 1:
        return await text.usage_error("cut", "only one list may be specified")
    kind = kinds[0]
    try:
        ranges = parse_list(opts.value(kind) or "", kind)
    except ValueError as err:
        return await text.usage_error("cut", str(err))
    if opts.has("C"):
        ranges = complement(ranges)
    delim_s = opts.value("d", "\t") or ""
    if len(delim_s.encode()) != 1:
        return await text.usage_error("cut", "the delimiter must be a single character")
    if kind != "f" and opts.has("d"):
        return await text.usage_error(
            "cut", "an input delimiter may be specified only when operating on fields"
        )
    if kind != "f" and opts.has("s"):
        return await text.usage_error(
            "cut",
            "suppressing non-delimited lines makes sense\n\tonly when operating on fields",
        )
    delim = delim_s.encode()
    out_delim_s = opts.value("O")
    out_delim = out_delim_s.encode() if out_delim_s is not None else None
    only_delimited = opts.has("s")
    out = kio.Output(1, 65536)

    async def cut(fd: int, _name: str) -> None:
        async for batch in text.line_batches(fd):
            parts = []
            for line in batch:
                body = line[:-1] if line.endswith(b"\n") else line
                if kind != "f":
                    parts.append(cut_bytes(body, ranges, out_delim) + b"\n")
                elif delim in body:
                    od = out_delim if out_delim is not None else delim
                    parts.append(cut_fields(body, ranges, delim, od) + b"\n")
                elif not only_delimited:
                    parts.append(body + b"\n")
            await out.write(b"".join(parts))

    status = await text.each_input("cut", opts.operands or ["-"], cut)
    return await text.finish(out, "cut", status)
