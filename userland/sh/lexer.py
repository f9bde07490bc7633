"""The shell's tokenizer: operators, structured words, here-document bodies, line numbers.

The lexer turns source text into tokens on demand (the parser keeps one token of
lookahead). Words come out already split into parts (see ``ast``); ``$(…)`` is parsed
on the spot by a nested parser, so its syntax errors surface where they are. Here-doc
bodies are read when the newline token that ends their command line is lexed; a missing
delimiter at end of input is an IncompleteInput unless the lexer was told the input is
``complete``, in which case the body runs to end of input (as bash does, minus the
warning).
"""

from __future__ import annotations

import re

from userland.sh import ast

WORD, OP, REDIR, NEWLINE, EOF = "word", "op", "redir", "newline", "eof"

# Scanning modes for word parts.
M_WORD, M_ARG, M_DQARG, M_DQ, M_HEREDOC, M_ARITH = range(6)

_RUNS = {
    M_WORD: re.compile(r"[^ \t\n'\"\\$`;&|<>()]+"),
    M_ARG: re.compile(r"[^'\"\\$`}]+"),
    M_DQARG: re.compile(r"[^'\"\\$`}]+"),
    M_DQ: re.compile(r'[^"\\$`]+'),
    M_HEREDOC: re.compile(r"[^\\$`]+"),
    M_ARITH: re.compile(r"[^\"\\$`()]+"),
}
_DQ_MODES = (M_DQ, M_DQARG, M_HEREDOC, M_ARITH)
_BLANKS = re.compile(r"[ \t]+")
_PNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-]")
_SIMPLE_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")
_TILDE = re.compile(r"~([^/ \t\n;&|<>()'\"\\$`:}]*)")
_ASSIGN_TILDE = re.compile(r"(?:^|(?<=:))~([^/:]*)")
_METACHARS = " \t\n;&|<>()"
_OPERATORS = (
    ("&&", OP), ("||", OP), (";;", OP), ("<<-", REDIR), ("<<", REDIR), (">>", REDIR),
    ("<&", REDIR), (">&", REDIR), ("<>", REDIR), (">|", REDIR),
)  # fmt: skip
_SINGLE_OPS = {"&": OP, "|": OP, ";": OP, "(": OP, ")": OP, "<": REDIR, ">": REDIR}


class ShSyntaxError(Exception):
    """A shell syntax error; ``str(e)`` is the message without the ``sh: N:`` prefix.

    Attributes:
        message: e.g. ``'syntax error: unexpected "fi"'``.
        line: 1-based line of the offending token.
    """

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return self.message


class IncompleteInput(ShSyntaxError):
    """Input ended inside an unfinished construct; more lines could complete it."""


class _NotArith(Exception):
    """``$((`` turned out not to be an arithmetic expansion (e.g. ``$((a) | b)``)."""


class Token:
    """A token: ``kind`` is WORD, OP, REDIR, NEWLINE or EOF.

    ``text`` is the operator for OP/REDIR, and for WORD the text if the word is one
    unquoted literal (so reserved words can be recognised), else None. ``fd`` is the
    IO number of a REDIR token, if one was written.
    """

    __slots__ = ("kind", "text", "word", "line", "fd")

    def __init__(
        self,
        kind: str,
        text: str | None,
        line: int,
        word: ast.Word | None = None,
        fd: int | None = None,
    ) -> None:
        self.kind = kind
        self.text = text
        self.line = line
        self.word = word
        self.fd = fd

    def describe(self) -> str:
        """Return how the token is named in an ``unexpected …`` message."""
        if self.kind == NEWLINE:
            return "newline"
        if self.kind == EOF:
            return "end of file"
        if self.kind == WORD:
            return f'"{self.word.source}"'
        return f'"{self.text}"'


class Lexer:
    """Produces tokens from ``src`` starting at ``pos``/``line``."""

    __slots__ = ("src", "pos", "line", "n", "complete", "heredocs", "last_kind")
    last_kind: str | None

    def __init__(self, src: str, pos: int = 0, line: int = 1, complete: bool = False) -> None:
        self.src = src
        self.pos = pos
        self.line = line
        self.n = len(src)
        self.complete = complete
        self.heredocs: list[ast.HereDoc] = []
        self.last_kind = NEWLINE

    def incomplete(self, what: str) -> IncompleteInput:
        """Return an IncompleteInput for the current line."""
        return IncompleteInput(f"syntax error: {what}", self.line)

    def _continuation(self) -> None:
        """Skip a backslash-newline at ``pos``."""
        self.pos += 2
        self.line += 1
        if self.pos >= self.n and not self.complete:
            raise self.incomplete("unexpected end of file")

    # ------------------------------------------------------------------ tokens

    def next_token(self) -> Token:
        """Lex and return the next token."""
        self.last_kind = None  # stays None if lexing fails: the error is mid-line
        tok = self._next_token()
        self.last_kind = tok.kind
        return tok

    def _next_token(self) -> Token:
        src, n = self.src, self.n
        while True:
            m = _BLANKS.match(src, self.pos)
            if m:
                self.pos = m.end()
            if self.pos >= n:
                if self.heredocs:
                    self._read_heredoc_bodies()
                return Token(EOF, "", self.line)
            c = src[self.pos]
            if c == "#":
                end = src.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif c == "\\" and src.startswith("\n", self.pos + 1):
                self._continuation()
            else:
                break
        line = self.line
        if c == "\n":
            self.pos += 1
            self.line += 1
            if self.heredocs:
                self._read_heredoc_bodies()
            return Token(NEWLINE, "\n", line)
        if c in _METACHARS:
            return self._operator(None)
        word = self.read_word()
        text = word.literal
        if (
            text is not None
            and text.isascii()
            and text.isdigit()
            and self.pos < n
            and src[self.pos] in "<>"
        ):
            return self._operator(int(text))
        return Token(WORD, text, line, word)

    def _operator(self, fd: int | None) -> Token:
        src, pos = self.src, self.pos
        for op, kind in _OPERATORS:
            if src.startswith(op, pos):
                self.pos = pos + len(op)
                return Token(kind, op, self.line, None, fd)
        c = src[pos]
        self.pos = pos + 1
        return Token(_SINGLE_OPS[c], c, self.line, None, fd)

    # ------------------------------------------------------------------ here-documents

    def _read_heredoc_bodies(self) -> None:
        """Read the bodies of the pending here-docs from ``pos`` (just after a newline)."""
        src, n = self.src, self.n
        pending, self.heredocs = self.heredocs, []
        self.last_kind = NEWLINE  # an error in a body leaves pos past it, on a new line
        for hd in pending:
            start_line = self.line
            lines: list[str] = []
            delim = hd.delimiter
            while True:
                if self.pos >= n:
                    if not self.complete:
                        raise self.incomplete(f'here-document delimited by end of file ("{delim}")')
                    break
                end = src.find("\n", self.pos)
                if end < 0:
                    text, self.pos = src[self.pos :], n
                else:
                    text, self.pos = src[self.pos : end], end + 1
                    self.line += 1
                if hd.strip_tabs:
                    text = text.lstrip("\t")
                if text == delim:
                    break
                lines.append(text + "\n" if end >= 0 else text)
            body = "".join(lines)
            if hd.quoted or not body:
                parts: tuple[ast.Part, ...] = (ast.Literal(body),) if body else ()
                hd.body = ast.Word(parts, body, start_line)
            else:
                hd.body = ast.Word(scan_text(body, start_line, M_HEREDOC), body, start_line)

    # ------------------------------------------------------------------ words

    def read_word(self) -> ast.Word:
        """Read an unquoted-context word at ``pos`` (the caller saw a word character)."""
        start, line = self.pos, self.line
        parts: list[ast.Part] = []
        if self.src[start] == "~":
            m = _TILDE.match(self.src, start)
            end = m.end()
            if end >= self.n or self.src[end] == "/" or self.src[end] in _METACHARS:
                parts.append(ast.TildePrefix(m.group(1)))
                self.pos = end
        self.scan(M_WORD, parts)
        return ast.Word(tuple(parts), self.src[start : self.pos], line)

    def scan(self, mode: int, parts: list[ast.Part], pattern: bool = False) -> list[ast.Part]:
        """Scan word parts in ``mode`` from ``pos``, appending them to ``parts``.

        Stops before a metacharacter (M_WORD), after the closing ``}`` (M_ARG, M_DQARG),
        ``"`` (M_DQ) or ``))`` (M_ARITH), or at end of input (M_WORD, M_HEREDOC).
        ``pattern`` says a ``${x%pat}``-style argument is being read in double quotes,
        where single quotes still quote.
        """
        src, n = self.src, self.n
        run = _RUNS[mode].match
        lit: list[str] = []
        depth = 0
        while True:
            m = run(src, self.pos)
            if m:
                text = m.group()
                lit.append(text)
                self.line += text.count("\n")
                self.pos = m.end()
            if self.pos >= n:
                if mode in (M_WORD, M_HEREDOC):
                    break
                if mode == M_DQ:
                    raise self.incomplete("unterminated quoted string")
                if mode == M_ARITH:
                    raise self.incomplete('missing "))"')
                raise self.incomplete('missing "}"')
            c = src[self.pos]
            part: ast.Part
            if c == "\\":
                nxt = src[self.pos + 1] if self.pos + 1 < n else ""
                if nxt == "\n":
                    self._continuation()
                    continue
                if mode in (M_WORD, M_ARG):
                    if not nxt:
                        lit.append("\\")
                        self.pos += 1
                        continue
                    part = ast.Escaped(nxt)
                    self.pos += 2
                elif mode == M_DQARG and nxt in '$`"\\}':
                    part = ast.Escaped(nxt)
                    self.pos += 2
                elif nxt and nxt in ("$`\\" if mode == M_HEREDOC else '$`"\\'):
                    lit.append(nxt)
                    self.pos += 2
                    continue
                else:
                    lit.append("\\")
                    self.pos += 1
                    continue
            elif c == "$":
                part = self._dollar(mode in _DQ_MODES)
                if part is None:
                    lit.append("$")
                    continue
            elif c == "`":
                part = self._backquote(mode in (M_DQ, M_DQARG))
            elif c == "'":
                if mode in (M_DQ, M_ARITH) or (mode == M_DQARG and not pattern):
                    lit.append("'")
                    self.pos += 1
                    continue
                part = self._single_quoted()
            elif c == '"':
                if mode == M_DQ:
                    self.pos += 1
                    break
                self.pos += 1
                part = ast.DoubleQuoted(tuple(self.scan(M_DQ, [])))
            elif c == "}":
                self.pos += 1
                break
            elif mode == M_ARITH:
                if c == "(":
                    depth += 1
                elif depth:
                    depth -= 1
                elif src.startswith(")", self.pos + 1):
                    self.pos += 2
                    break
                else:
                    raise _NotArith
                lit.append(c)
                self.pos += 1
                continue
            else:  # a metacharacter ends an unquoted word
                break
            if lit:
                parts.append(ast.Literal("".join(lit)))
                lit = []
            parts.append(part)
        if lit:
            parts.append(ast.Literal("".join(lit)))
        return parts

    def _single_quoted(self) -> ast.SingleQuoted:
        end = self.src.find("'", self.pos + 1)
        if end < 0:
            raise self.incomplete("unterminated quoted string")
        text = self.src[self.pos + 1 : end]
        self.line += text.count("\n")
        self.pos = end + 1
        return ast.SingleQuoted(text)

    def _dollar(self, dq: bool) -> ast.Part | None:
        """Read an expansion at ``pos`` (a ``$``); None (``pos`` past it) if it is literal."""
        src, pos = self.src, self.pos
        nxt = src[pos + 1] if pos + 1 < self.n else ""
        if nxt == "{":
            self.pos = pos + 2
            return self._braced_param(dq)
        if nxt == "(":
            if src.startswith("(", pos + 2):
                line, pending = self.line, len(self.heredocs)
                self.pos = pos + 3
                try:
                    parts = self.scan(M_ARITH, [])
                except _NotArith:
                    self.pos, self.line = pos, line
                    del self.heredocs[pending:]
                else:
                    return ast.Arith(src[pos + 3 : self.pos - 2], tuple(parts))
            self.pos = pos + 2
            return self._command_sub()
        m = _SIMPLE_PARAM.match(src, pos + 1)
        if m:
            self.pos = m.end()
            return ast.Param(m.group())
        self.pos = pos + 1
        return None

    def _braced_param(self, dq: bool) -> ast.Param:
        src, n, p = self.src, self.n, self.pos
        if p >= n:
            raise self.incomplete('missing "}"')
        m = _PNAME.match(src, p + 1) if src[p] == "#" else None
        if m and src.startswith("}", m.end()):
            self.pos = m.end() + 1
            return ast.Param(m.group(), "#len")
        m = _PNAME.match(src, p)
        if not m:
            raise self._bad_substitution()
        name, p = m.group(), m.end()
        c = src[p] if p < n else ""
        if c == "}":
            self.pos = p + 1
            return ast.Param(name)
        colon = c == ":"
        if colon:
            p += 1
            c = src[p] if p < n else ""
        if c and c in "-=?+":
            op = c
            p += 1
        elif c and c in "%#" and not colon:
            op = c + c if src.startswith(c, p + 1) else c
            p += len(op)
        elif not c:
            raise self.incomplete('missing "}"')
        else:
            raise self._bad_substitution()
        self.pos = p
        start, line = p, self.line
        parts: list[ast.Part] = []
        if not dq and src.startswith("~", p):
            m = _TILDE.match(src, p)
            if m.end() < n and src[m.end()] in "/}":
                parts.append(ast.TildePrefix(m.group(1)))
                self.pos = m.end()
        self.scan(M_DQARG if dq else M_ARG, parts, pattern=op[0] in "%#")
        arg = ast.Word(tuple(parts), src[start : self.pos - 1], line)
        return ast.Param(name, op, arg, colon)

    def _bad_substitution(self) -> ShSyntaxError:
        return ShSyntaxError("syntax error: bad substitution", self.line)

    def _command_sub(self) -> ast.CommandSub:
        """Parse ``$(…)`` in place with a nested parser; ``pos`` is after ``$(``."""
        from userland.sh.parser import parse_substitution  # parser imports this module

        start = self.pos
        body, sub = parse_substitution(self.src, start, self.line, self.complete)
        self.pos, self.line = sub.pos, sub.line
        self.heredocs.extend(sub.heredocs)  # `$(cat <<E)`: the body follows the line
        return ast.CommandSub(self.src[start : self.pos - 1], body)

    def _backquote(self, dq: bool) -> ast.Backquote:
        """Read ```…``` at ``pos``, undoing the backslash escapes, and parse the text."""
        from userland.sh.parser import parse_text

        src, n = self.src, self.n
        line = self.line
        p = self.pos + 1
        out: list[str] = []
        escapable = '$`\\"' if dq else "$`\\"
        while True:
            if p >= n:
                raise self.incomplete("unterminated backquote substitution")
            c = src[p]
            if c == "`":
                break
            if c == "\\" and p + 1 < n and src[p + 1] in escapable:
                out.append(src[p + 1])
                p += 2
                continue
            if c == "\n":
                self.line += 1
            out.append(c)
            p += 1
        self.pos = p + 1
        text = "".join(out)
        return ast.Backquote(text, parse_text(text, line))


def scan_text(text: str, line: int, mode: int) -> tuple[ast.Part, ...]:
    """Scan a whole delimited text (a here-doc body) into parts.

    Args:
        text: the text, already cut out of the source.
        line: the line ``text`` starts on.
        mode: a scanning mode that runs to end of input (M_HEREDOC).

    Returns:
        The parts. An unfinished construct inside is a plain ShSyntaxError, since the
        text is already complete.
    """
    lexer = Lexer(text, 0, line, complete=True)
    try:
        parts = tuple(lexer.scan(mode, []))
        if lexer.heredocs:  # `$(cat <<E)` inside a body: nothing is left to read
            lexer._read_heredoc_bodies()
        return parts
    except IncompleteInput as e:
        raise ShSyntaxError(e.message, e.line)


def assignment_tildes(parts: list[ast.Part]) -> list[ast.Part]:
    """Split ``TildePrefix`` parts out of an assignment value (after ``=`` and ``:``).

    Args:
        parts: the value's parts as lexed (tildes are still inside Literal texts).

    Returns:
        The parts with each valid unquoted ``~user`` prefix made a TildePrefix.
    """
    out: list[ast.Part] = []
    last = len(parts) - 1
    for i, part in enumerate(parts):
        if type(part) is not ast.Literal or "~" not in part.text:
            out.append(part)
            continue
        text, pos = part.text, 0
        for m in _ASSIGN_TILDE.finditer(text):
            if m.start() == 0 and i > 0:
                continue  # right after a quoted part or an expansion, not after = or :
            if m.end() == len(text) and i < last:
                continue  # the prefix would run into a quoted part or an expansion
            if m.start() > pos:
                out.append(ast.Literal(text[pos : m.start()]))
            out.append(ast.TildePrefix(m.group(1)))
            pos = m.end()
        if pos < len(text):
            out.append(ast.Literal(text[pos:]))
    return out
