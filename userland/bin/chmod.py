"""``chmod [-Rcfv] MODE[,MODE]… FILE…``: change file mode bits (octal or symbolic).

A mode such as ``-w`` looks like an option; as in GNU chmod, an argument made of
mode characters after a dash is taken as the mode.
"""

from __future__ import annotations

import re

from kernel.abi import S_ISDIR, S_ISLNK, Error, Stat
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import ModeError, mode_string, parse_mode
from userland.libk.walk import walk

USAGE = """Usage: chmod [OPTION]... MODE[,MODE]... FILE...
  or:  chmod [OPTION]... OCTAL-MODE FILE...
Change the mode of each FILE to MODE.

  -c, --changes          like verbose but report only when a change is made
  -f, --silent, --quiet  suppress most error messages
  -v, --verbose          output a diagnostic for every file processed
  -R, --recursive        change files and directories recursively
      --help             display this help and exit

Each MODE is of the form '[ugoa]*([-+=]([rwxXst]*|[ugo]))+|[-+=][0-7]+'.
"""

LONG = {
    "changes": "c",
    "silent": "f",
    "quiet": "f",
    "verbose": "v",
    "recursive": "R",
}
_MODE_ARG = re.compile(r"-[rwxXstugoa0-7+=,-]+")


class Changer:
    """One run of chmod: the mode, the flags, the umask, the exit status."""

    def __init__(self, spec: str, flags: set[str], umask: int) -> None:
        self.spec = spec
        self.flags = flags
        self.umask = umask
        self.status = 0

    async def error(self, message: str) -> None:
        self.status = 1
        if "f" not in self.flags:
            await kio.warn("chmod", message)

    async def change(self, path: str, st: Stat) -> None:
        old = st.st_mode & 0o7777
        new = parse_mode(self.spec, old, is_dir=S_ISDIR(st.st_mode), umask=self.umask)
        changed = new != old
        if changed:
            try:
                await sys.chmod(path, new)
            except Error as err:
                await self.error(f"changing permissions of '{path}': {err.message}")
                return
        kind = st.st_mode & ~0o7777
        if "v" in self.flags or ("c" in self.flags and changed):
            if changed:
                await kio.write_all(
                    1,
                    f"mode of '{path}' changed from {old:04o} ({mode_string(kind | old)[1:]}) "
                    f"to {new:04o} ({mode_string(kind | new)[1:]})\n",
                )
            else:
                await kio.write_all(
                    1, f"mode of '{path}' retained as {old:04o} ({mode_string(kind | old)[1:]})\n"
                )


async def main(argv: list[str]) -> int:
    """Entry point."""
    flags: set[str] = set()
    operands: list[str] = []
    mode: str | None = None
    rest = argv[1:]
    i = 0
    while i < len(rest):
        a = rest[i]
        i += 1
        if a == "--":
            tail = rest[i:]
            if mode is None and tail:
                mode, tail = tail[0], tail[1:]
            operands.extend(tail)
            break
        if a == "--help":
            await kio.write_all(1, USAGE)
            return 0
        if a.startswith("--"):
            name = a[2:]
            if name not in LONG:
                return await text.usage_error("chmod", f"unrecognized option '{a}'")
            flags.add(LONG[name])
        elif mode is None and _MODE_ARG.fullmatch(a):
            mode = a
        elif a.startswith("-") and len(a) > 1:
            for c in a[1:]:
                if c not in "cfvR":
                    return await text.usage_error("chmod", f"invalid option -- '{c}'")
                flags.add(c)
        elif mode is None:
            mode = a
        else:
            operands.append(a)
    if mode is None:
        return await text.usage_error("chmod", "missing operand")
    if not operands:
        return await text.usage_error("chmod", f"missing operand after '{mode}'")
    umask = await sys.umask(0)
    await sys.umask(umask)
    try:
        parse_mode(mode, 0o644, umask=umask)
    except ModeError:
        return await text.usage_error("chmod", f"invalid mode: '{mode}'")
    ch = Changer(mode, flags, umask)

    async def report(path: str, err: Error) -> None:
        await ch.error(f"cannot access '{path}': {err.message}")

    for path in operands:
        if "R" not in flags:
            try:
                st = await sys.stat(path)
            except Error as err:
                await report(path, err)
                continue
            await ch.change(path, st)
            continue
        async for entry in walk(path, follow_top=True, on_error=report):
            if S_ISLNK(entry.stat.st_mode):
                continue  # links met on the way are neither followed nor changed
            await ch.change(entry.path, entry.stat)
    return ch.status
