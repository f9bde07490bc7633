"""awk's values: numbers are floats, strings are str (bytes decoded as Latin-1, so every
byte is one character), and input-derived strings that look like numbers are
:class:`StrNum` — strings that compare as numbers (POSIX's "numeric strings")."""

from __future__ import annotations

import math
import re

_PREFIX = re.compile(r"[ \t\n\r\f\v]*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_LOOKS = re.compile(r"[ \t\n\r\f\v]*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[ \t\n\r\f\v]*")
_SPECIAL = re.compile(r"[ \t]*([-+])(inf|nan)", re.IGNORECASE)


class StrNum(str):
    """A string from input (a field, getline, ``split``, ARGV, ``-v``) that looks numeric."""

    __slots__ = ("num",)
    num: float


def strnum(text: str) -> str:
    """``text`` as a :class:`StrNum` when it looks like a number, else as it is."""
    if _LOOKS.fullmatch(text):
        s = StrNum(text)
        s.num = float(_PREFIX.match(text).group(1))  # type: ignore[union-attr]
        return s
    return text


def to_num(v: object) -> float:
    """The numeric value: a string's leading number, 0 if there is none."""
    if type(v) is float:
        return v  # type: ignore[return-value]
    if isinstance(v, StrNum):
        return v.num
    if isinstance(v, str):
        m = _PREFIX.match(v)
        if m:
            return float(m.group(1))
        m = _SPECIAL.match(v)
        if m:
            return float(m.group(1) + m.group(2))
        return 0.0
    if isinstance(v, (int, float)):
        return float(v)
    return 0.0


def num_to_str(n: float, fmt: str = "%.6g") -> str:
    """A number as a string: integers exactly, others through CONVFMT/OFMT."""
    if math.isfinite(n) and n == int(n):
        return str(int(n))
    if math.isnan(n):
        return "-nan" if math.copysign(1, n) < 0 else "+nan"
    if math.isinf(n):
        return "-inf" if n < 0 else "+inf"
    try:
        return fmt % n
    except (TypeError, ValueError):
        return f"{n:.6g}"


def to_str(v: object, fmt: str = "%.6g") -> str:
    """The string value (numbers through ``fmt``, CONVFMT)."""
    if isinstance(v, str):
        return v
    if isinstance(v, float):
        return num_to_str(v, fmt)
    return ""


def to_bool(v: object) -> bool:
    """Truth: a number (or numeric string) that is not 0; a string that is not empty."""
    if type(v) is float:
        return v != 0.0
    if isinstance(v, StrNum):
        return v.num != 0.0
    if isinstance(v, str):
        return v != ""
    return False


def compare(a: object, b: object, op: str, fmt: str = "%.6g") -> bool:
    """POSIX comparison: numeric when both are numbers or numeric strings (an
    uninitialised value is both), else as strings."""
    a_num = type(a) is float or isinstance(a, StrNum) or a is None
    b_num = type(b) is float or isinstance(b, StrNum) or b is None
    if a_num and b_num:
        x, y = to_num(a), to_num(b)
    else:
        x, y = to_str(a, fmt), to_str(b, fmt)  # type: ignore[assignment]
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == "==":
        return x == y
    if op == "!=":
        return x != y
    if op == ">":
        return x > y
    return x >= y
