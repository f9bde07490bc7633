"""``head [-n N] [-c N] [-qv] [file…]``: the first part of files.

``-n N`` the first N lines (10 by default), ``-n -N`` all but the last N; ``-c`` the
same in bytes; ``-NUM`` is the old form of ``-n NUM``. Counts take GNU's suffixes
(``b`` 512, ``K``/``KiB`` 1024, ``kB`` 1000, ``M``, ``G``…). Reading stops as soon as
enough has been read, so ``yes | head`` ends.
"""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: head [OPTION]... [FILE]...
Print the first 10 lines of each FILE to standard output.
With more than one FILE, precede each with a header giving the file name.

With no FILE, or when FILE is -, read standard input.

  -c, --bytes=[-]NUM       print the first NUM bytes of each file;
                             with the leading '-', print all but the last
                             NUM bytes of each file
  -n, --lines=[-]NUM       print the first NUM lines instead of the first 10;
                             with the leading '-', print all but the last
                             NUM lines of each file
  -q, --quiet, --silent    never print headers giving file names
  -v, --verbose            always print headers giving file names
      --help               display this help and exit

NUM may have a multiplier suffix:
b 512, kB 1000, K 1024, MB 1000*1000, M 1024*1024,
GB 1000*1000*1000, G 1024*1024*1024, and so on for T, P, E, Z, Y.
"""

LONG = {"bytes": "c", "lines": "n", "quiet": "q", "silent": "q", "verbose": "v"}

_UNITS = "KMGTPEZYRQ"


def parse_count(value: str) -> int | None:
    """A count with GNU's multiplier suffixes, or None if it is not one."""
    digits = value
    mult = 1
    for i, unit in enumerate(_UNITS):
        for suffix, base in ((unit + "iB", 1024), (unit + "B", 1000), (unit, 1024)):
            if value.endswith(suffix) or (unit == "K" and value.endswith("k" + suffix[1:])):
                digits, mult = value[: -len(suffix)], base ** (i + 1)
                break
        if mult != 1:
            break
    if mult == 1 and value.endswith("b"):
        digits, mult = value[:-1], 512
    if not digits.isdigit():
        return None
    return int(digits) * mult


def old_form(argv: list[str]) -> list[str]:
    """``head -5 f`` is ``head -n 5 f`` (``-5c`` for bytes); only as the first argument."""
    if len(argv) < 2:
        return argv
    a = argv[1]
    if len(a) > 1 and a[0] == "-" and a[1].isdigit():
        num = a[1:].rstrip("bcklmnqv")
        kind = "c" if "c" in a[1 + len(num) :] else "n"
        return [argv[0], f"-{kind}", num, *argv[2:]]
    return argv


async def head_lines(fd: int, count: int, out: kio.Output) -> None:
    """The first ``count`` lines, reading no further than needed."""
    while count > 0:
        chunk = await sys.read(fd, text.CHUNK)
        if not chunk:
            return
        n = chunk.count(b"\n")
        if n < count:
            await out.write(chunk)
            await out.flush()
            count -= n
            continue
        pos = -1
        for _ in range(count):
            pos = chunk.index(b"\n", pos + 1)
        await out.write(chunk[: pos + 1])
        return


async def head_bytes(fd: int, count: int, out: kio.Output) -> None:
    """The first ``count`` bytes."""
    while count > 0:
        chunk = await sys.read(fd, min(count, text.CHUNK))
        if not chunk:
            return
        await out.write(chunk)
        count -= len(chunk)


async def all_but_last(fd: int, count: int, lines: bool, out: kio.Output) -> None:
    """Everything except the last ``count`` lines (or bytes)."""
    data = await kio.read_all(fd)
    if lines:
        if count:
            kept = data.splitlines(keepends=True)
            data = b"".join(kept[: max(len(kept) - count, 0)])
    else:
        data = data[: max(len(data) - count, 0)]
    await out.write(data)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("head", old_form(argv), "c:n:qv", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    lines, count, negative = True, 10, False
    for flag, value in opts.seen:
        if flag in "cn":
            assert value is not None
            negative = value.startswith("-")
            parsed = parse_count(value[1:] if value[:1] in "-+" else value)
            if parsed is None:
                what = "bytes" if flag == "c" else "lines"
                await kio.warn("head", f"invalid number of {what}: '{value}'")
                return 1
            lines, count = flag == "n", parsed
    files = opts.operands or ["-"]
    headers = len(files) > 1
    for flag, _ in opts.seen:
        if flag in "qv":
            headers = flag == "v"
    out = kio.Output(1, 65536)
    first = True

    async def head(fd: int, name: str) -> None:
        nonlocal first
        if headers:
            shown = "standard input" if name == "-" else name
            await out.write(f"{'' if first else chr(10)}==> {shown} <==\n")
        first = False
        if negative:
            await all_but_last(fd, count, lines, out)
        elif lines:
            await head_lines(fd, count, out)
        else:
            await head_bytes(fd, count, out)

    status = await text.each_input(
        "head",
        files,
        head,
        cannot_open="cannot open '{name}' for reading: {msg}",
        cannot_read="error reading '{name}': {msg}",
        out=out,
    )
    return await text.finish(out, "head", status, "error writing 'standard output'")
