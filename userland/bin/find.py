"""``find [-H|-L] [PATH…] [EXPRESSION]``: search for files in a directory hierarchy.

The expression is parsed the way GNU find parses it: tests and actions joined by an
implicit ``-a``, ``-o``, ``!``/``-not`` and parentheses; without an action, ``-print``
is added. ``-exec CMD {} ;`` runs a command per file; ``-exec CMD {} +`` collects the
names and runs the command on them in batches. Paths are printed as found: the
starting point, then ``/`` and the names below it. The expression (its grammar, tests
and actions) lives in :mod:`userland.libk.findexpr`; this is the program: the command
line, the walk, the exit status.
"""

from __future__ import annotations

from kernel.abi import S_ISDIR, Error
from userland.libk import io as kio
from userland.libk.findexpr import Expression, FindError, Test
from userland.libk.walk import Entry, walk

USAGE = """Usage: find [-H] [-L] [-P] [path...] [expression]

Default path is the current directory; default expression is -print.
Expression may consist of: operators, options, tests, and actions.

Operators (decreasing precedence; -and is implicit where no others are given):
      ( EXPR )   ! EXPR   -not EXPR   EXPR1 -a EXPR2   EXPR1 -and EXPR2
      EXPR1 -o EXPR2   EXPR1 -or EXPR2   EXPR1 , EXPR2

Positional options (always true):
      -maxdepth LEVELS -mindepth LEVELS -depth

Tests (N can be +N or -N or N):
      -name PATTERN -iname PATTERN -path PATTERN -ipath PATTERN
      -type [bcdpfls] -empty -newer FILE -perm [-/]MODE -size N[bckwMG]
      -user NAME -group NAME -uid N -gid N -links N -inum N -true -false

Actions:
      -print -print0 -prune -delete -quit
      -exec COMMAND ; -exec COMMAND {} +

Exit status is 0 if all files were processed successfully, greater than 0
if errors occurred.
"""


async def search(ex: Expression, top: str, expr: Test, *, follow: str) -> None:
    """Walk the tree under ``top`` and evaluate ``expr`` on each entry.

    Args:
        ex: the parsed expression's state (depth limits, ``-prune``, ``-quit``, errors).
        top: a starting point, printed as given.
        expr: the test :meth:`Expression.parse` returned.
        follow: ``P`` never follow symbolic links, ``H`` only ``top``, ``L`` all of them.
    """

    def descend(e: Entry) -> bool:
        if ex.pruned:
            ex.pruned = False
            return False
        return ex.maxdepth is None or e.depth < ex.maxdepth

    async def on_error(path: str, err: Error) -> None:
        await ex.warn(f"'{path}': {err.message}")

    async for entry in walk(
        top,
        follow=follow == "L",
        follow_top=follow == "H",
        post=ex.depth_first,
        descend=descend,
        on_error=on_error,
    ):
        is_dir = S_ISDIR(entry.stat.st_mode)
        if ex.depth_first and is_dir and not entry.post:
            if ex.maxdepth is not None and entry.depth >= ex.maxdepth:
                pass  # not entered, so no post visit: evaluate now
            else:
                continue
        ex.pruned = False
        if entry.depth >= ex.mindepth and (ex.maxdepth is None or entry.depth <= ex.maxdepth):
            await expr(entry)
        if ex.quit:
            return


def split_args(argv: list[str]) -> tuple[list[str], list[str], str]:
    """The starting points, the expression tokens, and the last of -H/-L/-P (``P``)."""
    i = 1
    mode = "P"
    while i < len(argv) and argv[i] in ("-H", "-L", "-P"):
        mode = argv[i][1]
        i += 1
    if i < len(argv) and argv[i] == "--":
        i += 1
    paths = []
    while i < len(argv):
        a = argv[i]
        if (a.startswith("-") and a != "-") or a in ("(", "!", ")", ","):
            break
        paths.append(a)
        i += 1
    return paths, argv[i:], mode


async def main(argv: list[str]) -> int:
    """Entry point."""
    if "--help" in argv[1:2]:
        await kio.write_all(1, USAGE)
        return 0
    paths, tokens, mode = split_args(argv)
    ex = Expression()
    try:
        expr = ex.parse(tokens)
    except FindError as err:
        await kio.warn("find", str(err))
        return 1
    try:
        for top in paths or ["."]:
            await search(ex, top, expr, follow=mode)
            if ex.quit:
                break
        for batch in ex.batches:
            await ex.run_batch(batch)
    except FindError as err:
        await ex.warn(str(err))
    await ex.out.flush()
    return ex.status
