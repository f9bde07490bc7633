"""``ls [-laA1dFR] [file…]``: list directory contents.

Long listings show real permission strings, link counts, owners and modification times
from the machine's virtual clock. Output to a terminal is in columns; to anything else,
one name per line.
"""

from __future__ import annotations

import datetime

from kernel.abi import (
    CLOCK_MONOTONIC,
    CLOCK_REALTIME,
    O_DIRECTORY,
    O_RDONLY,
    S_IFMT,
    S_ISDIR,
    S_ISLNK,
    TIOCGWINSZ,
    Error,
    Stat,
)
from userland.libk import args, sys
from userland.libk import io as kio
from userland.libk.users import group_names, user_names

USAGE = """Usage: ls [OPTION]... [FILE]...
List information about the FILEs (the current directory by default), sorted by name.
  -a  do not ignore entries starting with .
  -A  like -a, but without . and ..
  -d  list directories themselves, not their contents
  -l  use a long listing format
  -1  list one file per line
  -F  append an indicator (one of */=@|) to entries
  -R  list subdirectories recursively
"""

TYPE_CHARS = {
    0o040000: "d",
    0o120000: "l",
    0o020000: "c",
    0o060000: "b",
    0o010000: "p",
    0o140000: "s",
    0o100000: "-",
}


def mode_string(mode: int) -> str:
    """``drwxr-xr-x`` from a st_mode."""
    out = [TYPE_CHARS.get(mode & S_IFMT, "?")]
    for shift, special, char in ((6, 0o4000, "s"), (3, 0o2000, "s"), (0, 0o1000, "t")):
        bits = (mode >> shift) & 7
        out.append("r" if bits & 4 else "-")
        out.append("w" if bits & 2 else "-")
        if mode & special:
            out.append(char if bits & 1 else char.upper())
        else:
            out.append("x" if bits & 1 else "-")
    return "".join(out)


def indicator(st: Stat) -> str:
    """The -F suffix."""
    mode = st.st_mode
    if S_ISDIR(mode):
        return "/"
    if S_ISLNK(mode):
        return "@"
    if mode & S_IFMT == 0o010000:
        return "|"
    if mode & 0o111:
        return "*"
    return ""


class Lister:
    """One run of ls."""

    def __init__(
        self, opts: args.Options, out: kio.Output, width: int | None, boot_epoch_ns: int
    ) -> None:
        self.opts = opts
        self.out = out
        self.width = width
        self.epoch = boot_epoch_ns
        self.users: dict[int, str] = {}
        self.groups: dict[int, str] = {}
        self.status = 0

    def when(self, ns: int) -> str:
        """``Jan  1 00:00`` for a virtual timestamp."""
        dt = datetime.datetime.fromtimestamp((self.epoch + ns) / 1e9, tz=datetime.UTC)
        return f"{dt:%b} {dt.day:2d} {dt:%H:%M}"

    async def entries(self, path: str) -> list[tuple[str, Stat]]:
        fd = await sys.open(path, O_RDONLY | O_DIRECTORY)
        names = []
        try:
            while batch := await sys.getdents(fd):
                names.extend(d.d_name for d in batch)
        finally:
            await sys.close(fd)
        show_all, almost = self.opts.has("a"), self.opts.has("A")
        out = []
        for name in sorted(names):
            hidden = name.startswith(".") and not show_all
            if hidden and (not almost or name in (".", "..")):
                continue
            try:
                st = await sys.lstat(f"{path.rstrip('/')}/{name}" if path != "/" else "/" + name)
            except Error:
                continue
            out.append((name, st))
        return out

    async def show(self, items: list[tuple[str, Stat]], base: str) -> None:
        classify = self.opts.has("F")
        if self.opts.has("l"):
            if not self.users:
                self.users = await user_names()
                self.groups = await group_names()
            total = sum(st.st_blocks for _, st in items) // 2
            if base:
                await self.out.line(f"total {total}")
            rows = []
            for name, st in items:
                size = (
                    str(st.st_size) if not st.st_rdev else f"{st.st_rdev >> 8}, {st.st_rdev & 0xFF}"
                )
                label = name + (indicator(st) if classify else "")
                if S_ISLNK(st.st_mode):
                    try:
                        target = await sys.readlink(f"{base.rstrip('/')}/{name}" if base else name)
                        label = f"{name} -> {target}"
                    except Error:
                        pass
                rows.append(
                    (
                        mode_string(st.st_mode),
                        str(st.st_nlink),
                        self.users.get(st.st_uid, str(st.st_uid)),
                        self.groups.get(st.st_gid, str(st.st_gid)),
                        size,
                        self.when(st.st_mtime_ns),
                        label,
                    )
                )
            widths = [max((len(r[i]) for r in rows), default=0) for i in range(5)]
            for r in rows:
                await self.out.line(
                    f"{r[0]} {r[1]:>{widths[1]}} {r[2]:<{widths[2]}} "
                    f"{r[3]:<{widths[3]}} {r[4]:>{widths[4]}} {r[5]} {r[6]}"
                )
            return
        names = [n + (indicator(st) if classify else "") for n, st in items]
        if self.width is None or self.opts.has("1") or not names:
            for n in names:
                await self.out.line(n)
            return
        await self.columns(names)

    async def columns(self, names: list[str]) -> None:
        """Down-then-across columns, as GNU ls prints to a terminal."""
        width = self.width or 80
        for ncols in range(len(names), 0, -1):
            nrows = -(-len(names) // ncols)
            cols = [names[i * nrows : (i + 1) * nrows] for i in range(ncols)]
            widths = [max(len(n) for n in c) + 2 for c in cols if c]
            if sum(widths) - 2 <= width or ncols == 1:
                for r in range(nrows):
                    line = ""
                    for ci, col in enumerate(cols):
                        if r < len(col):
                            last = ci == len(cols) - 1 or r >= len(cols[ci + 1])
                            line += col[r] if last else col[r].ljust(widths[ci])
                    await self.out.line(line.rstrip())
                return


async def main(argv: list[str]) -> int:
    """Entry point."""
    try:
        opts = args.getopt(
            argv,
            "aAdlF1R",
            long={
                "all": "a",
                "almost-all": "A",
                "directory": "d",
                "classify": "F",
                "recursive": "R",
            },
        )
    except args.UsageError as err:
        await kio.warn("ls", f"{err}\nTry 'ls --help' for more information.")
        return 2
    if opts.help:
        await kio.write_all(1, USAGE)
        return 0
    try:
        ws = await sys.ioctl(1, TIOCGWINSZ)
        width: int | None = ws.cols
    except Error:
        width = None
    epoch = await sys.clock_gettime(CLOCK_REALTIME) - await sys.clock_gettime(CLOCK_MONOTONIC)
    out = kio.Output(1)
    ls = Lister(opts, out, width, epoch)
    targets = opts.operands or ["."]
    files: list[tuple[str, Stat]] = []
    dirs: list[str] = []
    for t in targets:
        try:
            st = await sys.stat(t)
        except Error as err:
            try:
                st = await sys.lstat(t)
            except Error:
                await out.flush()
                await kio.warn("ls", f"cannot access '{t}': {err.message}")
                ls.status = 2
                continue
        if S_ISDIR(st.st_mode) and not opts.has("d"):
            dirs.append(t)
        else:
            files.append((t, st))
    if files:
        await ls.show(files, "")
    queue = list(dirs)
    first = not files
    multiple = len(targets) > 1 or opts.has("R")
    while queue:
        d = queue.pop(0)
        try:
            items = await ls.entries(d)
        except Error as err:
            await out.flush()
            await kio.warn("ls", f"cannot open directory '{d}': {err.message}")
            ls.status = 2
            continue
        if multiple:
            await out.line(("" if first else "\n") + f"{d}:")
        first = False
        await ls.show(items, d)
        if opts.has("R"):
            sub = [
                f"{d.rstrip('/')}/{n}"
                for n, st in items
                if S_ISDIR(st.st_mode) and n not in (".", "..")
            ]
            queue[0:0] = sub
    await out.flush()
    return ls.status
