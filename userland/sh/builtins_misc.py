"""Builtins about commands themselves: ``command``, ``type``, ``alias``/``unalias``,
``hash``, ``times`` and ``help``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from userland.libk import sys

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell

KEYWORDS = frozenset(
    [
        "!",
        "{",
        "}",
        "case",
        "do",
        "done",
        "elif",
        "else",
        "esac",
        "fi",
        "for",
        "if",
        "in",
        "then",
        "until",
        "while",
    ]
)


async def describe(sh: Shell, name: str, verbose: bool) -> str | None:
    """How ``name`` would run, as ``command -v`` (terse) or ``-V``/``type`` print it."""
    from userland.sh.builtins import BUILTINS, SPECIAL_BUILTINS, shell_quote

    if name in sh.aliases:
        value = sh.aliases[name]
        if verbose:
            return f"{name} is an alias for {value}"
        return f"alias {name}={shell_quote(value)}"
    if name in KEYWORDS:
        return f"{name} is a shell keyword" if verbose else name
    if name in sh.functions:
        return f"{name} is a shell function" if verbose else name
    if name in SPECIAL_BUILTINS:
        return f"{name} is a special shell builtin" if verbose else name
    if name in BUILTINS:
        return f"{name} is a shell builtin" if verbose else name
    tracked = name in sh.hash
    path = await sh.find_command(name)
    if path is None:
        return None
    path = sh.abspath(path)
    if not verbose:
        return path
    return f"{name} is a tracked alias for {path}" if tracked else f"{name} is {path}"


async def b_type(sh: Shell, argv: list[str], io: IO) -> int:
    """``type name…``: how each name would be run."""
    status = 0
    for name in argv[1:]:
        text = await describe(sh, name, True)
        if text is None:
            await sh.write(io, 1, f"{name}: not found\n")
            status = 127
        else:
            await sh.write(io, 1, text + "\n")
    return status


async def b_command(sh: Shell, argv: list[str], io: IO) -> int:
    """``command [-p] [-v|-V] name [args…]``: run a builtin or program, skipping
    functions and aliases, or say what a name is."""
    from userland.sh.builtins import BUILTINS, SPECIAL_BUILTINS

    args = argv[1:]
    mode = ""
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opt = args.pop(0)
        if opt == "--":
            break
        for c in opt[1:]:
            if c in "vV":
                mode = c
            elif c != "p":
                await sh.error(f"command: Illegal option -{c}", io)
                return 2
    if not args:
        return 0
    if mode:
        status = 0
        for name in args:
            text = await describe(sh, name, mode == "V")
            if text is None:
                if mode == "V":
                    await sh.error(f"command: {name}: not found", io)
                status = 127 if mode == "V" else 1
            else:
                await sh.write(io, 1, text + "\n")
        return status
    name = args[0]
    if name in SPECIAL_BUILTINS:
        return await SPECIAL_BUILTINS[name](sh, args, io)
    if name in BUILTINS:
        return await BUILTINS[name](sh, args, io)
    return await sh.external(args, io, {}, " ".join(args))


async def b_alias(sh: Shell, argv: list[str], io: IO) -> int:
    """``alias [name[=value]…]``: define or show aliases."""
    from userland.sh.builtins import shell_quote

    if len(argv) == 1:
        for name in sorted(sh.aliases):
            await sh.write(io, 1, f"{name}={shell_quote(sh.aliases[name])}\n")
        return 0
    status = 0
    for item in argv[1:]:
        name, eq, value = item.partition("=")
        if eq:
            sh.aliases[name] = value
        elif name in sh.aliases:
            await sh.write(io, 1, f"{name}={shell_quote(sh.aliases[name])}\n")
        else:
            await sh.error(f"alias: {name} not found", io)
            status = 1
    return status


async def b_unalias(sh: Shell, argv: list[str], io: IO) -> int:
    """``unalias [-a] name…``."""
    if argv[1:2] == ["-a"]:
        sh.aliases.clear()
        return 0
    status = 0
    for name in argv[1:]:
        if sh.aliases.pop(name, None) is None:
            await sh.error(f"unalias: {name} not found", io)
            status = 1
    return status


async def b_hash(sh: Shell, argv: list[str], io: IO) -> int:
    """``hash [-r] [name…]``: the cache of where programs were found in $PATH."""
    args = argv[1:]
    if args[:1] == ["-r"]:
        sh.hash.clear()
        args = args[1:]
    if not args:
        if len(argv) == 1:
            for path in sh.hash.values():
                await sh.write(io, 1, sh.abspath(path) + "\n")
        return 0
    status = 0
    for name in args:
        sh.hash.pop(name, None)
        if "/" in name or await sh.find_command(name) is None:
            await sh.error(f"hash: {name}: not found", io)
            status = 1
    return status


def _minsec(ns: int) -> str:
    seconds = ns / 1e9
    return f"{int(seconds // 60)}m{seconds % 60:.6f}s"


async def b_times(sh: Shell, argv: list[str], io: IO) -> int:
    """``times``: user and system CPU time of the shell, then of its children."""
    t = await sys.times()
    await sh.write(
        io,
        1,
        f"{_minsec(t.utime)} {_minsec(t.stime)}\n{_minsec(t.cutime)} {_minsec(t.cstime)}\n",
    )
    return 0


HELP = {
    ":": ": [arguments] - do nothing, successfully",
    ".": ". file [args] - run the commands of a file in this shell",
    "[": "[ expression ] - evaluate a test expression (see test)",
    "alias": "alias [name[=value] ...] - define or show aliases",
    "bg": "bg [job ...] - continue stopped jobs in the background",
    "break": "break [n] - leave n enclosing loops",
    "cd": "cd [-L|-P] [dir | -] - change directory ($HOME, $CDPATH, $OLDPWD)",
    "command": "command [-v|-V] name [args] - run or describe a command, no functions",
    "continue": "continue [n] - next iteration of the nth enclosing loop",
    "echo": "echo [-n] [args] - write the arguments",
    "eval": "eval [args] - run the arguments as shell commands",
    "exec": "exec [command [args]] - replace the shell, or make redirections permanent",
    "exit": "exit [n] - leave the shell with status n",
    "export": "export [-p] [name[=value] ...] - export variables to commands",
    "false": "false - fail",
    "fc": "fc -l [-nr] [first [last]] | fc -s [old=new] [first] - list or rerun history",
    "fg": "fg [job] - continue a job in the foreground",
    "hash": "hash [-r] [name ...] - remember or forget where programs are",
    "help": "help [name] - list the builtins, or describe one",
    "history": "history [-c] [-d offset] [n] - list or clear the command history",
    "jobs": "jobs [-l|-p] [job ...] - list background and stopped jobs",
    "kill": "kill [-s sig | -sig] pid|%job ... ; kill -l - send a signal",
    "local": "local name[=value] ... - variables local to a function",
    "printf": "printf format [args] - formatted output",
    "pwd": "pwd [-L|-P] - print the working directory (logical, or -P physical)",
    "getopts": "getopts optstring var [arg ...] - the next option ($OPTIND, $OPTARG)",
    "readonly": "readonly [-p] [name[=value] ...] - make variables read-only",
    "read": "read [-r] [-p prompt] [-t timeout] [name ...] - read a line into variables",
    "return": "return [n] - leave a function with status n",
    "set": "set [-euxC] [-o option] [--] [args] - options and positional parameters",
    "shift": "shift [n] - drop the first n positional parameters",
    "source": "source file [args] - same as .",
    "test": "test expression - evaluate a conditional expression",
    "times": "times - CPU time used by the shell and its children",
    "trap": "trap [action] condition ... - run commands on a signal or at EXIT",
    "true": "true - succeed",
    "type": "type name ... - say how each name would be run",
    "ulimit": "ulimit [-H|-S] [-a | -tfdscmlpnv] [value] - show or set resource limits",
    "umask": "umask [-S] [mask] - show or set the file-creation mask (octal or u=rwx,g+w...)",
    "unalias": "unalias [-a] name ... - remove aliases",
    "unset": "unset [-f|-v] name ... - remove variables or functions",
    "wait": "wait [pid|%job ...] - wait for background jobs",
}


async def b_help(sh: Shell, argv: list[str], io: IO) -> int:
    """``help`` lists the builtins; ``help NAME`` describes one."""
    from userland.sh.builtins import BUILTINS, SPECIAL_BUILTINS

    names = sorted(set(BUILTINS) | set(SPECIAL_BUILTINS))
    if len(argv) == 1:
        lines = [
            "sh, the libk shell. These commands are built in; `help NAME' tells more,",
            "`man sh' tells everything.",
            "",
        ]
        lines += [f"  {HELP.get(n, n)}" for n in names]
        await sh.write(io, 1, "\n".join(lines) + "\n")
        return 0
    status = 0
    for name in argv[1:]:
        if name in names:
            await sh.write(io, 1, HELP.get(name, name) + "\n")
        else:
            await sh.error(f"help: no help topics match '{name}'", io)
            status = 1
    return status


MISC_BUILTINS = {
    "type": b_type,
    "command": b_command,
    "alias": b_alias,
    "unalias": b_unalias,
    "hash": b_hash,
    "times": b_times,
    "help": b_help,
}
