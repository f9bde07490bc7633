"""The shell's syntax tree: word parts, words, redirections and command nodes.

This module owns the data the parser produces and the interpreter consumes. Nodes are
plain dataclasses with slots; they hold no runtime state, so one tree (a loop body, a
function) is executed any number of times. Every command node carries ``line``, the
1-based source line where it starts, for ``$LINENO`` and ``sh: N: …`` messages.

Words are sequences of *parts*. Unquoted parts are ``Literal`` (glob characters active,
never field-split), ``TildePrefix`` and the expansions ``Param``, ``CommandSub``,
``Backquote`` and ``Arith`` (their results are field-split and globbed). Quoting is
``SingleQuoted``, ``DoubleQuoted`` (whose parts are all quoted) and ``Escaped``.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------- word parts


@dataclass(slots=True)
class Literal:
    """Literal text. Unquoted at word level; quoted inside DoubleQuoted/here-docs/Arith."""

    text: str


@dataclass(slots=True)
class Escaped:
    """One backslash-quoted character (``\\*``): literal, never globbed or split."""

    char: str


@dataclass(slots=True)
class SingleQuoted:
    """The text between single quotes, taken literally."""

    text: str


@dataclass(slots=True)
class DoubleQuoted:
    """A double-quoted string: Literal, Param, CommandSub, Backquote and Arith parts."""

    parts: tuple[Part, ...]


@dataclass(slots=True)
class Param:
    """A parameter expansion: ``$x``, ``${x}``, ``${#x}``, ``${x:-word}``, ``${x%pat}``…

    ``op`` is None (plain), ``'#len'`` (length), one of ``'-' '=' '?' '+'`` (with
    ``colon`` telling ``:-`` from ``-``), or a pattern removal ``'%' '%%' '#' '##'``.
    ``arg`` is the word after the operator (possibly empty), None for plain/length.
    """

    name: str
    op: str | None = None
    arg: Word | None = None
    colon: bool = False


@dataclass(slots=True)
class CommandSub:
    """``$(…)``: ``source`` is the text between the parentheses, ``body`` its parse.

    ``body`` is None for an empty substitution such as ``$()``.
    """

    source: str
    body: Node | None


@dataclass(slots=True)
class Backquote(CommandSub):
    """```…```: like CommandSub; ``source`` is the text after backslash processing."""


@dataclass(slots=True)
class Arith:
    """``$((…))``: ``source`` is the raw expression; ``parts`` is it parsed as if
    double-quoted (Literal text plus Param/CommandSub/Backquote/Arith expansions)."""

    source: str
    parts: tuple[Part, ...]


@dataclass(slots=True)
class TildePrefix:
    """An unquoted ``~`` or ``~user`` at word start (or after ``=``/``:`` in assignments)."""

    user: str


Part = Literal | Escaped | SingleQuoted | DoubleQuoted | Param | CommandSub | Arith | TildePrefix

_QUOTING = (SingleQuoted, DoubleQuoted, Escaped)


@dataclass(slots=True)
class Word:
    """One shell word: its parts, the raw source text and the line it starts on."""

    parts: tuple[Part, ...]
    source: str
    line: int = 0

    def is_quoted(self) -> bool:
        """Return True if any part of the word is quoted (``'…'``, ``"…"`` or ``\\c``)."""
        return any(isinstance(p, _QUOTING) for p in self.parts)

    @property
    def literal(self) -> str | None:
        """The text of a word made of one unquoted Literal (``''`` if empty), else None."""
        parts = self.parts
        if not parts:
            return None
        if len(parts) == 1 and type(parts[0]) is Literal:
            return parts[0].text
        return None

    def unquoted_text(self) -> str:
        """Return the source with quotes removed and nothing expanded.

        This is how a here-document delimiter is computed (``<<"E"OF`` ends at ``EOF``).
        """
        return remove_quotes(self.source)


def remove_quotes(text: str) -> str:
    """Remove shell quoting from ``text`` without performing any expansion.

    Args:
        text: raw source text of a word.

    Returns:
        The text with ``'…'``, ``"…"`` and backslash quoting removed.
    """
    out: list[str] = []
    i, n = 0, len(text)
    in_dq = False
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if not in_dq or nxt in '$`"\\\n':
                if nxt != "\n":
                    out.append(nxt)
                i += 2
                continue
            out.append(c)
        elif c == "'" and not in_dq:
            end = text.find("'", i + 1)
            end = n if end < 0 else end
            out.append(text[i + 1 : end])
            i = end
        elif c == '"':
            in_dq = not in_dq
        else:
            out.append(c)
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- redirections


@dataclass(slots=True)
class Redirect:
    """``fd OP target`` for OP in ``<  >  >>  >|  <>  <&  >&``.

    ``fd`` is already defaulted (0 for ``<``-family ops, 1 for ``>``-family ops).
    For ``<&``/``>&`` the target word expands to a fd number or ``-`` (close).
    """

    op: str
    fd: int
    target: Word
    line: int


@dataclass(slots=True)
class HereDoc:
    """``fd<<DELIM`` / ``fd<<-DELIM``: the body is read from the lines after the command.

    ``body`` is a Word: for a quoted delimiter one Literal (no expansion), otherwise
    Literal text plus Param/CommandSub/Backquote/Arith parts (expanded, never split or
    globbed). With ``strip_tabs`` the leading tabs are already removed. ``body`` is
    filled in by the lexer once the line ends; it is never None in a finished tree.
    """

    fd: int
    delimiter: str
    strip_tabs: bool
    quoted: bool
    body: Word | None
    line: int


Redirection = Redirect | HereDoc

# --------------------------------------------------------------------------- commands


class Node:
    """Base class of every command node (each has a ``line`` attribute)."""

    __slots__ = ()


@dataclass(slots=True)
class Assignment:
    """``NAME=value`` before a command (or alone)."""

    name: str
    value: Word
    line: int


@dataclass(slots=True)
class SimpleCommand(Node):
    """Assignments, words (``words[0]`` is the command name) and redirections."""

    assigns: tuple[Assignment, ...]
    words: tuple[Word, ...]
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class Pipeline(Node):
    """``[!] cmd | cmd …``; only built for two or more commands or a leading ``!``."""

    commands: tuple[Node, ...]
    negated: bool
    line: int


@dataclass(slots=True)
class AndOr(Node):
    """``left && right`` or ``left || right`` (left-associative)."""

    op: str
    left: Node
    right: Node
    line: int


@dataclass(slots=True)
class Background(Node):
    """An and-or list ended by ``&``: run asynchronously."""

    command: Node
    line: int


@dataclass(slots=True)
class Sequence(Node):
    """Commands run one after another (``;`` or newline separated)."""

    commands: tuple[Node, ...]
    line: int


@dataclass(slots=True)
class Subshell(Node):
    """``( body ) [redirs]``."""

    body: Node
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class BraceGroup(Node):
    """``{ body; } [redirs]``."""

    body: Node
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class If(Node):
    """``if c1; then b1; elif c2; then b2; else e; fi``: clauses are (cond, body) pairs."""

    clauses: tuple[tuple[Node, Node], ...]
    else_body: Node | None
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class While(Node):
    """``while cond; do body; done`` (``until`` when ``until`` is True)."""

    cond: Node
    body: Node
    until: bool
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class For(Node):
    """``for name in words; do body; done``; without ``in`` the words are ``"$@"``."""

    name: str
    words: tuple[Word, ...]
    body: Node
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class CaseItem:
    """``pat | pat) body ;;`` inside a case; ``body`` is None when empty."""

    patterns: tuple[Word, ...]
    body: Node | None
    line: int


@dataclass(slots=True)
class Case(Node):
    """``case word in items… esac``."""

    word: Word
    items: tuple[CaseItem, ...]
    redirs: tuple[Redirection, ...]
    line: int


@dataclass(slots=True)
class FunctionDef(Node):
    """``name() compound-command [redirs]``; the redirections live on ``body``."""

    name: str
    body: Node
    line: int
