"""``tac [-b] [-r] [-s SEP] [file…]``: concatenate and print files in reverse, last record
first.

A record ends with the separator (a newline by default; ``-s`` another string, ``-r`` a
regular expression); ``-b`` attaches it to the start of the record instead, as GNU tac.
"""

from __future__ import annotations

import re

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: tac [OPTION]... [FILE]...
Write each FILE to standard output, last line first.

With no FILE, or when FILE is -, read standard input.

Mandatory arguments to long options are mandatory for short options too.
  -b, --before             attach the separator before instead of after
  -r, --regex              interpret the separator as a regular expression
  -s, --separator=STRING   use STRING as the separator instead of newline
      --help        display this help and exit
"""

LONG = {"before": "b", "regex": "r", "separator": "s"}


def backward(data: bytes, sep: re.Pattern[bytes]) -> list[tuple[int, int]]:
    """The separators as GNU tac finds a regex one: searching from the end, each match
    starting at the rightmost position and ending before the separator after it."""
    found = []
    limit = len(data)
    pos = limit - 1
    while pos >= 0:
        m = sep.match(data, pos, limit)
        if m and m.end() > m.start():
            found.append((m.start(), m.end()))
            limit = m.start()
        pos -= 1
        pos = min(pos, limit - 1)
    return found[::-1]


def reverse(data: bytes, sep: re.Pattern[bytes], before: bool, regex: bool = False) -> bytes:
    """The records of ``data`` in reverse order.

    Args:
        data: the whole input.
        sep: what separates records.
        before: the separator belongs to the record after it (``-b``).
        regex: ``sep`` is a regular expression (``-r``), found as GNU tac does.
    """
    records: list[bytes] = []
    pos = 0
    if regex:
        spans = backward(data, sep)
    else:
        spans = [(m.start(), m.end()) for m in sep.finditer(data) if m.end() > m.start()]
    if before:
        cuts = [s for s, _ in spans]
        starts = [0, *cuts] if not cuts or cuts[0] != 0 else cuts
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(data)
            records.append(data[s:end])
        return b"".join(reversed([r for r in records if r]))
    for _, end in spans:
        records.append(data[pos:end])
        pos = end
    if pos < len(data):
        records.append(data[pos:])
    return b"".join(reversed(records))


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("tac", argv, "brs:", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    raw = (opts.value("s") or "\n").encode()
    if opts.value("s") == "":
        return await text.usage_error("tac", "separator cannot be empty")
    try:
        sep = text.compile_posix(raw) if opts.has("r") else re.compile(re.escape(raw))
    except text.RegexError as err:
        await kio.warn("tac", f"{err}")
        return 1
    out = kio.Output(1, 65536)
    status = 0
    for name in opts.operands or ["-"]:
        fd = await text.open_input("tac", name, "failed to open '{name}' for reading: {msg}")
        if fd is None:
            status = 1
            continue
        try:
            data = await kio.read_all(fd)
        except Error as err:
            shown = "standard input" if name == "-" else name
            await kio.warn("tac", f"{shown}: read error: {err.message}")
            status = 1
            continue
        finally:
            await text.close_input(fd)
        await out.write(reverse(data, sep, opts.has("b"), opts.has("r")))
    return await text.finish(out, "tac", status)
