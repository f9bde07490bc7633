"""``test`` / ``[`` expressions: the evaluator shared by the shell builtin and /bin/test.

POSIX decides by the number of arguments first (0: false; 1: non-empty; 2: ``!`` or a
unary operator; 3: a binary operator, ``!`` or parentheses; 4: ``!`` or parentheses);
longer expressions use the full grammar with ``!``, ``-a`` (binding tighter than
``-o``) and ``( … )``. File operators go through system calls (stat, lstat, access,
ioctl); relative paths are resolved by the caller's ``resolve`` function, because a
shell's subshell threads keep their working directory in the shell, not the kernel.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.abi import (
    R_OK,
    S_IFBLK,
    S_IFCHR,
    S_IFDIR,
    S_IFIFO,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    S_IFSOCK,
    S_ISGID,
    S_ISUID,
    S_ISVTX,
    TCGETS,
    W_OK,
    X_OK,
    Error,
    Stat,
)
from userland.libk import sys

UNARY = frozenset(
    [
        "-b",
        "-c",
        "-d",
        "-e",
        "-f",
        "-g",
        "-h",
        "-L",
        "-k",
        "-n",
        "-p",
        "-r",
        "-s",
        "-S",
        "-t",
        "-u",
        "-w",
        "-x",
        "-z",
        "-O",
        "-G",
    ]
)
BINARY = frozenset(
    ["=", "!=", "==", "<", ">", "-eq", "-ne", "-gt", "-ge", "-lt", "-le", "-nt", "-ot", "-ef"]
)
_TYPES = {
    "-b": S_IFBLK,
    "-c": S_IFCHR,
    "-d": S_IFDIR,
    "-f": S_IFREG,
    "-p": S_IFIFO,
    "-S": S_IFSOCK,
}
_BITS = {"-g": S_ISGID, "-u": S_ISUID, "-k": S_ISVTX}
_ACCESS = {"-r": R_OK, "-w": W_OK, "-x": X_OK}


class TestError(Exception):
    """A malformed expression. ``kind`` names the problem, ``arg`` the culprit.

    Kinds: ``number`` (not an integer), ``unexpected`` (an operator or operand out of
    place), ``expected`` (an operator lacks its argument), ``bracket`` (``[`` without
    ``]``), ``paren`` (``(`` without ``)``), ``extra`` (an argument left over).
    """

    __test__ = False  # not a pytest class

    def __init__(self, kind: str, arg: str = "") -> None:
        super().__init__(kind, arg)
        self.kind = kind
        self.arg = arg

    def dash(self, prog: str) -> str:
        """The message as dash's builtin prints it (after ``sh: LINE: ``)."""
        messages = {
            "number": f"Illegal number: {self.arg}",
            "unexpected": f"{self.arg}: unexpected operator",
            "expected": f"{self.arg}: argument expected",
            "bracket": "missing ]",
            "paren": "closing paren expected",
            "extra": f"{self.arg}: unexpected operator",
        }
        return f"{prog}: {messages[self.kind]}"

    def gnu(self, prog: str) -> str:
        """The message as GNU coreutils' test prints it."""
        messages = {
            "number": f"invalid integer '{self.arg}'",
            "unexpected": f"'{self.arg}': unary operator expected",
            "expected": f"missing argument after '{self.arg}'",
            "bracket": "missing ']'",
            "paren": "')' expected",
            "extra": f"extra argument '{self.arg}'",
        }
        return f"{prog}: {messages[self.kind]}"


def parse_int(text: str) -> int:
    """An integer operand: optional blanks and sign, then decimal digits.

    Raises:
        TestError: ``number`` if ``text`` is not one (or does not fit in 64 bits).
    """
    s = text.strip(" \t")
    body = s[1:] if s[:1] in ("-", "+") else s
    if not body or not body.isascii() or not body.isdigit():
        raise TestError("number", text)
    value = int(s)
    if not -(2**63) <= value < 2**63:
        raise TestError("number", text)
    return value


Resolve = Callable[[str], str]


class _Evaluator:
    """One evaluation: the arguments and how to resolve relative paths."""

    __slots__ = ("args", "pos", "resolve")

    def __init__(self, args: list[str], resolve: Resolve) -> None:
        self.args = args
        self.pos = 0
        self.resolve = resolve

    # ---------------------------------------------------------------- by count
    async def by_count(self, args: list[str]) -> bool:
        n = len(args)
        if n == 0:
            return False
        if n == 1:
            return args[0] != ""
        if n == 2:
            if args[0] == "!":
                return args[1] == ""
            if args[0] in UNARY:
                return await self.unary(args[0], args[1])
            raise TestError("unexpected", args[0])
        if n == 3:
            if args[1] in BINARY:
                return await self.binary(args[0], args[1], args[2])
            if args[0] == "!":
                return not await self.by_count(args[1:])
            if args[0] == "(" and args[2] == ")":
                return args[1] != ""
            if args[1] in ("-a", "-o"):
                left, right = args[0] != "", args[2] != ""
                return (left and right) if args[1] == "-a" else (left or right)
            raise TestError("unexpected", args[1])
        if n == 4:
            if args[0] == "!":
                return not await self.by_count(args[1:])
            if args[0] == "(" and args[3] == ")":
                return await self.by_count(args[1:3])
        return await self.full()

    # ---------------------------------------------------------------- grammar
    async def full(self) -> bool:
        value = await self.or_expr()
        if self.pos < len(self.args):
            raise TestError("extra", self.args[self.pos])
        return value

    def peek(self, offset: int = 0) -> str | None:
        i = self.pos + offset
        return self.args[i] if i < len(self.args) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            prev = self.args[self.pos - 1] if self.pos else ""
            raise TestError("expected", prev)
        self.pos += 1
        return tok

    async def or_expr(self) -> bool:
        value = await self.and_expr()
        while self.peek() == "-o":
            self.pos += 1
            right = await self.and_expr()
            value = value or right
        return value

    async def and_expr(self) -> bool:
        value = await self.not_expr()
        while self.peek() == "-a":
            self.pos += 1
            right = await self.not_expr()
            value = value and right
        return value

    async def not_expr(self) -> bool:
        if self.peek() == "!" and self.peek(1) is not None:
            self.pos += 1
            return not await self.not_expr()
        return await self.primary()

    async def primary(self) -> bool:
        tok = self.take()
        nxt = self.peek()
        if nxt in BINARY and self.peek(1) is not None:
            self.pos += 1
            return await self.binary(tok, nxt, self.take())
        if tok == "(" and nxt is not None:
            value = await self.or_expr()
            if self.peek() != ")":
                raise TestError("paren")
            self.pos += 1
            return value
        if tok in UNARY and nxt is not None:
            self.pos += 1
            return await self.unary(tok, nxt)
        return tok != ""

    # ---------------------------------------------------------------- operators
    async def stat(self, path: str, *, follow: bool = True) -> Stat | None:
        if not path:
            return None
        try:
            call = sys.stat if follow else sys.lstat
            return await call(self.resolve(path))
        except Error:
            return None

    async def unary(self, op: str, arg: str) -> bool:
        if op == "-n":
            return arg != ""
        if op == "-z":
            return arg == ""
        if op == "-t":
            try:
                await sys.ioctl(parse_int(arg), TCGETS)
                return True
            except Error:
                return False
        if op in ("-h", "-L"):
            st = await self.stat(arg, follow=False)
            return st is not None and st.st_mode & S_IFMT == S_IFLNK
        if op in _ACCESS:
            if not arg:
                return False
            try:
                await sys.access(self.resolve(arg), _ACCESS[op])
                return True
            except Error:
                return False
        st = await self.stat(arg)
        if st is None:
            return False
        if op == "-e":
            return True
        if op in _TYPES:
            return st.st_mode & S_IFMT == _TYPES[op]
        if op in _BITS:
            return bool(st.st_mode & _BITS[op])
        if op == "-s":
            return st.st_size > 0
        if op == "-O":
            return st.st_uid == await sys.geteuid()
        return st.st_gid == await sys.getegid()  # -G

    async def binary(self, a: str, op: str, b: str) -> bool:
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op in ("-nt", "-ot", "-ef"):
            sa, sb = await self.stat(a), await self.stat(b)
            if op == "-ef":
                return (
                    sa is not None
                    and sb is not None
                    and (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
                )
            if op == "-ot":
                sa, sb = sb, sa
            if sa is None:
                return False
            return sb is None or sa.st_mtime_ns > sb.st_mtime_ns
        x, y = parse_int(a), parse_int(b)
        return {
            "-eq": x == y,
            "-ne": x != y,
            "-gt": x > y,
            "-ge": x >= y,
            "-lt": x < y,
            "-le": x <= y,
        }[op]


async def evaluate(args: list[str], resolve: Resolve | None = None) -> bool:
    """Evaluate a test expression (without the ``[``/``]`` brackets).

    Args:
        args: the operands of ``test``.
        resolve: turns a path operand into the path to stat (default: unchanged).

    Returns:
        Whether the expression is true.

    Raises:
        TestError: the expression is malformed or an integer is not one.
    """
    ev = _Evaluator(args, resolve or (lambda p: p))
    return await ev.by_count(args)


async def run(argv: list[str], resolve: Resolve | None = None) -> tuple[int, TestError | None]:
    """``test``/``[`` as a command: exit status 0 (true), 1 (false) or 2 (error).

    ``argv[0]`` decides whether a closing ``]`` is required.
    """
    args = argv[1:]
    if argv and argv[0].rsplit("/", 1)[-1] == "[":
        if not args or args[-1] != "]":
            return 2, TestError("bracket")
        args = args[:-1]
    try:
        return (0 if await evaluate(args, resolve) else 1), None
    except TestError as err:
        return 2, err
