"""``expr EXPRESSION``: evaluate an expression and print its value.

The POSIX grammar with GNU's additions, lowest precedence first: ``|``, ``&``,
``< <= = == != >= >``, ``+ -``, ``* / %``, ``:`` (anchored basic regex match), then
``match``, ``substr``, ``index``, ``length``, ``+ TOKEN`` and parentheses. Integers are
arbitrary precision; comparisons are numeric when both sides are integers. Exit
status: 0 the value is neither empty nor 0, 1 it is, 2 the expression is invalid, 3
another error.
"""

from __future__ import annotations

import re

from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: expr EXPRESSION
  or:  expr OPTION

      --help      display this help and exit

Print the value of EXPRESSION to standard output.  A blank line below
separates increasing precedence groups.  EXPRESSION may be:

  ARG1 | ARG2       ARG1 if it is neither null nor 0, otherwise ARG2

  ARG1 & ARG2       ARG1 if neither argument is null or 0, otherwise 0

  ARG1 < ARG2       ARG1 is less than ARG2
  ARG1 <= ARG2      ARG1 is less than or equal to ARG2
  ARG1 = ARG2       ARG1 is equal to ARG2
  ARG1 != ARG2      ARG1 is unequal to ARG2
  ARG1 >= ARG2      ARG1 is greater than or equal to ARG2
  ARG1 > ARG2       ARG1 is greater than ARG2

  ARG1 + ARG2       arithmetic sum of ARG1 and ARG2
  ARG1 - ARG2       arithmetic difference of ARG1 and ARG2

  ARG1 * ARG2       arithmetic product of ARG1 and ARG2
  ARG1 / ARG2       arithmetic quotient of ARG1 divided by ARG2
  ARG1 % ARG2       arithmetic remainder of ARG1 divided by ARG2

  STRING : REGEXP   anchored pattern match of REGEXP in STRING

  match STRING REGEXP        same as STRING : REGEXP
  substr STRING POS LENGTH   substring of STRING, POS counted from 1
  index STRING CHARS         index in STRING where any CHARS is found, or 0
  length STRING              length of STRING
  + TOKEN                    interpret TOKEN as a string, even if it is a
                               keyword like 'match' or an operator like '/'

  ( EXPRESSION )             value of EXPRESSION

Exit status is 0 if EXPRESSION is neither null nor 0, 1 if EXPRESSION is null
or 0, 2 if EXPRESSION is syntactically invalid, and 3 if an error occurred.
"""

_INT = re.compile(r"-?\d+")
Value = int | str


class ExprError(Exception):
    """An error; ``status`` is 2 (syntax) or 3 (evaluation)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def as_int(v: Value) -> int | None:
    """The integer value of ``v``, or None if it is not one."""
    if isinstance(v, int):
        return v
    return int(v) if _INT.fullmatch(v) else None


def is_null(v: Value) -> bool:
    """Empty or zero."""
    if isinstance(v, int):
        return v == 0
    return v == "" or (_INT.fullmatch(v) is not None and int(v) == 0)


class Parser:
    """Recursive descent over the argument list."""

    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self) -> str:
        if self.i >= len(self.t):
            raise ExprError(f"syntax error: missing argument after '{self.t[-1]}'")
        tok = self.t[self.i]
        self.i += 1
        return tok

    def parse(self) -> Value:
        v = self.or_()
        if self.i < len(self.t):
            raise ExprError(f"syntax error: unexpected argument '{self.t[self.i]}'")
        return v

    def or_(self) -> Value:
        left = self.and_()
        while self.peek() == "|":
            self.i += 1
            right = self.and_()
            if is_null(left):
                left = right if not is_null(right) else 0
        return left

    def and_(self) -> Value:
        left = self.compare()
        while self.peek() == "&":
            self.i += 1
            right = self.compare()
            if is_null(left) or is_null(right):
                left = 0
        return left

    def compare(self) -> Value:
        left = self.sum()
        while self.peek() in ("<", "<=", "=", "==", "!=", ">=", ">"):
            op = self.take()
            right = self.sum()
            a, b = as_int(left), as_int(right)
            x: object
            y: object
            if a is not None and b is not None:
                x, y = a, b
            else:
                x, y = str(left).encode(), str(right).encode()
            c = (x > y) - (x < y)  # type: ignore[operator]
            left = int(
                {
                    "<": c < 0,
                    "<=": c <= 0,
                    "=": c == 0,
                    "==": c == 0,
                    "!=": c != 0,
                    ">=": c >= 0,
                    ">": c > 0,
                }[op]
            )
        return left

    def _ints(self, left: Value, right: Value) -> tuple[int, int]:
        a, b = as_int(left), as_int(right)
        if a is None or b is None:
            raise ExprError("non-integer argument")
        return a, b

    def sum(self) -> Value:
        left = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()
            a, b = self._ints(left, self.product())
            left = a + b if op == "+" else a - b
        return left

    def product(self) -> Value:
        left = self.match()
        while self.peek() in ("*", "/", "%"):
            op = self.take()
            a, b = self._ints(left, self.match())
            if op == "*":
                left = a * b
                continue
            if b == 0:
                raise ExprError("division by zero")
            q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
            left = q if op == "/" else a - b * q
        return left

    def match(self) -> Value:
        left = self.primary()
        while self.peek() == ":":
            self.i += 1
            left = regex_match(str(left), str(self.primary()))
        return left

    def primary(self) -> Value:
        tok = self.take()
        if tok == "(":
            v = self.or_()
            if self.peek() != ")":
                if self.peek() is None:
                    raise ExprError("syntax error: expecting ')' after '" + self.t[-1] + "'")
                raise ExprError(f"syntax error: expecting ')' instead of '{self.peek()}'")
            self.i += 1
            return v
        if tok == "+" and self.i < len(self.t):
            return self.take()
        if tok == "length" and self.i < len(self.t):
            return len(str(self.primary()).encode())
        if tok == "match" and self.i < len(self.t):
            s = self.primary()
            return regex_match(str(s), str(self.primary()))
        if tok == "index" and self.i < len(self.t):
            s, chars = str(self.primary()), str(self.primary())
            positions = [s.find(c) for c in chars if c in s]
            return min(positions) + 1 if positions else 0
        if tok == "substr" and self.i < len(self.t):
            s = str(self.primary())
            pos, length = as_int(self.primary()), as_int(self.primary())
            if pos is None or length is None or pos < 1 or length < 1:
                return ""
            return s[pos - 1 : pos - 1 + length]
        if tok == ")":
            raise ExprError("syntax error: unexpected ')'")
        operators = (")", "|", "&", "<", "<=", "=", "==", "!=", ">=", ">", "*", "/", "%", ":")
        if tok in operators and (self.i >= len(self.t) or tok == ")"):
            raise ExprError(f"syntax error: unexpected argument '{tok}'")
        return tok


def regex_match(s: str, pattern: str) -> Value:
    """``STRING : REGEXP``: the first group, or the length of the anchored match."""
    try:
        rx = text.compile_posix(pattern.encode())
    except text.RegexError as err:
        raise ExprError(str(err)) from None
    m = rx.match(s.encode())
    if rx.groups:
        return m.group(1).decode() if m and m.group(1) is not None else ""
    return m.end() if m else 0


async def main(argv: list[str]) -> int:
    """Entry point."""
    tokens = argv[1:]
    if tokens == ["--help"]:
        await kio.write_all(1, USAGE)
        return 0
    if tokens[:1] == ["--"]:
        tokens = tokens[1:]
    if not tokens:
        return await text.usage_error("expr", "missing operand", 2)
    try:
        value = Parser(tokens).parse()
    except ExprError as err:
        await kio.warn("expr", str(err))
        return err.status
    await kio.write_all(1, f"{value}\n")
    return 1 if is_null(value) else 0
