"""``hostname [-s] [NAME]``: print or set the machine's host name (uname's nodename)."""

from __future__ import annotations

from kernel.abi import EPERM, Error
from userland.libk import args, sys
from userland.libk import io as kio

TRY = "Try 'hostname --help' for more information."
USAGE = """Usage: hostname [-s]
       hostname NAME
Print the host name, or set it to NAME (root only).
  -s, --short  print the name up to its first dot
      --help   display this help and exit
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "s", long={"short": "s"})
    except args.UsageError as err:
        await kio.warn("hostname", f"{err}\nTry 'hostname --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    if len(opts.operands) > 1:
        await kio.warn(
            "hostname", "too many arguments\nTry 'hostname --help' for more information."
        )
        return 1
    if opts.operands:
        name = opts.operands[0]
        if not name or len(name) > 64:
            await kio.warn("hostname", "the specified hostname is invalid")
            return 1
        try:
            await sys.sethostname(name)
        except Error as err:
            if err.errno == EPERM:
                await kio.warn("hostname", "you must be root to change the host name")
            else:
                await kio.warn("hostname", err.message)
            return 1
        return 0
    name = (await sys.uname()).nodename
    if opts.has("s"):
        name = name.split(".", 1)[0]
    await kio.write_all(1, name + "\n")
    return 0
