"""``su [-] [-l] [-c COMMAND] [-s SHELL] [USER [ARG]…]``: run a shell as another user.

/bin/su is installed setuid root, so it runs with euid 0 whoever starts it. It looks
the user up in /etc/passwd and /etc/group and spawns the user's shell with that user's
uid, gid and groups (spawn attributes: there is no fork, so ids are set for the child).
Unless the caller's real uid is 0, su asks ``Password: `` (echo off) and checks it
against the target's /etc/shadow entry with the kernel's ``crypt`` call (su reads the
file itself, being euid 0); a wrong one is refused after a two-second delay with
``su: Authentication failure``. A user whose entry has an empty password needs none.

``-``/``-l`` gives a login shell: a fresh environment,
``-sh`` as argv[0], started in the user's home directory.
"""

from __future__ import annotations

from kernel.abi import (
    SIG_IGN,
    SIGINT,
    SIGQUIT,
    SIGTSTP,
    WIFSIGNALED,
    WTERMSIG,
    Error,
    SpawnAttr,
)
from userland.bin.id import Names
from userland.bin.passwd import FAIL_DELAY_NS, ask, read_shadow, verify
from userland.bin.which import run_program
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.proc import exit_code

USAGE = """
Usage:
 su [options] [-] [<user> [<argument>...]]

Change the effective user ID and group ID to that of <user>.
A mere - implies -l.  If <user> is not given, root is assumed.

Options:
 -c, --command <command>         pass a single command to the shell with -c
 -l, --login                     make the shell a login shell
 -m, -p, --preserve-environment  do not reset environment variables
 -s, --shell <shell>             run <shell> if /etc/shells allows it

     --help     display this help and exit

For more details see su(1).
"""
LONG = {"command": "c", "login": "l", "preserve-environment": "m", "shell": "s"}
ROOT_PATH = "/bin:/sbin:/usr/bin"
USER_PATH = "/bin:/usr/bin"


def environment(
    base: dict[str, str], name: str, uid: int, home: str, shell: str, *, login: bool, keep: bool
) -> dict[str, str]:
    """The environment for the user's shell, as util-linux su builds it."""
    if keep:
        return dict(base)
    if login:
        env = {k: v for k, v in base.items() if k in ("TERM", "COLORTERM", "DISPLAY")}
        env["PATH"] = ROOT_PATH if uid == 0 else USER_PATH
    else:
        env = dict(base)
    env.update(HOME=home, SHELL=shell, USER=name, LOGNAME=name)
    return env


async def authenticate(name: str) -> bool:
    """Ask for ``name``'s password unless /etc/shadow gives it none; whether it matched."""
    try:
        rows = await read_shadow()
    except Error:
        return False
    row = next((r for r in rows if r and r[0] == name), None)
    if row is None:
        return False
    field = row[1] if len(row) > 1 else ""
    if field == "":
        return True
    password = await ask("Password: ")
    return password is not None and await verify(field, password)


async def main(argv: list[str]) -> int:
    """Entry point."""
    words = ["-l" if w == "-" else w for w in argv]
    opts = await text.options("su", words, "c:lmps:", USAGE.lstrip("\n"), long=LONG, permute=False)
    if isinstance(opts, int):
        return opts
    rest = list(opts.operands)
    if rest and rest[0] == "-":
        opts.seen.append(("l", None))
        rest.pop(0)
    target = rest.pop(0) if rest else "root"
    names = await Names.load()
    entry = names.entry(target) if not target.isdigit() else None
    if entry is None or len(entry) < 7:
        await kio.warn(
            "su",
            f"user {target} does not exist or the user entry does not contain all the "
            "required fields",
        )
        return 1
    if await sys.getuid() != 0 and not await authenticate(entry[0]):
        await sys.nanosleep(FAIL_DELAY_NS)
        await kio.warn("su", "Authentication failure")
        return 1
    name, uid, gid, home = entry[0], int(entry[2]), int(entry[3]), entry[5] or "/"
    shell = entry[6] or "/bin/sh"
    login = opts.has("l")
    keep = (opts.has("m") or opts.has("p")) and not login
    if opts.has("s"):
        shell = opts.value("s") or shell
    env = environment(await sys.environ(), name, uid, home, shell, login=login, keep=keep)
    base = shell.rsplit("/", 1)[-1]
    child_argv = [f"-{base}" if login else base]
    if opts.has("c"):
        child_argv += ["-c", opts.value("c") or ""]
    child_argv += rest
    groups = tuple(names.groups_of(name, gid))
    attr = SpawnAttr(uid=uid, gid=gid, groups=groups, sigdefault=(SIGINT, SIGQUIT, SIGTSTP))
    for sig in (SIGINT, SIGQUIT):
        await sys.sigaction(sig, SIG_IGN)
    cwd = home if login else None
    wstatus, status = await run_program("su", shell, child_argv, env, cwd=cwd, attr=attr)
    if wstatus is None:
        if login and status == 126:
            await kio.warn("su", f"warning: cannot change directory to {home}")
        return status
    if WIFSIGNALED(wstatus):
        return 128 + WTERMSIG(wstatus)
    return exit_code(wstatus)
