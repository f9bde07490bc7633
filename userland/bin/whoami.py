"""``whoami``: print the user name of the effective user id."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.users import user_names

USAGE = """Usage: whoami [OPTION]...
Print the user name associated with the current effective user ID.
Same as id -un.

      --help     display this help and exit
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("whoami", argv, "", USAGE)
    if isinstance(opts, int):
        return opts
    if opts.operands:
        return await text.usage_error("whoami", f"extra operand '{opts.operands[0]}'")
    euid = await sys.geteuid()
    name = (await user_names()).get(euid)
    if name is None:
        await kio.warn("whoami", f"cannot find name for user ID {euid}")
        return 1
    await kio.write_all(1, name + "\n")
    return 0
