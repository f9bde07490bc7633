"""``more [FILE…]``: a pager, as util-linux has it: text one screenful at a time.

When standard output is a terminal, more shows as many lines as fit (the size comes
from ``TIOCGWINSZ``, long lines counted as the rows they wrap to), then the prompt
``--More--(NN%)`` in reverse video, and reads keys from ``/dev/tty`` with the terminal
in non-canonical mode without echo (so that it works at the end of a pipe, as under
``man``). Keys: space or ``f`` the next page, Enter or ``j`` the next line, ``d`` half
a page, ``b`` back a page, ``/pattern`` search forward (a regular expression) and
``n`` again, ``=`` the line number, ``h`` help, ``q`` (or ^C) quit. More ends by
itself after the last line. The percentage is how far through the input the bottom
line is; for a pipe it shows once the end has been read (more reads up to 256 KiB
ahead), before that the prompt is plain ``--More--``.

When standard output is not a terminal more copies its input, like cat (with a
``::::::::::::::`` header before each file when there are several).
"""

from __future__ import annotations

import re

from kernel.abi import (
    ECHO,
    EINTR,
    ICANON,
    ISIG,
    O_RDONLY,
    S_ISDIR,
    S_ISREG,
    TCGETS,
    TCSETS,
    TIOCGWINSZ,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: more [options] <file>...

A file perusal filter for terminal viewing.

Keys while paging: space/f next page, Enter/j next line, d half a page,
b back a page, /pattern search, n search again, = line number, h help,
q quit.

      --help     display this help and exit
"""
HELP = """Keys:
<space>  f  ^F      Display the next page
<return> j          Display the next line
d  ^D               Display the next half page
b  ^B               Go back one page
/<regular expression>  Search forward for the expression
n                   Search again for the last expression
=                   Display the current line number
h  ?                This help
q  Q  ^C            Exit from more
"""
CHUNK = 4096
READ_AHEAD = 256 * 1024
HEADER = "::::::::::::::"
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REVERSE, PLAIN = "\x1b[7m", "\x1b[0m"
ERASE = "\r\x1b[K"
#: Escape sequences of keys the console sends in raw mode, as more's own keys.
SEQUENCES = {"\x1b[6~": " ", "\x1b[5~": "b", "\x1b[B": "\n", "\x1b[A": "b"}


class Source:
    """One input, read as needed: its lines and the byte offset after each."""

    def __init__(self, fd: int, size: int | None) -> None:
        self.fd = fd
        self.size = size
        self.lines: list[str] = []
        self.ends: list[int] = []
        self.eof = False
        self._partial = bytearray()
        self._read = 0

    async def fill(self, count: int) -> None:
        """Read until there are ``count`` lines (or the input ends)."""
        while len(self.lines) < count and not self.eof:
            try:
                chunk = await sys.read(self.fd, CHUNK)
            except Error as err:
                if err.errno == EINTR:
                    continue
                raise
            if not chunk:
                self.eof = True
                if self._partial:
                    self._add(bytes(self._partial))
                    self._partial.clear()
                break
            self._read += len(chunk)
            self._partial += chunk
            while (nl := self._partial.find(b"\n")) >= 0:
                self._add(bytes(self._partial[: nl + 1]))
                del self._partial[: nl + 1]

    def _add(self, raw: bytes) -> None:
        end = (self.ends[-1] if self.ends else 0) + len(raw)
        self.lines.append(raw.rstrip(b"\n").decode(errors="replace"))
        self.ends.append(end)

    async def percent(self, shown: int) -> int | None:
        """How far through the input line ``shown`` (exclusive) is, when known."""
        if self.size is None and not self.eof:
            await self.fill(len(self.lines) + 1 + READ_AHEAD // 80)
        total = self.size if self.size is not None else (self.ends[-1] if self.eof else None)
        if not total or not shown:
            return None if total is None else 100
        return min(100, self.ends[shown - 1] * 100 // total)


def rows_of(line: str, cols: int) -> int:
    """How many terminal rows ``line`` takes (escapes take none, tabs go to 8)."""
    width = 0
    for ch in ESCAPE.sub("", line):
        width = (width // 8 + 1) * 8 if ch == "\t" else width + 1
    return max(1, -(-width // max(1, cols)))


class Pager:
    """Paging one source on the terminal: what is shown and the keys' actions."""

    def __init__(self, src: Source, tty: int, name: str | None) -> None:
        self.src = src
        self.tty = tty
        self.name = name
        self.top = 0  # first line of the last page shown
        self.shown = 0  # lines shown so far (the next line to show)
        self.rows, self.cols = 24, 80
        self.pattern: re.Pattern[str] | None = None
        self.out: list[str] = []

    async def size(self) -> None:
        """The terminal's size, from TIOCGWINSZ on standard output."""
        try:
            ws = await sys.ioctl(1, TIOCGWINSZ)
            self.rows, self.cols = max(2, ws.rows), max(10, ws.cols)
        except Error:
            self.rows, self.cols = 24, 80

    async def show(self, start: int, screen_rows: int) -> None:
        """Queue the lines from ``start`` that fill ``screen_rows`` rows."""
        self.top = start
        used = 0
        i = start
        while True:
            await self.src.fill(i + 1)
            if i >= len(self.src.lines):
                break
            need = rows_of(self.src.lines[i], self.cols)
            if used and used + need > screen_rows:
                break
            self.out.append(self.src.lines[i] + "\n")
            used += need
            i += 1
        self.shown = i

    async def at_end(self) -> bool:
        """Everything was shown."""
        await self.src.fill(self.shown + 1)
        return self.shown >= len(self.src.lines)

    async def flush(self) -> None:
        """Write what is queued."""
        if self.out:
            text = "".join(self.out)
            self.out.clear()
            await kio.write_all(1, text)

    async def prompt(self, note: str = "", next_file: str | None = None) -> None:
        """The ``--More--`` line at the bottom."""
        if next_file is not None:
            text = f"--More--(Next file: {next_file})"
        else:
            pct = await self.src.percent(self.shown)
            text = "--More--" if pct is None else f"--More--({pct}%)"
        self.out.append(f"{REVERSE}{text}{PLAIN}{note}")
        await self.flush()

    async def search(self, pattern: re.Pattern[str]) -> int | None:
        """The first line at or after the shown ones that matches."""
        i = self.shown
        while True:
            await self.src.fill(i + 1)
            if i >= len(self.src.lines):
                return None
            if pattern.search(ESCAPE.sub("", self.src.lines[i])):
                return i
            i += 1


class Keys:
    """Keys typed at the terminal, one at a time (escape sequences as more's keys)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = ""

    async def get(self) -> str:
        """The next key; "" when the terminal has no more input."""
        while not self.pending:
            try:
                data = await sys.read(self.fd, 16)
            except Error as err:
                if err.errno == EINTR:
                    continue
                return ""
            if not data:
                return ""
            self.pending += data.decode(errors="replace")
        for seq, key in SEQUENCES.items():
            if self.pending.startswith(seq):
                self.pending = self.pending[len(seq) :]
                return key
        if self.pending.startswith("\x1b[") or self.pending.startswith("\x1bO"):
            m = re.match(r"\x1b[\[O][0-9;]*.?", self.pending)
            self.pending = self.pending[m.end() if m else 1 :]
            return "\x1b"
        key, self.pending = self.pending[0], self.pending[1:]
        return key

    async def line(self, pager: Pager, lead: str) -> str | None:
        """Read a line on the prompt row (``/pattern``): None if cancelled."""
        text = ""
        await kio.write_all(1, f"{ERASE}{lead}")
        while True:
            key = await self.get()
            if key in ("\n", "\r"):
                return text
            if key in ("", "\x03", "\x1b", "\x07"):
                return None
            if key in ("\x7f", "\b"):
                if not text:
                    return None
                text = text[:-1]
                await kio.write_all(1, "\b \b")
            elif key >= " ":
                text += key
                await kio.write_all(1, key)


async def page(pager: Pager, keys: Keys, next_file: str | None) -> bool:
    """Page one source to its end; False when the user quit."""
    await pager.size()
    await pager.show(0, pager.rows - 1)
    await pager.flush()
    note = ""
    while not await pager.at_end() or next_file is not None:
        ended = await pager.at_end()
        await pager.prompt(note, next_file if ended else None)
        note = ""
        key = await keys.get()
        await kio.write_all(1, ERASE)
        await pager.size()
        if key in ("", "q", "Q", "\x03"):
            return False
        if ended:  # at the end with a next file: any key goes on
            return True
        if key in (" ", "f", "z", "\x06"):
            await pager.show(pager.shown, pager.rows - 1)
        elif key in ("\n", "\r", "j"):
            await pager.show(pager.shown, 1)
        elif key in ("d", "\x04"):
            await pager.show(pager.shown, max(1, (pager.rows - 1) // 2))
        elif key in ("b", "\x02"):
            start = max(0, pager.top - _lines_back(pager))
            pager.out.append("...back 1 page\n")
            await pager.show(start, pager.rows - 2)
        elif key in ("/", "n"):
            if key == "/":
                text = await keys.line(pager, "/")
                await kio.write_all(1, ERASE)
                if text is None:
                    continue
                try:
                    pager.pattern = re.compile(text)
                except re.error:
                    note = " Bad regular expression"
                    continue
            if pager.pattern is None:
                note = " No previous regular expression"
                continue
            found = await pager.search(pager.pattern)
            if found is None:
                note = " Pattern not found"
                continue
            pager.out.append("...skipping\n")
            await pager.show(max(pager.shown, found - 2), pager.rows - 2)
        elif key == "=":
            note = f" {pager.shown}"
        elif key in ("h", "?"):
            pager.out.append(HELP + "-" * min(pager.cols - 1, 79) + "\n")
        else:
            note = " [Press 'h' for instructions.]"
        await pager.flush()
    return True


def _lines_back(pager: Pager) -> int:
    """How many lines before the current page the previous page starts."""
    used, n = 0, 0
    i = pager.top - 1
    while i >= 0:
        used += rows_of(pager.src.lines[i], pager.cols)
        if used > pager.rows - 2:
            break
        n += 1
        i -= 1
    return max(1, n)


async def open_input(name: str) -> tuple[int, int | None] | str:
    """``(fd, size)`` of a file to page, or the message to show instead."""
    try:
        st = await sys.stat(name)
    except Error as err:
        return f"more: cannot open {name}: {err.message}"
    if S_ISDIR(st.st_mode):
        return f"\n*** {name}: directory ***\n"
    try:
        fd = await sys.open(name, O_RDONLY)
    except Error as err:
        return f"more: cannot open {name}: {err.message}"
    return fd, st.st_size if S_ISREG(st.st_mode) else None


async def copy(fd: int) -> None:
    """Copy an input to standard output (more when output is not a terminal)."""
    while True:
        data = await sys.read(fd, 65536)
        if not data:
            return
        await kio.write_all(1, data)


async def is_terminal(fd: int) -> bool:
    """Is ``fd`` a terminal?"""
    try:
        await sys.ioctl(fd, TCGETS)
    except Error:
        return False
    return True


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("more", argv, "", USAGE)
    if isinstance(opts, int):
        return opts
    names = list(opts.operands)
    tty = -1
    if await is_terminal(1):
        try:
            tty = await sys.open("/dev/tty", O_RDONLY)
        except Error:
            tty = -1
    if not names and tty >= 0 and await is_terminal(0):
        await kio.write_all(2, "more: bad usage\nTry 'more --help' for more information.\n")
        return 1
    if tty < 0:
        return await plain(names)
    saved = await sys.ioctl(tty, TCGETS)
    raw = saved.copy()
    raw.lflag &= ~(ICANON | ECHO | ISIG)
    await sys.ioctl(tty, TCSETS, raw)
    status = 0
    keys = Keys(tty)
    try:
        inputs: list[str | None] = list(names) if names else [None]
        for i, name in enumerate(inputs):
            if name is None:
                fd, size = 0, None
            else:
                opened = await open_input(name)
                if isinstance(opened, str):
                    await kio.write_all(2 if opened.startswith("more:") else 1, opened + "\n")
                    status = 1
                    continue
                fd, size = opened
                if len(inputs) > 1:
                    await kio.write_all(1, f"{HEADER}\n{name}\n{HEADER}\n")
            following = inputs[i + 1] if i + 1 < len(inputs) else None
            pager = Pager(Source(fd, size), tty, name)
            try:
                going = await page(pager, keys, following)
            finally:
                if fd:
                    await sys.close(fd)
            if not going:
                break
    finally:
        await sys.ioctl(tty, TCSETS, saved)
        await sys.close(tty)
    return status


async def plain(names: list[str]) -> int:
    """Not a terminal: copy the inputs, with headers when there are several."""
    status = 0
    if not names:
        await copy(0)
        return 0
    for name in names:
        opened = await open_input(name)
        if isinstance(opened, str):
            await kio.write_all(2 if opened.startswith("more:") else 1, opened + "\n")
            status = 1
            continue
        fd, _ = opened
        if len(names) > 1:
            await kio.write_all(1, f"{HEADER}\n{name}\n{HEADER}\n")
        try:
            await copy(fd)
        finally:
            await sys.close(fd)
    return status
