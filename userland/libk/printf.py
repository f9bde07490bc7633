"""printf(1) formatting: the formatter shared by the shell's ``printf`` builtin and /bin/printf.

Pure computation, no system calls. It follows POSIX and GNU coreutils: directives
``%d %i %o %u %x %X %e %E %f %F %g %G %c %s %b %%`` with the flags ``- + space # 0``,
a width and a precision (each may be ``*``, taken from the arguments), backslash escapes
in the format (``\\n``, ``\\NNN``, ``\\xHH``, ``\\uHHHH``, ``\\c``…), ``%b`` for an
argument with escapes, a numeric argument ``'c`` for a character's code, and the format
used again while arguments remain. A bad number is reported (``abc: expected a numeric
value``) and counts as 0 (or as the part that did convert); the status is then 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SIMPLE_ESCAPES = {
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "'": "'",
}
_CONVERSIONS = "diouxXeEfFgGcsb"
_FLOAT = re.compile(
    r"[ \t\n]*[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)",
    re.IGNORECASE,
)
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)
UINT_MAX = 2**64 - 1


class PrintfError(Exception):
    """A fatal error in the format (an invalid directive): output stops, status 1."""


@dataclass(slots=True)
class Result:
    """What a printf run produced: the text, messages for stderr, and the status.

    ``stopped`` is True when ``\\c`` ended the output early.
    """

    output: str = ""
    errors: list[str] = field(default_factory=list)
    status: int = 0
    stopped: bool = False


def _byte(value: int) -> str:
    """An escape's byte: ASCII as itself, 0x80-0xff as the surrogate that
    ``surrogateescape`` writes as that very byte (not UTF-8)."""
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


def unescape(text: str, *, for_b: bool = False) -> tuple[str, bool]:
    """Interpret backslash escapes.

    Args:
        text: the text (a format, or a ``%b`` argument when ``for_b``).
        for_b: ``%b`` rules: octal is ``\\0NNN`` (or ``\\NNN``), ``\\c`` stops output.

    Returns:
        The text, and False if ``\\c`` asked for no further output.
    """
    if "\\" not in text:
        return text, True
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e == "c":
            return "".join(out), False
        if e in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[e])
        elif e in "01234567":
            limit = 4 if (for_b and e == "0") else 3
            j = i - 1
            end = j
            while end < n and end - j < limit and text[end] in "01234567":
                end += 1
            digits = text[j:end]
            if for_b and e == "0" and len(digits) > 1:
                digits = digits[1:]
            out.append(_byte(int(digits, 8) & 0xFF))
            i = end
        elif e in "xuU":
            limit = {"x": 2, "u": 4, "U": 8}[e]
            end = i
            while end < n and end - i < limit and text[end] in "0123456789abcdefABCDEF":
                end += 1
            if end == i:
                out.append("\\" + e)
            else:
                value = int(text[i:end], 16)
                out.append(_byte(value) if e == "x" else chr(value))
                i = end
        else:
            out.append("\\" + e)
    return "".join(out), True


class _Args:
    """The argument list, consumed left to right; missing ones are empty."""

    __slots__ = ("items", "pos", "result")

    def __init__(self, items: list[str], result: Result) -> None:
        self.items = items
        self.pos = 0
        self.result = result

    def next(self) -> str | None:
        if self.pos >= len(self.items):
            return None
        self.pos += 1
        return self.items[self.pos - 1]

    def warn(self, arg: str, message: str) -> None:
        self.result.errors.append(f"{arg}: {message}")
        self.result.status = 1

    def integer(self, unsigned: bool = False) -> int:
        arg = self.next()
        if arg is None or arg == "":
            return 0
        value, rest = _int_prefix(arg)
        if value is None:
            self.warn(arg, "expected a numeric value")
            return 0
        if rest:
            self.warn(arg, "value not completely converted")
        low, high = (-UINT_MAX, UINT_MAX) if unsigned else (INT_MIN, INT_MAX)
        if not low <= value <= high:
            self.warn(arg, "Numerical result out of range")
            value = max(low, min(high, value)) if not unsigned else UINT_MAX
        return value

    def number(self) -> float:
        arg = self.next()
        if arg is None or arg == "":
            return 0.0
        if arg[0] in "'\"":
            return float(ord(arg[1])) if len(arg) > 1 else self._bad(arg)
        m = _FLOAT.match(arg)
        if m is None:
            return self._bad(arg)
        text = m.group().strip()
        try:
            value = float.fromhex(text) if "x" in text.lower() else float(text)
        except ValueError:
            return self._bad(arg)
        if m.end() < len(arg):
            self.warn(arg, "value not completely converted")
        return value

    def _bad(self, arg: str) -> float:
        self.warn(arg, "expected a numeric value")
        return 0.0


def _int_prefix(arg: str) -> tuple[int | None, str]:
    """strtol with base 0 (and ``'c``): the value of the longest prefix and what is left."""
    if arg[0] in "'\"":
        return (ord(arg[1]), "") if len(arg) > 1 else (None, arg)
    s = arg.lstrip(" \t\n")
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s[:2].lower() == "0x" and len(s) > 2 and s[2] in "0123456789abcdefABCDEF":
        base, digits, i = 16, "0123456789abcdefABCDEF", 2
    elif s[:1] == "0":
        base, digits, i = 8, "01234567", 1
        if not s[1:2] or s[1] not in digits:
            return 0, s[1:]
    else:
        base, digits, i = 10, "0123456789", 0
    start = i
    while i < len(s) and s[i] in digits:
        i += 1
    if i == start:
        return None, arg
    return sign * int(s[start:i], base), s[i:]


def _format_int(value: int, conv: str, flags: str, width: int, prec: int | None) -> str:
    """One integer directive with C's rules for sign, ``#``, precision and ``0``."""
    if conv in "ouxX" and value < 0:
        value &= UINT_MAX
    sign = ""
    if value < 0:
        sign, value = "-", -value
    elif conv in "di":
        sign = "+" if "+" in flags else " " if " " in flags else ""
    base = {"o": 8, "x": 16, "X": 16}.get(conv, 10)
    digits = "" if (prec == 0 and value == 0) else format(value, {8: "o", 16: "x", 10: "d"}[base])
    if conv == "X":
        digits = digits.upper()
    if prec is not None:
        digits = digits.zfill(prec)
    prefix = ""
    if "#" in flags:
        if conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
        elif conv in "xX" and value:
            prefix = "0" + conv
    body_len = len(sign) + len(prefix) + len(digits)
    if width <= body_len:
        return sign + prefix + digits
    if "-" in flags:
        return sign + prefix + digits + " " * (width - body_len)
    if "0" in flags and prec is None:
        return sign + prefix + "0" * (width - body_len) + digits
    return " " * (width - body_len) + sign + prefix + digits


def _pad(text: str, flags: str, width: int) -> str:
    if len(text) >= width:
        return text
    fill = " " * (width - len(text))
    return text + fill if "-" in flags else fill + text


_DIRECTIVE = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?(.?)", re.DOTALL)


def _one_pass(fmt: str, args: _Args, out: list[str]) -> bool:
    """Format once through; False if ``\\c`` stopped the output.

    Raises:
        PrintfError: an invalid directive.
    """
    i, n = 0, len(fmt)
    while i < n:
        j = fmt.find("%", i)
        literal = fmt[i : j if j >= 0 else n]
        if literal:
            text, go_on = unescape(literal)
            out.append(text)
            if not go_on:
                return False
        if j < 0:
            return True
        m = _DIRECTIVE.match(fmt, j)
        assert m is not None
        flags, width_s, prec_s, conv = m.groups()
        i = m.end()
        if conv == "%" and not (flags or width_s or prec_s is not None):
            out.append("%")
            continue
        if conv not in _CONVERSIONS or not conv:
            raise PrintfError(f"{m.group()}: invalid conversion specification")
        width = 0
        if width_s == "*":
            width = args.integer()
            if width < 0:
                flags += "-"
                width = -width
        elif width_s:
            width = int(width_s)
        prec: int | None = None
        if prec_s == "*":
            prec = args.integer()
            if prec < 0:
                prec = None
        elif prec_s is not None:
            prec = int(prec_s or "0")
        if conv in "di":
            out.append(_format_int(args.integer(), conv, flags, width, prec))
        elif conv in "ouxX":
            out.append(_format_int(args.integer(unsigned=True), conv, flags, width, prec))
        elif conv in "eEfFgG":
            spec = "%" + flags + (str(width) if width else "")
            spec += f".{prec}" if prec is not None else ""
            out.append((spec + conv) % args.number())
        elif conv == "c":
            arg = args.next()
            out.append(_pad(arg[0] if arg else "\0", flags, width))
        elif conv == "s":
            arg = args.next() or ""
            out.append(_pad(arg[:prec] if prec is not None else arg, flags, width))
        else:  # b
            text, go_on = unescape(args.next() or "", for_b=True)
            out.append(_pad(text[:prec] if prec is not None else text, flags, width))
            if not go_on:
                return False
    return True


def printf(fmt: str, args: list[str]) -> Result:
    """Format ``args`` with ``fmt`` as printf(1) does.

    The format is used again while arguments remain (and it consumed some).

    Returns:
        The output, error messages (without the ``printf: `` prefix) and status.
    """
    result = Result()
    cursor = _Args(args, result)
    out: list[str] = []
    try:
        while True:
            before = cursor.pos
            if not _one_pass(fmt, cursor, out):
                result.stopped = True
                break
            if cursor.pos >= len(args):
                break
            if cursor.pos == before:
                result.errors.append(
                    f"warning: ignoring excess arguments, starting with '{args[cursor.pos]}'"
                )
                break
    except PrintfError as err:
        result.errors.append(str(err))
        result.status = 1
    result.output = "".join(out)
    return result
