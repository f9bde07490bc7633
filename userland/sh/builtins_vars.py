"""Builtins about variables and the file mode mask: ``getopts`` (``$OPTIND``,
``$OPTARG``), ``readonly``, and ``umask`` with ``-S`` and symbolic modes, as dash has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from userland.libk import sys
from userland.sh.builtins import mark_names, valid_name

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell


# --------------------------------------------------------------------------- getopts


async def b_getopts(sh: Shell, argv: list[str], io: IO) -> int:
    """``getopts optstring var [arg…]``: the next option of the positional parameters
    (or of the args); status 1 at the end. ``$OPTIND`` is the next argument's index."""
    if len(argv) < 3:
        await sh.error("getopts: Usage: getopts optstring var [arg...]", io)
        return 2
    optstr, var = argv[1], argv[2]
    args = argv[3:] if len(argv) > 3 else sh.positional
    optind, optoff = sh.getopts_state
    text = sh.get("OPTIND") or ""
    if text != str(optind):  # the script set OPTIND: start over from there
        optind = int(text) if text.isdigit() and int(text) > 0 else 1
        optoff = -1
    if optind > len(args) + 1:
        optind, optoff = 1, -1
    nxt = optind - 1  # index of the next argument in args
    p: str | None = None
    if optind > 1 and optoff >= 0 and optoff <= len(args[nxt - 1]):
        p = args[nxt - 1][optoff:]
    done = 0
    c = "?"
    optarg: str | None = ""
    cur = ""
    if not p:
        arg = args[nxt] if nxt < len(args) else None
        if arg is None or not arg.startswith("-") or arg == "-":
            p, done = None, 1
        else:
            nxt += 1
            if arg == "--":
                p, done = None, 1
            else:
                cur, p = arg, arg[1:]
    if not done:
        assert p is not None
        cur = args[nxt - 1]
        c, p = p[0], p[1:]
        k = optstr.find(c) if c != ":" else -1
        if k < 0:
            if optstr.startswith(":"):
                optarg = c
            else:
                await sh.write(io, 2, f"Illegal option -{c}\n")
                optarg = None
            c = "?"
        elif optstr[k + 1 : k + 2] == ":":
            if not p and nxt >= len(args):
                if optstr.startswith(":"):
                    optarg, c = c, ":"
                else:
                    await sh.write(io, 2, f"No arg for -{c} option\n")
                    optarg, c = None, "?"
            else:
                if not p:
                    p = args[nxt]
                    nxt += 1
                optarg, p = p, ""
    optoff = len(cur) - len(p) if p else -1
    optind = nxt + 1
    sh.getopts_state = (optind, optoff)
    if not valid_name(var):
        await sh.error(f"getopts: {var}: bad variable name", io)
        return 2
    if not done:
        if optarg is None:
            sh.unset_var("OPTARG")
        else:
            sh.set_var("OPTARG", optarg)
    sh.set_var("OPTIND", str(optind))
    sh.set_var(var, c)
    return done


# --------------------------------------------------------------------------- readonly


async def b_readonly(sh: Shell, argv: list[str], io: IO) -> int:
    """``readonly [-p] [name[=value]…]``: values that cannot change or be unset."""
    names = [a for a in argv[1:] if a != "-p"]
    if not names:
        for name in sorted(sh.readonly):
            value = sh.vars.get(name)
            shown = "" if value is None else "=" + "'" + value.replace("'", "'\\''") + "'"
            await sh.write(io, 1, f"readonly {name}{shown}\n")
        return 0
    return await mark_names(sh, io, names, "readonly", sh.readonly)


# --------------------------------------------------------------------------- umask

WHO = {"u": 0o700, "g": 0o070, "o": 0o007, "a": 0o777}
PERM = {"r": 0o444, "w": 0o222, "x": 0o111}


def symbolic_mode(mode: str, perms: int, umask: int) -> int | None:
    """Apply a chmod-style symbolic ``mode`` (``u=rwx,g+w,o-x``, ``a=u``…) to the
    permission bits ``perms`` (BSD setmode/getmode, as dash uses them); None if bad."""
    for clause in mode.split(","):
        i = 0
        who = 0
        while i < len(clause) and clause[i] in WHO:
            who |= WHO[clause[i]]
            i += 1
        if i >= len(clause) or clause[i] not in "+-=":
            return None
        while i < len(clause) and clause[i] in "+-=":
            op = clause[i]
            i += 1
            bits = 0
            if i < len(clause) and clause[i] in "ugo":
                shift = {"u": 6, "g": 3, "o": 0}[clause[i]]
                v = (perms >> shift) & 7
                bits = v * 0o111
                i += 1
            else:
                while i < len(clause) and clause[i] in "rwxXst":
                    ch = clause[i]
                    if ch in PERM:
                        bits |= PERM[ch]
                    elif ch == "X" and perms & 0o111:
                        bits |= 0o111
                    i += 1
            mask = who if who else 0o777 & ~umask
            if op == "=":
                perms &= ~(who if who else 0o777)
                perms |= bits & mask
            elif op == "+":
                perms |= bits & mask
            else:
                perms &= ~(bits & mask)
        if i != len(clause):
            return None
    return perms & 0o777


async def b_umask(sh: Shell, argv: list[str], io: IO) -> int:
    """``umask [-S] [mask]``: show (octal, or ``u=rwx,g=rx,o=rx`` with -S) or set it,
    in octal or as a symbolic mode."""
    args = argv[1:]
    symbolic = False
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opt = args.pop(0)
        if opt == "--":
            break
        for c in opt[1:]:
            if c != "S":
                await sh.error(f"umask: Illegal option -{c}", io)
                return 2
        symbolic = True
    old = await sys.umask(0)
    await sys.umask(old)
    if not args:
        if symbolic:
            perms = ~old & 0o777
            parts = []
            for who, shift in (("u", 6), ("g", 3), ("o", 0)):
                v = (perms >> shift) & 7
                parts.append(
                    who + "=" + "".join(c for c, b in zip("rwx", (4, 2, 1), strict=True) if v & b)
                )
            await sh.write(io, 1, ",".join(parts) + "\n")
        else:
            await sh.write(io, 1, f"{old:04o}\n")
        return 0
    arg = args[0]
    if arg[:1].isdigit():
        if any(c not in "01234567" for c in arg):
            await sh.error(f"umask: Illegal number: {arg}", io)
            return 2
        await sys.umask(int(arg, 8) & 0o777)
        return 0
    perms = symbolic_mode(arg, ~old & 0o777, old)
    if perms is None:
        await sh.error(f"umask: Illegal mode: {arg}", io)
        return 2
    await sys.umask(~perms & 0o777)
    return 0
