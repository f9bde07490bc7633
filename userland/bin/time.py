"""``time [-p] [-o FILE [-a]] COMMAND [ARG]…``: run a command and report how long it took.

The report goes to standard error in bash's layout (``real``/``user``/``sys`` with
minutes and milliseconds), or POSIX's with ``-p``. Real time is CLOCK_MONOTONIC;
user and system time are the child's, from times(2) after it is reaped. The exit
status is the command's (128 + N if signal N ended it).
"""

from __future__ import annotations

from kernel.abi import (
    CLOCK_MONOTONIC,
    O_APPEND,
    O_CREAT,
    O_TRUNC,
    O_WRONLY,
    SIG_IGN,
    SIGINT,
    SIGQUIT,
    WIFSIGNALED,
    WTERMSIG,
    Error,
    SpawnAttr,
)
from userland.bin.which import resolve, run_program
from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.proc import exit_code

USAGE = """Usage: time [-p] [-o FILE [-a]] COMMAND [ARG]...
Run COMMAND, then print how long it took on standard error:

real\t0m0.000s
user\t0m0.000s
sys\t0m0.000s

  -p, --portability  print in the POSIX format: real 0.00, user 0.00, sys 0.00
  -o, --output=FILE  write the report to FILE instead of standard error
  -a, --append       with -o, append to FILE instead of overwriting it
      --help         display this help and exit

The exit status is COMMAND's; 127 if it was not found, 126 if it could not run.
"""


def bash_format(ns: int) -> str:
    """``0m1.234s``: minutes and seconds with milliseconds, as bash's time prints."""
    ms = ns // 1_000_000
    minutes, ms = divmod(ms, 60_000)
    return f"{minutes}m{ms // 1000}.{ms % 1000:03d}s"


def posix_format(ns: int) -> str:
    """``1.23``: seconds with hundredths (``time -p``)."""
    cs = ns // 10_000_000
    return f"{cs // 100}.{cs % 100:02d}"


def report(real: int, user: int, system: int, portable: bool) -> str:
    """The lines time prints."""
    if portable:
        return f"real {posix_format(real)}\nuser {posix_format(user)}\nsys {posix_format(system)}\n"
    return f"\nreal\t{bash_format(real)}\nuser\t{bash_format(user)}\nsys\t{bash_format(system)}\n"


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(
            argv, "po:a", long={"portability": "p", "output": "o", "append": "a"}, permute=False
        )
    except args.UsageError as err:
        await kio.warn("time", f"{err}\nTry 'time --help' for more information.")
        return 125
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    if not opts.operands:
        await kio.warn("time", "missing program to run\nTry 'time --help' for more information.")
        return 125
    out_fd = 2
    if opts.has("o"):
        flags = O_WRONLY | O_CREAT | (O_APPEND if opts.has("a") else O_TRUNC)
        try:
            out_fd = await sys.open(opts.value("o") or "", flags, 0o666)
        except Error as err:
            await kio.warn("time", f"couldn't open {opts.value('o')}: {err.message}")
            return 125
    command = opts.operands
    env = await sys.environ()
    path, status = await resolve("time", command[0], env.get("PATH"))
    if path is None:
        return status
    # Like GNU time: keep ^C and ^\\ for the command, and live to report.
    old = [await sys.sigaction(s, SIG_IGN) for s in (SIGINT, SIGQUIT)]
    before = await sys.times()
    start = await sys.clock_gettime(CLOCK_MONOTONIC)
    attr = SpawnAttr(
        sigdefault=tuple(s for s, o in zip((SIGINT, SIGQUIT), old, strict=True) if o != SIG_IGN)
    )
    wstatus, status = await run_program("time", path, command, None, attr=attr)
    real = await sys.clock_gettime(CLOCK_MONOTONIC) - start
    after = await sys.times()
    if wstatus is None:
        return status
    text = report(real, after.cutime - before.cutime, after.cstime - before.cstime, opts.has("p"))
    if WIFSIGNALED(wstatus):
        text = f"Command terminated by signal {WTERMSIG(wstatus)}\n" + text
    try:
        await kio.write_all(out_fd, text)
    except Error:
        pass
    return exit_code(wstatus)
