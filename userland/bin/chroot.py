"""``chroot NEWROOT [COMMAND [ARG]…]``: run a command with a different root directory,
coreutils style.

chroot calls chroot(2) on NEWROOT (root only: EPERM otherwise), changes to the new
``/``, then spawns COMMAND — found in the new root, so its programs must be there (a
bind mount of /bin does it) — or ``$SHELL -i`` (/bin/sh -i) without one, waits, and
passes its status on. Statuses as coreutils: 125 when chroot itself fails, 126 when
COMMAND cannot run, 127 when it is not found.
"""

from __future__ import annotations

from kernel.abi import ENOENT, Error
from userland.bin.which import search_path, wait_for
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.proc import exit_code

USAGE = """Usage: chroot [OPTION] NEWROOT [COMMAND [ARG]...]
Run COMMAND with root directory set to NEWROOT.

      --help        display this help and exit

If no command is given, run '"$SHELL" -i' (default: '/bin/sh -i').
"""
EX_FAIL = 125


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("chroot", argv, "", USAGE, status=EX_FAIL, long={}, permute=False)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("chroot", "missing operand", EX_FAIL)
    newroot, *cmd = opts.operands
    try:
        await sys.chroot(newroot)
    except Error as err:
        await kio.warn("chroot", f"cannot change root directory to '{newroot}': {err.message}")
        return EX_FAIL
    try:
        await sys.chdir("/")
    except Error as err:
        await kio.warn("chroot", f"cannot chdir to root directory: {err.message}")
        return EX_FAIL
    env = await sys.environ()
    if not cmd:
        cmd = [env.get("SHELL") or "/bin/sh", "-i"]
    hits = await search_path(cmd[0], env.get("PATH"))
    path = hits[0] if hits else cmd[0]
    try:
        pid = await sys.spawn(path, cmd, env)
    except Error as err:
        await kio.warn("chroot", f"failed to run command '{cmd[0]}': {err.message}")
        return 127 if err.errno == ENOENT else 126
    return exit_code(await wait_for(pid))
