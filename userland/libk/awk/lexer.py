"""awk's tokens: numbers, strings, regular expressions (``/re/`` where an operand may
start), names, function names (a name directly followed by ``(``), keywords, builtins,
operators and newlines, with positions for gawk-style syntax errors."""

from __future__ import annotations

import re
from dataclasses import dataclass

KEYWORDS = {
    "BEGIN", "END", "function", "func", "if", "else", "while", "for", "do", "break",
    "continue", "next", "nextfile", "exit", "return", "delete", "in", "getline", "print",
    "printf",
}  # fmt: skip

BUILTINS = {
    "length", "substr", "index", "split", "sub", "gsub", "match", "sprintf", "tolower",
    "toupper", "sin", "cos", "atan2", "exp", "log", "sqrt", "int", "rand", "srand",
    "system", "close", "fflush",
}  # fmt: skip

OPERATORS = [
    "+=", "-=", "*=", "/=", "%=", "^=", "**=", "**", "==", "<=", ">=", "!=", "++", "--",
    "&&", "||", ">>", "!~", "+", "-", "*", "/", "%", "^", "!", ">", "<", "|", "?", ":",
    "~", "$", "=", "(", ")", "[", "]", "{", "}", ",", ";",
]  # fmt: skip

ESCAPES = {
    "n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "/": "/", "a": "\a",
    "b": "\b", "f": "\f", "v": "\v",
}  # fmt: skip

_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]+)|((\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


class AwkSyntaxError(Exception):
    """A syntax error at a position of the program text."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


@dataclass(slots=True)
class Token:
    """One token: its kind (``number``, ``string``, ``ere``, ``name``, ``funcname``,
    ``builtin``, ``newline``, ``eof``, a keyword or an operator), value and position."""

    kind: str
    value: object
    pos: int


#: After these tokens a ``/`` divides; elsewhere it starts a regular expression.
_OPERAND_END = {"number", "string", "ere", "name", "builtin", ")", "]", "$", "++", "--"}


def tokenize(src: str) -> list[Token]:
    """The tokens of a program.

    Raises:
        AwkSyntaxError: an unterminated string or regex, or a stray character.
    """
    out: list[Token] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c in " \t\r":
            i += 1
        elif c == "\\" and src[i + 1 : i + 2] == "\n":
            i += 2
        elif c == "\\" and src[i + 1 : i + 3] == "\r\n":
            i += 3
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c == "\n":
            out.append(Token("newline", None, i))
            i += 1
        elif c == '"':
            value, i = _string(src, i + 1)
            out.append(Token("string", value, i))
        elif c == "/" and (not out or out[-1].kind not in _OPERAND_END):
            value, end = _regex(src, i + 1)
            out.append(Token("ere", value, i))
            i = end
        elif c.isdigit() or (c == "." and src[i + 1 : i + 2].isdigit()):
            m = _NUMBER.match(src, i)
            assert m is not None
            text = m.group(0)
            value = float(int(text, 16)) if m.group(1) else float(text)
            out.append(Token("number", value, i))
            i = m.end()
        elif c.isalpha() or c == "_":
            m = _NAME.match(src, i)
            assert m is not None
            word = m.group(0)
            if word in KEYWORDS:
                kind = "function" if word == "func" else word
                out.append(Token(kind, word, i))
            elif word in BUILTINS:
                out.append(Token("builtin", word, i))
            elif src[m.end() : m.end() + 1] == "(":
                out.append(Token("funcname", word, i))
            else:
                out.append(Token("name", word, i))
            i = m.end()
        else:
            for op in OPERATORS:
                if src.startswith(op, i):
                    out.append(Token(op, op, i))
                    i += len(op)
                    break
            else:
                raise AwkSyntaxError("invalid char '" + c + "' in expression", i)
    out.append(Token("eof", None, n))
    return out


def _string(src: str, i: int) -> tuple[str, int]:
    out = []
    n = len(src)
    while True:
        if i >= n or src[i] == "\n":
            raise AwkSyntaxError("unterminated string", i)
        c = src[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < n:
            e = src[i + 1]
            i += 2
            if e in ESCAPES:
                out.append(ESCAPES[e])
            elif e in "01234567":
                digits = e
                while len(digits) < 3 and i < n and src[i] in "01234567":
                    digits += src[i]
                    i += 1
                out.append(chr(int(digits, 8)))
            elif e == "\n":
                pass
            else:
                out.append("\\" + e)
            continue
        out.append(c)
        i += 1


def _regex(src: str, i: int) -> tuple[str, int]:
    out = []
    n = len(src)
    in_bracket = False
    while True:
        if i >= n or src[i] == "\n":
            raise AwkSyntaxError("unterminated regexp", i)
        c = src[i]
        if c == "/" and not in_bracket:
            return "".join(out), i + 1
        if c == "\\" and i + 1 < n:
            if src[i + 1] == "/":
                out.append("/")
            else:
                out.append(src[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_bracket:
            in_bracket = True
            out.append(c)
            i += 1
            if src[i : i + 1] == "^":
                out.append("^")
                i += 1
            if src[i : i + 1] == "]":
                out.append("]")
                i += 1
            continue
        if c == "[" and in_bracket and src[i + 1 : i + 2] == ":":
            end = src.find(":]", i + 2)
            if end > 0:
                out.append(src[i : end + 2])
                i = end + 2
                continue
        if c == "]" and in_bracket:
            in_bracket = False
        out.append(c)
        i += 1
