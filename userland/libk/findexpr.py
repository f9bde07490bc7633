"""find's expression: parsing it and the tests and actions it is made of.

This module owns everything between find's starting points and its walk: the grammar
GNU find parses (tests and actions joined by an implicit ``-a``, ``-o``, ``!``/``-not``,
``,`` and parentheses; ``-print`` added when there is no action), every primary
(positional options such as ``-maxdepth``, tests such as ``-name``, ``-type``, ``-size``,
``-perm``, ``-user``, actions such as ``-print``, ``-delete``, ``-exec … ;`` and
``-exec … {} +``), and the state the expression shares with the walk (depth limits,
``-prune``, ``-quit``, the exit status). The tests that only look at a file are built
by :mod:`userland.libk.findtests` (``FindError``, ``Test`` and ``TYPE_BITS`` are
re-exported here). Walking the tree is the program's business (find.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.abi import S_ISDIR, Error
from userland.libk import io as kio
from userland.libk import sys
from userland.libk.findtests import (
    TYPE_BITS,
    FindError,
    Test,
    empty,
    name_test,
    newer,
    owner_test,
    path_test,
    perm_test,
    size_test,
    stat_test,
    type_test,
)
from userland.libk.proc import exit_code
from userland.libk.walk import Entry

ACTIONS = {"-print", "-print0", "-exec", "-delete", "-quit"}
BATCH = 500

__all__ = ["ACTIONS", "BATCH", "TYPE_BITS", "Batch", "Expression", "FindError", "Test"]


@dataclass(slots=True)
class Batch:
    """An ``-exec … {} +`` command and the paths collected for it."""

    argv: list[str]
    paths: list[str] = field(default_factory=list)


class Expression:
    """One run's expression: its parser, and the state its primaries share with the walk.

    Attributes:
        maxdepth: ``-maxdepth``, or None for no limit.
        mindepth: ``-mindepth``.
        depth_first: ``-depth`` (or ``-delete``): directories after their contents.
        status: the exit status so far (1 once anything went wrong).
        out: standard output, buffered.
        batches: the ``-exec … {} +`` commands, to run once more at the end.
        pruned: ``-prune`` matched the current entry: do not descend into it.
        quit: ``-quit`` matched: stop the walk.
    """

    def __init__(self) -> None:
        self.maxdepth: int | None = None
        self.mindepth = 0
        self.depth_first = False
        self.status = 0
        self.out = kio.Output(1)
        self.batches: list[Batch] = []
        self.pruned = False
        self.quit = False
        self.path_env: list[str] | None = None
        self.tokens: list[str] = []
        self.pos = 0
        self.has_action = False

    # ------------------------------------------------------------------ parsing

    def parse(self, tokens: list[str]) -> Test:
        """Parse a whole expression.

        Args:
            tokens: the command-line words after the starting points.

        Returns:
            The test to call on each entry; it prints the entry when the expression
            has no action of its own and is true for it.

        Raises:
            FindError: a syntax error, an unknown primary or a bad argument to one.
        """
        self.tokens = tokens
        self.pos = 0
        self.has_action = False
        if not tokens:
            expr: Test | None = None
        else:
            expr = self.parse_comma()
            if self.pos < len(tokens):
                tok = tokens[self.pos]
                if tok == ")":
                    raise FindError("invalid expression; you have too many ')'")
                raise FindError(f"paths must precede expression: `{tok}'")
        if not self.has_action:
            inner = expr

            async def print_all(e: Entry) -> bool:
                if inner is None or await inner(e):
                    await self.out.line(e.path)
                return True

            return print_all
        assert expr is not None
        return expr

    def peek(self) -> str | None:
        """The next token, or None at the end."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        """Consume and return the next token."""
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_comma(self) -> Test:
        """``EXPR , EXPR``: evaluate both, the value is the right one's (lowest precedence)."""
        left = self.parse_or()
        while self.peek() == ",":
            self.take()
            if self.peek() is None:
                raise FindError("expected an expression after ','")
            a, b = left, self.parse_or()

            async def comma(e: Entry, a: Test = a, b: Test = b) -> bool:
                await a(e)
                return await b(e)

            left = comma
        return left

    def parse_or(self) -> Test:
        """``EXPR -o EXPR``: the right side only when the left is false."""
        left = self.parse_and()
        while self.peek() in ("-o", "-or"):
            self.take()
            if self.peek() is None:
                raise FindError("expected an expression after '-o'")
            a, b = left, self.parse_and()

            async def either(e: Entry, a: Test = a, b: Test = b) -> bool:
                return await a(e) or await b(e)

            left = either
        return left

    def parse_and(self) -> Test:
        """``EXPR [-a] EXPR``: the right side only when the left is true."""
        left = self.parse_not()
        while True:
            tok = self.peek()
            if tok in ("-a", "-and"):
                self.take()
                if self.peek() is None:
                    raise FindError("expected an expression after '-a'")
            elif tok is None or tok in ("-o", "-or", ")", ","):
                return left
            a, b = left, self.parse_not()

            async def both(e: Entry, a: Test = a, b: Test = b) -> bool:
                return await a(e) and await b(e)

            left = both

    def parse_not(self) -> Test:
        """``! EXPR`` / ``-not EXPR``, or a primary."""
        if self.peek() in ("!", "-not"):
            self.take()
            if self.peek() is None:
                raise FindError("expected an expression after '!'")
            inner = self.parse_not()

            async def negate(e: Entry) -> bool:
                return not await inner(e)

            return negate
        return self.parse_primary()

    def parse_primary(self) -> Test:
        """``( EXPR )`` or one primary (a test, an action or a positional option)."""
        tok = self.take()
        if tok == "(":
            if self.peek() == ")":
                raise FindError("invalid expression; empty parentheses are not allowed.")
            if self.peek() is None:
                raise FindError(
                    "invalid expression; expected to find a ')' but didn't see one. "
                    "Perhaps you need an extra predicate after '('"
                )
            inner = self.parse_comma()
            if self.peek() != ")":
                raise FindError(
                    "invalid expression; I was expecting to find a ')' somewhere "
                    "but did not see one."
                )
            self.take()
            return inner
        if not tok.startswith("-") or tok == "-":
            raise FindError(f"paths must precede expression: `{tok}'")
        if tok in ACTIONS:
            self.has_action = True
        return self.primary(tok)

    def arg(self, tok: str) -> str:
        """The argument of primary ``tok``; FindError if there is none."""
        if self.peek() is None:
            raise FindError(f"missing argument to `{tok}'")
        return self.take()

    def depth_arg(self, tok: str) -> int:
        """The non-negative number ``-maxdepth``/``-mindepth`` takes."""
        val = self.arg(tok)
        if not val.isdigit():
            raise FindError(
                f"Expected a positive decimal integer argument to {tok}, but got `{val}'"
            )
        return int(val)

    def primary(self, tok: str) -> Test:  # noqa: C901 - one case per primary
        """The test for primary ``tok``, its arguments taken from the tokens.

        Raises:
            FindError: an unknown primary, a missing or bad argument.
        """

        async def true(e: Entry) -> bool:
            return True

        async def false(e: Entry) -> bool:
            return False

        match tok:
            case "-maxdepth":
                self.maxdepth = self.depth_arg(tok)
                return true
            case "-mindepth":
                self.mindepth = self.depth_arg(tok)
                return true
            case "-depth" | "-d":
                self.depth_first = True
                return true
            case "-xdev" | "-mount" | "-noleaf" | "-ignore_readdir_race":
                return true
            case "-true":
                return true
            case "-false":
                return false
            case "-name" | "-iname":
                return name_test(self.arg(tok), fold=tok == "-iname")
            case "-path" | "-wholename" | "-ipath" | "-iwholename":
                return path_test(self.arg(tok), fold=tok.startswith("-i"))
            case "-type":
                return type_test(self.arg(tok))
            case "-empty":
                return empty
            case "-newer":
                return newer(self.arg(tok))
            case "-perm":
                return perm_test(self.arg(tok))
            case "-size":
                return size_test(self.arg(tok))
            case "-links" | "-inum" | "-uid" | "-gid":
                return stat_test(tok, self.arg(tok))
            case "-user" | "-group":
                return owner_test(tok, self.arg(tok))
            case "-print" | "-print0":
                end = "\n" if tok == "-print" else "\0"

                async def show(e: Entry) -> bool:
                    await self.out.write(e.path + end)
                    return True

                return show
            case "-prune":

                async def prune(e: Entry) -> bool:
                    if not self.depth_first:
                        self.pruned = True
                    return True

                return prune
            case "-quit":

                async def stop(e: Entry) -> bool:
                    self.quit = True
                    return True

                return stop
            case "-delete":
                self.depth_first = True
                return self.delete
            case "-exec":
                return self.exec_primary(tok)
        raise FindError(f"unknown predicate `{tok}'")

    async def delete(self, e: Entry) -> bool:
        """``-delete``: remove the file or (empty) directory; false if that fails."""
        if e.path in (".", ".."):
            return True
        try:
            if S_ISDIR(e.stat.st_mode):
                await sys.rmdir(e.path)
            else:
                await sys.unlink(e.path)
        except Error as err:
            await self.warn(f"cannot delete '{e.path}': {err.message}")
            return False
        return True

    def exec_primary(self, tok: str) -> Test:
        """``-exec CMD … ;`` (once per file, true if it exits 0) or ``-exec CMD … {} +``."""
        argv: list[str] = []
        while True:
            if self.peek() is None:
                raise FindError(f"missing argument to `{tok}'")
            word = self.take()
            if word == ";":
                break
            if word == "+" and argv and argv[-1] == "{}":
                if len(argv) == 1:
                    raise FindError(f"missing argument to `{tok}'")
                batch = Batch(argv[:-1])
                self.batches.append(batch)

                async def collect(e: Entry, batch: Batch = batch) -> bool:
                    batch.paths.append(e.path)
                    if len(batch.paths) >= BATCH:
                        await self.run_batch(batch)
                    return True

                return collect
            argv.append(word)
        if not argv:
            raise FindError(f"missing argument to `{tok}'")

        async def run_each(e: Entry) -> bool:
            return await self.run([a.replace("{}", e.path) for a in argv]) == 0

        return run_each

    # ------------------------------------------------------------------ running

    async def warn(self, message: str) -> None:
        """Print ``find: MESSAGE`` (after what is buffered) and remember the failure."""
        await self.out.flush()
        await kio.warn("find", message)
        self.status = 1

    async def locate(self, name: str) -> str | None:
        """A command's path: as given if it has a slash, else searched in $PATH."""
        if "/" in name:
            return name
        if self.path_env is None:
            env = await sys.environ()
            self.path_env = (env.get("PATH") or "/bin:/usr/bin").split(":")
        for d in self.path_env:
            cand = f"{d or '.'}/{name}"
            try:
                st = await sys.stat(cand)
            except Error:
                continue
            if not S_ISDIR(st.st_mode):
                return cand
        return None

    async def run(self, argv: list[str]) -> int:
        """Run a command, wait for it, return its exit code (127 if not found)."""
        await self.out.flush()
        path = await self.locate(argv[0])
        if path is None:
            await self.warn(f"'{argv[0]}': No such file or directory")
            return 127
        try:
            pid = await sys.spawn(path, argv)
        except Error as err:
            await self.warn(f"'{argv[0]}': {err.message}")
            return 126
        _, status = await sys.wait4(pid, 0)
        return exit_code(status)

    async def run_batch(self, batch: Batch) -> None:
        """Run an ``-exec … {} +`` command on the paths collected so far, if any."""
        if batch.paths:
            paths, batch.paths = batch.paths, []
            if await self.run([*batch.argv, *paths]) != 0:
                self.status = 1
