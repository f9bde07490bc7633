"""The sed script parser: commands, addresses, ``s`` and ``y`` arguments, labels and
blocks, with GNU sed's error messages (``-e expression #1, char 3: unterminated `s'
command``).

The parser works on the whole script as bytes (each ``-e`` and ``-f`` piece joined with
newlines, as GNU sed does) and records, for errors, where each piece starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from userland.libk import text


class SedError(Exception):
    """A script error; the message is GNU's wording without the location."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Address:
    """One address: a line number, ``$``, a regex (None for the last one used), ``+N``."""

    kind: str  # "line", "last", "re", "plus", "step"
    num: int = 0
    step: int = 0
    regex: re.Pattern[bytes] | None = None


@dataclass(slots=True)
class Command:
    """One command with its addresses and arguments."""

    name: str
    a1: Address | None = None
    a2: Address | None = None
    negate: bool = False
    text: bytes = b""  # a/i/c text, label, file name
    regex: re.Pattern[bytes] | None = None  # s (None: the last regex)
    repl: list[bytes | int] = field(default_factory=list)  # s: literals and group numbers
    glob: bool = False
    occurrence: int = 1
    print_: int = 0
    wfile: str = ""
    ymap: bytes = b""
    target: int = -1  # b/t/T: index to jump to; {: index after the matching }
    status: int = 0  # q/Q exit status
    active: bool = False  # range state
    end: int = 0  # range end line for "line"/"plus" addresses


@dataclass(slots=True)
class Piece:
    """Where a piece of the script starts and how errors name it."""

    start: int
    name: str  # "-e expression #1" or "file x"
    is_file: bool


class Parser:
    """Parses a script into a flat list of commands (blocks are jumps)."""

    def __init__(self, script: bytes, pieces: list[Piece], extended: bool) -> None:
        self.s = script
        self.i = 0
        self.pieces = pieces
        self.extended = extended
        self.commands: list[Command] = []
        self.blocks: list[int] = []
        self.labels: dict[bytes, int] = {}

    # --- errors and scanning -------------------------------------------------------

    def error(self, message: str) -> SedError:
        """An error at the current position, located as GNU sed does."""
        piece = self.pieces[0]
        for p in self.pieces:
            if p.start <= max(self.i - 1, 0):
                piece = p
        if piece.is_file:
            line = self.s.count(b"\n", piece.start, max(self.i - 1, piece.start)) + 1
            return SedError(f"{piece.name} line {line}: {message}")
        return SedError(f"{piece.name}, char {self.i - piece.start}: {message}")

    def peek(self) -> bytes:
        return self.s[self.i : self.i + 1]

    def get(self) -> bytes:
        c = self.s[self.i : self.i + 1]
        self.i += len(c)
        return c

    def skip_space(self) -> None:
        while self.peek() in (b" ", b"\t"):
            self.i += 1

    # --- the script ----------------------------------------------------------------

    def parse(self) -> list[Command]:
        """Parse the whole script.

        Raises:
            SedError: the script is malformed.
        """
        jumps: list[Command] = []
        while True:
            while self.peek() in (b" ", b"\t", b"\n", b";"):
                self.i += 1
            if self.i >= len(self.s):
                break
            cmd = self.command()
            if cmd is not None:
                if cmd.name in "btT":
                    jumps.append(cmd)
                self.commands.append(cmd)
        if self.blocks:
            self.i = 0
            raise self.error("unmatched `{'")
        for cmd in jumps:
            if not cmd.text:
                cmd.target = len(self.commands)
            elif cmd.text in self.labels:
                cmd.target = self.labels[cmd.text]
            else:
                label = cmd.text.decode("latin-1")
                raise SedError(f"can't find label for jump to `{label}'", 4)
        return self.commands

    def command(self) -> Command | None:
        start = self.i
        a1 = self.address()
        a2 = None
        if a1 is not None:
            self.skip_space()
            if self.peek() == b",":
                self.i += 1
                self.skip_space()
                a2 = self.address(second=True)
                if a2 is None:
                    raise self.error("unexpected `,'")
            if a1.kind == "line" and a1.num == 0 and (a2 is None or a2.kind != "re"):
                raise self.error("invalid usage of line address 0")
        self.skip_space()
        negate = False
        while self.peek() == b"!":
            if negate:
                self.i += 1
                raise self.error("multiple `!'s")
            negate = True
            self.i += 1
            self.skip_space()
        c = self.get()
        if not c:
            raise self.error("missing command")
        name = c.decode("latin-1")
        cmd = Command(name, a1, a2, negate)
        if name == "#":
            if a1 is not None:
                raise self.error("comments don't accept any addresses")
            while self.peek() not in (b"\n", b""):
                self.i += 1
            return None
        if name == "{":
            cmd.end = start
            self.blocks.append(len(self.commands))
            return cmd
        if name == "}":
            if a1 is not None:
                raise self.error("} doesn't want any addresses")
            if not self.blocks:
                raise self.error("unexpected `}'")
            self.commands[self.blocks.pop()].target = len(self.commands)
            self.end_of_command()
            return None
        if name == ":":
            if a1 is not None:
                raise self.error(": doesn't want any addresses")
            label = self.label()
            if not label:
                raise self.error('":" lacks a label')
            self.labels[label] = len(self.commands)
            return None
        if name in "=dDgGhHlnNpPxz":
            self.end_of_command()
        elif name in "aic":
            cmd.text = self.text_argument()
        elif name in "qQ":
            if a2 is not None:
                raise self.error("command only uses one address")
            self.skip_space()
            digits = b""
            while self.peek().isdigit():
                digits += self.get()
            cmd.status = int(digits) if digits else 0
            self.end_of_command()
        elif name in "btT":
            cmd.text = self.label()
        elif name in "rRwW":
            cmd.text = self.filename()
            if not cmd.text:
                raise self.error("missing filename in r/R/w/W commands")
        elif name == "s":
            self.substitute(cmd)
        elif name == "y":
            self.transliterate(cmd)
        else:
            raise self.error(f"unknown command: `{name}'")
        return cmd

    def end_of_command(self) -> None:
        self.skip_space()
        c = self.peek()
        if c in (b"", b"\n", b";"):
            self.i += len(c)
        elif c == b"}" or c == b"#":
            pass
        else:
            self.i += 1
            raise self.error("extra characters after command")

    def label(self) -> bytes:
        self.skip_space()
        start = self.i
        while self.peek() not in (b"", b"\n", b";"):
            self.i += 1
        label = self.s[start : self.i].strip()
        self.i += len(self.peek())
        return label

    def filename(self) -> bytes:
        self.skip_space()
        start = self.i
        while self.peek() not in (b"", b"\n"):
            self.i += 1
        return self.s[start : self.i]

    def text_argument(self) -> bytes:
        """The text of a, i, c: ``a\\`` then lines, or GNU's one-line ``a text``."""
        self.skip_space()
        if self.peek() == b"\\":
            self.i += 1
            if self.peek() == b"\n":
                self.i += 1
        elif self.peek() in (b"", b"\n"):
            raise self.error("expected \\ after `a', `c' or `i'")
        out = bytearray()
        while self.i < len(self.s):
            c = self.get()
            if c == b"\\":
                nxt = self.get()
                out += nxt
                continue
            if c == b"\n":
                break
            out += c
        return bytes(out)

    # --- addresses and regular expressions -----------------------------------------

    def address(self, second: bool = False) -> Address | None:
        c = self.peek()
        if c.isdigit():
            num = self.number()
            if self.peek() == b"~" and not second:
                self.i += 1
                return Address("step", num, self.number() if self.peek().isdigit() else 0)
            return Address("line", num)
        if c == b"$":
            self.i += 1
            return Address("last")
        if c == b"+" and second:
            self.i += 1
            return Address("plus", self.number())
        if c in (b"/", b"\\"):
            self.i += 1
            delim = c if c == b"/" else self.get()
            source = self.delimited(delim, "unterminated address regex")
            flags = 0
            while self.peek() in (b"I", b"M"):
                flags |= re.IGNORECASE if self.get() == b"I" else re.MULTILINE
            return Address("re", regex=self.compile(source, flags))
        return None

    def number(self) -> int:
        digits = b""
        while self.peek().isdigit():
            digits += self.get()
        return int(digits or b"0")  # GNU takes "2,+" and "1~" as +0 and ~0

    def delimited(self, delim: bytes, message: str) -> bytes:
        """Text up to an unescaped ``delim`` (consumed); ``\\delim`` becomes ``delim``."""
        out = bytearray()
        while True:
            c = self.get()
            if not c or (c == b"\n" and delim != b"\n"):
                self.i -= len(c)
                raise self.error(message)
            if c == delim:
                return bytes(out)
            if c == b"\\":
                e = self.get()
                if not e:
                    raise self.error(message)
                if e == delim and delim != b"&":
                    out += e
                elif e == b"n":
                    out += b"\\n"
                elif e == b"\n":
                    out += b"\n"
                else:
                    out += c + e
            elif c == b"[":
                out += c + self.bracket(message)
            else:
                out += c

    def bracket(self, message: str) -> bytes:
        """The rest of a bracket expression, where the delimiter is not special."""
        out = bytearray()
        first = True
        if self.peek() == b"^":
            out += self.get()
        while True:
            c = self.get()
            if not c:
                raise self.error(message)
            out += c
            if c == b"]" and not first:
                return bytes(out)
            if c == b"[" and self.peek() in (b":", b".", b"="):
                kind = self.get()
                out += kind
                while not (self.peek() == kind and self.s[self.i + 1 : self.i + 2] == b"]"):
                    if self.i >= len(self.s):
                        raise self.error(message)
                    out += self.get()
                out += self.get() + self.get()
            first = False

    def compile(self, source: bytes, flags: int) -> re.Pattern[bytes] | None:
        if not source:
            return None
        try:
            return re.compile(text.translate(source, self.extended), flags)
        except text.RegexError as err:
            raise self.error(str(err)) from None
        except re.error as err:
            raise self.error(f"Invalid regular expression: {err}") from None

    # --- s and y -------------------------------------------------------------------

    def substitute(self, cmd: Command) -> None:
        delim = self.get()
        if delim in (b"", b"\n", b"\\"):
            raise self.error("unterminated `s' command")
        source = self.delimited(delim, "unterminated `s' command")
        cmd.repl = self.replacement(delim)
        flags = 0
        while True:
            c = self.peek()
            if c == b"g":
                cmd.glob = True
            elif c == b"p":
                cmd.print_ += 1
            elif c in (b"i", b"I"):
                flags |= re.IGNORECASE
            elif c in (b"m", b"M"):
                flags |= re.MULTILINE
            elif c.isdigit():
                num = self.number()
                if num == 0:
                    raise self.error("number option to `s' command may not be zero")
                cmd.occurrence = num
                continue
            elif c == b"w":
                self.i += 1
                cmd.wfile = self.filename().decode("latin-1")
                break
            elif c in (b"", b"\n", b";", b"}", b"#", b" ", b"\t"):
                break
            else:
                self.i += 1
                raise self.error("unknown option to `s'")
            self.i += 1
        cmd.regex = self.compile(source, flags)
        groups = cmd.regex.groups if cmd.regex is not None else 9
        for part in cmd.repl:
            if isinstance(part, int) and part > groups:
                raise self.error(f"invalid reference \\{part} on `s' command's RHS")
        if not cmd.wfile:
            self.end_of_command()

    def replacement(self, delim: bytes) -> list[bytes | int]:
        """The replacement: literal bytes, 0 for ``&``, 1-9 for ``\\1``-``\\9``, and
        negative numbers for GNU's case conversions (-1 \\L, -2 \\U, -3 \\l, -4 \\u, -5 \\E)."""
        parts: list[bytes | int] = []
        lit = bytearray()

        def flush() -> None:
            if lit:
                parts.append(bytes(lit))
                lit.clear()

        while True:
            c = self.get()
            if not c:
                raise self.error("unterminated `s' command")
            if c == delim:
                flush()
                return parts
            if c == b"&":
                flush()
                parts.append(0)
            elif c == b"\\":
                e = self.get()
                if not e:
                    raise self.error("unterminated `s' command")
                if e.isdigit():
                    flush()
                    parts.append(int(e))
                elif e in b"LUluE" and e != delim:
                    flush()
                    parts.append(-(b"LUluE".index(e) + 1))
                else:
                    lit += {b"n": b"\n", b"t": b"\t", b"\n": b"\n"}.get(e, e)
            elif c == b"\n" and delim != b"\n":
                self.i -= 1
                raise self.error("unterminated `s' command")
            else:
                lit += c

    def transliterate(self, cmd: Command) -> None:
        delim = self.get()
        if delim in (b"", b"\n", b"\\"):
            raise self.error("unterminated `y' command")
        src = self.y_part(delim)
        dst = self.y_part(delim)
        if len(src) != len(dst):
            raise self.error("strings for `y' command are different lengths")
        table = bytearray(range(256))
        for a, b in zip(src, dst, strict=True):
            table[a] = b
        cmd.ymap = bytes(table)
        self.end_of_command()

    def y_part(self, delim: bytes) -> bytes:
        out = bytearray()
        while True:
            c = self.get()
            if not c or c == b"\n":
                self.i -= len(c)
                raise self.error("unterminated `y' command")
            if c == delim:
                return bytes(out)
            if c == b"\\":
                e = self.get()
                if e == b"n":
                    out += b"\n"
                elif e in (delim, b"\\"):
                    out += e
                elif e == b"\n":
                    out += b"\n"
                else:
                    raise self.error("unknown option to `y'")
            else:
                out += c
