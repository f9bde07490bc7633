"""``which [-a] NAME…``: locate programs in $PATH; also the PATH search other tools share.

``env``, ``time``, ``su`` and ``strace`` run a command the way execvp(3) would: they
call :func:`search_path` and :func:`run_program` from here.
"""

from __future__ import annotations

from kernel.abi import EACCES, ENOENT, S_ISREG, X_OK, Error
from userland.libk import io as kio
from userland.libk import sys, text

DEFAULT_PATH = "/bin:/usr/bin"

USAGE = """Usage: which [-a] PROGRAM...
Print the full path of each PROGRAM that would run, searching $PATH.
  -a, --all  print every match in $PATH, not just the first

Exit status: 0 if every PROGRAM was found, 1 otherwise.
"""


async def is_executable(path: str) -> bool:
    """A regular file the caller may execute."""
    try:
        st = await sys.stat(path)
        if not S_ISREG(st.st_mode):
            return False
        await sys.access(path, X_OK)
    except Error:
        return False
    return True


async def search_path(name: str, path: str | None, *, every: bool = False) -> list[str]:
    """Where ``name`` is found: itself if it has a slash, else each $PATH directory's hit.

    Args:
        name: a program name or path.
        path: the PATH value (None: the default ``/bin:/usr/bin``).
        every: all hits, not just the first.
    """
    if "/" in name:
        return [name] if await is_executable(name) else []
    hits = []
    for d in (path if path is not None else DEFAULT_PATH).split(":"):
        candidate = f"{d or '.'}/{name}"
        if await is_executable(candidate):
            hits.append(candidate)
            if not every:
                break
    return hits


async def resolve(prog: str, name: str, path: str | None) -> tuple[str | None, int]:
    """The path to run for ``name``; on failure, print the error and give the status.

    Returns:
        (path, 0), or (None, 127) for a program not found, (None, 126) for one that
        exists but cannot be executed, with ``prog: 'name': reason`` printed.
    """
    hits = await search_path(name, path)
    if hits:
        return hits[0], 0
    if "/" in name:
        try:
            await sys.stat(name)
        except Error as err:
            await kio.warn(prog, f"'{name}': {err.message}")
            return None, 127
        await kio.warn(prog, f"'{name}': {Error(EACCES).message}")
        return None, 126
    await kio.warn(prog, f"'{name}': {Error(ENOENT).message}")
    return None, 127


async def run_program(
    prog: str, path: str, argv: list[str], env: dict[str, str] | None, **spawn_kw: object
) -> tuple[int | None, int]:
    """Spawn ``path`` and wait for it.

    Returns:
        (wait status, 0), or (None, 126/127) when it could not start (message printed).
    """
    try:
        pid = await sys.spawn(
            path,
            argv,
            env,
            spawn_kw.get("cwd"),
            spawn_kw.get("actions"),
            spawn_kw.get("attr"),
        )
    except Error as err:
        await kio.warn(prog, f"'{argv[0]}': {err.message}")
        return None, 127 if err.errno == ENOENT else 126
    return await wait_for(pid), 0


async def run_command_or_shell(prog: str, operands: list[str]) -> int:
    """util-linux's ending (unshare, nsenter): run the command, or ``$SHELL`` (else
    /bin/sh) when none is given, and return its exit status; 126 or 127 when it cannot
    start, with ``prog: failed to execute CMD: reason``."""
    from userland.libk.proc import exit_code

    env = await sys.environ()
    cmd = list(operands) or [env.get("SHELL") or "/bin/sh"]
    path, status = await resolve(prog, cmd[0], env.get("PATH"))
    if path is None:
        return status
    try:
        pid = await sys.spawn(path, cmd, env)
    except Error as err:
        await kio.warn(prog, f"failed to execute {cmd[0]}: {err.message}")
        return 126
    return exit_code(await wait_for(pid))


async def wait_for(pid: int) -> int:
    """Wait for one child to end; its wait status."""
    while True:
        got, status = await sys.wait4(pid, 0)
        if got == pid:
            return status


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("which", argv, "a", USAGE, status=2, long={"all": "a"})
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return 1
    env = await sys.environ()
    path = env.get("PATH", DEFAULT_PATH)
    out = kio.Output(1)
    status = 0
    for name in opts.operands:
        hits = await search_path(name, path, every=opts.has("a"))
        if not hits:
            status = 1
        for hit in hits:
            await out.line(hit)
    await out.flush()
    return status
