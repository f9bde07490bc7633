"""``mknod [-m MODE] NAME TYPE [MAJOR MINOR]``: make a FIFO or a device node."""

from __future__ import annotations

from kernel.abi import S_IFBLK, S_IFCHR, S_IFIFO, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import ModeError, create_mode

USAGE = """Usage: mknod [OPTION]... NAME TYPE [MAJOR MINOR]
Create the special file NAME of the given TYPE.

  -m, --mode=MODE    set file permission bits to MODE, not a=rw - umask
      --help         display this help and exit

Both MAJOR and MINOR must be specified when TYPE is b, c, or u, and they
must be omitted when TYPE is p.

TYPE may be:
  b      create a block (buffered) special file
  c, u   create a character (unbuffered) special file
  p      create a FIFO
"""

TYPES = {"b": S_IFBLK, "c": S_IFCHR, "u": S_IFCHR, "p": S_IFIFO}


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("mknod", argv, "m:", USAGE, long={"mode": "m"})
    if isinstance(opts, int):
        return opts
    ops = opts.operands
    if len(ops) < 2:
        return await text.usage_error(
            "mknod", "missing operand" if not ops else f"missing operand after '{ops[-1]}'"
        )
    name, kind = ops[0], ops[1]
    if kind not in TYPES:
        return await text.usage_error("mknod", f"invalid device type '{kind}'")
    dev = 0
    if kind == "p":
        if len(ops) > 2:
            return await text.usage_error(
                "mknod",
                f"extra operand '{ops[2]}'\nFifos do not have major and minor device numbers.",
            )
    else:
        if len(ops) < 4:
            return await text.usage_error(
                "mknod",
                f"missing operand after '{ops[-1]}'\n"
                "Special files require major and minor device numbers.",
            )
        if len(ops) > 4:
            return await text.usage_error("mknod", f"extra operand '{ops[4]}'")
        try:
            major, minor = int(ops[2], 0), int(ops[3], 0)
        except ValueError:
            bad = ops[2] if not ops[2].lstrip("-").isdigit() else ops[3]
            await kio.warn(
                "mknod",
                f"invalid major device number '{bad}'"
                if bad == ops[2]
                else f"invalid minor device number '{bad}'",
            )
            return 1
        if not 0 <= major < 4096:
            await kio.warn("mknod", f"invalid major device number '{ops[2]}'")
            return 1
        if not 0 <= minor < 256:
            await kio.warn("mknod", f"invalid minor device number '{ops[3]}'")
            return 1
        dev = (major << 8) | minor
    try:
        mode, umask = await create_mode("mknod", opts.value("m"), 0o666, is_dir=False)
    except ModeError:
        return 1
    try:
        await sys.mknod(name, TYPES[kind] | (0o666 if mode is None else mode), dev)
        if mode is not None and mode & ~(0o666 & ~umask) & 0o7777:
            await sys.chmod(name, mode)
    except Error as err:
        await kio.warn("mknod", f"{name}: {err.message}")
        return 1
    return 0
