"""Command-line options, the getopt(3) way: ``-abc``, ``-n 5``, ``-n5``, ``--``, ``--help``.

Utilities describe their options with a getopt string (``"ab:n:"``: ``-a`` alone,
``-b`` and ``-n`` take a value) and a usage line; ``--help`` prints the usage and a
description and exits 0; a bad option prints ``prog: invalid option -- 'x'`` and the
usage hint, exit 2 (1 for the utilities whose GNU version uses 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class UsageError(Exception):
    """A bad command line; the message is what to print after ``prog: ``."""


@dataclass(slots=True)
class Options:
    """Parsed options: flags seen (in order, with values) and the operands."""

    seen: list[tuple[str, str | None]] = field(default_factory=list)
    operands: list[str] = field(default_factory=list)
    help: bool = False

    def has(self, flag: str) -> bool:
        """Was ``-flag`` given?"""
        return any(f == flag for f, _ in self.seen)

    def value(self, flag: str, default: str | None = None) -> str | None:
        """The last value given to ``-flag``."""
        for f, v in reversed(self.seen):
            if f == flag:
                return v
        return default

    def values(self, flag: str) -> list[str]:
        """Every value given to ``-flag``, in order."""
        return [v for f, v in self.seen if f == flag and v is not None]


def getopt(
    argv: list[str], spec: str, *, long: dict[str, str] | None = None, permute: bool = True
) -> Options:
    """Parse ``argv[1:]``.

    Args:
        argv: the program's argv (argv[0] is skipped).
        spec: getopt string; a letter followed by ``:`` takes a value.
        long: long option -> short flag (``{"all": "a"}``); ``--name=value`` works.
        permute: options may follow operands, as GNU tools allow.

    Raises:
        UsageError: an unknown option or a missing value.
    """
    takes = {c: i + 1 < len(spec) and spec[i + 1] == ":" for i, c in enumerate(spec) if c != ":"}
    opts = Options()
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            opts.operands.extend(args[i:])
            break
        if a == "--help":
            opts.help = True
            continue
        if a.startswith("--") and long is not None:
            name, eq, val = a[2:].partition("=")
            if name not in long:
                raise UsageError(f"unrecognized option '{a}'")
            flag = long[name]
            if takes.get(flag):
                if not eq:
                    if i >= len(args):
                        raise UsageError(f"option '--{name}' requires an argument")
                    val = args[i]
                    i += 1
                opts.seen.append((flag, val))
            else:
                opts.seen.append((flag, None))
            continue
        if a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            j = 1
            while j < len(a):
                c = a[j]
                j += 1
                if c not in takes:
                    raise UsageError(f"invalid option -- '{c}'")
                if takes[c]:
                    if j < len(a):
                        opts.seen.append((c, a[j:]))
                    elif i < len(args):
                        opts.seen.append((c, args[i]))
                        i += 1
                    else:
                        raise UsageError(f"option requires an argument -- '{c}'")
                    break
                opts.seen.append((c, None))
            continue
        if not permute:
            opts.operands.append(a)
            opts.operands.extend(args[i:])
            break
        opts.operands.append(a)
    return opts


def number(opts: Options, flag: str, default: int, lo: int, hi: int) -> int:
    """The integer value of ``-flag`` (``default`` when absent).

    Raises:
        UsageError: not a whole number from ``lo`` to ``hi``.
    """
    text = opts.value(flag)
    if text is None:
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise UsageError(f"invalid value '{text}' for -{flag} (want {lo} to {hi})")
    return int(text)
