"""``unshare -m [--propagation private|shared|unchanged] [CMD [ARG]…]``: run a program
in a new mount namespace, util-linux style.

As util-linux's: unshare calls unshare(2) (it gets a copy of the mount namespace),
makes the new namespace's mounts private with mount(2) (MS_REC | MS_PRIVATE on ``/``)
unless ``--propagation`` says otherwise, so that mounts made inside stay inside, then
runs CMD — there is no exec, so it spawns CMD, which shares its namespace, waits, and
passes its status on. Without CMD it runs ``$SHELL`` (or /bin/sh). Only root may
(EPERM otherwise: there are no user namespaces). A program that wants a child in a new
namespace without moving itself passes ``SpawnAttr(unshare=CLONE_NEWNS)`` to spawn.
"""

from __future__ import annotations

from kernel.abi import CLONE_NEWNS, MS_PRIVATE, MS_REC, MS_SHARED, Error
from userland.bin.which import run_command_or_shell
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """
Usage:
 unshare [options] [<program> [<argument>...]]

Run a program with some namespaces unshared from the parent.

Options:
 -m, --mount[=<file>]      unshare mounts namespace
     --propagation shared|private|unchanged
                           modify mount propagation in mount namespace

     --help                display this help

For more details see unshare(1).
"""
PROP = "\x01"  # --propagation has no short form: a key no one can type
PROPAGATION = {"private": MS_PRIVATE, "shared": MS_SHARED, "unchanged": 0}
EX_FAIL = 1


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "unshare",
        argv,
        "m" + PROP + ":",
        USAGE.lstrip("\n"),
        status=EX_FAIL,
        long={"mount": "m", "propagation": PROP},
        permute=False,
    )
    if isinstance(opts, int):
        return opts
    name = opts.value(PROP)
    if name is not None and name not in PROPAGATION:
        await kio.warn("unshare", f"unsupported propagation mode: {name}")
        return EX_FAIL
    if opts.has("m"):
        try:
            await sys.unshare(CLONE_NEWNS)
        except Error as err:
            await kio.warn("unshare", f"unshare failed: {err.message}")
            return EX_FAIL
        prop = PROPAGATION[name or "private"]
        if prop:
            try:
                await sys.mount("none", "/", None, prop | MS_REC, None)
            except Error as err:
                await kio.warn(
                    "unshare", f"cannot change root filesystem propagation: {err.message}"
                )
                return EX_FAIL
    return await run_command_or_shell("unshare", opts.operands)
