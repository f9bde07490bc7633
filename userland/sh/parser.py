"""The shell's recursive-descent parser: tokens in, syntax tree (``ast``) out.

It owns the POSIX sh grammar: lists, and-or lists, pipelines, simple commands with
assignments and redirections, compound commands, function definitions, and where
reserved words are recognised (only in command position). ``Parser.parse_next`` yields
one complete command at a time so a script runs command by command; ``parse`` reads a
whole program. Errors are ShSyntaxError; running out of input inside an unfinished
construct is IncompleteInput, which an interactive shell answers with PS2.
"""

from __future__ import annotations

import re

from userland.sh import ast
from userland.sh.lexer import (
    EOF,
    NEWLINE,
    OP,
    REDIR,
    WORD,
    IncompleteInput,
    Lexer,
    ShSyntaxError,
    Token,
    assignment_tildes,
)
from userland.sh.tokenstream import TokenStream, unexpected

__all__ = ["IncompleteInput", "Parser", "ShSyntaxError", "parse", "parse_text"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# Reserved words that end a compound list and so can never start a command.
_CLOSERS = frozenset(("then", "else", "elif", "fi", "do", "done", "esac", "}"))
_OPENERS = frozenset(("if", "while", "until", "for", "case", "{"))
_COMPOUND_START = _OPENERS | {"("}


class Parser(TokenStream):
    """Parses shell source one complete command at a time.

    Args:
        source: the program text.
        first_line: the line number of the first line of ``source``.
        complete: True when ``source`` is the whole input (a script, ``sh -c``): a
            here-doc whose delimiter never comes then runs to end of input, as in
            bash. When False (interactive), that case is an IncompleteInput too.
        aliases: the shell's aliases (read live, so a definition applies to the
            commands parsed after it ran). An unquoted command word that names one is
            replaced by its value in the source; if the value ends with a blank, the
            next word is checked too.
    """

    __slots__ = ()

    # ------------------------------------------------------------------ public

    def parse_next(self) -> ast.Node | None:
        """Parse the next complete command (a list ended by a newline or end of input).

        Returns:
            The command's tree (a Sequence only when the line holds several commands),
            or None at end of input. Blank lines and comments are skipped.

        Raises:
            IncompleteInput: the input ended inside an unfinished construct.
            ShSyntaxError: any other syntax error. The parser then skips the rest of
                the offending line, so parse_next can be called again.
        """
        try:
            self._skip_newlines()
            if self._peek().kind == EOF:
                return None
            return self._top_list()
        except ShSyntaxError:
            self._recover()
            raise

    # ------------------------------------------------------------------ lists

    def _top_list(self) -> ast.Node:
        """``and_or ((';' | '&') and_or)* [';' | '&']`` ended by a newline or EOF."""
        items: list[ast.Node] = []
        while True:
            node = self._and_or()
            tok = self._peek()
            if tok.kind == OP and tok.text in ("&", ";"):
                self._tok = None
                if tok.text == "&":
                    node = ast.Background(node, node.line)
                items.append(node)
                tok = self._peek()
                if tok.kind != NEWLINE and tok.kind != EOF:
                    continue
            else:
                items.append(node)
            if tok.kind == NEWLINE:
                self._tok = None
            elif tok.kind != EOF:
                raise unexpected(tok)
            break
        return items[0] if len(items) == 1 else ast.Sequence(tuple(items), items[0].line)

    def _starts_command(self) -> bool:
        tok = self._peek()
        if tok.kind == WORD:
            return tok.text not in _CLOSERS
        return tok.kind == REDIR or (tok.kind == OP and tok.text == "(")

    def _compound_list(self, allow_empty: bool = False) -> ast.Node | None:
        """A list inside a compound command; newlines separate commands here."""
        self._skip_newlines()
        items: list[ast.Node] = []
        while self._starts_command():
            node = self._and_or()
            tok = self._peek()
            if tok.kind == OP and tok.text in ("&", ";"):
                self._tok = None
                if tok.text == "&":
                    node = ast.Background(node, node.line)
            elif tok.kind != NEWLINE:
                items.append(node)
                break
            items.append(node)
            self._skip_newlines()
        if not items:
            if allow_empty:
                return None
            raise unexpected(self._peek())
        return items[0] if len(items) == 1 else ast.Sequence(tuple(items), items[0].line)

    def _body(self) -> ast.Node:
        node = self._compound_list()
        assert node is not None
        return node

    def _and_or(self) -> ast.Node:
        node = self._pipeline()
        while True:
            tok = self._peek()
            if tok.kind != OP or (tok.text != "&&" and tok.text != "||"):
                return node
            self._tok = None
            self._skip_newlines()
            node = ast.AndOr(tok.text, node, self._pipeline(), node.line)

    def _pipeline(self) -> ast.Node:
        tok = self._peek()
        negated = tok.kind == WORD and tok.text == "!"
        if negated:
            self._tok = None
        first = self._command()
        commands = [first]
        while self._is_op("|"):
            self._tok = None
            self._skip_newlines()
            commands.append(self._command())
        if len(commands) == 1 and not negated:
            return first
        return ast.Pipeline(tuple(commands), negated, tok.line)

    # ------------------------------------------------------------------ commands

    def _command(self) -> ast.Node:
        tok = self._peek()
        if tok.kind == WORD and self.aliases and self._try_alias(tok):
            return self._command()
        if tok.kind == WORD:
            text = tok.text
            if text is not None:
                if text in _OPENERS:
                    return self._compound()
                if text in _CLOSERS:
                    raise unexpected(tok)
                if "=" not in text:
                    self._tok = None
                    if self._is_op("("):
                        return self._function(tok)
                    return self._simple_command(tok.line, tok)
            return self._simple_command(tok.line, None)
        if tok.kind == REDIR:
            return self._simple_command(tok.line, None)
        if tok.kind == OP and tok.text == "(":
            return self._compound()
        raise unexpected(tok)

    def _simple_command(self, line: int, first: Token | None) -> ast.SimpleCommand:
        assigns: list[ast.Assignment] = []
        words: list[ast.Word] = []
        redirs: list[ast.Redirection] = []
        if first is not None:
            words.append(first.word)
        while True:
            tok = self._peek()
            if tok.kind == WORD:
                after_blank = 0 <= self._alias_next < self._lex.pos
                if self.aliases and (after_blank or not words):
                    if after_blank:
                        self._alias_next = -1
                    if (words or "=" not in (tok.text or "=")) and self._try_alias(tok):
                        continue
                self._tok = None
                word = tok.word
                if not words:
                    assign = _assignment(word)
                    if assign is not None:
                        assigns.append(assign)
                        continue
                words.append(word)
            elif tok.kind == REDIR:
                self._tok = None
                redirs.append(self._redirect(tok))
            else:
                break
        self._alias_next = -1
        return ast.SimpleCommand(tuple(assigns), tuple(words), tuple(redirs), line)

    def _redirect(self, tok: Token) -> ast.Redirection:
        op = tok.text
        fd = tok.fd if tok.fd is not None else (0 if op[0] == "<" else 1)
        target = self._next()
        if target.kind != WORD:
            raise unexpected(target)
        word = target.word
        if op == "<<" or op == "<<-":
            doc = ast.HereDoc(
                fd, word.unquoted_text(), op == "<<-", word.is_quoted(), None, tok.line
            )
            self._lex.heredocs.append(doc)
            return doc
        return ast.Redirect(op, fd, word, tok.line)

    def _redirects(self) -> tuple[ast.Redirection, ...]:
        redirs: list[ast.Redirection] = []
        while self._peek().kind == REDIR:
            redirs.append(self._redirect(self._next()))
        return tuple(redirs)

    def _function(self, name_tok: Token) -> ast.FunctionDef:
        self._expect_op("(")
        self._expect_op(")")
        self._skip_newlines()
        tok = self._peek()
        if tok.text not in _COMPOUND_START or tok.kind == REDIR:
            raise unexpected(tok)
        return ast.FunctionDef(name_tok.text, self._compound(), name_tok.line)

    def _compound(self) -> ast.Node:
        tok = self._next()
        line, kw = tok.line, tok.text
        if kw == "(":
            body = self._body()
            self._expect_op(")")
            return ast.Subshell(body, self._redirects(), line)
        if kw == "{":
            body = self._body()
            self._expect_word("}")
            return ast.BraceGroup(body, self._redirects(), line)
        if kw == "if":
            clauses: list[tuple[ast.Node, ast.Node]] = []
            else_body = None
            while True:
                cond = self._body()
                self._expect_word("then")
                clauses.append((cond, self._body()))
                end = self._next()
                if end.kind == WORD and end.text == "elif":
                    continue
                if end.kind == WORD and end.text == "else":
                    else_body = self._body()
                    self._expect_word("fi")
                    break
                if end.kind != WORD or end.text != "fi":
                    raise unexpected(end)
                break
            return ast.If(tuple(clauses), else_body, self._redirects(), line)
        if kw == "while" or kw == "until":
            cond = self._body()
            body = self._do_group()
            return ast.While(cond, body, kw == "until", self._redirects(), line)
        if kw == "for":
            return self._for(line)
        return self._case(line)

    def _do_group(self) -> ast.Node:
        self._expect_word("do")
        body = self._body()
        self._expect_word("done")
        return body

    def _for(self, line: int) -> ast.For:
        tok = self._next()
        if tok.kind != WORD:
            raise unexpected(tok)
        if tok.text is None or not _NAME.match(tok.text):
            raise ShSyntaxError("syntax error: bad for loop variable", tok.line)
        self._skip_newlines()
        words: tuple[ast.Word, ...]
        if self._is_word("in"):
            self._tok = None
            collected: list[ast.Word] = []
            while self._peek().kind == WORD:
                collected.append(self._next().word)
            words = tuple(collected)
            sep = self._next()
            if not (sep.kind == NEWLINE or (sep.kind == OP and sep.text == ";")):
                raise unexpected(sep)
            self._skip_newlines()
        else:
            at = ast.DoubleQuoted((ast.Param("@"),))
            words = (ast.Word((at,), '"$@"', line),)
            if self._is_op(";"):
                self._tok = None
                self._skip_newlines()
        body = self._do_group()
        return ast.For(tok.text, words, body, self._redirects(), line)

    def _case(self, line: int) -> ast.Case:
        subject = self._next()
        if subject.kind != WORD:
            raise unexpected(subject)
        self._skip_newlines()
        self._expect_word("in")
        self._skip_newlines()
        items: list[ast.CaseItem] = []
        while not self._is_word("esac"):
            if self._is_op("("):
                self._tok = None
            patterns: list[ast.Word] = []
            while True:
                tok = self._next()
                if tok.kind != WORD:
                    raise unexpected(tok)
                patterns.append(tok.word)
                sep = self._next()
                if sep.kind == OP and sep.text == ")":
                    break
                if sep.kind != OP or sep.text != "|":
                    raise unexpected(sep)
            body = self._compound_list(allow_empty=True)
            items.append(ast.CaseItem(tuple(patterns), body, patterns[0].line))
            if self._is_op(";;"):
                self._tok = None
                self._skip_newlines()
            elif not self._is_word("esac"):
                raise unexpected(self._peek())
        self._tok = None
        return ast.Case(subject.word, tuple(items), self._redirects(), line)


# ---------------------------------------------------------------------- helpers


def _assignment(word: ast.Word) -> ast.Assignment | None:
    parts = word.parts
    first = parts[0]
    if type(first) is not ast.Literal:
        return None
    m = _ASSIGN.match(first.text)
    if m is None:
        return None
    name = m.group()[:-1]
    rest = first.text[m.end() :]
    value: list[ast.Part] = [ast.Literal(rest)] if rest else []
    value.extend(parts[1:])
    if any(type(p) is ast.Literal and "~" in p.text for p in value):
        value = assignment_tildes(value)
    source = word.source[len(name) + 1 :]
    return ast.Assignment(name, ast.Word(tuple(value), source, word.line), word.line)


def parse(source: str, *, first_line: int = 1) -> ast.Sequence:
    """Parse a whole program.

    Args:
        source: the program text (taken as complete: see Parser).
        first_line: the line number of its first line.

    Returns:
        A Sequence of the program's complete commands, in order (possibly empty).

    Raises:
        ShSyntaxError: on the first syntax error (IncompleteInput if the text ends
            inside an unfinished construct).
    """
    parser = Parser(source, first_line=first_line, complete=True)
    items: list[ast.Node] = []
    while (node := parser.parse_next()) is not None:
        if type(node) is ast.Sequence:
            items.extend(node.commands)
        else:
            items.append(node)
    return ast.Sequence(tuple(items), items[0].line if items else first_line)


def parse_text(text: str, line: int) -> ast.Node | None:
    """Parse an already delimited text (the inside of ```…```) as a program.

    Args:
        text: the program text.
        line: the line it starts on.

    Returns:
        The single command, a Sequence of several, or None if there is none.

    Raises:
        ShSyntaxError: on a syntax error, never IncompleteInput (the text is closed).
    """
    try:
        program = parse(text, first_line=line)
    except IncompleteInput as e:
        raise ShSyntaxError(e.message, e.line)
    if not program.commands:
        return None
    return program.commands[0] if len(program.commands) == 1 else program


def parse_substitution(
    src: str, pos: int, line: int, complete: bool
) -> tuple[ast.Node | None, Lexer]:
    """Parse the command list of a ``$(…)`` that starts at ``pos`` (just after ``$(``).

    Args:
        src: the whole source text.
        pos: where the list starts.
        line: the line at ``pos``.
        complete: whether ``src`` is the whole input (see Parser).

    Returns:
        The parsed body (None if empty) and the nested lexer, whose ``pos`` and
        ``line`` are just past the closing ``)`` and whose ``heredocs`` are the
        here-docs still waiting for their bodies.
    """
    parser = Parser.__new__(Parser)
    parser._lex = Lexer(src, pos, line, complete)
    parser._tok = None
    parser.aliases = None
    parser._alias_ends = []
    parser._alias_next = -1
    body = parser._compound_list(allow_empty=True)
    parser._expect_op(")")
    return body, parser._lex
