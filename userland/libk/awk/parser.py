"""awk's grammar (POSIX, with gawk's common extensions): a recursive-descent parser from
tokens to a tree of tuples.

Expressions are ``(kind, …)`` tuples: ``num str regex var field index assign cond or
and in match cmp concat bin neg pos not preinc postinc call builtin getline group``;
statements likewise (``print printf expr if while do for forin block next nextfile exit
return break continue delete``). A program is its rules (``BEGIN``, ``END`` or a pattern
or range with an action) and its functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from userland.libk.awk.lexer import AwkSyntaxError, Token, tokenize

Node = tuple[Any, ...]

_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "^=", "**="}
_RELOPS = {"<", "<=", "!=", "==", ">", ">="}
_CONCAT_STARTS = {"number", "string", "ere", "name", "funcname", "builtin", "$", "(", "++", "--"}


@dataclass(slots=True)
class Program:
    """A parsed program: its rules in order, and its functions by name."""

    begin: list[Node] = field(default_factory=list)
    end: list[Node] = field(default_factory=list)
    rules: list[tuple[Node | None, Node | None, Node | None]] = field(default_factory=list)
    functions: dict[str, tuple[list[str], Node]] = field(default_factory=dict)


class Parser:
    """One parse of a program text."""

    def __init__(self, src: str) -> None:
        self.toks: list[Token] = tokenize(src)
        self.i = 0
        self.no_gt = False  # inside print's expression list: '>' redirects
        self.no_in = False  # in a for(;;) initialiser: 'in' is for-in

    # --- scanning ------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def kind(self, ahead: int = 0) -> str:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)].kind

    def take(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, kind: str) -> Token:
        if self.kind() != kind:
            raise self.error()
        return self.take()

    def error(self) -> AwkSyntaxError:
        return AwkSyntaxError("syntax error", self.tok.pos)

    def newlines(self) -> None:
        while self.kind() == "newline":
            self.i += 1

    def terminators(self) -> None:
        while self.kind() in ("newline", ";"):
            self.i += 1

    # --- program -------------------------------------------------------------------

    def program(self) -> Program:
        """Parse the whole program.

        Raises:
            AwkSyntaxError: with the position of the offending token.
        """
        prog = Program()
        self.terminators()
        while self.kind() != "eof":
            k = self.kind()
            if k == "BEGIN":
                self.take()
                prog.begin.append(self.block())
            elif k == "END":
                self.take()
                prog.end.append(self.block())
            elif k == "function":
                self.take()
                name = self.take()
                if name.kind not in ("name", "funcname"):
                    raise AwkSyntaxError("syntax error", name.pos)
                self.expect("(")
                params: list[str] = []
                while self.kind() != ")":
                    params.append(str(self.expect("name").value))
                    if self.kind() == ",":
                        self.take()
                        self.newlines()
                    elif self.kind() != ")":
                        raise self.error()
                self.take()
                self.newlines()
                prog.functions[str(name.value)] = (params, self.block())
            else:
                pattern = pattern2 = None
                if k != "{":
                    pattern = self.expr()
                    if self.kind() == ",":
                        self.take()
                        self.newlines()
                        pattern2 = self.expr()
                action = self.block() if self.kind() == "{" else None
                prog.rules.append((pattern, pattern2, action))
            self.terminators()
        return prog

    def block(self) -> Node:
        self.expect("{")
        stmts = []
        self.terminators()
        while self.kind() != "}":
            if self.kind() == "eof":
                raise self.error()
            stmts.append(self.statement())
            self.terminators()
        self.take()
        return ("block", stmts)

    def simple_end(self) -> None:
        if self.kind() in ("newline", ";"):
            self.take()
        elif self.kind() not in ("}", "eof"):
            raise self.error()

    def body(self) -> Node:
        self.newlines()
        if self.kind() == ";":
            self.take()
            return ("block", [])
        return self.statement()

    def statement(self) -> Node:
        k = self.kind()
        if k == "{":
            return self.block()
        if k == "if":
            self.take()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            then = self.body()
            save = self.i
            self.terminators()
            if self.kind() == "else":
                self.take()
                return ("if", cond, then, self.body())
            self.i = save
            return ("if", cond, then, None)
        if k == "while":
            self.take()
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            if self.kind() == ";":
                self.take()
                return ("while", cond, ("block", []))
            return ("while", cond, self.body())
        if k == "do":
            self.take()
            stmt = self.body()
            self.terminators()
            self.expect("while")
            self.expect("(")
            cond = self.expr()
            self.expect(")")
            self.simple_end()
            return ("do", stmt, cond)
        if k == "for":
            return self.for_statement()
        if k in ("next", "nextfile", "break", "continue"):
            self.take()
            self.simple_end()
            return (k,)
        if k in ("exit", "return"):
            self.take()
            value = None
            if self.kind() not in ("newline", ";", "}", "eof"):
                value = self.expr()
            self.simple_end()
            return (k, value)
        if k == "delete":
            self.take()
            name = str(self.expect("name").value)
            subs = None
            if self.kind() == "[":
                self.take()
                subs = self.expr_list("]")
            self.simple_end()
            return ("delete", name, subs)
        if k in ("print", "printf"):
            stmt = self.print_statement()
            self.simple_end()
            return stmt
        if k == ";":
            self.take()
            return ("block", [])
        e = self.expr()
        self.simple_end()
        return ("expr", e)

    def for_statement(self) -> Node:
        self.take()
        self.expect("(")
        if (
            self.kind() == "name"
            and self.kind(1) == "in"
            and self.kind(2) == "name"
            and self.kind(3) == ")"
        ):
            var = str(self.take().value)
            self.take()
            arr = str(self.take().value)
            self.take()
            return ("forin", var, arr, self.body())
        init = None if self.kind() == ";" else self.simple_or_expr()
        self.expect(";")
        self.newlines()
        cond = None if self.kind() == ";" else self.expr()
        self.expect(";")
        self.newlines()
        incr = None if self.kind() == ")" else self.simple_or_expr()
        self.expect(")")
        if self.kind() == ";":
            self.take()
            return ("for", init, cond, incr, ("block", []))
        return ("for", init, cond, incr, self.body())

    def simple_or_expr(self) -> Node:
        return ("expr", self.expr())

    def print_statement(self) -> Node:
        kind = str(self.take().value)
        args: list[Node] = []
        save_gt, self.no_gt = self.no_gt, True
        try:
            if self.kind() == "(":
                # print (a, b) > "f" — or print (a)(b): try a parenthesised list first.
                start = self.i
                self.take()
                items = self.expr_list(")", gt_ok=True)
                if self.kind() in ("newline", ";", "}", "eof", ">", ">>", "|"):
                    args = items
                else:
                    self.i = start
                    args = self.expr_list(None)
            elif self.kind() not in ("newline", ";", "}", "eof", ">", ">>", "|"):
                args = self.expr_list(None)
        finally:
            self.no_gt = save_gt
        redirect, target = None, None
        if self.kind() in (">", ">>", "|"):
            redirect = str(self.take().value)
            target = self.concat(no_getline=True)
        if kind == "printf" and not args:
            raise self.error()
        return (kind, args, redirect, target)

    def expr_list(self, close: str | None, gt_ok: bool = False) -> list[Node]:
        items = []
        save = self.no_gt
        if gt_ok:
            self.no_gt = False
        try:
            if close is not None and self.kind() == close:
                self.take()
                return items
            while True:
                items.append(self.expr())
                if self.kind() == ",":
                    self.take()
                    self.newlines()
                    continue
                break
            if close is not None:
                self.expect(close)
        finally:
            self.no_gt = save
        return items

    # --- expressions ---------------------------------------------------------------

    def expr(self) -> Node:
        left = self.ternary()
        if self.kind() in _ASSIGN and left[0] in ("var", "field", "index"):
            op = str(self.take().value)
            self.newlines()
            return ("assign", "^=" if op == "**=" else op, left, self.expr())
        return left

    def ternary(self) -> Node:
        cond = self.or_()
        if self.kind() == "?":
            self.take()
            self.newlines()
            a = self.expr()
            self.newlines()
            self.expect(":")
            self.newlines()
            return ("cond", cond, a, self.expr())
        return cond

    def or_(self) -> Node:
        left = self.and_()
        while self.kind() == "||":
            self.take()
            self.newlines()
            left = ("or", left, self.and_())
        return left

    def and_(self) -> Node:
        left = self.in_()
        while self.kind() == "&&":
            self.take()
            self.newlines()
            left = ("and", left, self.in_())
        return left

    def in_(self) -> Node:
        left = self.match()
        while self.kind() == "in" and not self.no_in:
            self.take()
            name = str(self.expect("name").value)
            subs = list(left[1]) if left[0] == "grouplist" else [left]
            left = ("in", subs, name)
        return left

    def match(self) -> Node:
        left = self.comparison()
        while self.kind() in ("~", "!~"):
            negate = self.take().kind == "!~"
            left = ("match", negate, left, self.comparison())
        return left

    def comparison(self) -> Node:
        left = self.concat()
        k = self.kind()
        if k in _RELOPS and not (k == ">" and self.no_gt):
            op = str(self.take().value)
            left = ("cmp", op, left, self.concat())
        return left

    def concat(self, no_getline: bool = False) -> Node:
        left = self.additive()
        while True:
            k = self.kind()
            if k == "|" and self.kind(1) == "getline" and not no_getline:
                self.take()
                self.take()
                target = self.lvalue_opt()
                left = ("getline", "cmd", target, left)
                continue
            if k in _CONCAT_STARTS:
                left = ("concat", left, self.additive())
                continue
            return left

    def additive(self) -> Node:
        left = self.multiplicative()
        while self.kind() in ("+", "-"):
            op = str(self.take().value)
            left = ("bin", op, left, self.multiplicative())
        return left

    def multiplicative(self) -> Node:
        left = self.unary()
        while self.kind() in ("*", "/", "%"):
            op = str(self.take().value)
            left = ("bin", op, left, self.unary())
        return left

    def unary(self) -> Node:
        k = self.kind()
        if k == "!":
            self.take()
            return ("not", self.unary())
        if k == "-":
            self.take()
            return ("neg", self.unary())
        if k == "+":
            self.take()
            return ("pos", self.unary())
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.kind() in ("^", "**"):
            self.take()
            k = self.kind()
            exponent = self.unary() if k in ("-", "+", "!") else self.power()
            return ("bin", "^", base, exponent)
        return base

    def postfix(self) -> Node:
        node = self.primary()
        if node[0] in ("var", "field", "index") and self.kind() in ("++", "--"):
            delta = 1.0 if self.take().kind == "++" else -1.0
            return ("postinc", node, delta)
        return node

    def lvalue_opt(self) -> Node | None:
        if self.kind() == "$":
            self.take()
            return ("field", self.primary())
        if self.kind() == "name":
            return self.variable()
        return None

    def variable(self) -> Node:
        name = str(self.take().value)
        if self.kind() == "[":
            self.take()
            return ("index", name, self.expr_list("]", gt_ok=True))
        return ("var", name)

    def primary(self) -> Node:
        t = self.tok
        k = t.kind
        if k == "number":
            self.take()
            return ("num", t.value)
        if k == "string":
            self.take()
            return ("str", t.value)
        if k == "ere":
            self.take()
            return ("regex", t.value)
        if k == "$":
            self.take()
            if self.kind() in ("++", "--"):
                delta = 1.0 if self.take().kind == "++" else -1.0
                return ("field", ("preinc", self.lvalue_required(), delta))
            if self.kind() == "-":
                self.take()
                return ("field", ("neg", self.primary()))
            return ("field", self.primary())
        if k in ("++", "--"):
            self.take()
            return ("preinc", self.lvalue_required(), 1.0 if k == "++" else -1.0)
        if k == "(":
            self.take()
            save_gt, save_in = self.no_gt, self.no_in
            self.no_gt = self.no_in = False
            try:
                items = self.expr_list(")")
            finally:
                self.no_gt, self.no_in = save_gt, save_in
            if len(items) == 1:
                return ("group", items[0])
            if self.kind() != "in":
                raise self.error()
            return ("grouplist", items)
        if k == "name":
            return self.variable()
        if k == "funcname":
            self.take()
            self.expect("(")
            return ("call", str(t.value), self.expr_list(")", gt_ok=True))
        if k == "builtin":
            self.take()
            if self.kind() == "(":
                self.take()
                return ("builtin", str(t.value), self.expr_list(")", gt_ok=True))
            if t.value == "length":
                return ("builtin", "length", [])
            raise self.error()
        if k == "getline":
            self.take()
            target = self.lvalue_opt()
            if self.kind() == "<":
                self.take()
                return ("getline", "file", target, self.primary())
            return ("getline", "simple", target, None)
        if k in ("-", "+", "!"):
            return self.unary()
        raise self.error()

    def lvalue_required(self) -> Node:
        node = self.lvalue_opt()
        if node is None:
            raise self.error()
        return node


def parse(src: str) -> Program:
    """Parse a program text.

    Raises:
        AwkSyntaxError: the text is not a valid program.
    """
    return Parser(src).program()
