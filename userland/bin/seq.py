"""``seq [-f FORMAT] [-s SEP] [-w] [FIRST [INCREMENT]] LAST``: print a sequence.

Numbers are decimal (exact: ``seq 0.1 0.1 0.5`` ends at 0.5). The output has as many
fraction digits as FIRST or INCREMENT has; ``-w`` pads with leading zeros to equal
width; ``-f`` takes one printf floating-point directive (``%g``, ``%.3f``, ``%e``…).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from kernel.abi import Error
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: seq [OPTION]... LAST
  or:  seq [OPTION]... FIRST LAST
  or:  seq [OPTION]... FIRST INCREMENT LAST
Print numbers from FIRST to LAST, in steps of INCREMENT.

  -f, --format=FORMAT      use printf style floating-point FORMAT
  -s, --separator=STRING   use STRING to separate numbers (default: \\n)
  -w, --equal-width        equalize width by padding with leading zeroes
      --help               display this help and exit

If FIRST or INCREMENT is omitted, it defaults to 1.  That is, an
omitted INCREMENT defaults to 1 even when LAST is smaller than FIRST.
"""

LONG = {"format": "f", "separator": "s", "equal-width": "w"}
_DIRECTIVE = re.compile(r"%[-+ #0']*\d*(\.\d*)?([a-zA-Z%])")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|infinity|nan)", re.I)


def split_args(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Options and operands; ``-1`` and ``-.5`` are numbers, not options.

    Raises:
        ValueError: the message for a bad option.
    """
    opts: dict[str, str] = {}
    operands: list[str] = []
    rest = argv[1:]
    while rest:
        a = rest.pop(0)
        if a == "--":
            operands += rest
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a[2:].partition("=")
            if name == "help":
                opts["help"] = ""
                continue
            if name not in LONG:
                raise ValueError(f"unrecognized option '{a}'")
            flag = LONG[name]
            if flag != "w" and not eq:
                if not rest:
                    raise ValueError(f"option '--{name}' requires an argument")
                value = rest.pop(0)
            opts[flag] = value
            continue
        if a.startswith("-") and len(a) > 1 and not _NUMBER.fullmatch(a):
            i = 1
            while i < len(a):
                c = a[i]
                i += 1
                if c == "w":
                    opts["w"] = ""
                elif c in "fs":
                    value = a[i:]
                    if not value:
                        if not rest:
                            raise ValueError(f"option requires an argument -- '{c}'")
                        value = rest.pop(0)
                    opts[c] = value
                    break
                else:
                    raise ValueError(f"invalid option -- '{c}'")
            continue
        operands.append(a)
    return opts, operands


def check_format(fmt: str) -> str | None:
    """GNU's complaint about a -f FORMAT, or None if it has exactly one float directive."""
    found = [m for m in _DIRECTIVE.finditer(fmt) if m.group(2) != "%"]
    if not found:
        return f"format '{fmt}' has no % directive"
    if len(found) > 1:
        return f"format '{fmt}' has too many % directives"
    conv = found[0].group(2)
    if conv not in "aAeEfFgG":
        return f"format '{fmt}' has unknown %{conv} directive"
    return None


def fraction_digits(value: Decimal) -> int:
    """Digits after the point in the way the operand was written."""
    exp = value.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts, operands = split_args(argv)
    except ValueError as err:
        return await text.usage_error("seq", str(err))
    if "help" in opts:
        await kio.write_all(1, USAGE)
        return 0
    if not operands:
        return await text.usage_error("seq", "missing operand")
    if len(operands) > 3:
        return await text.usage_error("seq", f"extra operand '{operands[3]}'")
    fmt = opts.get("f")
    if fmt is not None and "w" in opts:
        return await text.usage_error(
            "seq", "format string may not be specified when printing equal width strings"
        )
    if fmt is not None and (problem := check_format(fmt)):
        await kio.warn("seq", problem)
        return 1
    numbers = []
    for a in operands:
        try:
            if not _NUMBER.fullmatch(a):
                raise InvalidOperation
            numbers.append(Decimal(a))
        except InvalidOperation:
            return await text.usage_error("seq", f"invalid floating point argument: '{a}'")
    first, step, last = Decimal(1), Decimal(1), numbers[-1]
    if len(numbers) >= 2:
        first = numbers[0]
    if len(numbers) == 3:
        step = numbers[1]
        if step == 0:
            return await text.usage_error("seq", f"invalid Zero increment value: '{operands[1]}'")
    prec = max(fraction_digits(first), fraction_digits(step))

    def show(v: Decimal) -> str:
        if fmt is not None:
            return fmt % float(v)
        return f"{v:.{prec}f}"

    width = max(len(show(first)), len(show(last))) if "w" in opts else 0
    sep = opts.get("s", "\n")
    out = kio.Output(1, 65536)
    i = 0
    try:
        while True:
            v = first + i * step
            if (step > 0 and v > last) or (step < 0 and v < last):
                break
            s = show(v)
            if width and len(s) < width:
                s = ("-" + s[1:].rjust(width - 1, "0")) if s[0] == "-" else s.rjust(width, "0")
            await out.write((sep + s) if i else s)
            i += 1
            if i % 512 == 0:
                await sys.checkpoint()
        if i:
            await out.write("\n")
        await out.flush()
    except Error as err:
        await kio.warn("seq", f"write error: {err.message}")
        return 1
    return 0
