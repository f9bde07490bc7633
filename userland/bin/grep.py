"""``grep [-EFGHhiLlnoqrsvwxc] [-A N] [-B N] [-C N] [-e PAT]… [-f FILE] [-m N] PATTERNS
[file…]``: print lines that match patterns (``egrep`` and ``fgrep`` are ``grep -E`` and
``grep -F``, with GNU's obsolescence warning).

``-A``/``-B``/``-C`` print lines of context around the selected ones, with ``-`` after the
file name and line number instead of ``:`` and a ``--`` line between groups that are not
adjacent, as GNU grep does.

Patterns are POSIX basic expressions by default (``-E`` extended, ``-F`` fixed
strings), translated to Python's ``re`` by :mod:`userland.libk.text`; where a pattern
has alternatives the longest match at the leftmost position wins, as POSIX asks.
Exit status: 0 a line was selected, 1 none, 2 an error (unless ``-q`` found a match).
"""

from __future__ import annotations

import re
from collections import deque

from kernel.abi import O_DIRECTORY, O_RDONLY, S_ISDIR, S_ISLNK, Error
from userland.libk import args, sys, text
from userland.libk import io as kio

USAGE = """Usage: grep [OPTION]... PATTERNS [FILE]...
Search for PATTERNS in each FILE.
Example: grep -i 'hello world' menu.h main.c
PATTERNS can contain multiple patterns separated by newlines.

Pattern selection and interpretation:
  -E, --extended-regexp     PATTERNS are extended regular expressions
  -F, --fixed-strings       PATTERNS are strings
  -G, --basic-regexp        PATTERNS are basic regular expressions
  -e, --regexp=PATTERNS     use PATTERNS for matching
  -f, --file=FILE           take PATTERNS from FILE
  -i, --ignore-case         ignore case distinctions in patterns and data
  -w, --word-regexp         match only whole words
  -x, --line-regexp         match only whole lines

Miscellaneous:
  -s, --no-messages         suppress error messages
  -v, --invert-match        select non-matching lines
      --help                display this help text and exit

Output control:
  -m, --max-count=NUM       stop after NUM selected lines
  -n, --line-number         print line number with output lines
  -H, --with-filename       print file name with output lines
  -h, --no-filename         suppress the file name prefix on output
  -o, --only-matching       show only nonempty parts of lines that match
  -q, --quiet, --silent     suppress all normal output
  -r, --recursive           search directories recursively
  -R, --dereference-recursive  likewise, but follow all symlinks
  -L, --files-without-match  print only names of FILEs with no selected lines
  -l, --files-with-matches  print only names of FILEs with selected lines
  -c, --count               print only a count of selected lines per FILE
  -a, --text                equivalent to --binary-files=text

Context control:
  -B, --before-context=NUM  print NUM lines of leading context
  -A, --after-context=NUM   print NUM lines of trailing context
  -C, --context=NUM         print NUM lines of output context
  -NUM                      same as --context=NUM

When FILE is '-', read standard input.  With no FILE, read '.' if
recursive, '-' otherwise.  With fewer than two FILEs, assume -h.
Exit status is 0 if any line is selected, 1 otherwise;
if any error occurs and -q is not given, the exit status is 2.
"""

SHORT_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information."

LONG = {
    "extended-regexp": "E",
    "fixed-strings": "F",
    "basic-regexp": "G",
    "regexp": "e",
    "file": "f",
    "ignore-case": "i",
    "word-regexp": "w",
    "line-regexp": "x",
    "no-messages": "s",
    "invert-match": "v",
    "max-count": "m",
    "line-number": "n",
    "with-filename": "H",
    "no-filename": "h",
    "only-matching": "o",
    "quiet": "q",
    "silent": "q",
    "recursive": "r",
    "dereference-recursive": "R",
    "files-without-match": "L",
    "files-with-matches": "l",
    "count": "c",
    "text": "a",
    "before-context": "B",
    "after-context": "A",
    "context": "C",
}

_WORD = re.compile(rb"\w")


class Matcher:
    """The compiled patterns: does a line match, and where (leftmost-longest)."""

    def __init__(self, patterns: list[bytes], mode: str, icase: bool, word: bool, whole: bool):
        flags = re.IGNORECASE if icase else 0
        if mode == "F":
            sources = [re.escape(p) for p in patterns]
        else:
            sources = [text.translate(p, mode == "E") for p in patterns]
        backrefs = any(re.search(rb"\\[1-9]", s) for s in sources)
        if len(sources) > 1 and not backrefs:
            sources = [b"|".join(b"(?:" + s + b")" for s in sources)]
        self.word, self.whole = word, whole
        self.regexes = []
        self.cores = []
        for s in sources:
            core = re.compile(s, flags)
            if whole:
                wrapped = b"^(?:" + s + b")$"
            elif word:
                wrapped = rb"(?<!\w)(?:" + s + rb")(?!\w)"
            else:
                wrapped = s
            self.regexes.append(re.compile(wrapped, flags))
            self.cores.append(core)
        self.alternatives = len(patterns) > 1 or any(b"|" in s for s in sources)
        self.empty = any(not p for p in patterns)

    def matches(self, line: bytes) -> bool:
        """Does the line (without its newline) match?"""
        return any(r.search(line) for r in self.regexes)

    def spans(self, line: bytes) -> list[tuple[int, int]]:
        """The non-empty matches of ``-o``, left to right."""
        out = []
        pos = 0
        while pos <= len(line):
            best: tuple[int, int] | None = None
            for rx, core in zip(self.regexes, self.cores, strict=True):
                m = rx.search(line, pos)
                if m is None:
                    continue
                s, e = m.span()
                if self.alternatives and not self.whole:
                    e = self._longest(core, line, s, e)
                if best is None or s < best[0] or (s == best[0] and e > best[1]):
                    best = (s, e)
            if best is None:
                break
            s, e = best
            if e > s:
                out.append(best)
                pos = e
            else:
                pos = s + 1
        return out

    def _longest(self, core: re.Pattern, line: bytes, s: int, e: int) -> int:
        for end in range(len(line), e, -1):
            if self.word and end < len(line) and _WORD.match(line, end):
                continue
            if core.fullmatch(line, s, end):
                return end
        return e


class Grep:
    """One run: options, output, status."""

    def __init__(
        self, opts: args.Options, matcher: Matcher, with_names: bool, context: tuple[int, int]
    ) -> None:
        self.m = matcher
        self.invert = opts.has("v")
        self.count = opts.has("c")
        self.list_match = opts.has("l")
        self.list_nomatch = opts.has("L")
        self.quiet = opts.has("q")
        self.only = opts.has("o")
        self.numbers = opts.has("n")
        self.silent = opts.has("s")
        self.text = opts.has("a")
        self.recursive = opts.has("r") or opts.has("R")
        self.follow = opts.has("R")
        max_count = opts.value("m")
        self.max_count = int(max_count) if max_count is not None else -1
        self.with_names = with_names
        self.before, self.after = context
        self.printed_any = False
        self.out = kio.Output(1, 65536)
        self.matched = False
        self.error = False

    async def warn(self, message: str) -> None:
        """An error message (unless -s) that makes the status 2."""
        self.error = True
        if not self.silent:
            await self.out.flush()
            await kio.warn("grep", message)

    async def search_fd(self, fd: int, name: str) -> bool:
        """Search one open input; True when -q may stop now."""
        selected = 0
        lineno = 0
        binary = None
        prefix = (name + ":").encode() if self.with_names else b""
        plain = not (self.count or self.list_match or self.list_nomatch or self.quiet)
        out = self.out
        stop = self.max_count == 0
        context = plain and (self.before or self.after)
        held: deque[tuple[int, bytes]] = deque(maxlen=self.before or 1)
        last = 0  # the number of the last line printed in this file
        trailing = 0  # lines of trailing context still to print
        cprefix = (name + "-").encode() if self.with_names else b""
        async for batch in text.line_batches(fd):
            if stop and not trailing:
                break
            if binary is None:
                binary = not self.text and b"\0" in batch[0]
            for line in batch:
                lineno += 1
                body = line[:-1] if line.endswith(b"\n") else line
                if stop or self.m.matches(body) == self.invert:
                    if context and not binary:
                        if trailing:
                            trailing -= 1
                            last = lineno
                            if not self.only:  # -o shows no context, only the "--"
                                num = f"{lineno}-".encode() if self.numbers else b""
                                await out.write(cprefix + num + body + b"\n")
                        elif self.before:
                            held.append((lineno, body))
                        if stop and not trailing:
                            break
                    continue
                selected += 1
                if self.quiet:
                    self.matched = True
                    return True
                if self.list_match or self.list_nomatch:
                    stop = True
                    break
                if plain and binary:
                    await out.flush()
                    await kio.warn("grep", f"{name}: binary file matches")
                    stop = True
                    break
                if context:
                    first = held[0][0] if held else lineno
                    if self.printed_any and (last == 0 or first > last + 1):
                        await out.write(b"--\n")
                    for n, held_body in held if not self.only else ():
                        num = f"{n}-".encode() if self.numbers else b""
                        await out.write(cprefix + num + held_body + b"\n")
                    held.clear()
                    trailing = self.after
                    last = lineno
                    self.printed_any = True
                if plain:
                    num = f"{lineno}:".encode() if self.numbers else b""
                    if self.only:
                        if not self.invert:
                            for s, e in self.m.spans(body):
                                await out.write(prefix + num + body[s:e] + b"\n")
                    else:
                        await out.write(prefix + num + body + b"\n")
                if selected == self.max_count:
                    stop = True
                    if not trailing:
                        break
        if selected:
            self.matched = True
        if self.count:
            await out.write(prefix + f"{selected}\n".encode())
        if (self.list_match and selected) or (self.list_nomatch and not selected):
            await out.write(name.encode() + b"\n")
        return False

    async def search(self, path: str, shown: str, top: bool) -> bool:
        """Search a file operand (or, with -r, a tree); True when -q may stop now."""
        if path == "-":
            return await self.search_fd(0, "(standard input)")
        try:
            st = await (sys.stat(path) if top or self.follow else sys.lstat(path))
        except Error as err:
            await self.warn(f"{shown}: {err.message}")
            return False
        if S_ISLNK(st.st_mode):
            return False
        if S_ISDIR(st.st_mode):
            if not self.recursive:
                await self.warn(f"{shown}: Is a directory")
                return False
            return await self.walk(path, shown)
        try:
            fd = await sys.open(path, O_RDONLY)
        except Error as err:
            await self.warn(f"{shown}: {err.message}")
            return False
        try:
            return await self.search_fd(fd, shown)
        except Error as err:
            await self.warn(f"{shown}: {err.message}")
            return False
        finally:
            await sys.close(fd)

    async def walk(self, path: str, shown: str) -> bool:
        """Search every file under a directory, in name order."""
        try:
            fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
        except Error as err:
            await self.warn(f"{shown}: {err.message}")
            return False
        names: list[str] = []
        try:
            while batch := await sys.getdents(fd):
                names.extend(d.d_name for d in batch if d.d_name not in (".", ".."))
        finally:
            await sys.close(fd)
        for name in sorted(names):
            child = f"{path.rstrip('/')}/{name}"
            child_shown = name if shown == "" else f"{shown.rstrip('/')}/{name}"
            if await self.search(child, child_shown, False):
                return True
        return False


def _context_digits(argv: list[str]) -> list[str]:
    """GNU's ``-NUM`` (``-C NUM``), also inside a cluster like ``-n2``: as ``-C NUM``."""
    out = [argv[0]]
    for i, a in enumerate(argv[1:], 1):
        if a == "--":
            return out + argv[i:]
        if a.startswith("-") and not a.startswith("--") and len(a) > 1:
            letters = a[1:]
            digits = "".join(c for c in letters if c.isdigit())
            rest = "".join(c for c in letters if not c.isdigit())
            if digits and (letters.isdigit() or not any(c in "efmABC" for c in rest)):
                out.append("-C" + digits)
                if rest:
                    out.append("-" + rest)
                continue
        out.append(a)
    return out


def _context_value(opts: args.Options, flag: str) -> int | None:
    value = opts.value(flag)
    if value is None:
        return None
    if not value.isdigit():
        raise args.UsageError(f"{value}: invalid context length argument")
    return int(value)


async def main(argv: list[str]) -> int:
    """Entry point."""
    argv = [a for a in argv if not a.startswith(("--color", "--colour"))]
    called = argv[0].rsplit("/", 1)[-1] if argv else "grep"
    if called in ("egrep", "fgrep"):
        mode_flag = "-E" if called == "egrep" else "-F"
        await kio.warn(called, f"warning: {called} is obsolescent; using grep {mode_flag}")
        argv = ["grep", mode_flag, *argv[1:]]
    argv = _context_digits(argv)
    try:
        opts = args.getopt(argv, "EFGe:f:iywxsvm:nHhoqrRLlcaA:B:C:", long=LONG)
        ctx = _context_value(opts, "C")
        before = _context_value(opts, "B")
        after = _context_value(opts, "A")
    except args.UsageError as err:
        if str(err).endswith("invalid context length argument"):
            await kio.warn("grep", str(err))
            return 2
        await kio.warn("grep", f"{err}\n{SHORT_USAGE}")
        return 2
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    operands = list(opts.operands)
    patterns: list[bytes] = []
    given = False
    for flag, value in opts.seen:
        if flag == "e":
            given = True
            patterns.extend((value or "").encode().split(b"\n"))
        elif flag == "f":
            given = True
            data = await text.read_input("grep", value or "")
            if data is None:
                return 2
            patterns.extend(text.split_lines(data))
    if not given:
        if not operands:
            await kio.write_all(2, SHORT_USAGE + "\n")
            return 2
        patterns = operands.pop(0).encode().split(b"\n")
    max_count = opts.value("m")
    if max_count is not None and not max_count.lstrip("-").isdigit():
        await kio.warn("grep", "invalid max count")
        return 2
    mode = "G"
    for flag, _ in opts.seen:
        if flag in "EFG":
            mode = flag
    icase = opts.has("i") or opts.has("y")
    try:
        matcher = Matcher(patterns, mode, icase, opts.has("w"), opts.has("x"))
    except (text.RegexError, re.error) as err:
        await kio.warn("grep", str(err))
        return 2
    recursive = opts.has("r") or opts.has("R")
    files = operands or (["."] if recursive else ["-"])
    with_names = len(files) > 1 or recursive
    for flag, _ in opts.seen:
        if flag in "Hh":
            with_names = flag == "H"
    context = (ctx or 0 if before is None else before, ctx or 0 if after is None else after)
    g = Grep(opts, matcher, with_names, context)
    try:
        for name in files:
            shown = "" if recursive and not operands else name
            if await g.search(name, shown, True):
                break
            await sys.checkpoint()
        await g.out.flush()
    except Error as err:
        await kio.warn("grep", f"write error: {err.message}")
        return 2
    if g.quiet and g.matched:
        return 0
    if g.error:
        return 2
    return 0 if g.matched else 1
