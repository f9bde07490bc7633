"""``umount DIR…``: unmount file systems with umount(2) (root only), util-linux style."""

from __future__ import annotations

from kernel.abi import EBUSY, EINVAL, ENOENT, EPERM, Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """
Usage:
 umount <directory>...

Unmount the filesystems mounted on the directories.

Options:
 -v, --verbose    say what is being done
     --help       display this help

For more details see umount(8).
"""
EX_USAGE = 1
EX_FAIL = 32


def failure(target: str, err: Error) -> str:
    """util-linux's words for a failed umount(2)."""
    if err.errno == EPERM:
        return f"{target}: must be superuser to unmount."
    if err.errno == EINVAL:
        return f"{target}: not mounted."
    if err.errno == EBUSY:
        return f"{target}: target is busy."
    if err.errno == ENOENT:
        return f"{target}: no mount point specified."
    return f"{target}: {err.message}."


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "umount", argv, "v", USAGE.lstrip("\n"), status=EX_USAGE, long={"verbose": "v"}
    )
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("umount", "bad usage", EX_USAGE)
    status = 0
    for target in opts.operands:
        try:
            await sys.umount(target)
        except Error as err:
            await kio.warn("umount", failure(target, err))
            status = EX_FAIL
            continue
        if opts.has("v"):
            await kio.write_all(1, f"umount: {target} unmounted\n")
    return status
