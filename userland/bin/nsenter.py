"""``nsenter -t PID -m [CMD [ARG]…]``: run a program in another process's mount
namespace, util-linux style.

nsenter opens /proc/PID/ns/mnt, joins that namespace with setns(2) (its root and
working directory become the namespace's root, as Linux sets them), then spawns CMD
(``$SHELL`` or /bin/sh without one), waits, and passes its status on. Only root may
join a namespace (EPERM), and only root or the owner may open another's ns link.
"""

from __future__ import annotations

from kernel.abi import CLONE_NEWNS, O_RDONLY, Error
from userland.bin.which import run_command_or_shell
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """
Usage:
 nsenter [options] [<program> [<argument>...]]

Run a program with namespaces of other processes.

Options:
 -t, --target <pid>     target process to get namespaces from
 -m, --mount[=<file>]   enter mount namespace

     --help             display this help

For more details see nsenter(1).
"""
LONG = {"target": "t", "mount": "m"}
EX_FAIL = 1


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "nsenter", argv, "t:m", USAGE.lstrip("\n"), status=EX_FAIL, long=LONG, permute=False
    )
    if isinstance(opts, int):
        return opts
    target = opts.value("t")
    if target is not None and not target.isdigit():
        await kio.warn("nsenter", f"failed to parse pid: '{target}'")
        return EX_FAIL
    if opts.has("m"):
        if target is None:
            await kio.warn("nsenter", "neither filename nor target pid supplied for ns/mnt")
            return EX_FAIL
        path = f"/proc/{target}/ns/mnt"
        try:
            fd = await sys.open(path, O_RDONLY)
        except Error as err:
            await kio.warn("nsenter", f"cannot open {path}: {err.message}")
            return EX_FAIL
        try:
            await sys.setns(fd, CLONE_NEWNS)
        except Error as err:
            await kio.warn("nsenter", f"reassociate to namespace 'ns/mnt' failed: {err.message}")
            return EX_FAIL
        finally:
            await sys.close(fd)
    elif target is None:
        await kio.warn("nsenter", "no target PID specified for --target")
        return EX_FAIL
    return await run_command_or_shell("nsenter", opts.operands)
