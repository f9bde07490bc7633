"""``time [-p | -v | -f FORMAT] [-q] [-o FILE [-a]] COMMAND [ARG]…``: time a command.

The report goes to standard error in bash's layout (``real``/``user``/``sys`` with
minutes and milliseconds), or POSIX's with ``-p``; ``-v`` and ``-f FORMAT`` are GNU
time's: its verbose table (CPU times, percent of CPU, elapsed time, maximum resident
set size, major and minor page faults, context switches, exit status…) and its
``%``-conversions. Real time is CLOCK_MONOTONIC; the rest is the child's resource
usage, from getrusage(RUSAGE_CHILDREN) once it is reaped. The exit status is the
command's (128 + N if signal N ended it).
"""

from __future__ import annotations

from kernel.abi import (
    CLOCK_MONOTONIC,
    O_APPEND,
    O_CREAT,
    O_TRUNC,
    O_WRONLY,
    RUSAGE_CHILDREN,
    SIG_IGN,
    SIGINT,
    SIGQUIT,
    WEXITSTATUS,
    WIFEXITED,
    WIFSIGNALED,
    WIFSTOPPED,
    WSTOPSIG,
    WTERMSIG,
    Error,
    Rusage,
    SpawnAttr,
)
from userland.bin.which import resolve, run_program
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.proc import exit_code

USAGE = """Usage: time [-p | -v | -f FORMAT] [-q] [-o FILE [-a]] COMMAND [ARG]...
Run COMMAND, then print how long it took on standard error:

real\t0m0.000s
user\t0m0.000s
sys\t0m0.000s

  -p, --portability  print in the POSIX format: real 0.00, user 0.00, sys 0.00
  -v, --verbose      print GNU time's table of everything it knows
  -f, --format=FORMAT  print FORMAT, GNU time's conversions: %e %U %S elapsed,
                     user and system seconds; %E elapsed [h:]m:ss; %P percent of
                     CPU; %M maximum resident set size (KiB); %F %R major and minor
                     page faults; %w %c voluntary and involuntary context
                     switches; %x exit status; %C the command; %Z page size; %%
  -q, --quiet        with -f or -v, do not report a non-zero exit status
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


VERBOSE = (
    '\tCommand being timed: "%C"\n'
    "\tUser time (seconds): %U\n"
    "\tSystem time (seconds): %S\n"
    "\tPercent of CPU this job got: %P\n"
    "\tElapsed (wall clock) time (h:mm:ss or m:ss): %E\n"
    "\tAverage shared text size (kbytes): %X\n"
    "\tAverage unshared data size (kbytes): %D\n"
    "\tAverage stack size (kbytes): %p\n"
    "\tAverage total size (kbytes): %K\n"
    "\tMaximum resident set size (kbytes): %M\n"
    "\tAverage resident set size (kbytes): %t\n"
    "\tMajor (requiring I/O) page faults: %F\n"
    "\tMinor (reclaiming a frame) page faults: %R\n"
    "\tVoluntary context switches: %w\n"
    "\tInvoluntary context switches: %c\n"
    "\tSwaps: %W\n"
    "\tFile system inputs: %I\n"
    "\tFile system outputs: %O\n"
    "\tSocket messages sent: %s\n"
    "\tSocket messages received: %r\n"
    "\tSignals delivered: %k\n"
    "\tPage size (bytes): %Z\n"
    "\tExit status: %x"
)
#: Conversions GNU time fills from rusage fields Linux leaves zero (shared text, data
#: and stack sizes, swaps, block I/O, messages, signals): the machine has none either.
ZERO = "XDpKtWIOsrk"
ESCAPES = {"t": "\t", "n": "\n", "\\": "\\"}


def seconds(ns: int) -> str:
    """``1.50``: whole seconds and hundredths, as GNU time's %e, %U and %S."""
    us = ns // 1000
    return f"{us // 1_000_000}.{us % 1_000_000 // 10_000:02d}"


def elapsed_text(ns: int) -> str:
    """%E: ``1:02.50`` (m:ss.hh), or ``1:02:03`` (h:mm:ss) from an hour up."""
    us = ns // 1000
    secs = us // 1_000_000
    if secs >= 3600:
        return f"{secs // 3600}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    return f"{secs // 60}:{secs % 60:02d}.{us % 1_000_000 // 10_000:02d}"


def gnu_format(fmt: str, command: list[str], real: int, ru: Rusage, wstatus: int, page: int) -> str:
    """GNU time's ``-f`` FORMAT, filled in (unknown conversions print ``?`` as GNU's do)."""
    cpu_ms = ru.utime // 1_000_000 + ru.stime // 1_000_000
    real_ms = real // 1_000_000
    values = {
        "C": " ".join(command),
        "E": elapsed_text(real),
        "e": seconds(real),
        "U": seconds(ru.utime),
        "S": seconds(ru.stime),
        "P": f"{cpu_ms * 100 // real_ms}%" if real_ms > 0 else "?%",
        "M": str(ru.maxrss),
        "F": str(ru.majflt),
        "R": str(ru.minflt),
        "w": str(ru.nvcsw),
        "c": str(ru.nivcsw),
        "x": str(WEXITSTATUS(wstatus) if WIFEXITED(wstatus) else 0),
        "Z": str(page),
        "%": "%",
    }
    values |= dict.fromkeys(ZERO, "0")
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c in "%\\":
            nxt = fmt[i + 1 : i + 2]
            if c == "%":
                out.append(values.get(nxt, "?" + nxt) if nxt else "?")
            else:
                out.append(ESCAPES.get(nxt, "?\\" + nxt) if nxt else "?\\")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out) + "\n"


def status_line(wstatus: int) -> str:
    """What GNU time says first about a command that did not exit 0 ("" if it did)."""
    if WIFSTOPPED(wstatus):
        return f"Command stopped by signal {WSTOPSIG(wstatus)}\n"
    if WIFSIGNALED(wstatus):
        return f"Command terminated by signal {WTERMSIG(wstatus)}\n"
    if WIFEXITED(wstatus) and WEXITSTATUS(wstatus):
        return f"Command exited with non-zero status {WEXITSTATUS(wstatus)}\n"
    return ""


def report(real: int, user: int, system: int, portable: bool) -> str:
    """The lines time prints."""
    if portable:
        return f"real {posix_format(real)}\nuser {posix_format(user)}\nsys {posix_format(system)}\n"
    return f"\nreal\t{bash_format(real)}\nuser\t{bash_format(user)}\nsys\t{bash_format(system)}\n"


async def main(argv: list[str]) -> int:
    """Entry point."""
    long = {"portability": "p", "output": "o", "append": "a", "verbose": "v"}
    long |= {"format": "f", "quiet": "q"}
    opts = await text.options("time", argv, "po:avf:q", USAGE, status=125, long=long, permute=False)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("time", "missing program to run", 125)
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
    before = await sys.getrusage(RUSAGE_CHILDREN)
    start = await sys.clock_gettime(CLOCK_MONOTONIC)
    attr = SpawnAttr(
        sigdefault=tuple(s for s, o in zip((SIGINT, SIGQUIT), old, strict=True) if o != SIG_IGN)
    )
    wstatus, status = await run_program("time", path, command, None, attr=attr)
    real = await sys.clock_gettime(CLOCK_MONOTONIC) - start
    after = await sys.getrusage(RUSAGE_CHILDREN)
    if wstatus is None:
        return status
    # time has no other children: what they add up to is the command's usage (the
    # largest resident set is the command's own, as getrusage keeps the maximum).
    used = Rusage(
        after.utime - before.utime,
        after.stime - before.stime,
        after.maxrss,
        after.minflt - before.minflt,
        after.majflt - before.majflt,
        after.nvcsw - before.nvcsw,
        after.nivcsw - before.nivcsw,
    )
    fmt = VERBOSE if opts.has("v") else opts.value("f")
    if fmt is not None:
        page = (await sys.mmu()).page_size
        summary = gnu_format(fmt, command, real, used, wstatus, page)
        if not opts.has("q"):
            summary = status_line(wstatus) + summary
    else:
        summary = report(real, used.utime, used.stime, opts.has("p"))
        if WIFSIGNALED(wstatus):
            summary = f"Command terminated by signal {WTERMSIG(wstatus)}\n" + summary
    try:
        await kio.write_all(out_fd, summary)
    except Error:
        pass
    return exit_code(wstatus)
