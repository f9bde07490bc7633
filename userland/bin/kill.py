"""``kill [-s SIG | -SIG] pid…`` and ``kill -l``: send signals.

A pid that names a thread is refused by the kernel with EISTHREAD: threads are never
killed; ask one to leave with ``thread_request_exit``.
"""

from __future__ import annotations

from kernel.abi import NSIG, SIGNAL_NAMES, SIGTERM, Error, signal_number
from userland.libk import io as kio
from userland.libk import sys

USAGE = (
    "Usage: kill [-s SIGNAL | -SIGNAL] PID...\n       kill -l [SIGNAL]\n"
    "Send a signal (TERM by default) to processes; a negative PID names a group.\n"
)


async def main(argv: list[str]) -> int:
    """Entry point."""
    args = argv[1:]
    if not args:
        await kio.write_all(2, USAGE)
        return 2
    if args[0] == "--help":
        await kio.write_all(1, USAGE)
        return 0
    if args[0] == "-l":
        if len(args) > 1:
            try:
                n = int(args[1])
                n = n - 128 if n > 128 else n
                await kio.write_all(1, SIGNAL_NAMES.get(n, "?")[3:] + "\n")
                return 0
            except ValueError:
                sig = signal_number(args[1])
                await kio.write_all(1, f"{sig}\n")
                return 0
        names = [f"{n:2d}) {SIGNAL_NAMES[n]}" for n in range(1, NSIG) if n in SIGNAL_NAMES]
        await kio.write_all(1, "\n".join(names) + "\n")
        return 0
    sig = SIGTERM
    try:
        if args[0] == "-s" and len(args) > 1:
            sig = signal_number(args[1])
            args = args[2:]
        elif args[0].startswith("-") and args[0] != "--" and len(args) > 1:
            # kill -TERM pid, kill -9 pid; a lone "-1" is a pid (every process)
            sig = signal_number(args[0][1:])
            args = args[1:]
    except Error as err:
        await kio.warn("kill", err.message)
        return 2
    if args and args[0] == "--":
        args = args[1:]
    status = 0
    for target in args:
        try:
            pid = int(target)
        except ValueError:
            await kio.warn("kill", f"failed to parse argument: '{target}'")
            status = 1
            continue
        try:
            await sys.kill(pid, sig)
        except Error as err:
            await kio.warn("kill", f"({pid}) - {err.message}")
            status = 1
    return status
