"""``whoami``: print the user name of the effective user id."""

from __future__ import annotations

from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.users import user_names

USAGE = """Usage: whoami [OPTION]...
Print the user name associated with the current effective user ID.
Same as id -un.

      --help     display this help and exit
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "")
    except args.UsageError as err:
        await kio.warn("whoami", f"{err}\nTry 'whoami --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    if opts.operands:
        await kio.warn(
            "whoami",
            f"extra operand '{opts.operands[0]}'\nTry 'whoami --help' for more information.",
        )
        return 1
    euid = await sys.geteuid()
    name = (await user_names()).get(euid)
    if name is None:
        await kio.warn("whoami", f"cannot find name for user ID {euid}")
        return 1
    await kio.write_all(1, name + "\n")
    return 0
