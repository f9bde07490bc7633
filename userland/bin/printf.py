"""``printf FORMAT [ARGUMENT]...``: format and print data, as GNU coreutils' printf.

The formatter is shared with the shell's builtin (``userland.libk.printf``). The
format is reused while arguments remain; a bad number is reported and the status is 1.
"""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk.printf import printf

USAGE = """Usage: printf FORMAT [ARGUMENT]...
Print ARGUMENT(s) according to FORMAT.

FORMAT controls the output as in C printf.  Interpreted sequences are:

  \\"      double quote          \\\\      backslash
  \\a      alert (BEL)           \\b      backspace
  \\c      produce no further output
  \\e      escape                \\f      form feed
  \\n      new line              \\r      carriage return
  \\t      horizontal tab        \\v      vertical tab
  \\NNN    byte with octal value NNN (1 to 3 digits)
  \\xHH    byte with hexadecimal value HH (1 to 2 digits)
  \\uHHHH  Unicode character with hex value HHHH (4 digits)
  %%      a single %
  %b      ARGUMENT as a string with '\\' escapes interpreted

and all C format specifications ending with one of diouxXfeEgGcs, with
ARGUMENTs converted to proper type first.  Variable widths are handled.
"""


async def main(argv: list[str]) -> int:
    """Entry point."""
    args = argv[1:]
    if args == ["--help"]:
        await kio.write_all(1, USAGE)
        return 0
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        await kio.warn("printf", "missing operand")
        await kio.write_all(2, "Try 'printf --help' for more information.\n")
        return 1
    result = printf(args[0], args[1:])
    for message in result.errors:
        await kio.warn("printf", message)
    try:
        await kio.write_all(1, result.output.encode("utf-8", "surrogateescape"))
    except Error as err:
        await kio.warn("printf", f"write error: {err.message}")
        return 1
    return result.status
