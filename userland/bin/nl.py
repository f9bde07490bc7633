"""``nl [-b STYLE] [-n FORMAT] [-w N] [-s SEP] [-v N] [-i N] [file…]``: number lines.

GNU defaults: body lines numbered when non-empty (``-b t``), numbers right-aligned in
6 columns (``-n rn -w 6``), a tab after the number. Logical pages are marked by the
delimiter lines ``\\:\\:\\:`` (header), ``\\:\\:`` (body), ``\\:`` (footer), which print
as empty lines; each header restarts the numbering unless ``-p``.
"""

from __future__ import annotations

import re

from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: nl [OPTION]... [FILE]...
Write each FILE to standard output, with line numbers added.

With no FILE, or when FILE is -, read standard input.

  -b, --body-numbering=STYLE      use STYLE for numbering body lines
  -d, --section-delimiter=CC      use CC for logical page delimiters
  -f, --footer-numbering=STYLE    use STYLE for numbering footer lines
  -h, --header-numbering=STYLE    use STYLE for numbering header lines
  -i, --line-increment=NUMBER     line number increment at each line
  -n, --number-format=FORMAT      insert line numbers according to FORMAT
  -p, --no-renumber               do not reset line numbers for each section
  -s, --number-separator=STRING   add STRING after (possible) line number
  -v, --starting-line-number=NUMBER  first line number for each section
  -w, --number-width=NUMBER       use NUMBER columns for line numbers
      --help                      display this help and exit

Default options are: -bt -d'\\:' -fn -hn -i1 -n'rn' -s<TAB> -v1 -w6

STYLE is one of:
  a      number all lines
  t      number only nonempty lines
  n      number no lines
  pBRE   number only lines that contain a match for the basic regular
         expression, BRE

FORMAT is one of:
  ln     left justified, no leading zeros
  rn     right justified, no leading zeros
  rz     right justified, leading zeros
"""

LONG = {
    "body-numbering": "b",
    "section-delimiter": "d",
    "footer-numbering": "f",
    "header-numbering": "h",
    "line-increment": "i",
    "number-format": "n",
    "no-renumber": "p",
    "number-separator": "s",
    "starting-line-number": "v",
    "number-width": "w",
}

STYLE_NAMES = {"b": "body", "h": "header", "f": "footer"}


def parse_style(value: str) -> str | re.Pattern | None:
    """``a``, ``t``, ``n`` or a compiled ``pBRE``; None if malformed."""
    if value in ("a", "t", "n"):
        return value
    if value.startswith("p"):
        try:
            return text.compile_posix(value[1:].encode())
        except text.RegexError:
            return None
    return None


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("nl", argv, "b:d:f:h:i:n:ps:v:w:", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    styles: dict[str, str | re.Pattern] = {"h": "n", "b": "t", "f": "n"}
    fmt, width, sep, start, incr = "rn", 6, "\t", 1, 1
    delim = "\\:"
    for flag, value in opts.seen:
        assert value is not None or flag == "p"
        if flag in "bhf":
            style = parse_style(value or "")
            if style is None:
                return await text.usage_error(
                    "nl", f"invalid {STYLE_NAMES[flag]} numbering style: '{value}'"
                )
            styles[flag] = style
        elif flag == "n":
            if value not in ("ln", "rn", "rz"):
                return await text.usage_error("nl", f"invalid line numbering format: '{value}'")
            fmt = value
        elif flag in "wvi":
            try:
                number = int(value or "")
                if flag == "w" and number <= 0:
                    raise ValueError
            except ValueError:
                what = {"w": "line number field width", "v": "starting line number"}
                await kio.warn(
                    "nl", f"invalid {what.get(flag, 'line number increment')}: '{value}'"
                )
                return 1
            width, start, incr = (
                number if flag == "w" else width,
                number if flag == "v" else start,
                number if flag == "i" else incr,
            )
        elif flag == "s":
            sep = value or ""
        elif flag == "d":
            delim = (value or "") + (":" if len(value or "") == 1 else "")
    renumber = not opts.has("p")
    d = delim.encode()
    markers = {d * 3: "h", d * 2: "b", d: "f"}
    blank = (" " * (width + len(sep))).encode()
    number = start
    section = "b"
    out = kio.Output(1, 65536)

    async def number_lines(fd: int, _name: str) -> None:
        nonlocal number, section
        async for batch in text.line_batches(fd):
            parts: list[bytes] = []
            for line in batch:
                body = line[:-1] if line.endswith(b"\n") else line
                if body in markers:
                    section = markers[body]
                    if section == "h" and renumber:
                        number = start
                    parts.append(b"\n")
                    continue
                style = styles[section]
                if (
                    style == "a"
                    or (style == "t" and body)
                    or (isinstance(style, re.Pattern) and style.search(body))
                ):
                    if fmt == "ln":
                        label = f"{number:<{width}d}"
                    elif fmt == "rz":
                        label = f"{number:0{width}d}"
                    else:
                        label = f"{number:>{width}d}"
                    parts.append(label.encode())
                    parts.append(sep.encode())
                    number += incr
                else:
                    parts.append(blank)
                parts.append(line if line.endswith(b"\n") else line + b"\n")
            await out.write(b"".join(parts))

    status = await text.each_input("nl", opts.operands or ["-"], number_lines)
    return await text.finish(out, "nl", status)
