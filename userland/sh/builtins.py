"""The shell's builtins: the commands that must run inside the shell itself.

Special builtins (POSIX's list: ``:``, ``.``, ``break``, ``continue``, ``eval``, ``exec``,
``exit``, ``export``, ``return``, ``set``, ``shift``, ``unset``) keep assignments made
in front of them; regular builtins (``cd``, ``pwd``, ``echo``, ``true``, ``false``,
``wait``, ``umask``, ``type``, ``jobs``) behave like programs that happen to live in the
shell. Each takes ``(shell, argv, io)`` and returns a status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from kernel.abi import Error
from userland.libk import sys
from userland.sh.expand import ExpansionError
from userland.sh.parser import Parser, ShSyntaxError

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell

Builtin = Callable[["Shell", list[str], "IO"], Awaitable[int]]


async def b_colon(sh: Shell, argv: list[str], io: IO) -> int:
    """``:`` does nothing, successfully."""
    return 0


async def b_true(sh: Shell, argv: list[str], io: IO) -> int:
    """``true``."""
    return 0


async def b_false(sh: Shell, argv: list[str], io: IO) -> int:
    """``false``."""
    return 1


async def b_exit(sh: Shell, argv: list[str], io: IO) -> int:
    """``exit [n]``."""
    from userland.sh.interp import ShellExit

    status = sh.status
    if len(argv) > 1:
        if not argv[1].lstrip("-").isdigit():
            await sh.error(f"exit: Illegal number: {argv[1]}", io)
            raise ShellExit(2)
        status = int(argv[1]) & 0xFF
    raise ShellExit(status)


async def b_echo(sh: Shell, argv: list[str], io: IO) -> int:
    """``echo [-n] [args]``, with backslash escapes as dash's (the program /bin/echo
    takes -e and -E)."""
    from userland.libk.printf import unescape

    args = argv[1:]
    newline = True
    if args and args[0] == "-n":
        newline = False
        args = args[1:]
    # dash's echo: backslash escapes as printf's %b, and \c ends the output
    text, more = unescape(" ".join(args), for_b=True)
    if not more:
        newline = False
    try:
        await sh.write(io, 1, (text + ("\n" if newline else "")).encode("utf-8", "surrogateescape"))
    except Error as err:
        await sh.error(f"echo: write error: {err.message}", io)
        return 1
    return 0


async def b_export(sh: Shell, argv: list[str], io: IO) -> int:
    """``export [-p] [name[=value]…]``."""
    names = [a for a in argv[1:] if a != "-p"]
    if not names:
        for name in sorted(sh.exported):
            if name in sh.vars:
                await sh.write(io, 1, f"export {name}={shell_quote(sh.vars[name])}\n")
        return 0
    return await mark_names(sh, io, names, "export", sh.exported)


async def mark_names(sh: Shell, io: IO, names: list[str], builtin: str, marks: set[str]) -> int:
    """Add each ``name[=value]`` to ``marks`` (exported, read-only), assigning values
    first; a bad name is status 2, assigning a read-only variable an expansion error."""
    for item in names:
        name, eq, value = item.partition("=")
        if not valid_name(name):
            await sh.error(f"{builtin}: {name}: bad variable name", io)
            return 2
        if eq:
            if name in sh.readonly:
                raise ExpansionError(f"{builtin}: {name}: is read only")
            sh.set_var(name, value)
        marks.add(name)
    return 0


async def b_unset(sh: Shell, argv: list[str], io: IO) -> int:
    """``unset [-v|-f] name…``."""
    funcs = False
    args = argv[1:]
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opt = args.pop(0)
        if opt == "--":
            break
        for c in opt[1:]:
            if c not in "fv":
                await sh.error(f"unset: Illegal option -{c}", io)
                return 2
            funcs = c == "f"
    for name in args:
        if funcs:
            sh.functions.pop(name, None)
        else:
            if name in sh.readonly:
                raise ExpansionError(f"unset: {name}: is read only")
            sh.vars.pop(name, None)
            sh.exported.discard(name)
    return 0


async def b_set(sh: Shell, argv: list[str], io: IO) -> int:
    """``set [-eux] [-o opt] [--] [args]``: options and positional parameters."""
    args = argv[1:]
    if not args:
        for name in sorted(sh.vars):
            await sh.write(io, 1, f"{name}={shell_quote(sh.vars[name])}\n")
        return 0
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            sh.positional = args[i + 1 :]
            return 0
        if a in ("-", "+"):
            # `set -` turns -x and -v off; either ends the options, and only operands
            # after it replace the positional parameters
            if a == "-":
                sh.options.discard("x")
                sh.options.discard("v")
            if i + 1 < len(args):
                sh.positional = args[i + 1 :]
            return 0
        if a in ("-o", "+o") and i + 1 >= len(args):
            await _list_options(sh, io, a == "+o")
            return 0
        if a in ("-o", "+o"):
            opt = SET_OPTIONS.get(args[i + 1])
            if opt is None:
                await sh.error(f"set: Illegal option -o {args[i + 1]}", io)
                return 2
            (sh.options.add if a == "-o" else sh.options.discard)(opt)
            i += 2
            continue
        if len(a) > 1 and a[0] in "-+" and a[1:].isalpha():
            for c in a[1:]:
                if c not in "euxCafvn":
                    await sh.error(f"set: Illegal option -{c}", io)
                    return 2
                (sh.options.add if a[0] == "-" else sh.options.discard)(c)
            i += 1
            continue
        sh.positional = args[i:]
        return 0
    return 0


SET_OPTIONS = {
    "allexport": "a",
    "errexit": "e",
    "noclobber": "C",
    "noexec": "n",
    "noglob": "f",
    "nounset": "u",
    "pipefail": "pipefail",
    "verbose": "v",
    "xtrace": "x",
}


async def _list_options(sh: Shell, io: IO, as_commands: bool) -> None:
    """``set -o`` (a table) and ``set +o`` (commands that restore the options)."""
    lines = [] if as_commands else ["Current option settings"]
    for name, flag in sorted(SET_OPTIONS.items()):
        on = flag in sh.options
        if as_commands:
            lines.append(f"set {'-' if on else '+'}o {name}")
        else:
            lines.append(f"{name:<16}{'on' if on else 'off'}")
    await sh.write(io, 1, "\n".join(lines) + "\n")


async def b_shift(sh: Shell, argv: list[str], io: IO) -> int:
    """``shift [n]``."""
    if len(argv) > 1 and not argv[1].isdigit():
        await sh.error(f"shift: Illegal number: {argv[1]}", io)
        return 2
    n = int(argv[1]) if len(argv) > 1 else 1
    if n > len(sh.positional):
        await sh.error("shift: can't shift that many", io)
        return 2
    sh.positional = sh.positional[n:]
    return 0


async def b_return(sh: Shell, argv: list[str], io: IO) -> int:
    """``return [n]``."""
    from userland.sh.interp import FunctionReturn

    if len(argv) > 1 and not argv[1].isdigit():
        await sh.error(f"return: Illegal number: {argv[1]}", io)
        return 2
    raise FunctionReturn(int(argv[1]) & 0xFF if len(argv) > 1 else sh.status)


async def _loop_control(sh: Shell, argv: list[str], io: IO, kind: str) -> int:
    from userland.sh.interp import LoopControl

    if len(argv) > 1 and (not argv[1].isdigit() or int(argv[1]) == 0):
        await sh.error(f"{kind}: Illegal number: {argv[1]}", io)
        return 2
    n = int(argv[1]) if len(argv) > 1 else 1
    if sh.loop_depth == 0:
        return 0
    raise LoopControl(kind, min(n, sh.loop_depth))


async def b_break(sh: Shell, argv: list[str], io: IO) -> int:
    """``break [n]``."""
    return await _loop_control(sh, argv, io, "break")


async def b_continue(sh: Shell, argv: list[str], io: IO) -> int:
    """``continue [n]``."""
    return await _loop_control(sh, argv, io, "continue")


async def b_eval(sh: Shell, argv: list[str], io: IO) -> int:
    """``eval args``: parse and run the joined arguments."""
    return await run_source(sh, " ".join(argv[1:]), io)


async def run_source(sh: Shell, source: str, io: IO) -> int:
    """Run shell source command by command (eval, ``.``, scripts)."""
    parser = Parser(source, complete=True, first_line=1, aliases=sh.aliases)
    status = 0
    while True:
        try:
            node = parser.parse_next()
        except ShSyntaxError as err:
            sh.lineno = err.line
            await sh.error(str(err), io)
            from userland.sh.interp import ShellExit

            if not sh.interactive:
                raise ShellExit(2) from None
            return 2
        if node is None:
            return status
        status = await sh.run(node, io)


async def b_dot(sh: Shell, argv: list[str], io: IO) -> int:
    """``. file [args]`` / ``source file [args]``: run a file's commands in this shell."""
    from userland.libk import io as kio

    if len(argv) < 2:
        await sh.error(f"{argv[0]}: filename argument required", io)
        return 2
    name = argv[1]
    path = name
    if "/" not in name:
        found = await sh.find_command(name, executable=False)
        path = found if found is not None else name
    try:
        source = (await kio.read_file(sh.abspath(path))).decode(errors="replace")
    except Error:
        await sh.error(f"{argv[0]}: cannot open {name}: No such file", io)
        if not sh.interactive:
            from userland.sh.interp import ShellExit

            raise ShellExit(2) from None
        return 2
    saved = sh.positional
    if len(argv) > 2:
        sh.positional = argv[2:]
    from userland.sh.interp import FunctionReturn

    try:
        return await run_source(sh, source, io)
    except FunctionReturn as ret:  # `return` in a dot script ends the script only
        return ret.status
    finally:
        if len(argv) > 2:
            sh.positional = saved


async def b_exec(sh: Shell, argv: list[str], io: IO) -> int:
    """``exec cmd``: there is no exec without fork here, so run it and leave with its status.

    ``exec`` with only redirections makes them permanent for the shell.
    """
    from userland.sh.interp import ShellExit

    if len(argv) == 1:
        if sh.base_io is not None:
            await sh.exec_redirect(io)
            return 0
        for fd, real in io.items():
            if real is not None and real != fd:
                await sys.dup2(real, fd)
            elif real is None:
                try:
                    await sys.close(fd)
                except Error:
                    pass
        return 0
    status = await sh.external(argv[1:], io, sh.prefix_env, " ".join(argv[1:]))
    raise ShellExit(status)


async def b_local(sh: Shell, argv: list[str], io: IO) -> int:
    """``local name[=value]…`` inside a function."""
    if not sh.local_frames:
        await sh.error("local: not in a function", io)
        return 2
    frame = sh.local_frames[-1]
    for item in argv[1:]:
        name, eq, value = item.partition("=")
        if name in sh.readonly:
            raise ExpansionError(f"local: {name}: is read only")
        if name not in frame:
            frame[name] = sh.vars.get(name)
        if eq:
            sh.vars[name] = value
    return 0


def valid_name(name: str) -> bool:
    """Is ``name`` a valid variable name?"""
    return (
        bool(name)
        and (name[0].isalpha() or name[0] == "_")
        and all(c.isalnum() or c == "_" for c in name)
    )


def shell_quote(value: str) -> str:
    """``value`` in single quotes, as ``set``, ``alias`` and ``trap`` print values."""
    return "'" + value.replace("'", "'\\''") + "'"


SPECIAL_BUILTINS: dict[str, Builtin] = {
    ":": b_colon,
    ".": b_dot,
    "break": b_break,
    "continue": b_continue,
    "eval": b_eval,
    "exec": b_exec,
    "exit": b_exit,
    "export": b_export,
    "return": b_return,
    "set": b_set,
    "shift": b_shift,
    "unset": b_unset,
    "local": b_local,
}

BUILTINS: dict[str, Builtin] = {
    "echo": b_echo,
    "true": b_true,
    "false": b_false,
}


def _register() -> None:
    from userland.sh.builtins_cd import b_cd, b_pwd
    from userland.sh.builtins_history import HISTORY_BUILTINS
    from userland.sh.builtins_io import IO_BUILTINS
    from userland.sh.builtins_jobs import JOB_BUILTINS
    from userland.sh.builtins_limits import LIMIT_BUILTINS
    from userland.sh.builtins_misc import MISC_BUILTINS
    from userland.sh.builtins_vars import b_getopts, b_readonly, b_umask
    from userland.sh.traps import b_trap

    BUILTINS["getopts"] = b_getopts
    BUILTINS["umask"] = b_umask
    SPECIAL_BUILTINS["readonly"] = b_readonly
    BUILTINS["cd"] = b_cd
    BUILTINS["pwd"] = b_pwd
    BUILTINS.update(IO_BUILTINS)
    BUILTINS.update(JOB_BUILTINS)
    BUILTINS.update(MISC_BUILTINS)
    BUILTINS.update(LIMIT_BUILTINS)
    BUILTINS.update(HISTORY_BUILTINS)
    SPECIAL_BUILTINS["trap"] = b_trap
    SPECIAL_BUILTINS["source"] = b_dot


_register()
