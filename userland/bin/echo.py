"""``echo [-neE] [string…]``: write the arguments, separated by spaces."""

from __future__ import annotations

from kernel.abi import Error
from userland.libk import io as kio

ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "e": "\x1b",
}


def unescape(text: str) -> tuple[str, bool]:
    """Interpret backslash escapes; the flag is False after ``\\c`` (stop output)."""
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            e = text[i + 1]
            if e == "c":
                return "".join(out), False
            if e == "0":
                j = i + 2
                digits = ""
                while j < len(text) and len(digits) < 3 and text[j] in "01234567":
                    digits += text[j]
                    j += 1
                out.append(chr(int(digits or "0", 8)))
                i = j
                continue
            if e in ESCAPES:
                out.append(ESCAPES[e])
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out), True


async def main(argv: list[str]) -> int:
    """Entry point."""
    args = argv[1:]
    if args == ["--help"]:
        await kio.write_all(
            1,
            "Usage: echo [-neE] [STRING]...\nWrite the STRINGs to standard "
            "output.\n  -n  no trailing newline\n  -e  interpret backslash "
            "escapes\n  -E  do not interpret them (default)\n",
        )
        return 0
    newline, escapes = True, False
    while args and len(args[0]) > 1 and args[0][0] == "-" and set(args[0][1:]) <= set("neE"):
        for c in args[0][1:]:
            newline = newline and c != "n"
            escapes = True if c == "e" else False if c == "E" else escapes
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text, keep_going = unescape(text)
        newline = newline and keep_going
    try:
        await kio.write_all(1, text + ("\n" if newline else ""))
    except Error as err:
        await kio.warn("echo", f"write error: {err.message}")
        return 1
    return 0
