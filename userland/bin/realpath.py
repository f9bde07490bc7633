"""``realpath [-e|-m] [-s] FILE…``: print the resolved absolute file name."""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.walk import canonicalize

USAGE = """Usage: realpath [OPTION]... FILE...
Print the resolved absolute file name;
all but the last component must exist

  -e, --canonicalize-existing  all components of the path must exist
  -m, --canonicalize-missing   no path components need exist or be a directory
  -q, --quiet                  suppress most error messages
  -s, --strip, --no-symlinks   don't expand symlinks
  -z, --zero                   end each output line with NUL, not newline
      --help                   display this help and exit
"""

LONG = {
    "canonicalize-existing": "e",
    "canonicalize-missing": "m",
    "quiet": "q",
    "strip": "s",
    "no-symlinks": "s",
    "zero": "z",
}


async def normalize(path: str) -> str:
    """An absolute path with ``.`` and ``..`` removed textually (``-s``)."""
    base = "" if path.startswith("/") else await sys.getcwd()
    parts: list[str] = []
    for comp in f"{base}/{path}".split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts:
                parts.pop()
            continue
        parts.append(comp)
    return "/" + "/".join(parts)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("realpath", argv, "emqsz", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("realpath", "missing operand")
    mode = "f"
    for flag, _ in opts.seen:
        if flag in "em":
            mode = flag
    end = "\0" if opts.has("z") else "\n"
    status = 0
    out = kio.Output(1)
    for name in opts.operands:
        try:
            if opts.has("s"):
                resolved = await normalize(name)
                if mode != "m":
                    await canonicalize(resolved, mode)  # existence checks only
            else:
                resolved = await canonicalize(name, mode)
        except Error as err:
            status = 1
            if not opts.has("q"):
                await out.flush()
                await kio.warn("realpath", f"{name}: {err.message}")
            continue
        await out.write(resolved + end)
    await out.flush()
    return status
