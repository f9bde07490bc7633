"""The tokens the shell's parser reads: lookahead, aliases, and syntax errors.

:class:`TokenStream` stands between the lexer and the grammar (``parser``): it keeps
one token of lookahead, substitutes aliases into the source where the grammar finds a
command word (as dash does in its tokenizer: an alias is not expanded again inside its
own value, and a value ending in a blank makes the next word a candidate too), checks
the words and operators the grammar expects, and after a syntax error drops the rest of
the offending line so parsing can go on. :func:`unexpected` makes the error for a token
the grammar did not expect: IncompleteInput at end of input (an interactive shell then
asks for more with PS2), ShSyntaxError otherwise.
"""

from __future__ import annotations

from userland.sh.lexer import (
    EOF,
    NEWLINE,
    OP,
    WORD,
    IncompleteInput,
    Lexer,
    ShSyntaxError,
    Token,
)


class TokenStream:
    """The parser's view of the lexer's tokens (the base of ``parser.Parser``, whose
    docstring describes the arguments)."""

    __slots__ = ("_lex", "_tok", "aliases", "_alias_ends", "_alias_next")

    def __init__(
        self,
        source: str,
        *,
        first_line: int = 1,
        complete: bool = False,
        aliases: dict[str, str] | None = None,
    ) -> None:
        self._lex = Lexer(source, 0, first_line, complete)
        self._tok: Token | None = None
        self.aliases = aliases
        self._alias_ends: list[tuple[str, int]] = []  # aliases being expanded, region ends
        self._alias_next = -1

    # ------------------------------------------------------------------ tokens

    def _peek(self) -> Token:
        tok = self._tok
        if tok is None:
            tok = self._tok = self._lex.next_token()
        return tok

    def _next(self) -> Token:
        tok = self._tok
        if tok is None:
            return self._lex.next_token()
        self._tok = None
        return tok

    def _skip_newlines(self) -> None:
        while self._peek().kind == NEWLINE:
            self._tok = None

    def _is_op(self, text: str) -> bool:
        tok = self._peek()
        return tok.kind == OP and tok.text == text

    def _is_word(self, text: str) -> bool:
        tok = self._peek()
        return tok.kind == WORD and tok.text == text

    def _expect_word(self, text: str) -> Token:
        tok = self._next()
        if tok.kind != WORD or tok.text != text:
            raise unexpected(tok)
        return tok

    def _expect_op(self, text: str) -> Token:
        tok = self._next()
        if tok.kind != OP or tok.text != text:
            raise unexpected(tok)
        return tok

    def _recover(self) -> None:
        """After an error, drop the lookahead and the rest of the current line."""
        lex = self._lex
        if self._tok is not None:
            lex.last_kind = self._tok.kind
            self._tok = None
        lex.heredocs = []
        if lex.last_kind not in (NEWLINE, EOF):
            end = lex.src.find("\n", lex.pos)
            if end < 0:
                lex.pos = lex.n
            else:
                lex.pos = end + 1
                lex.line += 1
        lex.last_kind = NEWLINE

    # ------------------------------------------------------------------ aliases

    def _try_alias(self, tok: Token) -> bool:
        """Replace the peeked word ``tok`` by its alias value in the source, if it has one.

        An alias is not expanded again inside its own expansion (no recursion).
        """
        text = tok.text
        aliases = self.aliases
        if not aliases or text is None or text not in aliases:
            return False
        lex = self._lex
        pos = lex.pos
        if any(name == text and end >= pos for name, end in self._alias_ends):
            return False
        value = aliases[text]
        lex.src = lex.src[:pos] + value + lex.src[pos:]
        lex.n = len(lex.src)
        self._alias_ends = [
            (name, end + len(value) if end >= pos else end)
            for name, end in self._alias_ends
            if end >= pos
        ]
        self._alias_ends.append((text, pos + len(value)))
        self._tok = None
        self._alias_next = pos + len(value) if value[-1:] in (" ", "\t") else -1
        return True


def unexpected(tok: Token) -> ShSyntaxError:
    """The error for ``tok`` where the grammar expected something else."""
    if tok.kind == EOF:
        return IncompleteInput("syntax error: unexpected end of file", tok.line)
    return ShSyntaxError(f"syntax error: unexpected {tok.describe()}", tok.line)
