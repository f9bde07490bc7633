"""The unparser: a syntax tree back to shell source text.

A subshell runs in its own process (``sh`` re-executed with the parent's state, see
:mod:`userland.sh.substate`), so the code it runs — and the shell functions it inherits —
travel as text. Words keep their raw source, so only the command structure is rebuilt
here; here-document bodies follow the line that names them, with a delimiter chosen
not to occur in the body. Commands are put back on their original lines where the
syntax allows (``$LINENO`` and error messages keep their numbers when the text is
parsed again from the node's first line).

The property that matters is ``parse(unparse(parse(s))) == parse(s)``, up to line
numbers of nodes that share a line and backquotes written back as ``$( )``.
"""

from __future__ import annotations

from userland.sh import ast


class Unparser:
    """Builds the text of one tree; here-documents wait for the next newline."""

    def __init__(self, line: int, *, flat: bool = False) -> None:
        self.flat = flat  # one line, no here-document bodies (how ``jobs`` shows a job)
        self.out: list[str] = []
        self.line = line
        self.pending: list[ast.HereDoc] = []

    def text(self) -> str:
        """The text so far, and the bodies of here-documents still pending (no final
        newline otherwise: a word may end in a backslash at the end of the input)."""
        if self.pending:
            self.newline()
        return "".join(self.out)

    def newline(self, upto: int = 0) -> None:
        """End the line (flushing here-documents); more newlines to reach line ``upto``.

        A flat unparser writes ``;`` instead (a space after ``&``) and drops the
        here-document bodies."""
        if self.flat:
            self.pending = []
            self.out.append(" " if self.out and self.out[-1].endswith("&") else "; ")
            return
        self.out.append("\n")
        self.line += 1
        for doc in self.pending:
            body = doc.body.source if doc.body else ""
            self.out.append(body)
            self.out.append(heredoc_delimiter(doc, body) + "\n")
            self.line += body.count("\n") + 1
        self.pending = []
        while self.line < upto:
            self.out.append("\n")
            self.line += 1

    def separate(self, prev: ast.Node, cmd: ast.Node) -> None:
        """Between two commands of a list: ``;`` (none after ``&``) on one line, else
        newlines down to the next command's line."""
        if not self.flat and cmd.line > self.line:
            self.newline(cmd.line)
        else:
            self.put(" " if type(prev) is ast.Background else "; ")

    def put(self, text: str) -> None:
        """Append text on the current line."""
        self.out.append(text)

    # ----------------------------------------------------------------- commands
    def node(self, node: ast.Node) -> None:
        """Append one command node."""
        kind = type(node)
        if kind is ast.SimpleCommand:
            self.simple(node)  # type: ignore[arg-type]
        elif kind is ast.Sequence:
            for i, cmd in enumerate(node.commands):  # type: ignore[attr-defined]
                if i:
                    self.separate(node.commands[i - 1], cmd)  # type: ignore[attr-defined]
                self.node(cmd)
        elif kind is ast.Pipeline:
            if node.negated:  # type: ignore[attr-defined]
                self.put("! ")
            for i, cmd in enumerate(node.commands):  # type: ignore[attr-defined]
                if i:
                    self.put(" | ")
                self.node(cmd)
        elif kind is ast.AndOr:
            self.node(node.left)  # type: ignore[attr-defined]
            self.put(f" {node.op} ")  # type: ignore[attr-defined]
            self.node(node.right)  # type: ignore[attr-defined]
        elif kind is ast.Background:
            self.node(node.command)  # type: ignore[attr-defined]
            self.put(" &")
        elif kind is ast.FunctionDef:
            self.put(f"{node.name}() ")  # type: ignore[attr-defined]
            self.node(node.body)  # type: ignore[attr-defined]
        else:
            self.compound(node)

    def compound(self, node: ast.Node) -> None:
        """Append a compound command and its redirections."""
        kind = type(node)
        if kind is ast.BraceGroup:
            self.put("{ ")
            self.body(node.body)  # type: ignore[attr-defined]
            self.put("}")
        elif kind is ast.Subshell:
            self.put("( ")
            self.goto(node.body.line)  # type: ignore[attr-defined]
            self.node(node.body)  # type: ignore[attr-defined]
            self.close()
            self.put(")")
        elif kind is ast.If:
            for i, (cond, body) in enumerate(node.clauses):  # type: ignore[attr-defined]
                self.put("elif " if i else "if ")
                self.body(cond)
                self.put("then ")
                self.body(body)
            if node.else_body is not None:  # type: ignore[attr-defined]
                self.put("else ")
                self.body(node.else_body)  # type: ignore[attr-defined]
            self.put("fi")
        elif kind is ast.While:
            self.put("until " if node.until else "while ")  # type: ignore[attr-defined]
            self.body(node.cond)  # type: ignore[attr-defined]
            self.put("do ")
            self.body(node.body)  # type: ignore[attr-defined]
            self.put("done")
        elif kind is ast.For:
            words = " ".join(w.source for w in node.words)  # type: ignore[attr-defined]
            self.put(f"for {node.name} in {words}")  # type: ignore[attr-defined]
            self.end()
            self.put("do ")
            self.body(node.body)  # type: ignore[attr-defined]
            self.put("done")
        elif kind is ast.Case:
            self.put(f"case {node.word.source} in")  # type: ignore[attr-defined]
            for item in node.items:  # type: ignore[attr-defined]
                self.gap(item.line)
                self.put("(" + " | ".join(p.source for p in item.patterns) + ") ")
                if item.body is not None:
                    self.goto(item.body.line)
                    self.node(item.body)
                    self.close()
                self.put(";;")
            self.gap(0)
            self.put("esac")
        else:
            raise ValueError(f"cannot unparse {kind.__name__}")
        self.redirs(getattr(node, "redirs", ()))

    def goto(self, line: int) -> None:
        """Go down to ``line`` before a command that starts there."""
        if not self.flat and line > self.line:
            self.newline(line)

    def end(self) -> None:
        """End a list before a keyword: ``;`` (a space after ``&``). Here-document
        bodies wait for the next newline, as in the source."""
        self.put(" " if self.out and self.out[-1].endswith("&") else "; ")

    def close(self) -> None:
        """End a list before ``)`` or ``;;``."""
        self.put(" ")

    def gap(self, line: int) -> None:
        """Between case items: a space, or newlines down to the item's line."""
        if not self.flat and line > self.line:
            self.newline(line)
        else:
            self.put(" ")

    def body(self, node: ast.Node) -> None:
        """A list inside a compound command, ended before the next keyword."""
        self.goto(node.line)
        self.node(node)
        self.end()

    def simple(self, cmd: ast.SimpleCommand) -> None:
        """Assignments, words and redirections of a simple command."""
        items = [f"{a.name}={a.value.source}" for a in cmd.assigns]
        items += [w.source for w in cmd.words]
        self.put(" ".join(items))
        self.redirs(cmd.redirs)

    def redirs(self, redirs: tuple[ast.Redirection, ...]) -> None:
        """Redirections, each with its descriptor number written out."""
        for r in redirs:
            if type(r) is ast.HereDoc:
                body = r.body.source if r.body else ""
                delim = heredoc_delimiter(r, body)
                fd = "" if r.fd == 0 else str(r.fd)
                op = "<<-" if r.strip_tabs else "<<"  # (the body has no leading tabs left)
                self.put(f" {fd}{op}" + (f"'{delim}'" if r.quoted else delim))
                if not self.flat:
                    self.pending.append(r)
            else:
                fd = "" if r.fd == (0 if r.op[0] == "<" else 1) else str(r.fd)
                self.put(f" {fd}{r.op}{r.target.source}")


def heredoc_delimiter(doc: ast.HereDoc, body: str) -> str:
    """A delimiter that is no line of ``body`` (the original one when possible)."""
    lines = set(body.split("\n"))
    delim = doc.delimiter if doc.delimiter.isidentifier() else "EOF"
    n = 0
    candidate = delim
    while candidate in lines:
        n += 1
        candidate = f"{delim}_{n}"
    return candidate


def unparse(node: ast.Node) -> str:
    """Shell source for ``node``, its first command on ``node.line``'s line.

    Args:
        node: a command node (a subshell's body, a function definition…).

    Returns:
        Text that parses (from first line ``node.line``) to the same tree.
    """
    u = Unparser(node.line)
    u.node(node)
    return u.text()


def one_line(node: ast.Node) -> str:
    """``node`` as one line of text, as ``jobs`` shows it (``while :; do :; done``)."""
    u = Unparser(node.line, flat=True)
    u.node(node)
    return "".join(u.out).strip()
