"""Shell arithmetic, ``$(( … ))``: C-like integer expressions over shell variables.

Operators by precedence (lowest first): ``,``; assignment ``= += -= *= /= %= <<= >>=
&= ^= |=``; ``?:``; ``||``; ``&&``; ``|``; ``^``; ``&``; ``== !=``; ``< <= > >=``;
``<< >>``; ``+ -``; ``* / %``; ``**``; unary ``+ - ! ~``; ``++``/``--`` are not
supported (as in dash). Numbers are decimal, ``0x`` hex or ``0`` octal. A variable's
value is itself evaluated as an expression; unset or empty means 0. ``&&``, ``||`` and
``?:`` evaluate only the operands they need (``1 || 1/0`` is 1).

An expression is parsed once into a small tree of tuples (``compile_expr``) and the
tree is evaluated; callers may keep compiled trees keyed by the text, as loops
evaluate the same expression many times.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)|([A-Za-z_][A-Za-z0-9_]*)|"
    r"(<<=|>>=|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&^|]=|[-+*/%<>=!~&^|?:(),]))"
)
_INT = re.compile(r"\s*-?[1-9]\d*\s*\Z|\s*0\s*\Z")
_C_INT = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\s*\Z")


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
_BINARY_SETS = [frozenset(level) for level in _BINARY]
_ASSIGN_OPS = frozenset(("=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="))

Node = tuple[Any, ...]


class _Parser:
    """Recursive descent from tokens to a tree: ``("n", value)``, ``("v", name)``,
    ``("u", op, x)``, ``("b", op, a, b)``, ``("?", c, a, b)``, ``("=", name, op, rhs)``,
    ``(",", a, b)``."""

    __slots__ = ("tokens", "i", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._lex(text)
        self.i = 0

    def _lex(self, text: str) -> list[tuple[str, str]]:
        out = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise self.error()
            num, name, op = m.groups()
            out.append(("num", num) if num else ("name", name) if name else ("op", op))
            pos = m.end()
        return out

    def error(self) -> ArithError:
        return ArithError(f'arithmetic expression: expecting primary: "{self.text}"')

    def take_op(self, ops: frozenset[str] | tuple[str, ...]) -> str | None:
        if self.i < len(self.tokens):
            kind, text = self.tokens[self.i]
            if kind == "op" and text in ops:
                self.i += 1
                return text
        return None

    def parse(self) -> Node:
        if not self.tokens:
            return ("n", 0)
        node = self.comma()
        if self.i < len(self.tokens):
            raise self.error()
        return node

    def comma(self) -> Node:
        node = self.assign()
        while self.take_op((",",)):
            node = (",", node, self.assign())
        return node

    def assign(self) -> Node:
        toks, i = self.tokens, self.i
        if (
            i + 1 < len(toks)
            and toks[i][0] == "name"
            and toks[i + 1][0] == "op"
            and toks[i + 1][1] in _ASSIGN_OPS
        ):
            self.i += 2
            return ("=", toks[i][1], toks[i + 1][1][:-1], self.assign())
        return self.ternary()

    def ternary(self) -> Node:
        cond = self.binop(0)
        if self.take_op(("?",)):
            a = self.assign()
            if not self.take_op((":",)):
                raise self.error()
            return ("?", cond, a, self.assign())
        return cond

    def binop(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.power()
        node = self.binop(level + 1)
        ops = _BINARY_SETS[level]
        while (op := self.take_op(ops)) is not None:
            node = ("b", op, node, self.binop(level + 1))
        return node

    def power(self) -> Node:
        node = self.unary()
        if self.take_op(("**",)):
            return ("b", "**", node, self.power())
        return node

    def unary(self) -> Node:
        op = self.take_op(("+", "-", "!", "~"))
        if op is None:
            return self.primary()
        return ("u", op, self.unary())

    def primary(self) -> Node:
        if self.i >= len(self.tokens):
            raise self.error()
        kind, text = self.tokens[self.i]
        self.i += 1
        if kind == "num":
            if text[:2].lower() == "0x":
                return ("n", _clamp(int(text, 16)))
            if len(text) > 1 and text[0] == "0":
                try:
                    return ("n", _clamp(int(text, 8)))
                except ValueError:
                    raise self.error() from None
            return ("n", _clamp(int(text)))
        if kind == "name":
            return ("v", text)
        if text == "(":
            node = self.comma()
            if not self.take_op((")",)):
                raise self.error()
            return node
        raise self.error()


def compile_expr(text: str) -> Node:
    """Parse an expression into its tree.

    Raises:
        ArithError: a malformed expression.
    """
    return _Parser(text).parse()


Getter = Callable[[str], "str | None"]
Setter = Callable[[str, str], None]


def _var(name: str, get: Getter, set_: Setter, depth: int) -> int:
    """A variable's value: a C integer constant (as dash reads it: 0x hex, 0 octal, a
    sign, blanks around), else ``Illegal number``; unset or empty is 0."""
    value = get(name)
    if not value:
        return 0
    if _INT.match(value):
        n = int(value)
    else:
        m = _C_INT.match(value)
        if m is None:
            raise ArithError(f"Illegal number: {value}")
        digits = m.group(2)
        base = 16 if digits[:2].lower() == "0x" else 8 if digits[:1] == "0" else 10
        n = int(digits, base) * (-1 if m.group(1) == "-" else 1)
    if not -(1 << 63) <= n < (1 << 63):
        raise ArithError(f"Illegal number: {value}")
    return n


def _clamp(n: int) -> int:
    """A number too big for 64 bits saturates, as strtoimax makes it in dash."""
    return max(-(1 << 63), min(n, (1 << 63) - 1))


def _wrap(n: int) -> int:
    """``n`` as a signed 64-bit integer (dash's intmax_t)."""
    n &= 0xFFFFFFFFFFFFFFFF
    return n - (1 << 64) if n >> 63 else n


def _binary(op: str, a: int, b: int) -> int:
    if op == "+":
        return _wrap(a + b)  # 64-bit arithmetic wraps around, as in C
    if op == "-":
        return _wrap(a - b)
    if op == "*":
        return _wrap(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise ArithError("arithmetic expression: division by zero")
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
        return _wrap(q) if op == "/" else _wrap(a - q * b)
    if op == "**":
        if b < 0:
            raise ArithError("arithmetic expression: exponent less than 0")
        return _wrap(pow(a, b, 1 << 64))
    return {
        "|": lambda: a | b,
        "^": lambda: a ^ b,
        "&": lambda: a & b,
        "==": lambda: int(a == b),
        "!=": lambda: int(a != b),
        "<": lambda: int(a < b),
        "<=": lambda: int(a <= b),
        ">": lambda: int(a > b),
        ">=": lambda: int(a >= b),
        "<<": lambda: _wrap(a << (b & 63)),  # C on x86-64: the count is taken mod 64
        ">>": lambda: a >> (b & 63),
    }[op]()


def _eval(node: Node, get: Getter, set_: Setter, depth: int = 0) -> int:
    kind = node[0]
    if kind == "n":
        return node[1]
    if kind == "v":
        return _var(node[1], get, set_, depth)
    if kind == "b":
        op = node[1]
        a = _eval(node[2], get, set_, depth)
        if op == "&&":
            return int(bool(a) and bool(_eval(node[3], get, set_, depth)))
        if op == "||":
            return int(bool(a) or bool(_eval(node[3], get, set_, depth)))
        return _binary(op, a, _eval(node[3], get, set_, depth))
    if kind == "u":
        v = _eval(node[2], get, set_, depth)
        op = node[1]
        return _wrap(-v) if op == "-" else v if op == "+" else int(not v) if op == "!" else ~v
    if kind == "=":
        rhs = _eval(node[3], get, set_, depth)
        value = _binary(node[2], _var(node[1], get, set_, depth), rhs) if node[2] else rhs
        set_(node[1], str(value))
        return value
    if kind == "?":
        branch = node[2] if _eval(node[1], get, set_, depth) else node[3]
        return _eval(branch, get, set_, depth)
    _eval(node[1], get, set_, depth)  # ","
    return _eval(node[2], get, set_, depth)


def evaluate(text: str, get: Getter, set_: Setter, cache: dict[str, Node] | None = None) -> int:
    """Evaluate an arithmetic expression.

    Args:
        text: the expression (already expanded).
        get: reads a variable (None if unset).
        set_: assigns a variable.
        cache: compiled trees by text, kept by the caller (optional).

    Raises:
        ArithError: with the message a shell prints.
    """
    if cache is None:
        tree = compile_expr(text)
    else:
        tree = cache.get(text)
        if tree is None:
            if len(cache) > 256:
                cache.clear()
            tree = cache[text] = compile_expr(text)
    try:
        return _eval(tree, get, set_)
    except ArithError as err:
        msg = str(err)
        if msg.endswith('"') or not msg.startswith("arithmetic expression"):
            raise
        raise ArithError(f'{msg}: "{text}"') from None  # dash names the expression
