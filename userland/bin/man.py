"""``man [-a] [-w] [SECTION] NAME…``, ``man -k WORD``, ``man -f NAME``: the manual.

Pages live in /usr/share/man/manN/NAME.N in libk's plain format (headings at column
0, bodies indented by seven spaces, laid out for 80 columns). man prints a page
between a man-db-style header (``LS(1)   libk Manual   LS(1)``) and footer, laid out
again for the line length (:func:`layout`): $MANWIDTH, else $COLUMNS, else the
terminal's width (TIOCGWINSZ of standard output), else 80, as man-db chooses it.
When standard output is a terminal, headings are bold and the page goes through a
pager ($MANPAGER, else $PAGER, else ``more``). Without a section, sections are
searched in man-db's order: 1 8 2 3 5 4 6 7. ``-k`` (apropos) searches the NAME
lines, ``-f`` (whatis) matches names.
"""

from __future__ import annotations

import re
import textwrap

from kernel.abi import (
    EPIPE,
    SIG_IGN,
    SIGPIPE,
    SPAWN_CLOSE,
    SPAWN_DUP2,
    TCGETS,
    TIOCGWINSZ,
    Error,
)
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.procinfo import list_dir

MANDIR = "/usr/share/man"
SECTION_ORDER = ["1", "8", "2", "3", "5", "4", "6", "7", "9"]
NOT_FOUND = 16
BOLD, PLAIN = "\x1b[1m", "\x1b[0m"
#: Sections shown line for line (only folded when a line is too long).
VERBATIM = frozenset({"SYNOPSIS", "EXAMPLES", "EXAMPLE"})
#: Lines of a paragraph the page's author filled are at least this long (80 columns).
FILLED = 55
#: Two spaces or more inside a line: a table row (an option, then its description).
GAP = re.compile(r"\S( {2,})\S")
DEFAULT_PAGER = "more"

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


async def width(env: dict[str, str], terminal: bool) -> int:
    """The width to lay pages out for: $MANWIDTH, $COLUMNS, the terminal's, or 80."""
    for var in ("MANWIDTH", "COLUMNS"):
        value = env.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            return max(20, int(value))
    if terminal:
        try:
            return max(20, (await sys.ioctl(1, TIOCGWINSZ)).cols)
        except Error:
            pass
    return 80


def _fold(line: str, indent: int, length: int) -> list[str]:
    """A line kept as written, folded (same indent) only if longer than ``length``."""
    if len(line) <= length:
        return [line]
    pad = " " * indent
    return textwrap.wrap(
        line.strip(),
        max(10, length),
        initial_indent=pad,
        subsequent_indent=pad,
        break_on_hyphens=False,
        break_long_words=False,
    ) or [line]


def _fill(text: str, first: str, rest: str, length: int) -> list[str]:
    return textwrap.wrap(
        text,
        max(len(rest) + 10, length),
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
        break_long_words=False,
    )


def layout(text: str, cols: int) -> str:
    """A page's body laid out again for ``cols`` columns (two are left as a margin).

    Headings stay at column 0; paragraphs the author filled are filled again; table
    rows (a term, two spaces, a description, maybe continued below it) keep the term
    and refill the description in its column, or below the term when that column
    would be too narrow; SYNOPSIS and EXAMPLES, and lines that were not filled
    (lists, sample output), stay line for line.
    """
    length = max(20, cols - 2)
    lines = text.rstrip("\n").split("\n")
    out: list[str] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line or not line[0].isspace():
            section = line.strip() or section
            out.append(line)
            i += 1
            continue
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        i += 1
        gap = GAP.search(body)
        if section in VERBATIM:
            out += _fold(line, indent, length)
        elif gap:
            column = indent + gap.end(1)
            parts = [body[gap.end(1) :]]
            while i < len(lines) and _indent(lines[i]) == column and not GAP.search(lines[i]):
                parts.append(lines[i].strip())
                i += 1
            term = " " * indent + body[: gap.start(1)]
            if length - column >= 20:
                out += _fill(" ".join(parts), term.ljust(column), " " * column, length)
            else:
                out.append(term)
                out += _fill(" ".join(parts), " " * (indent + 4), " " * (indent + 4), length)
        else:
            block = [line]
            while i < len(lines) and _indent(lines[i]) == indent and not GAP.search(lines[i]):
                block.append(lines[i].rstrip())
                i += 1
            if all(len(b) >= FILLED for b in block[:-1]) and len(block) > 1:
                pad = " " * indent
                out += _fill(" ".join(b.strip() for b in block), pad, pad, length)
            else:
                for b in block:
                    out += _fold(b, indent, length)
    return "\n".join(out)


def _indent(line: str) -> int:
    """How far ``line`` is indented (-1 for a blank line)."""
    return len(line) - len(line.lstrip()) if line.strip() else -1


def frame(name: str, section: str, text: str, cols: int, bold: bool, release: str) -> str:
    """The page between its header and footer, laid out for ``cols`` columns,
    headings bold for a terminal."""
    title = f"{name.upper()}({section})"
    middle = "libk Manual"
    gap = max(1, cols - 2 * len(title) - len(middle))
    left = gap // 2
    header = f"{title}{' ' * left}{middle}{' ' * (gap - left)}{title}"
    source = f"libk {release}"
    footer = f"{source}{' ' * max(1, cols - len(source) - len(title))}{title}"
    lines = []
    for line in layout(text, cols).split("\n"):
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
    opts = await text.options("man", argv, "afkw", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
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
    terminal = await is_terminal(1)
    env = await sys.environ()
    cols = await width(env, terminal)
    release = (await sys.uname()).release
    pager = None if opts.has("w") or not terminal else await start_pager(env)
    out = kio.Output(pager[1] if pager else 1)
    try:
        return await show_pages(words, section, opts.has("a"), opts.has("w"), out, cols, release)
    except Error as err:
        if pager is None or err.errno != EPIPE:
            raise
        return 0  # the pager was quit before the end
    finally:
        if pager is not None:
            await finish_pager(*pager)


async def show_pages(
    words: list[str],
    section: str | None,
    every: bool,
    where: bool,
    out: kio.Output,
    cols: int,
    release: str,
) -> int:
    """Write each page called one of ``words`` to ``out`` (or where it is, with -w)."""
    bold = await is_terminal(1)
    status = 0
    for name in words:
        pages = await find_pages(name, section, every)
        if not pages:
            await out.flush()
            place = f" in section {section}" if section else ""
            await kio.write_all(2, f"No manual entry for {name}{place}\n")
            status = NOT_FOUND
            continue
        for path, sec in pages:
            if where:
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


async def start_pager(env: dict[str, str]) -> tuple[int, int] | None:
    """Start the pager reading from a pipe: ``(pid, write end)``, or None if there is
    no pager to run (the page then goes straight to the terminal)."""
    command = (env.get("MANPAGER") or env.get("PAGER") or DEFAULT_PAGER).strip()
    if command == "cat":  # nothing to page with: straight to the terminal
        return None
    if re.fullmatch(r"[\w./+-]+", command):
        path = await find_in_path(command, env.get("PATH") or "/bin:/usr/bin")
        if path is None:
            return None
        argv = [command]
    else:  # options or shell syntax: as man-db, through the shell
        path, argv = "/bin/sh", ["sh", "-c", command]
    read_end, write_end = await sys.pipe(0)
    actions = [(SPAWN_DUP2, read_end, 0), (SPAWN_CLOSE, read_end), (SPAWN_CLOSE, write_end)]
    try:
        pid = await sys.spawn(path, argv, None, None, actions, None)
    except Error:
        await sys.close(read_end)
        await sys.close(write_end)
        return None
    await sys.close(read_end)
    await sys.sigaction(SIGPIPE, SIG_IGN)  # a quit pager: EPIPE, not death
    return pid, write_end


async def finish_pager(pid: int, write_end: int) -> None:
    """End of the pages: close the pipe and wait for the pager to end."""
    try:
        await sys.close(write_end)
    except Error:
        pass
    await sys.wait4(pid, 0)


async def find_in_path(name: str, path: str) -> str | None:
    """Where ``name`` is (a path with a slash as it is), or None."""
    candidates = [name] if "/" in name else [f"{d or '.'}/{name}" for d in path.split(":")]
    for candidate in candidates:
        try:
            await sys.stat(candidate)
        except Error:
            continue
        return candidate
    return None
