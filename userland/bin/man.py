"""``man [-a] [-w] [SECTION] NAME…``, ``man -k WORD``, ``man -f NAME``: the manual.

Pages live in /usr/share/man/manN/NAME.N in libk's plain format (headings at column
0, bodies indented by seven spaces). man prints a page between a man-db-style header
(``LS(1)   libk Manual   LS(1)``) and footer; headings are bold when standard output
is a terminal. Without a section, sections are searched in man-db's order: 1 8 2 3 5
4 6 7. ``-k`` (apropos) searches the NAME lines, ``-f`` (whatis) matches names.
"""

from __future__ import annotations

import re

from kernel.abi import TCGETS, TIOCGWINSZ, Error
from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.procinfo import list_dir

MANDIR = "/usr/share/man"
SECTION_ORDER = ["1", "8", "2", "3", "5", "4", "6", "7", "9"]
NOT_FOUND = 16
BOLD, PLAIN = "\x1b[1m", "\x1b[0m"

USAGE = """Usage: man [OPTION...] [SECTION] PAGE...
Show the manual page of each PAGE, searching SECTION or, without one, the
sections in the order 1 8 2 3 5 4 6 7.

  -a, --all        show every matching page, not just the first
  -f, --whatis     print the one-line description of each PAGE (whatis)
  -k, --apropos    search the NAME lines of every page for a word (apropos)
  -w, --where      print the location of each page instead of showing it
      --help       display this help and exit

Exit status: 0 on success, 16 if a page, or an apropos/whatis match, was not
found, 1 for a usage error.
"""
LONG = {"all": "a", "whatis": "f", "apropos": "k", "where": "w", "path": "w"}


async def sections() -> list[str]:
    """The sections that exist, in search order."""
    present = [d[3:] for d in await list_dir(MANDIR) if d.startswith("man") and d[3:]]
    known = [s for s in SECTION_ORDER if s in present]
    return known + sorted(s for s in present if s not in known)


async def find_pages(name: str, section: str | None, every: bool) -> list[tuple[str, str]]:
    """``(path, section)`` of the pages called ``name``: the first, or all with -a."""
    found = []
    for sec in [section] if section else await sections():
        path = f"{MANDIR}/man{sec}/{name}.{sec}"
        try:
            await sys.stat(path)
        except Error:
            continue
        found.append((path, sec))
        if not every:
            break
    return found


async def is_terminal(fd: int) -> bool:
    """Does ``fd`` lead to a terminal?"""
    try:
        await sys.ioctl(fd, TCGETS)
    except Error:
        return False
    return True


async def width() -> int:
    """The terminal's width, or 80."""
    try:
        return max(40, (await sys.ioctl(1, TIOCGWINSZ)).cols)
    except Error:
        return 80


def frame(name: str, section: str, text: str, cols: int, bold: bool, release: str) -> str:
    """The page between its header and footer, headings bold for a terminal."""
    title = f"{name.upper()}({section})"
    middle = "libk Manual"
    gap = max(1, cols - 2 * len(title) - len(middle))
    left = gap // 2
    header = f"{title}{' ' * left}{middle}{' ' * (gap - left)}{title}"
    source = f"libk {release}"
    footer = f"{source}{' ' * max(1, cols - len(source) - len(title))}{title}"
    lines = []
    for line in text.rstrip("\n").split("\n"):
        if bold and line and not line[0].isspace():
            line = f"{BOLD}{line}{PLAIN}"
        lines.append(line)
    return f"{header}\n\n" + "\n".join(lines) + f"\n\n{footer}\n"


def name_line(text: str) -> str:
    """The body of a page's NAME section (``ls - list directory contents``)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "NAME":
            body = []
            for more in lines[i + 1 :]:
                if not more.strip() or not more[0].isspace():
                    break
                body.append(more.strip())
            return " ".join(body)
    return ""


async def index() -> list[tuple[str, str, str]]:
    """``(name, section, description)`` for every page, from its NAME line."""
    out = []
    for sec in await sections():
        for file in sorted(await list_dir(f"{MANDIR}/man{sec}")):
            name, dot, ext = file.rpartition(".")
            if not dot:
                continue
            try:
                text = (await kio.read_file(f"{MANDIR}/man{sec}/{file}")).decode(errors="replace")
            except Error:
                continue
            line = name_line(text)
            _, sep, desc = line.partition(" - ")
            out.append((name, ext, desc.strip() if sep else line))
    return out


def whatis_line(name: str, section: str, desc: str) -> str:
    """``ls (1)               - list directory contents``, as man-db prints it."""
    return f"{f'{name} ({section})':<20} - {desc}"


async def apropos(words: list[str], exact: bool) -> int:
    """``-k``: pages whose name or description holds a word; ``-f``: exact names."""
    entries = await index()
    out = kio.Output(1)
    status = 0
    for word in words:
        if exact:
            hits = [e for e in entries if e[0] == word]
        else:
            pattern = re.compile(re.escape(word), re.IGNORECASE)
            hits = [e for e in entries if pattern.search(e[0]) or pattern.search(e[2])]
        if not hits:
            await out.flush()
            await kio.warn(word, "nothing appropriate.")
            status = NOT_FOUND
        for e in hits:
            await out.line(whatis_line(*e))
    await out.flush()
    return status


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(argv, "afkw", long=LONG)
    except args.UsageError as err:
        await kio.warn("man", f"{err}\nTry 'man --help' for more information.")
        return 1
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    words = list(opts.operands)
    if opts.has("k") or opts.has("f"):
        if not words:
            await kio.warn("apropos" if opts.has("k") else "whatis", "what?")
            return 1
        return await apropos(words, exact=opts.has("f") and not opts.has("k"))
    section = None
    if len(words) > 1 and re.fullmatch(r"\d[a-z]*", words[0]):
        section = words.pop(0)
    if not words:
        if section is not None:
            await kio.warn("man", f"No entry for {section} in the manual.")
            return NOT_FOUND
        await kio.write_all(2, "What manual page do you want?\nFor example, try 'man man'.\n")
        return 1
    bold = await is_terminal(1)
    cols = await width()
    release = (await sys.uname()).release
    out = kio.Output(1)
    status = 0
    for name in words:
        pages = await find_pages(name, section, opts.has("a"))
        if not pages:
            await out.flush()
            where = f" in section {section}" if section else ""
            await kio.write_all(2, f"No manual entry for {name}{where}\n")
            status = NOT_FOUND
            continue
        for path, sec in pages:
            if opts.has("w"):
                await out.line(path)
                continue
            try:
                text = (await kio.read_file(path)).decode(errors="replace")
            except Error as err:
                await out.flush()
                await kio.warn("man", f"{path}: {err.message}")
                status = NOT_FOUND
                continue
            await out.write(frame(name, sec, text, cols, bold, release))
    await out.flush()
    return status
