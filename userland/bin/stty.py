"""``stty [-F DEVICE] [-a | -g | SETTING...]``: print or change terminal settings.

Reads and sets the termios of standard input (or DEVICE) with TCGETS/TCSETS and its
window size with TIOCGWINSZ/TIOCSWINSZ, printing in GNU coreutils' formats. The
settings are the ones libk's line discipline has: the control characters intr, quit,
erase, kill, eof, susp and werase; the flags icrnl, opost, onlcr, isig, icanon, iexten,
echo, echoe, echok and echoctl; and the combinations raw, cooked and sane.
"""

from __future__ import annotations

from kernel.abi import (
    ECHO,
    ECHOCTL,
    ECHOE,
    ECHOK,
    ICANON,
    ICRNL,
    IEXTEN,
    ISIG,
    O_NOCTTY,
    O_NONBLOCK,
    O_RDWR,
    ONLCR,
    OPOST,
    TCGETS,
    TCSETSW,
    TIOCGWINSZ,
    TIOCSWINSZ,
    VEOF,
    VERASE,
    VINTR,
    VKILL,
    VQUIT,
    VSUSP,
    VWERASE,
    Error,
    Termios,
    Winsize,
)
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: stty [-F DEVICE | --file=DEVICE] [SETTING]...
  or:  stty [-F DEVICE | --file=DEVICE] [-a|--all]
Print or change terminal characteristics.

  -a, --all          print all current settings in human-readable form
  -F, --file=DEVICE  open and use the specified DEVICE instead of stdin
      --help         display this help and exit

Special settings:
   cols N        tell the kernel that the terminal has N columns
   columns N     same as cols N
   rows N        tell the kernel that the terminal has N rows
   size          print the number of rows and columns according to the kernel
   speed         print the terminal speed

Control settings (CHAR is ^X, ^?, a character, or undef):
   intr, quit, erase, kill, eof, susp, werase CHAR

Input settings:  [-]icrnl
Output settings: [-]opost [-]onlcr
Local settings:  [-]isig [-]icanon [-]iexten [-]echo [-]echoe [-]echok [-]echoctl
Combination settings:
   raw           same as -icrnl -opost -isig -icanon
   -raw, cooked  same as icrnl opost isig icanon
   sane          reset all settings to reasonable values
"""
SPEED = 38400
CHARS = (
    ("intr", VINTR),
    ("quit", VQUIT),
    ("erase", VERASE),
    ("kill", VKILL),
    ("eof", VEOF),
    ("susp", VSUSP),
    ("werase", VWERASE),
)
# (name, which flag word, bit), grouped as GNU prints them: input, output, local.
FLAGS = (
    ("icrnl", "iflag", ICRNL),
    ("opost", "oflag", OPOST),
    ("onlcr", "oflag", ONLCR),
    ("isig", "lflag", ISIG),
    ("icanon", "lflag", ICANON),
    ("iexten", "lflag", IEXTEN),
    ("echo", "lflag", ECHO),
    ("echoe", "lflag", ECHOE),
    ("echok", "lflag", ECHOK),
    ("echoctl", "lflag", ECHOCTL),
)
RAW = (("icrnl", "iflag", ICRNL), ("opost", "oflag", OPOST)) + tuple(
    f for f in FLAGS if f[0] in ("isig", "icanon")
)


class Usage(Exception):
    """A bad setting; the message follows ``stty: ``."""


def char_name(value: int) -> str:
    """A control character as stty shows it: ``^C``, ``^?``, ``<undef>``, or itself."""
    if value == 0:
        return "<undef>"
    if value == 0x7F:
        return "^?"
    if value < 32:
        return "^" + chr(value + 64)
    if value >= 128:
        return "M-" + char_name(value - 128)
    return chr(value)


def parse_char(text: str) -> int:
    """``^C``, ``^?``, ``^-``/``undef``, or one character, as a byte."""
    if text in ("undef", "^-"):
        return 0
    if len(text) == 2 and text[0] == "^":
        return 0x7F if text[1] == "?" else ord(text[1].upper()) & 0x1F
    if len(text) == 1 and ord(text) < 256:
        return ord(text)
    raise Usage(f"invalid integer argument: '{text}'")


def flag_words(tio: Termios, wanted: str, *, all_: bool) -> list[str]:
    """The flags of one word (iflag, oflag or lflag), set or ``-``negated."""
    default = Termios()
    out = []
    for name, word, bit in FLAGS:
        if word != wanted:
            continue
        on = bool(getattr(tio, word) & bit)
        if all_ or on != bool(getattr(default, word) & bit):
            out.append(name if on else f"-{name}")
    return out


def describe(tio: Termios, ws: Winsize, *, all_: bool) -> str:
    """``stty``'s (differences from sane) or ``stty -a``'s report."""
    default = Termios()
    head = f"speed {SPEED} baud; "
    if all_:
        head += f"rows {ws.rows}; columns {ws.cols}; "
    lines = [head + "line = 0;"]
    chars = [
        f"{name} = {char_name(tio.cc.get(idx, 0))};"
        for name, idx in CHARS
        if all_ or tio.cc.get(idx, 0) != default.cc.get(idx, 0)
    ]
    if chars:
        lines.append(" ".join(chars))
    for word in ("iflag", "oflag", "lflag"):
        flags = flag_words(tio, word, all_=all_)
        if flags:
            lines.append(" ".join(flags))
    return "\n".join(lines) + "\n"


def apply(tio: Termios, ws: Winsize, words: list[str]) -> tuple[Termios, Winsize]:
    """The settings after ``words``; raises Usage on a bad one."""
    tio = tio.copy()
    flags = {name: (word, bit) for name, word, bit in FLAGS}
    chars = dict(CHARS)
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        name = w[1:] if w.startswith("-") else w
        if name in flags:
            word, bit = flags[name]
            value = getattr(tio, word)
            setattr(tio, word, value & ~bit if w.startswith("-") else value | bit)
        elif w in ("raw", "-raw", "cooked", "-cooked"):
            on = w in ("-raw", "cooked")
            for _, word, bit in RAW:
                value = getattr(tio, word)
                setattr(tio, word, value | bit if on else value & ~bit)
        elif w == "sane":
            tio = Termios()
        elif w in chars or w in ("rows", "cols", "columns"):
            if i >= len(words):
                raise Usage(f"missing argument to '{w}'")
            arg = words[i]
            i += 1
            if w in chars:
                tio.cc[chars[w]] = parse_char(arg)
                continue
            if not arg.isdigit() or int(arg) > 65535:
                raise Usage(f"invalid integer argument: '{arg}'")
            if w == "rows":
                ws = Winsize(int(arg), ws.cols)
            else:
                ws = Winsize(ws.rows, int(arg))
        else:
            raise Usage(f"invalid argument '{w}'")
    return tio, ws


async def main(argv: list[str]) -> int:
    """Entry point."""
    words = argv[1:]
    device: str | None = None
    mode = ""
    rest: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w == "--help":
            await kio.write_all(1, USAGE)
            return 0
        if w in ("-a", "--all"):
            mode = "a"
        elif w == "-F" or w == "--file":
            if i >= len(words):
                return await text.usage_error("stty", "option requires an argument -- 'F'")
            device = words[i]
            i += 1
        elif w.startswith("--file="):
            device = w[7:]
        elif w.startswith("-F") and len(w) > 2:
            device = w[2:]
        else:
            rest.append(w)
    if mode and rest:
        return await text.usage_error(
            "stty",
            "the options for verbose and stty-readable output styles are\nmutually exclusive",
        )
    fd, label = 0, "standard input"
    try:
        if device is not None:
            label = device
            fd = await sys.open(device, O_RDWR | O_NOCTTY | O_NONBLOCK)
        tio = await sys.ioctl(fd, TCGETS)
        ws = await sys.ioctl(fd, TIOCGWINSZ)
    except Error as err:
        await kio.warn("stty", f"'{label}': {err.message}")
        return 1
    if rest == ["size"]:
        await kio.write_all(1, f"{ws.rows} {ws.cols}\n")
        return 0
    if rest == ["speed"]:
        await kio.write_all(1, f"{SPEED}\n")
        return 0
    if not rest:
        await kio.write_all(1, describe(tio, ws, all_=bool(mode)))
        return 0
    try:
        new_tio, new_ws = apply(tio, ws, rest)
    except Usage as err:
        return await text.usage_error("stty", str(err))
    try:
        if new_tio != tio:
            await sys.ioctl(fd, TCSETSW, new_tio)
        if new_ws != ws:
            await sys.ioctl(fd, TIOCSWINSZ, new_ws)
    except Error as err:
        await kio.warn("stty", f"'{label}': {err.message}")
        return 1
    return 0
