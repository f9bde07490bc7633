"""Word expansion in the POSIX order: tilde, parameters, (command substitution and
arithmetic are delegated to the interpreter), field splitting by IFS, pathname
expansion, quote removal.

Expansion works on *chunks*: ``(text, quoted)`` pieces of one field. Only unquoted
chunks that came from an expansion are split; only unquoted literal chunks keep glob
characters active. ``"$@"`` produces one field per positional parameter.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from userland.sh import ast

if TYPE_CHECKING:
    from userland.sh.interp import Shell

# One field under construction: chunks of (text, quoted, splittable).
Chunk = tuple[str, bool, bool]


class Fields(list):  # type: ignore[type-arg]
    """Fields of chunks an expansion made (unquoted ``$@``, ``${x-"a b"}``)."""


class ExpansionError(Exception):
    """``${x:?msg}``, ``set -u`` and bad substitutions: the message to print."""


SPECIAL = set("?$!#@*-0123456789")
# Utilities whose name=value operands expand like assignments (no splitting, no glob).
DECLARATIONS = {"export", "local", "readonly"}
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def pattern_regex(pattern: list[tuple[str, bool]], *, anchored: bool = True) -> re.Pattern[str]:
    """Compile shell pattern chunks ``(text, quoted)`` into a regex.

    ``*``, ``?`` and ``[...]`` are active only in unquoted chunks.
    """
    out: list[str] = []
    # One text where quoted characters are backslash-escaped, so a bracket expression
    # may span quoted parts (``[a\\-z]``, ``["$x"]``).
    text = "".join(t if not q else "".join("\\" + c for c in t) for t, q in pattern)
    i = 0
    while i < len(text):
        c = text[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end, cls = bracket(text, i)
            if end < 0:
                out.append(re.escape(c))
            else:
                out.append(cls)
                i = end
        elif c == "\\" and i + 1 < len(text):
            i += 1
            out.append(re.escape(text[i]))
        else:
            out.append(re.escape(c))
        i += 1
    src = "".join(out)
    return re.compile(src + (r"\Z" if anchored else ""), re.DOTALL)


CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "".join("\\" + c for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": "0-9A-Fa-f",
    "cntrl": "\\x00-\\x1f\\x7f",
    "print": "\\x20-\\x7e",
    "graph": "\\x21-\\x7e",
}


def bracket(text: str, start: int) -> tuple[int, str]:
    """The bracket expression opening at ``text[start]``: the index of its ``]`` and a
    regex class, or (-1, "") when it is not closed (then ``[`` is an ordinary char).

    Handles ``!`` negation, a leading ``]``, ranges, ``[:class:]`` and ``\\c``.
    """
    i = start + 1
    neg = i < len(text) and text[i] == "!"  # dash: ``^`` is an ordinary character
    if neg:
        i += 1
    items: list[str] = []  # single chars (escaped) or ready class text
    first = True
    while i < len(text):
        c = text[i]
        if c == "]" and not first:
            break
        first = False
        if c == "[" and text.startswith("[:", i):
            close = text.find(":]", i + 2)
            if close >= 0:
                items.append("\x00" + CLASSES.get(text[i + 2 : close], ""))
                i = close + 2
                continue
        if c == "\\" and i + 1 < len(text):
            i += 1
            c = "\x01" + text[i]  # escaped: never a range's "-"
        items.append(c)
        i += 1
    else:
        return -1, ""
    body: list[str] = []
    k = 0
    while k < len(items):
        a = items[k].lstrip("\x01")
        if items[k][:1] == "\x00":
            body.append(a[1:])
        elif k + 2 < len(items) and items[k + 1] == "-" and items[k + 2][:1] != "\x00":
            b = items[k + 2].lstrip("\x01")
            if a <= b:
                body.append(f"{re.escape(a)}-{re.escape(b)}")
            k += 3
            continue
        else:
            body.append(re.escape(a))
        k += 1
    cls = "".join(body)
    if not cls:
        return i, "." if neg else "(?!)"
    return i, f"[{'^' if neg else ''}{cls}]"


def is_pattern(text: str) -> bool:
    """Does ``text`` hold a glob pattern: ``*``, ``?`` or a ``[`` closed by a later ``]``?

    A lone ``[`` or ``]`` (the test command's brackets) is not one.
    """
    if "*" in text or "?" in text:
        return True
    i = text.find("[")
    return i >= 0 and text.find("]", i + 2) > 0


def has_glob(chunks: list[Chunk]) -> bool:
    """Does the field (its unquoted chunks together) contain an active glob pattern?"""
    if not any(not q and any(c in t for c in "*?[") for t, q, _ in chunks):
        return False
    return is_pattern("".join(t for t, _, _ in chunks))


class Expander:
    """Expands words for one shell."""

    def __init__(self, sh: Shell) -> None:
        self.sh = sh

    # ------------------------------------------------------------------ parameters
    def param_value(self, name: str) -> str | None:
        """The value of a parameter, or None if unset."""
        sh = self.sh
        if name.isdigit():
            n = int(name)
            if n == 0:
                return sh.name
            return sh.positional[n - 1] if n <= len(sh.positional) else None
        if name == "?":
            return str(sh.status)
        if name == "$":
            return str(sh.pid)
        if name == "!":
            return str(sh.last_bg) if sh.last_bg else None
        if name == "#":
            return str(len(sh.positional))
        if name == "-":
            return "".join(sorted(sh.options)) + ("i" if sh.interactive else "")
        if name in ("@", "*"):
            return " ".join(sh.positional) if sh.positional else None
        return sh.get(name)

    async def expand_param(self, p: ast.Param, quoted: bool) -> list[str] | str:
        """Expand one ``Param``; a list means separate fields (``"$@"``)."""
        sh = self.sh
        name = p.name
        if p.op == "#len":
            v = self.param_value(name)
            if name in ("@", "*"):
                return str(len(sh.positional))
            if v is None and "u" in sh.options:
                raise ExpansionError(f"{name}: parameter not set")
            return str(len(v or ""))
        if name == "@" and p.op is None and quoted:
            return list(sh.positional)
        if name in ("@", "*") and p.op is None and not quoted:
            # each parameter is a field of its own, then split by IFS (even an IFS
            # without a space, or an empty one, keeps them apart)
            return Fields([[(v, False, True)] for v in sh.positional])
        value = self.param_value(name)
        if name == "*" and value is not None:
            ifs = sh.get("IFS")
            sep = " " if ifs is None else ifs[:1]
            value = sep.join(sh.positional)
        op = p.op
        if op is None:
            if value is None and "u" in sh.options and name not in ("@", "*"):
                raise ExpansionError(f"{name}: parameter not set")
            return value or ""
        unset = value is None or (p.colon and value == "")
        if op == "-":
            if not unset:
                return value  # type: ignore[return-value]
            return await self.word_fields(p.arg) if not quoted else await self.word_string(p.arg)
        if op == "=":
            if unset:
                if name in SPECIAL or name.isdigit():
                    raise ExpansionError(f"{name}: cannot assign in this way")
                value = await self.word_string(p.arg)
                sh.set_var(name, value)
            return value  # type: ignore[return-value]
        if op == "?":
            if unset:
                msg = (
                    await self.word_string(p.arg)
                    if p.arg and p.arg.parts
                    else ("parameter not set or null" if p.colon else "parameter not set")
                )
                raise ExpansionError(f"{name}: {msg}")
            return value  # type: ignore[return-value]
        if op == "+":
            if unset:
                return ""
            return await self.word_fields(p.arg) if not quoted else await self.word_string(p.arg)
        # pattern removal
        if value is None:
            if "u" in sh.options:
                raise ExpansionError(f"{name}: parameter not set")
            value = ""
        pat = await self.pattern_chunks(p.arg)
        rx = pattern_regex(pat)
        if op in ("#", "##"):
            rng = range(len(value) + 1) if op == "#" else range(len(value), -1, -1)
            for i in rng:
                if rx.match(value[:i]):
                    return value[i:]
            return value
        rng = range(len(value), -1, -1) if op == "%" else range(len(value) + 1)
        for i in rng:
            if rx.match(value[i:]):
                return value[:i]
        return value

    # ------------------------------------------------------------------ words
    async def chunks(
        self, parts: tuple[ast.Part, ...], quoted: bool = False, assignment: bool = False
    ) -> list[list[Chunk]]:
        """Expand parts into fields of chunks (before splitting); usually one field."""
        fields: list[list[Chunk]] = [[]]
        for part in parts:
            kind = type(part)
            if kind is ast.Literal:
                fields[-1].append((part.text, quoted, False))
            elif kind is ast.SingleQuoted:
                fields[-1].append((part.text, True, False))
            elif kind is ast.Escaped:
                fields[-1].append((part.char, True, False))
            elif kind is ast.DoubleQuoted:
                inner = await self.chunks(part.parts, True)
                # "$@" inside quotes can make several fields
                fields[-1].extend(inner[0])
                if not inner[0] and len(inner) == 1 and not _only_at(part.parts):
                    fields[-1].append(("", True, False))  # "" is a field; "$@" may be none
                for extra in inner[1:]:
                    fields.append(list(extra))
            elif kind is ast.TildePrefix:
                fields[-1].append((await self.tilde(part.user), True, False))
            elif kind is ast.Param:
                value = await self.expand_param(part, quoted)
                if type(value) is Fields:
                    if value:
                        fields[-1].extend(value[0])
                        fields.extend(list(f) for f in value[1:])
                elif isinstance(value, list):
                    if not value:
                        continue
                    fields[-1].append((value[0], True, False))
                    for v in value[1:]:
                        fields.append([(v, True, False)])
                else:
                    fields[-1].append((value, quoted, not quoted))
            elif kind in (ast.CommandSub, ast.Backquote):
                text = await self.sh.command_substitution(part)
                fields[-1].append((text, quoted, not quoted))
            elif kind is ast.Arith:
                text = await self.sh.arithmetic(part)
                fields[-1].append((text, quoted, not quoted))
            else:  # pragma: no cover - parser produces nothing else
                raise ExpansionError("bad substitution")
        return fields

    async def word_fields(self, word: ast.Word | None) -> Fields:
        """The word of an unquoted ``${x-word}``/``${x+word}``: its quoted parts stay
        quoted, the rest is split and globbed with the expansion."""
        if word is None:
            return Fields([[("", False, True)]])
        fields = await self.chunks(word.parts)
        return Fields([[(t, q, s or not q) for t, q, s in f] for f in fields])

    async def tilde(self, user: str) -> str:
        """``~`` is $HOME; ``~name`` is that user's home from /etc/passwd."""
        if not user:
            return self.sh.get("HOME") or "/"
        home = await self.sh.user_home(user)
        return home if home is not None else "~" + user

    def split(self, fields: list[list[Chunk]]) -> list[list[Chunk]]:
        """Field splitting by IFS of the splittable chunks."""
        ifs = self.sh.get("IFS")
        if ifs is None:
            ifs = " \t\n"
        if not ifs:
            return fields
        ws = "".join(c for c in ifs if c in " \t\n")
        other = "".join(c for c in ifs if c not in " \t\n")
        out: list[list[Chunk]] = []
        for field in fields:
            cur: list[Chunk] = []
            started = False  # the current field has content (or quoted-empty)
            for text, q, splittable in field:
                if not splittable:
                    cur.append((text, q, False))
                    started = True
                    continue
                i = 0
                buf = ""
                while i < len(text):
                    c = text[i]
                    if c in ws:
                        if buf or started:
                            cur.append((buf, q, False))
                            out.append(cur)
                            cur, buf, started = [], "", False
                        i += 1
                        while i < len(text) and text[i] in ws:
                            i += 1
                        if i < len(text) and text[i] in other:
                            i += 1
                            while i < len(text) and text[i] in ws:
                                i += 1
                        continue
                    if c in other:
                        cur.append((buf, q, False))
                        out.append(cur)
                        cur, buf, started = [], "", False
                        i += 1
                        while i < len(text) and text[i] in ws:
                            i += 1
                        continue
                    buf += c
                    i += 1
                if buf:
                    cur.append((buf, q, False))
                    started = True
            if cur and (started or any(t or q for t, q, _ in cur)):
                out.append(cur)
        return out

    async def words(self, words: tuple[ast.Word, ...]) -> list[str]:
        """Expand command words into argument strings (split and globbed)."""
        out: list[str] = []
        noglob = "f" in self.sh.options
        decl = bool(words) and words[0].literal in DECLARATIONS
        for i, w in enumerate(words):
            if decl and i and ASSIGNMENT.match(w.source):
                out.append(await self.declaration(w))
                continue
            lit = w.literal
            if lit is not None and (
                noglob or not ("*" in lit or "?" in lit or "[" in lit and is_pattern(lit))
            ):
                out.append(lit)
                continue
            fields = self.split(await self.chunks(w.parts))
            for field in fields:
                if not noglob and has_glob(field):
                    matches = await self.sh.glob(field)
                    if matches:
                        out.extend(matches)
                        continue
                out.append("".join(t for t, _, _ in field))
        return out

    async def declaration(self, w: ast.Word) -> str:
        """``export``/``local``/``readonly`` ``name=value``: the value expands as in an
        assignment (tildes after ``=`` and ``:``, no splitting, no globbing)."""
        from userland.sh.lexer import assignment_tildes

        first = w.parts[0]
        assert type(first) is ast.Literal  # the name and "=" are unquoted text
        name, _, rest = first.text.partition("=")
        value = assignment_tildes(([ast.Literal(rest)] if rest else []) + list(w.parts[1:]))
        word = ast.Word(tuple(value), w.source, w.line)
        return name + "=" + await self.word_string(word)

    async def word_string(self, word: ast.Word | None) -> str:
        """Expand a word to one string: no splitting, no globbing (assignments,
        redirection targets, case words, here-doc bodies)."""
        if word is None:
            return ""
        lit = word.literal
        if lit is not None:
            return lit
        fields = await self.chunks(word.parts)
        return " ".join("".join(t for t, _, _ in f) for f in fields)

    async def pattern_chunks(self, word: ast.Word | None) -> list[tuple[str, bool]]:
        """Expand a pattern word, keeping which text was quoted (case, ``${x#pat}``)."""
        if word is None:
            return []
        fields = await self.chunks(word.parts)
        return [(t, q) for f in fields for t, q, _ in f]


def _only_at(parts: tuple[ast.Part, ...]) -> bool:
    """Is a double-quoted string just ``"$@"`` (which makes no field without parameters)?"""
    return bool(parts) and all(
        type(p) is ast.Param and p.name == "@" and p.op is None for p in parts
    )


Runner = Callable[[ast.Node], Awaitable[int]]
