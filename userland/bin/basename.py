"""``basename NAME [SUFFIX]`` / ``basename -a [-s SUFFIX] NAME…``: strip directory and suffix."""

from __future__ import annotations

from userland.libk import io as kio
from userland.libk import text

USAGE = """Usage: basename NAME [SUFFIX]
  or:  basename OPTION... NAME...
Print NAME with any leading directory components removed.
If specified, also remove a trailing SUFFIX.

  -a, --multiple       support multiple arguments and treat each as a NAME
  -s, --suffix=SUFFIX  remove a trailing SUFFIX; implies -a
  -z, --zero           end each output line with NUL, not newline
      --help           display this help and exit

Examples:
  basename /usr/bin/sort          -> "sort"
  basename include/stdio.h .h     -> "stdio"
  basename -s .h include/stdio.h  -> "stdio"
  basename -a any/str1 any/str2   -> "str1" followed by "str2"
"""


def base_name(name: str, suffix: str = "") -> str:
    """The last component of ``name`` (``/`` for a path of slashes), minus ``suffix``."""
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name else ""
    base = stripped.rsplit("/", 1)[-1]
    if suffix and base != suffix and base.endswith(suffix):
        base = base[: -len(suffix)]
    return base


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "basename", argv, "as:z", USAGE, long={"multiple": "a", "suffix": "s", "zero": "z"}
    )
    if isinstance(opts, int):
        return opts
    names = opts.operands
    if not names:
        return await text.usage_error("basename", "missing operand")
    suffix = opts.value("s", "") or ""
    multiple = opts.has("a") or opts.has("s")
    if not multiple:
        if len(names) > 2:
            return await text.usage_error("basename", f"extra operand '{names[2]}'")
        if len(names) == 2:
            suffix = names[1]
            names = names[:1]
    end = "\0" if opts.has("z") else "\n"
    await kio.write_all(1, "".join(base_name(n, suffix) + end for n in names))
    return 0
