"""``true`` and ``false``: do nothing, successfully or not.

As in GNU coreutils, a lone ``--help`` prints the usage; ``false --help`` still exits 1.
"""

from __future__ import annotations

from userland.libk import io as kio

TRUE_USAGE = """Usage: true [ignored command line arguments]
  or:  true OPTION
Exit with a status code indicating success.

      --help     display this help and exit
"""
FALSE_USAGE = """Usage: false [ignored command line arguments]
  or:  false OPTION
Exit with a status code indicating failure.

      --help     display this help and exit
"""


async def main(argv: list[str]) -> int:
    """``true``: exit 0."""
    if argv[1:] == ["--help"]:
        await kio.write_all(1, TRUE_USAGE)
    return 0


async def false_main(argv: list[str]) -> int:
    """``false``: exit 1."""
    if argv[1:] == ["--help"]:
        await kio.write_all(1, FALSE_USAGE)
    return 1
