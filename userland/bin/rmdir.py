"""``rmdir [-p] [-v] DIRECTORY…``: remove empty directories."""

from __future__ import annotations

from kernel.abi import ENOTEMPTY, Error
from userland.libk import args, sys
from userland.libk import io as kio

USAGE = """Usage: rmdir [OPTION]... DIRECTORY...
Remove the DIRECTORY(ies), if they are empty.

      --ignore-fail-on-non-empty
                    ignore each failure to remove a non-empty directory
  -p, --parents     remove DIRECTORY and its ancestors; e.g., 'rmdir -p a/b'
                    is similar to 'rmdir a/b a'
  -v, --verbose     output a diagnostic for every directory processed
      --help        display this help and exit
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(
            argv,
            "pvI",
            long={"parents": "p", "verbose": "v", "ignore-fail-on-non-empty": "I"},
        )
    except args.UsageError as err:
        await kio.warn("rmdir", f"{err}\nTry 'rmdir --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    if not opts.operands:
        await kio.warn("rmdir", "missing operand\nTry 'rmdir --help' for more information.")
        return 1
    ignore = opts.has("I")
    status = 0
    for path in opts.operands:
        todo = [path]
        if opts.has("p"):
            parts = path.rstrip("/").split("/")
            todo = [p for i in range(len(parts), 0, -1) if (p := "/".join(parts[:i]))]
        for d in todo:
            if opts.has("v"):
                await kio.write_all(1, f"rmdir: removing directory, '{d}'\n")
            try:
                await sys.rmdir(d)
            except Error as err:
                if not (ignore and err.errno == ENOTEMPTY):
                    await kio.warn("rmdir", f"failed to remove '{d}': {err.message}")
                    status = 1
                break
    return status
