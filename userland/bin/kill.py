"""``kill [-s SIG | -SIG] PID…``, ``kill -l [SIG]`` and ``kill -L``: send signals.

Messages and options follow procps-ng's kill. A PID below -1 names a process group
(``kill -- -42``, ``kill -TERM -42``). A pid that names a thread is refused by the
kernel with EISTHREAD, whose message is printed as is: threads are never killed; ask
one to leave with ``thread_request_exit``.
"""

from __future__ import annotations

from kernel.abi import NSIG, SIGNAL_NAMES, SIGTERM, Error, signal_number
from userland.libk import io as kio
from userland.libk import sys

USAGE = """
Usage:
 kill [options] <pid> [...]

Options:
 <pid> [...]            send signal to every <pid> listed
 -<signal>, -s, --signal <signal>
                        specify the <signal> to be sent
 -l, --list=[<signal>]  list all signal names, or convert one to a name
 -L, --table            list all signal names in a nice table

     --help     display this help and exit

A negative <pid> names a process group; -1 is every process you may signal.
A thread id is refused: threads are never killed (use thread_request_exit).

For more details see kill(1).
"""


def names_list() -> str:
    """Every signal name without SIG, wrapped at 80 columns (``kill -l``)."""
    lines, line = [], ""
    for n in range(1, NSIG):
        name = SIGNAL_NAMES.get(n)
        if name is None:
            continue
        word = name[3:]
        if line and len(line) + 1 + len(word) > 79:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines) + "\n"


def names_table() -> str:
    """``kill -L``: numbered names, five to a row."""
    cells = [f"{n:2d}) {SIGNAL_NAMES[n]}" for n in range(1, NSIG) if n in SIGNAL_NAMES]
    rows = ["\t".join(cells[i : i + 5]) for i in range(0, len(cells), 5)]
    return "\n".join(rows) + "\n"


def parse_signal(text: str) -> int | None:
    """A signal from a name (``TERM``, ``SIGTERM``, ``term``) or number; None if none."""
    try:
        return signal_number(text)
    except Error:
        return None


async def list_one(text: str) -> int:
    """``kill -l X``: a number becomes a name (exit statuses above 128 too), and back."""
    if text.isdigit():
        n = int(text)
        n = n - 128 if n > 128 else n
        name = SIGNAL_NAMES.get(n)
        if name is None:
            await kio.warn("kill", f"unknown signal name {text}")
            return 1
        await kio.write_all(1, name[3:] + "\n")
        return 0
    sig = parse_signal(text)
    if sig is None or sig == 0:
        await kio.warn("kill", f"unknown signal name {text}")
        return 1
    await kio.write_all(1, f"{sig}\n")
    return 0


async def main(argv: list[str]) -> int:
    """Entry point."""
    args = argv[1:]
    if not args:
        await kio.write_all(2, USAGE.lstrip("\n"))
        return 2
    if args[0] == "--help":
        await kio.write_all(1, USAGE.lstrip("\n"))
        return 0
    if args[0] in ("-l", "--list") or args[0].startswith("--list="):
        value = args[0].partition("=")[2] or (args[1] if len(args) > 1 else "")
        if value:
            return await list_one(value)
        await kio.write_all(1, names_list())
        return 0
    if args[0] in ("-L", "--table"):
        await kio.write_all(1, names_table())
        return 0
    sig = SIGTERM
    if args[0] in ("-s", "--signal") or args[0].startswith("--signal="):
        value = args[0].partition("=")[2]
        if not value:
            if len(args) < 2:
                await kio.warn("kill", f"option '{args[0]}' requires an argument")
                return 2
            value = args[1]
            args = args[1:]
        args = args[1:]
        parsed = parse_signal(value)
        if parsed is None:
            await kio.warn("kill", f"unknown signal name {value}")
            return 1
        sig = parsed
    elif args[0].startswith("-") and args[0] != "--" and len(args) > 1:
        # kill -TERM pid, kill -9 pid; a lone "-1" is a pid (every process).
        parsed = parse_signal(args[0][1:])
        if parsed is None:
            await kio.warn("kill", f"unknown signal name {args[0][1:]}")
            return 1
        sig = parsed
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        await kio.warn("kill", "not enough arguments")
        return 2
    status = 0
    for target in args:
        try:
            pid = int(target)
        except ValueError:
            await kio.warn("kill", f'cannot find process "{target}"')
            status = 1
            continue
        try:
            await sys.kill(pid, sig)
        except Error as err:
            await kio.warn("kill", f"({pid}): {err.message}")
            status = 1
    return status
