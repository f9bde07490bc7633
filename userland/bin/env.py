"""``env [-i] [-u NAME]… [NAME=VALUE]… [COMMAND [ARG]…]``: run a program in a changed
environment, or print the environment.

There is no exec: env spawns COMMAND, waits, and passes its status on. A command killed
by a signal makes env end by the same signal, so the shell sees what it would have seen.
"""

from __future__ import annotations

from kernel.abi import SIG_DFL, WIFSIGNALED, WTERMSIG, Error
from userland.bin.which import resolve, run_program
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.proc import exit_code

USAGE = """Usage: env [OPTION]... [-] [NAME=VALUE]... [COMMAND [ARG]...]
Set each NAME to VALUE in the environment and run COMMAND.

  -i, --ignore-environment  start with an empty environment
  -0, --null           end each output line with NUL, not newline
  -u, --unset=NAME     remove variable from the environment
      --help     display this help and exit

A mere - implies -i.  If no COMMAND, print the resulting environment.

Exit status:
  125  if the env command itself fails
  126  if COMMAND is found but cannot be invoked
  127  if COMMAND cannot be found
  -    the exit status of COMMAND otherwise
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "env",
        argv,
        "iu:0",
        USAGE,
        status=125,
        long={"ignore-environment": "i", "unset": "u", "null": "0"},
        permute=False,
    )
    if isinstance(opts, int):
        return opts
    rest = list(opts.operands)
    clear = opts.has("i")
    if rest and rest[0] == "-":
        clear = True
        rest.pop(0)
    env = {} if clear else await sys.environ()
    for name in opts.values("u"):
        if not name or "=" in name:
            await kio.warn("env", f"cannot unset '{name}': Invalid argument")
            return 125
        env.pop(name, None)
    while rest and "=" in rest[0] and not rest[0].startswith("="):
        name, _, value = rest.pop(0).partition("=")
        env[name] = value
    if not rest:
        end = "\0" if opts.has("0") else "\n"
        await kio.write_all(1, "".join(f"{k}={v}{end}" for k, v in env.items()))
        return 0
    if opts.has("0"):
        await kio.warn("env", "cannot specify --null (-0) with command")
        return 125
    path, status = await resolve("env", rest[0], env.get("PATH"))
    if path is None:
        return status
    wstatus, status = await run_program("env", path, rest, env)
    if wstatus is None:
        return status
    if WIFSIGNALED(wstatus):
        # As if env had exec'd the command: end by the same signal.
        sig = WTERMSIG(wstatus)
        try:
            await sys.sigaction(sig, SIG_DFL)
            await sys.kill(await sys.getpid(), sig)
        except Error:
            pass
    return exit_code(wstatus)
