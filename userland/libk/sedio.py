"""sed's input and helpers: the input files read as one stream of lines (or one file at
a time), one line ahead so that ``$`` is known; the replacement of an ``s`` match with
GNU's case conversions; the ``l`` command's escaped form."""

from __future__ import annotations

import re

from kernel.abi import O_RDONLY, Error
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.sedparse import Command, SedError


class Input:
    """The input files as one stream of lines (or one file at a time with -s/-i),
    reading one line ahead so that ``$`` is known."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.fd: int | None = None
        self.reader: kio.LineReader | None = None
        self.ahead: bytes | None = None
        self.status = 0
        self.current = ""
        self.in_place = False

    async def open_next(self) -> bool:
        """Open the next readable file; False when there is none."""
        while self.names:
            name = self.names.pop(0)
            if name == "-":
                fd = 0
            else:
                try:
                    fd = await sys.open(name, O_RDONLY)
                    if (await sys.fstat(fd)).st_mode & 0o170000 == 0o040000:
                        await sys.close(fd)
                        if self.in_place:
                            raise SedError(f"couldn't edit {name}: not a regular file", 4)
                        raise SedError(f"read error on {name}: Is a directory", 4)
                except Error as err:
                    await kio.warn("sed", f"can't read {name}: {err.message}")
                    self.status = 2
                    continue
            self.fd, self.current = fd, name
            self.reader = kio.LineReader(fd)
            return True
        return False

    async def fill(self, across: bool) -> None:
        """Read the next line ahead (across files unless ``across`` is False)."""
        while self.ahead is None:
            if self.reader is not None:
                line = await self.reader.readline()
                if line:
                    self.ahead = line
                    return
                if self.fd:
                    await sys.close(self.fd)
                self.reader = None
                if not across:
                    return
            if not await self.open_next():
                return

    async def next_line(self, across: bool) -> bytes | None:
        """The next line (with its newline if it had one), or None at the end."""
        await self.fill(across)
        line, self.ahead = self.ahead, None
        return line


def needs_last(cmd: Command) -> bool:
    """Does selecting ``cmd`` need to know whether this is the last line?"""
    return (cmd.a1 is not None and cmd.a1.kind == "last") or (
        cmd.a2 is not None and cmd.a2.kind == "last"
    )


def expand(repl: list[bytes | int], m: re.Match[bytes]) -> bytes:
    """The replacement for one match, with GNU's \\L \\U \\l \\u \\E case conversions."""
    out = bytearray()
    mode = 0  # -1 lower, -2 upper
    once = 0  # -3 lower next, -4 upper next
    for part in repl:
        if isinstance(part, int) and part < 0:
            if part in (-1, -2):
                mode = part
            elif part == -5:
                mode = 0
            else:
                once = part
            continue
        piece = part if isinstance(part, bytes) else (m.group(part) or b"")
        if mode == -1:
            piece = piece.lower()
        elif mode == -2:
            piece = piece.upper()
        if once and piece:
            first = piece[:1].lower() if once == -3 else piece[:1].upper()
            piece = first + piece[1:]
            once = 0
        out += piece
    return bytes(out)


_L_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r"}


def escape_l(ps: bytes, width: int = 70) -> bytes:
    """The ``l`` command's unambiguous form, wrapped at ``width`` with ``\\``."""
    pieces = []
    for b in ps:
        if b == 92:
            pieces.append(b"\\\\")
        elif b in _L_ESCAPES:
            pieces.append(_L_ESCAPES[b])
        elif 32 <= b < 127:
            pieces.append(bytes([b]))
        else:
            pieces.append(b"\\%03o" % b)
    out = bytearray()
    col = 0
    for p in pieces:
        if col + len(p) > width - 1:
            out += b"\\\n"
            col = 0
        out += p
        col += len(p)
    return bytes(out) + b"$"
