"""``hostname [-s] [NAME]``: print or set the machine's host name (uname's nodename)."""

from __future__ import annotations

from kernel.abi import EPERM, Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: hostname [-s]
       hostname NAME
Print the host name, or set it to NAME (root only).
  -s, --short  print the name up to its first dot
      --help   display this help and exit
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("hostname", argv, "s", USAGE, long={"short": "s"})
    if isinstance(opts, int):
        return opts
    if len(opts.operands) > 1:
        return await text.usage_error("hostname", "too many arguments")
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
