"""``dirname NAME…``: strip the last component from file names."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: dirname [OPTION] NAME...
Output each NAME with its last non-slash component and trailing slashes
removed; if NAME contains no /'s, output '.' (meaning the current directory).

  -z, --zero     end each output line with NUL, not newline
      --help     display this help and exit

Examples:
  dirname /usr/bin/          -> "/usr"
  dirname dir1/str dir2/str  -> "dir1" followed by "dir2"
  dirname stdio.h            -> "."
"""


def dir_name(name: str) -> str:
    """POSIX dirname: ``/usr/bin/`` -> ``/usr``, ``a`` -> ``.``, ``/`` -> ``/``."""
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name.startswith("/") else "."
    if "/" not in stripped:
        return "."
    parent = stripped.rsplit("/", 1)[0].rstrip("/")
    return parent or "/"


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("dirname", argv, "z", USAGE, long={"zero": "z"})
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("dirname", "missing operand")
    end = "\0" if opts.has("z") else "\n"
    await kio.write_all(1, "".join(dir_name(n) + end for n in opts.operands))
    return 0
