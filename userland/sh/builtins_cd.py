"""``cd`` and ``pwd`` with a logical working directory, as dash keeps one.

The shell remembers the path it was asked to go to (``$PWD``, symbolic links and all):
``cd -L`` (the default) works out ``..`` on that path, ``cd -P`` follows the links and
takes the physical directory the kernel reports; ``pwd -L``/``-P`` print one or the
other. ``cd -`` goes to ``$OLDPWD`` and prints it; ``$CDPATH`` is searched for relative
names, and a directory found through it is printed too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import ENOTDIR, S_ISDIR, X_OK, Error
from userland.libk import sys

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell


def _options(sh: Shell, argv: list[str]) -> tuple[bool, list[str]] | str:
    """``-L``/``-P`` (the last wins): (physical, operands), or the bad option."""
    physical = False
    args = argv[1:]
    while args and args[0].startswith("-") and len(args[0]) > 1:
        opt = args.pop(0)
        if opt == "--":
            break
        for c in opt[1:]:
            if c not in "LP":
                return c
            physical = c == "P"
    return physical, args


async def b_cd(sh: Shell, argv: list[str], io: IO) -> int:
    """``cd [-L|-P] [dir]``, ``cd -`` (to $OLDPWD, printed), and $CDPATH."""
    parsed = _options(sh, argv)
    if isinstance(parsed, str):
        await sh.error(f"cd: Illegal option -{parsed}", io)
        return 2
    physical, args = parsed
    show = False
    if not args:
        dest = sh.get("HOME") or ""
    elif args[0] == "-":
        dest = sh.get("OLDPWD") or ""
        show = True
    else:
        dest = args[0]
    candidates = []
    first = dest.split("/")[0]
    if not dest.startswith("/") and first not in (".", ".."):
        dest = dest or "."
        cdpath = sh.get("CDPATH")
        for d in (cdpath.split(":") if cdpath else []) + [""]:
            candidates.append(((d.rstrip("/") + "/" + dest) if d else dest, bool(d)))
    else:
        candidates.append((dest, False))
    for path, via_cdpath in candidates:
        target = path if physical else logical(sh.cwd, path)
        try:
            new = await _enter(sh, sh.abspath(target), physical)
        except Error:
            if len(candidates) > 1 and path != candidates[-1][0]:
                continue
            await sh.error(f"cd: can't cd to {dest}", io)
            return 2
        sh.set_var("OLDPWD", sh.cwd)
        sh.cwd = new
        sh.set_var("PWD", new)
        if show or via_cdpath:
            await sh.write(io, 1, new + "\n")
        return 0
    return 2  # pragma: no cover - the last candidate always answers


def logical(cwd: str, path: str) -> str:
    """``path`` made absolute against the logical ``cwd``, ``.`` and ``..`` worked out
    on the text (a leading ``//`` is kept, as POSIX allows and dash does)."""
    if path.startswith("/"):
        base: list[str] = []
        root = "//" if path.startswith("//") and not path.startswith("///") else "/"
    else:
        root = "//" if cwd.startswith("//") and not cwd.startswith("///") else "/"
        base = [p for p in cwd.split("/") if p]
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if base:
                base.pop()
        else:
            base.append(part)
    return root + "/".join(base)


async def _enter(sh: Shell, path: str, physical: bool) -> str:
    """chdir, and the new $PWD (a subshell thread only checks: the directory it is in
    lives in the shell, not the process)."""
    if not sh.subshell:
        await sys.chdir(path)
        return await sys.getcwd() if physical else path
    st = await sys.stat(path)
    if not S_ISDIR(st.st_mode):
        raise Error(ENOTDIR)
    await sys.access(path, X_OK)
    return logical("/", path)


async def b_pwd(sh: Shell, argv: list[str], io: IO) -> int:
    """``pwd [-L|-P]``: the logical directory, or the physical one."""
    physical = False
    for arg in argv[1:]:
        if not arg.startswith("-") or arg == "--":
            break
        for c in arg[1:]:
            if c not in "LP":
                await sh.error(f"pwd: Illegal option -{c}", io)
                return 2
            physical = c == "P"
    cwd = sh.cwd
    if physical and not sh.subshell:
        try:
            cwd = await sys.getcwd()
        except Error:
            pass
    await sh.write(io, 1, cwd + "\n")
    return 0


async def initial_pwd(sh: Shell) -> str:
    """The shell's starting $PWD: the inherited one if it names the current directory
    (dash's check), else the physical path."""
    try:
        physical = await sys.getcwd()
    except Error:
        return "/"
    pwd = sh.get("PWD") or ""
    if pwd.startswith("/") and "/./" not in pwd + "/" and "/../" not in pwd + "/":
        try:
            a = await sys.stat(pwd)
            b = await sys.stat(".")
            if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
                return pwd
        except Error:
            pass
    return physical
