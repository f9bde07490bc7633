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


class ExpansionError(Exception):
    """``${x:?msg}``, ``set -u`` and bad substitutions: the message to print."""


SPECIAL = set("?$!#@*-0123456789")


def pattern_regex(pattern: list[tuple[str, bool]], *, anchored: bool = True) -> re.Pattern[str]:
    """Compile shell pattern chunks ``(text, quoted)`` into a regex.

    ``*``, ``?`` and ``[...]`` are active only in unquoted chunks.
    """
    out: list[str] = []
    for text, quoted in pattern:
        if quoted:
            out.append(re.escape(text))
            continue
        i = 0
        while i < len(text):
            c = text[i]
            if c == "*":
                out.append(".*")
            elif c == "?":
                out.append(".")
            elif c == "[":
                j = i + 1
                if j < len(text) and text[j] in "!^":
                    j += 1
                if j < len(text) and text[j] == "]":
                    j += 1
                while j < len(text) and text[j] != "]":
                    j += 1
                if j >= len(text):
                    out.append(re.escape(c))
                else:
                    body = text[i + 1 : j]
                    neg = body[:1] in ("!", "^")
                    if neg:
                        body = body[1:]
                    body = body.replace("\\", "\\\\")
                    out.append(f"[{'^' if neg else ''}{body}]")
                    i = j
            elif c == "\\" and i + 1 < len(text):
                i += 1
                out.append(re.escape(text[i]))
            else:
                out.append(re.escape(c))
            i += 1
    src = "".join(out)
    return re.compile(src + (r"\Z" if anchored else ""), re.DOTALL)


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
            return await self.word_string(p.arg) if unset else value  # type: ignore[return-value]
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
                    else ("parameter null or not set" if p.colon else "parameter not set")
                )
                raise ExpansionError(f"{name}: {msg}")
            return value  # type: ignore[return-value]
        if op == "+":
            return "" if unset else await self.word_string(p.arg)
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
                if isinstance(value, list):
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
        for w in words:
            lit = w.literal
            if lit is not None and not ("*" in lit or "?" in lit or "[" in lit and is_pattern(lit)):
                out.append(lit)
                continue
            fields = self.split(await self.chunks(w.parts))
            for field in fields:
                if has_glob(field):
                    matches = await self.sh.glob(field)
                    if matches:
                        out.extend(matches)
                        continue
                out.append("".join(t for t, _, _ in field))
        return out

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
