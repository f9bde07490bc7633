"""Subshells as processes: the shell re-executed with its parent's state.

There is no fork. A subshell — ``( … )``, a background job, a pipeline stage that is
not a program — is a new ``/bin/sh`` process that starts with the parent's state, as
busybox's hush does on machines without fork: variables (exported or not, with their
read-only and export attributes), positional parameters, ``$0``, functions, options,
ignored signals (other traps are reset, POSIX), aliases, ``$?``, ``$$`` and ``$!`` (the
parent's), the nesting of functions and loops (``return``/``break`` inside the
subshell), and the subshell's code as text (:mod:`userland.sh.unparse`). The working
directory, the umask, descriptors and ignored signal dispositions are the process's and
are inherited by the spawn itself.

The channel is private: the state travels as JSON in the environment variable
``LIBK_SH_SUBSHELL``, which the child removes before anything runs (so it never
reaches the commands the subshell starts). It counts against the system's argument
size limit (``ARG_MAX``, 128 KiB), as the environment does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from kernel.abi import EAGAIN, ENOMEM, Error
from userland.libk import sys
from userland.sh.errors import CommandError
from userland.sh.unparse import unparse

if TYPE_CHECKING:
    from userland.sh import ast
    from userland.sh.interp import IO, Shell

STATE_VAR = "LIBK_SH_SUBSHELL"
SH_PATH = "/bin/sh"


def encode(sh: Shell, node: ast.Node) -> str:
    """The parent's state and the subshell's code, as the child reads them."""
    state: dict[str, Any] = {
        "code": unparse(node),
        "line": node.line,
        "name": sh.name,
        "vars": sh.vars,
        "exported": sorted(sh.exported),
        "readonly": sorted(sh.readonly),
        "positional": sh.positional,
        "functions": [unparse(fn) for fn in sh.functions.values()],
        "options": sorted(sh.options),
        "ignored": sorted(sig for sig, action in sh.traps.items() if sig and not action),
        "aliases": sh.aliases,
        "status": sh.status,
        "pid": sh.pid,
        "last_bg": sh.last_bg,
        "func_depth": sh.func_depth,
        "loop_depth": sh.loop_depth,
        "cwd": sh.cwd,
    }
    return json.dumps(state, separators=(",", ":"))


async def spawn(
    sh: Shell,
    node: ast.Node,
    io: IO,
    *,
    pgid: int | None = None,
    foreground: bool = True,
    background: bool = False,
) -> int:
    """Start ``node`` in a subshell process with the descriptors of ``io``; its pid.

    Raises:
        CommandError: the process could not be made (``Cannot fork``, as dash says
            when the process limit is met).
    """
    env = sh.environment()
    env[STATE_VAR] = encode(sh, node)
    actions = sh.spawn_actions(io)
    attr = sh.spawn_attr(pgid=pgid, foreground=foreground, background=background)
    try:
        return await sys.spawn(SH_PATH, ["sh"], env, sh.cwd, actions, attr)
    except Error as err:
        if err.errno in (EAGAIN, ENOMEM):
            raise CommandError("Cannot fork", 2) from None
        raise CommandError(f"{SH_PATH}: {err.message}", 2) from None


async def restore(sh: Shell, env: dict[str, str]) -> tuple[str, int]:
    """Take the parent's state from ``env``; return the code and its first line."""
    from userland.sh.parser import Parser

    state = json.loads(env.pop(STATE_VAR))
    sh.name = state["name"]
    sh.vars = dict(state["vars"])
    sh.exported = set(state["exported"])
    sh.readonly = set(state["readonly"])
    sh.positional = list(state["positional"])
    sh.options = set(state["options"])
    sh.aliases = dict(state["aliases"])
    sh.status = state["status"]
    sh.pid = state["pid"]
    sh.last_bg = state["last_bg"]
    sh.func_depth = state["func_depth"]
    sh.loop_depth = state["loop_depth"]
    sh.cwd = state["cwd"]
    sh.traps = {sig: "" for sig in state["ignored"]}
    sh.pgid = await sys.getpgid(0)
    for text in state["functions"]:
        fn = Parser(text, complete=True, first_line=1).parse_next()
        sh.functions[fn.name] = fn  # type: ignore[union-attr]
    return state["code"], state["line"]


async def run_child(sh: Shell, env: dict[str, str]) -> int:
    """The subshell's life: restore the state, run the code, return its status.

    The code is parsed without aliases: the parent expanded them already.
    """
    from userland.sh.interp import FunctionReturn, LoopControl, ShellExit
    from userland.sh.parser import Parser

    code, line = await restore(sh, env)
    io: IO = {0: 0, 1: 1, 2: 2}
    parser = Parser(code, complete=True, first_line=line)
    status = sh.status
    try:
        while (node := parser.parse_next()) is not None:
            status = await sh.run(node, io)
    except ShellExit:
        raise
    except FunctionReturn as ret:
        status = ret.status
    except LoopControl:
        status = sh.status
    return status
