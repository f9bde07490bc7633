"""The shell's command history: ``history`` (as bash has it) and POSIX ``fc -l``/``fc -s``.

An interactive shell records each command line it reads (:func:`record`, called once
per complete command from the command loop, before the command runs, so ``history``
lists itself as bash does). The list is kept in the shell's memory, numbered from 1
for the whole session, at most ``$HISTSIZE`` lines (500 by default). If ``$HISTFILE``
is set, or else ``~/.sh_history`` can be written, lines are also appended to that file,
and a new shell starts with the lines it holds. ``$HISTCONTROL`` as in bash:
``ignorespace``, ``ignoredups``, ``ignoreboth``.

``history [n]`` lists the last n lines (all without n) as ``%5d  line``; ``history -c``
clears the list; ``history -d offset`` deletes one line. ``fc -l [-nr] [first [last]]``
lists (the last 16 by default; a number, a negative offset, or the start of a
command); ``fc -s [old=new] [first]`` runs a line again, after one substitution.
There is no editor on the machine, so ``fc`` without ``-l`` or ``-s`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kernel.abi import O_APPEND, O_CREAT, O_WRONLY, Error
from userland.libk import io as kio
from userland.libk import sys

if TYPE_CHECKING:
    from userland.sh.interp import IO, Shell

HISTSIZE = 500
HISTFILE = ".sh_history"
FC_DEFAULT = 16
HISTORY_USAGE = "history: usage: history [-c] [-d offset] [n]\n"
FC_USAGE = "fc: usage: fc [-nr] -l [first [last]] | fc -s [old=new] [first]\n"


@dataclass(slots=True)
class History:
    """A shell's history list.

    Attributes:
        lines: the kept lines, oldest first.
        base: the number of the first kept line (lines dropped for $HISTSIZE are gone,
            the numbers of the others stay).
        loaded: the history file was read (once, at the first line recorded).
    """

    lines: list[str] = field(default_factory=list)
    base: int = 1
    loaded: bool = False

    def add(self, line: str, size: int) -> None:
        """Append ``line``, dropping the oldest beyond ``size``."""
        self.lines.append(line)
        extra = len(self.lines) - max(0, size)
        if extra > 0:
            del self.lines[:extra]
            self.base += extra

    def numbered(self) -> list[tuple[int, str]]:
        """``(number, line)`` for each kept line."""
        return [(self.base + i, line) for i, line in enumerate(self.lines)]


def history_of(sh: Shell) -> History:
    """The shell's history (kept on the shell object, made on first use)."""
    hist = vars(sh).get("history")
    if not isinstance(hist, History):
        hist = History()
        vars(sh)["history"] = hist
    return hist


def _size(sh: Shell) -> int:
    text = sh.get("HISTSIZE")
    if text is not None and text.strip().isdigit():
        return int(text)
    return HISTSIZE


def _file(sh: Shell) -> str | None:
    path = sh.get("HISTFILE")
    if path is not None:
        return sh.abspath(path) if path else None
    home = sh.get("HOME")
    return sh.abspath(home.rstrip("/") + "/" + HISTFILE) if home else None


async def record(sh: Shell, text: str) -> None:
    """Add a command line the user typed (one complete command, maybe several lines)."""
    hist = history_of(sh)
    path = _file(sh)
    if not hist.loaded:
        hist.loaded = True
        if path:
            try:
                old = (await kio.read_file(path)).decode(errors="replace")
            except Error:
                old = ""
            for ln in old.splitlines():
                if ln.strip():
                    hist.add(ln, _size(sh))
    line = text.rstrip("\n")
    control = (sh.get("HISTCONTROL") or "").split(":")
    if not line.strip():
        return
    if line[0] in " \t" and ("ignorespace" in control or "ignoreboth" in control):
        return
    dups = "ignoredups" in control or "ignoreboth" in control
    if dups and hist.lines and hist.lines[-1] == line:
        return
    hist.add(line, _size(sh))
    if path:
        try:
            fd = await sys.open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        except Error:
            return
        try:
            await kio.write_all(fd, line.encode() + b"\n")
        except Error:
            pass
        finally:
            await sys.close(fd)


async def b_history(sh: Shell, argv: list[str], io: IO) -> int:
    """``history [n]``, ``history -c``, ``history -d offset``."""
    hist = history_of(sh)
    args = argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    elif args and args[0].startswith("-") and args[0] != "-":
        opt = args.pop(0)
        if opt == "-c" and not args:
            hist.lines.clear()
            return 0
        if opt == "-d" and len(args) == 1:
            num = args[0]
            index = -1
            if num.isdigit():
                index = int(num) - hist.base
            elif num.startswith("-") and num[1:].isdigit():
                index = len(hist.lines) + int(num)
            if not 0 <= index < len(hist.lines):
                message = f"{sh.name}: history: {num}: history position out of range\n"
                await sh.write(io, 2, message)
                return 1
            del hist.lines[index]
            return 0
        if opt not in ("-c", "-d"):
            await sh.write(io, 2, f"{sh.name}: history: {opt}: invalid option\n" + HISTORY_USAGE)
        else:
            await sh.write(io, 2, HISTORY_USAGE)
        return 2
    if len(args) > 1:
        await sh.write(io, 2, f"{sh.name}: history: too many arguments\n")
        return 1
    entries = hist.numbered()
    if args:
        if not args[0].isdigit():
            await sh.write(io, 2, f"{sh.name}: history: {args[0]}: numeric argument required\n")
            return 1
        count = int(args[0])
        entries = entries[len(entries) - count :] if count else []
    await sh.write(io, 1, "".join(f"{n:5d}  {line}\n" for n, line in entries))
    return 0


def _find(entries: list[tuple[int, str]], spec: str) -> int | None:
    """The index in ``entries`` that ``spec`` names: a number, -offset, or a prefix."""
    if spec.lstrip("-").isdigit() and spec not in ("-", ""):
        n = int(spec)
        if n < 0:
            return len(entries) + n if -n <= len(entries) else None
        numbers = [num for num, _ in entries]
        if not numbers:
            return None
        n = min(max(n, numbers[0]), numbers[-1])  # out of range: the nearest end
        return numbers.index(n)
    for i in range(len(entries) - 1, -1, -1):
        if entries[i][1].startswith(spec):
            return i
    return None


async def b_fc(sh: Shell, argv: list[str], io: IO) -> int:
    """``fc -l [-nr] [first [last]]`` and ``fc -s [old=new] [first]``."""
    from userland.sh.builtins import run_source

    hist = history_of(sh)
    args = argv[1:]
    flags = set()
    while args and args[0].startswith("-") and len(args[0]) > 1 and not args[0][1].isdigit():
        opt = args.pop(0)
        if opt == "--":
            break
        for c in opt[1:]:
            if c not in "lnrs":
                await sh.write(io, 2, f"{sh.name}: fc: -{c}: invalid option\n" + FC_USAGE)
                return 2
            flags.add(c)
    # The fc command itself was recorded as it was typed: it is not one of the choices.
    entries = hist.numbered()[:-1] if sh.interactive else hist.numbered()
    if "s" in flags:
        sub = args.pop(0) if args and "=" in args[0] else None
        index = _find(entries, args[0]) if args else len(entries) - 1
        if index is None or index < 0:
            await sh.write(io, 2, f"{sh.name}: fc: no command found\n")
            return 1
        line = entries[index][1]
        if sub is not None:
            old, _, new = sub.partition("=")
            line = line.replace(old, new, 1) if old else line
        if sh.interactive and hist.lines:
            hist.lines[-1] = line  # POSIX: the command run replaces fc in the history
        await sh.write(io, 2, line + "\n")
        return await run_source(sh, line + "\n", io)
    if "l" not in flags:
        await sh.write(io, 2, f"{sh.name}: fc: no editor on this system; use fc -l or fc -s\n")
        return 1
    if not entries:
        return 0
    if len(args) > 2:
        await sh.write(io, 2, FC_USAGE)
        return 2
    first = _find(entries, args[0]) if args else max(0, len(entries) - FC_DEFAULT)
    last = _find(entries, args[1]) if len(args) > 1 else len(entries) - 1
    if first is None or last is None:
        await sh.write(io, 2, f"{sh.name}: fc: history specification out of range\n")
        return 1
    reverse = "r" in flags
    if first > last:
        first, last, reverse = last, first, not reverse
    chosen = entries[first : last + 1]
    if reverse:
        chosen.reverse()
    if "n" in flags:
        out = "".join(f"\t{line}\n" for _, line in chosen)
    else:
        out = "".join(f"{n}\t{line}\n" for n, line in chosen)
    await sh.write(io, 1, out)
    return 0


HISTORY_BUILTINS = {"history": b_history, "fc": b_fc}
