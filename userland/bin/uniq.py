"""``uniq [-cdDiu] [-f N] [-s N] [-w N] [input [output]]``: report or omit repeated lines.

Adjacent equal lines form a group; a line's key skips N fields (``-f``, blanks then
non-blanks) and then N bytes (``-s``), compares at most N bytes (``-w``), and ignores
case with ``-i``. Works a read at a time, so it streams.
"""

from __future__ import annotations

from kernel.abi import O_CREAT, O_TRUNC, O_WRONLY, Error
from userland.libk import args, sys, text
from userland.libk import io as kio

USAGE = """Usage: uniq [OPTION]... [INPUT [OUTPUT]]
Filter adjacent matching lines from INPUT (or standard input),
writing to OUTPUT (or standard output).

With no options, matching lines are merged to the first occurrence.

  -c, --count           prefix lines by the number of occurrences
  -d, --repeated        only print duplicate lines, one for each group
  -D                    print all duplicate lines
  -f, --skip-fields=N   avoid comparing the first N fields
  -i, --ignore-case     ignore differences in case when comparing
  -s, --skip-chars=N    avoid comparing the first N characters
  -u, --unique          only print unique lines
  -w, --check-chars=N   compare no more than N characters in lines
      --help            display this help and exit

A field is a run of blanks (usually spaces and/or TABs), then non-blank
characters.  Fields are skipped before chars.
"""

LONG = {
    "count": "c",
    "repeated": "d",
    "skip-fields": "f",
    "ignore-case": "i",
    "skip-chars": "s",
    "unique": "u",
    "check-chars": "w",
}


class Uniq:
    """The grouping state and the options."""

    def __init__(self, opts: args.Options, fields: int, chars: int, width: int | None) -> None:
        self.count = opts.has("c")
        self.repeated = opts.has("d")
        self.all_repeated = opts.has("D")
        self.unique = opts.has("u")
        self.icase = opts.has("i")
        self.fields, self.chars, self.width = fields, chars, width
        self.group: list[bytes] = []
        self.key: bytes | None = None

    def key_of(self, line: bytes) -> bytes:
        """The part of a line (without its newline) that is compared."""
        pos = 0
        n = len(line)
        for _ in range(self.fields):
            while pos < n and line[pos] in b" \t":
                pos += 1
            while pos < n and line[pos] not in b" \t":
                pos += 1
        key = line[pos + self.chars :]
        if self.width is not None:
            key = key[: self.width]
        return key.lower() if self.icase else key

    def end_group(self) -> bytes:
        """What the finished group prints."""
        g = self.group
        if not g:
            return b""
        dup = len(g) > 1
        if (self.repeated or self.all_repeated) and not dup:
            return b""
        if self.unique and dup:
            return b""
        if self.all_repeated:
            return b"".join(line + b"\n" for line in g)
        prefix = f"{len(g):7d} ".encode() if self.count else b""
        return prefix + g[0] + b"\n"

    def feed(self, lines: list[bytes]) -> bytes:
        """Take a batch of lines (newline kept); return the output of finished groups."""
        out = []
        for line in lines:
            body = line[:-1] if line.endswith(b"\n") else line
            key = self.key_of(body)
            if key != self.key:
                out.append(self.end_group())
                self.group = []
                self.key = key
            if self.all_repeated or not self.group:
                self.group.append(body)
            else:
                self.group.append(b"")
        return b"".join(out)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("uniq", argv, "cdDf:is:uw:z", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    numbers = {"f": 0, "s": 0, "w": -1}
    names = {
        "f": "number of fields to skip",
        "s": "number of bytes to skip",
        "w": "number of bytes to compare",
    }
    for flag in "fsw":
        value = opts.value(flag)
        if value is not None:
            if not value.isdigit():
                await kio.warn("uniq", f"{value}: invalid {names[flag]}")
                return 1
            numbers[flag] = int(value)
    if len(opts.operands) > 2:
        return await text.usage_error("uniq", f"extra operand '{opts.operands[2]}'")
    if opts.has("c") and opts.has("D"):
        return await text.usage_error(
            "uniq", "printing all duplicated lines and repeat counts is meaningless"
        )
    u = Uniq(opts, numbers["f"], numbers["s"], None if numbers["w"] < 0 else numbers["w"])
    source = opts.operands[0] if opts.operands else "-"
    fd = await text.open_input("uniq", source)
    if fd is None:
        return 1
    out_fd = 1
    if len(opts.operands) == 2 and opts.operands[1] != "-":
        try:
            out_fd = await sys.open(opts.operands[1], O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        except Error as err:
            await kio.warn("uniq", f"{opts.operands[1]}: {err.message}")
            return 1
    out = kio.Output(out_fd, 65536)
    try:
        async for batch in text.line_batches(fd):
            await out.write(u.feed(batch))
        await out.write(u.end_group())
        await out.flush()
    except Error as err:
        await kio.warn("uniq", f"{source}: {err.message}")
        return 1
    finally:
        await text.close_input(fd)
        if out_fd != 1:
            await sys.close(out_fd)
    return 0
