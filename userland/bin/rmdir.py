"""``rmdir [-p] [-v] DIRECTORY…``: remove empty directories."""

from __future__ import annotations

from kernel.abi import ENOTEMPTY, Error
from userland.libk import io as kio
from userland.libk import sys, text

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
    opts = await text.options(
        "rmdir",
        argv,
        "pvI",
        USAGE,
        long={"parents": "p", "verbose": "v", "ignore-fail-on-non-empty": "I"},
    )
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("rmdir", "missing operand")
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
