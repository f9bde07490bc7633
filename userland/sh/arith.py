"""Shell arithmetic, ``$(( … ))``: C-like integer expressions over shell variables.

Operators by precedence (lowest first): ``,``; assignment ``= += -= *= /= %= <<= >>=
&= ^= |=``; ``?:``; ``||``; ``&&``; ``|``; ``^``; ``&``; ``== !=``; ``< <= > >=``;
``<< >>``; ``+ -``; ``* / %``; ``**``; unary ``+ - ! ~``; ``++``/``--`` are not
supported (as in dash). Numbers are decimal, ``0x`` hex or ``0`` octal. A variable's
value is itself evaluated as an expression; unset or empty means 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|"
    r"(<<=|>>=|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[-+*/%<>=!~&^|?:(),]))"
)


class ArithError(Exception):
    """A malformed expression or a division by zero; the message is dash's."""


_BINARY = [
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", "<=", ">", ">="),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
]


class _Eval:
    def __init__(
        self,
        text: str,
        get: Callable[[str], str | None],
        set_: Callable[[str, str], None],
        depth: int = 0,
    ) -> None:
        self.tokens = self._lex(text)
        self.i = 0
        self.get = get
        self.set = set_
        self.depth = depth
        self.text = text

    def _lex(self, text: str) -> list[tuple[str, str]]:
        out = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ArithError(f'arithmetic expression: expecting primary: "{text}"')
            num, name, op = m.groups()
            out.append(("num", num) if num else ("name", name) if name else ("op", op))
            pos = m.end()
        return out

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in ops:
            self.i += 1
            return tok[1]
        return None

    def error(self) -> ArithError:
        return ArithError(f'arithmetic expression: expecting primary: "{self.text}"')

    def run(self) -> int:
        if not self.tokens:
            return 0
        v = self.comma()
        if self.peek() is not None:
            raise self.error()
        return v

    def comma(self) -> int:
        v = self.assign()
        while self.take_op(","):
            v = self.assign()
        return v

    def assign(self) -> int:
        tok = self.peek()
        nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        if (
            tok
            and tok[0] == "name"
            and nxt
            and nxt[0] == "op"
            and nxt[1].endswith("=")
            and nxt[1] not in ("==", "<=", ">=", "!=")
        ):
            self.i += 2
            rhs = self.assign()
            op = nxt[1][:-1]
            value = rhs if not op else self.binary(op, self.var(tok[1]), rhs)
            self.set(tok[1], str(value))
            return value
        return self.ternary()

    def ternary(self) -> int:
        cond = self.binop(0)
        if self.take_op("?"):
            a = self.assign()
            if not self.take_op(":"):
                raise self.error()
            b = self.assign()
            return a if cond else b
        return cond

    def binop(self, level: int) -> int:
        if level == len(_BINARY):
            return self.power()
        v = self.binop(level + 1)
        while (op := self.take_op(*_BINARY[level])) is not None:
            v = self.binary(op, v, self.binop(level + 1))
        return v

    def power(self) -> int:
        v = self.unary()
        if self.take_op("**"):
            e = self.power()
            if e < 0:
                raise ArithError("arithmetic expression: exponent less than 0")
            return v**e
        return v

    def unary(self) -> int:
        op = self.take_op("+", "-", "!", "~")
        if op is None:
            return self.primary()
        v = self.unary()
        return {"+": v, "-": -v, "!": int(not v), "~": ~v}[op]

    def primary(self) -> int:
        tok = self.peek()
        if tok is None:
            raise self.error()
        self.i += 1
        kind, text = tok
        if kind == "num":
            if text[:2].lower() == "0x":
                return int(text, 16)
            if len(text) > 1 and text[0] == "0":
                try:
                    return int(text, 8)
                except ValueError:
                    raise self.error() from None
            return int(text)
        if kind == "name":
            return self.var(text)
        if text == "(":
            v = self.comma()
            if not self.take_op(")"):
                raise self.error()
            return v
        raise self.error()

    def var(self, name: str) -> int:
        value = self.get(name)
        if not value:
            return 0
        value = value.strip()
        if re.fullmatch(r"-?\d+", value):
            return int(value)
        if self.depth > 32:
            raise ArithError(f'arithmetic expression: recursion too deep: "{value}"')
        return _Eval(value, self.get, self.set, self.depth + 1).run()

    def binary(self, op: str, a: int, b: int) -> int:
        if op in ("/", "%"):
            if b == 0:
                raise ArithError("arithmetic expression: division by zero")
            q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
            return q if op == "/" else a - q * b
        return {
            "||": lambda: int(bool(a) or bool(b)),
            "&&": lambda: int(bool(a) and bool(b)),
            "|": lambda: a | b,
            "^": lambda: a ^ b,
            "&": lambda: a & b,
            "==": lambda: int(a == b),
            "!=": lambda: int(a != b),
            "<": lambda: int(a < b),
            "<=": lambda: int(a <= b),
            ">": lambda: int(a > b),
            ">=": lambda: int(a >= b),
            "<<": lambda: a << b,
            ">>": lambda: a >> b,
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
        }[op]()


def evaluate(text: str, get: Callable[[str], str | None], set_: Callable[[str, str], None]) -> int:
    """Evaluate an arithmetic expression.

    Raises:
        ArithError: with the message a shell prints.
    """
    return _Eval(text, get, set_).run()
