"""awk's printf/sprintf formatting, ``sub``/``gsub`` replacement, ``substr`` and regular
expressions (awk's EREs, with their escapes, translated through
:func:`userland.libk.text.translate`)."""

from __future__ import annotations

import math
import re

from userland.libk import text
from userland.libk.awk.values import StrNum, to_num, to_str

_FORMAT = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([cdiouxXeEfFgGs%])")
_CACHE: dict[str, re.Pattern[str]] = {}
_AWK_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "/": "/"}


class AwkError(Exception):
    """A fatal run-time error; the message is gawk's wording. ``plain`` errors are not
    located (gawk says just ``awk: fatal: …`` for them)."""

    def __init__(self, message: str, plain: bool = False) -> None:
        super().__init__(message)
        self.plain = plain


def regex(source: str) -> re.Pattern[str]:
    """An awk ERE compiled (and cached).

    Raises:
        AwkError: the expression is malformed.
    """
    rx = _CACHE.get(source)
    if rx is None:
        pre = []
        i = 0
        while i < len(source):
            c = source[i]
            if c == "\\" and i + 1 < len(source) and source[i + 1] in _AWK_ESCAPES:
                pre.append(re.escape(_AWK_ESCAPES[source[i + 1]]).replace("\\/", "/"))
                i += 2
                continue
            if c == "\\" and i + 1 < len(source):
                pre.append(source[i : i + 2])
                i += 2
                continue
            pre.append(c)
            i += 1
        try:
            raw = text.translate("".join(pre).encode("latin-1"), True)
            rx = re.compile(raw.decode("latin-1"))
        except (text.RegexError, re.error, UnicodeEncodeError) as err:
            raise AwkError(f"invalid regexp /{source}/: {err}") from None
        if len(_CACHE) > 500:
            _CACHE.clear()
        _CACHE[source] = rx
    return rx


def sprintf(fmt: str, args: list[object], convfmt: str = "%.6g") -> str:
    """awk's ``sprintf``: C's conversions with flags, width, precision and ``*``.

    Raises:
        AwkError: not enough arguments for the format.
    """
    out = []
    pos = 0
    argi = 0

    def next_arg() -> object:
        nonlocal argi
        if argi >= len(args):
            caret = " " * (m.start() + 1)
            raise AwkError(
                "not enough arguments to satisfy format string\n"
                f"\t`{fmt}'\n\t{caret}^ ran out for this one"
            )
        argi += 1
        return args[argi - 1]

    for m in _FORMAT.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        flags, width, prec, conv = m.groups()
        if conv == "%":
            out.append("%")
            continue
        if width == "*":
            w = int(to_num(next_arg()))
            if w < 0:
                flags += "-"
                w = -w
            width = str(w)
        if prec == "*":
            prec = str(max(int(to_num(next_arg())), 0))
        spec = "%" + flags + (width or "") + ("." + prec if prec is not None else "")
        value = next_arg()
        if conv == "c":
            if isinstance(value, (float, StrNum)):
                ch = chr(int(to_num(value)) % 256)
            else:
                ch = to_str(value, convfmt)[:1]
            out.append((spec + "s") % ch)
        elif conv == "s":
            out.append((spec + "s") % to_str(value, convfmt))
        elif conv in "diouxX":
            n = to_num(value)
            if math.isnan(n) or math.isinf(n):
                out.append((spec.replace("0", "") + "s") % to_str(n))
                continue
            iv = int(n)
            if conv in "uxXo" and iv < 0:  # as C's unsigned conversions, 64 bits
                iv += 1 << 64
            out.append((spec + ("d" if conv in "diu" else conv)) % iv)
        else:
            out.append((spec + conv) % to_num(value))
    out.append(fmt[pos:])
    return "".join(out)


def substr(s: str, m: float, n: float | None) -> str:
    """``substr`` as gawk computes it: the start and length truncated to integers, a
    start before 1 taken as 1 (the length kept)."""
    if math.isnan(m) or (n is not None and (math.isnan(n) or n < 1)):
        return ""
    if math.isinf(m):
        return s if m < 0 and n is None else ""
    start = max(int(m), 1)
    if start > len(s):
        return ""
    if n is None or math.isinf(n):
        return s[start - 1 :]
    return s[start - 1 : start - 1 + int(n)]


def substitute(rx: re.Pattern[str], repl: str, target: str, glob: bool) -> tuple[str, int]:
    """``sub``/``gsub``: the new string and the number of replacements. In ``repl``,
    ``&`` is the match and ``\\&`` a literal ``&``; ``\\\\`` a backslash."""
    out = []
    pos = 0
    count = 0
    prev = -1
    for m in rx.finditer(target):
        if m.start() == m.end() == prev:
            continue
        prev = m.end()
        out.append(target[pos : m.start()])
        out.append(_expand(repl, m.group(0)))
        pos = m.end()
        count += 1
        if not glob:
            break
    if not count:
        return target, 0
    out.append(target[pos:])
    return "".join(out), count


def _expand(repl: str, matched: str) -> str:
    if "&" not in repl and "\\" not in repl:
        return repl
    # gawk's rules: backslashes are special only in a run that ends at '&': each pair
    # gives one backslash, and an odd one left makes the '&' literal.
    out = []
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\":
            j = i
            while j < len(repl) and repl[j] == "\\":
                j += 1
            run = j - i
            if j < len(repl) and repl[j] == "&":
                out.append("\\" * (run // 2))
                out.append("&" if run % 2 else matched)
                i = j + 1
            else:
                out.append(repl[i:j])
                i = j
            continue
        out.append(matched if c == "&" else c)
        i += 1
    return "".join(out)
