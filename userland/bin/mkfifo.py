"""``mkfifo [-m MODE] NAME…``: make FIFOs (named pipes), with mknod(2)."""

from __future__ import annotations

from kernel.abi import S_IFIFO, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import ModeError, create_mode

USAGE = """Usage: mkfifo [OPTION]... NAME...
Create named pipes (FIFOs) with the given NAMEs.

  -m, --mode=MODE    set file permission bits to MODE, not a=rw - umask
      --help         display this help and exit
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("mkfifo", argv, "m:", USAGE, long={"mode": "m"})
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("mkfifo", "missing operand")
    try:
        mode, umask = await create_mode("mkfifo", opts.value("m"), 0o666, is_dir=False)
    except ModeError:
        return 1
    status = 0
    for path in opts.operands:
        try:
            await sys.mknod(path, S_IFIFO | (0o666 if mode is None else mode), 0)
            if mode is not None and mode & ~(0o666 & ~umask) & 0o7777:
                await sys.chmod(path, mode)  # -m is not reduced by the umask
        except Error as err:
            await kio.warn("mkfifo", f"cannot create fifo '{path}': {err.message}")
            status = 1
    return status
