"""``wc [-clmwL] [file…]``: newline, word and byte counts, in GNU's columns.

Counting works a read at a time on whole chunks (``bytes.count``, ``bytes.split``),
never a byte at a time, except for ``-L``. A word is a run of printable non-space
bytes (non-printable bytes neither start nor end one), as in GNU wc under LC_ALL=C.
"""

from __future__ import annotations

from kernel.abi import S_ISREG, Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: wc [OPTION]... [FILE]...
Print newline, word, and byte counts for each FILE, and a total line if
more than one FILE is specified.  A word is a non-zero-length sequence of
printable characters delimited by white space.

With no FILE, or when FILE is -, read standard input.

The options below may be used to select which counts are printed, always in
the following order: newline, word, character, byte, maximum line length.
  -c, --bytes            print the byte counts
  -m, --chars            print the character counts
  -l, --lines            print the newline counts
  -L, --max-line-length  print the maximum display width
  -w, --words            print the word counts
      --help             display this help and exit
"""

LONG = {"bytes": "c", "chars": "m", "lines": "l", "max-line-length": "L", "words": "w"}

#: Bytes as the word counter sees them: spaces stay, printable bytes become ``x``,
#: the rest are dropped (they neither start nor end a word).
_SPACE = b" \t\n\v\f\r"
_WORD_TABLE = bytes(b if b in _SPACE else (0x78 if 33 <= b < 127 else 0) for b in range(256))
_DROP = bytes(b for b in range(256) if not (b in _SPACE or 33 <= b < 127))


class Counts:
    """The counts of one input."""

    __slots__ = ("lines", "words", "bytes", "maxlen", "_in_word", "_col")

    def __init__(self) -> None:
        self.lines = self.words = self.bytes = self.maxlen = 0
        self._in_word = False
        self._col = 0

    def add_words(self, chunk: bytes) -> None:
        """Count the words of the next chunk, continuing one that spans chunks."""
        squeezed = chunk.translate(_WORD_TABLE, _DROP)
        if not squeezed:
            return
        n = len(squeezed.split())
        if self._in_word and squeezed[0] not in _SPACE:
            n -= 1
        self.words += n
        self._in_word = squeezed[-1] not in _SPACE

    def add_widths(self, chunk: bytes) -> None:
        """Track the widest line (tabs to multiples of 8, unprintable bytes zero wide)."""
        col, widest = self._col, self.maxlen
        for b in chunk:
            if b == 10 or b == 13 or b == 12:
                if col > widest:
                    widest = col
                col = 0
            elif b == 9:
                col += 8 - col % 8
            elif 32 <= b < 127:
                col += 1
        self._col, self.maxlen = col, max(widest, col)


async def count(fd: int, want: set[str]) -> Counts:
    """Count one open input."""
    c = Counts()
    read = sys.read
    if want <= {"c", "m"}:
        st = await sys.fstat(fd)
        if S_ISREG(st.st_mode) and st.st_size > 0:
            pos = await sys.lseek(fd, 0, 1)
            c.bytes = max(st.st_size - pos, 0)
            return c
    lines, words, widths = "l" in want, "w" in want, "L" in want
    while True:
        chunk = await read(fd, 1 << 20)
        if not chunk:
            return c
        c.bytes += len(chunk)
        if lines:
            c.lines += chunk.count(b"\n")
        if words:
            c.add_words(chunk)
        if widths:
            c.add_widths(chunk)
            await sys.checkpoint()


def fields(c: Counts, want: set[str]) -> list[int]:
    """The counts to print, in wc's fixed order."""
    order = (("l", c.lines), ("w", c.words), ("m", c.bytes), ("c", c.bytes), ("L", c.maxlen))
    return [v for flag, v in order if flag in want]


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("wc", argv, "clmwL", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    want = {f for f, _ in opts.seen} or {"l", "w", "c"}
    names = opts.operands or [""]
    status = 0
    fds: list[int | None] = []
    regular_total, min_width = 0, 1
    for name in names:
        fd = await text.open_input("wc", name) if name else 0
        fds.append(fd)
        if fd is None:
            status = 1
            continue
        st = await sys.fstat(fd)
        if S_ISREG(st.st_mode):
            regular_total += st.st_size
        else:
            min_width = 7
    if len(names) == 1 and len(want) == 1:
        width = 1
    else:
        width = max(len(str(regular_total)), min_width)
    total = Counts()
    out = kio.Output(1)
    for name, fd in zip(names, fds, strict=True):
        if fd is None:
            continue
        try:
            c = await count(fd, want)
        except Error as err:
            await kio.warn("wc", f"{name}: {err.message}")
            status = 1
            c = Counts()
        finally:
            await text.close_input(fd)
        total.lines += c.lines
        total.words += c.words
        total.bytes += c.bytes
        total.maxlen = max(total.maxlen, c.maxlen)
        row = " ".join(f"{v:{width}d}" for v in fields(c, want))
        await out.line(f"{row} {name}" if name else row)
    if len(names) > 1:
        row = " ".join(f"{v:{width}d}" for v in fields(total, want))
        await out.line(f"{row} total")
    return await text.finish(out, "wc", status)
