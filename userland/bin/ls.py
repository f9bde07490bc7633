"""``ls [-aAdlF1RhtSrinC] [file…]``: list directory contents.

Long listings show real permission strings, link counts, owners, sizes and
modification times from the machine's virtual clock, in GNU's formats. Output to a
terminal is in columns as wide as the terminal (TIOCGWINSZ); to anything else, one
name per line. Exit status: 0, 1 for a minor problem (a subdirectory that cannot be
read), 2 for a serious one (an operand that cannot be accessed).
"""

from __future__ import annotations

from kernel.abi import (
    CLOCK_REALTIME,
    S_IFMT,
    S_ISDIR,
    S_ISLNK,
    TIOCGWINSZ,
    Error,
    Stat,
)
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.fmt import (
    boot_epoch_ns,
    dev_major,
    dev_minor,
    human_size,
    ls_date,
    mode_string,
    wall_time,
)
from userland.libk.users import group_names, user_names
from userland.libk.walk import join, listdir

__all__ = ["main", "mode_string", "indicator"]

USAGE = """Usage: ls [OPTION]... [FILE]...
List information about the FILEs (the current directory by default).
Sort entries alphabetically unless -t or -S is given.

  -a, --all                  do not ignore entries starting with .
  -A, --almost-all           do not list implied . and ..
  -C                         list entries by columns
  -d, --directory            list directories themselves, not their contents
  -F, --classify             append indicator (one of */=@|) to entries
  -h, --human-readable       with -l, print sizes like 1K 234M 2G
  -i, --inode                print the index number of each file
  -l                         use a long listing format
  -n, --numeric-uid-gid      like -l, but list numeric user and group IDs
  -r, --reverse              reverse order while sorting
  -R, --recursive            list subdirectories recursively
  -S                         sort by file size, largest first
  -t                         sort by modification time, newest first
  -1                         list one file per line
      --help                 display this help and exit

Exit status:
 0  if OK,
 1  if minor problems (e.g., cannot access subdirectory),
 2  if serious trouble (e.g., cannot access command-line argument).
"""

LONG = {
    "all": "a",
    "almost-all": "A",
    "directory": "d",
    "classify": "F",
    "recursive": "R",
    "human-readable": "h",
    "inode": "i",
    "numeric-uid-gid": "n",
    "reverse": "r",
}


def indicator(st: Stat) -> str:
    """The -F suffix: ``/`` directory, ``@`` link, ``|`` FIFO, ``=`` socket, ``*`` executable."""
    mode = st.st_mode
    kind = mode & S_IFMT
    if kind == 0o040000:
        return "/"
    if kind == 0o120000:
        return "@"
    if kind == 0o010000:
        return "|"
    if kind == 0o140000:
        return "="
    if kind == 0o100000 and mode & 0o111:
        return "*"
    return ""


class Lister:
    """One run of ls: the options, the output, and what it has learnt (names, status)."""

    def __init__(self, opts: args.Options, out: kio.Output, width: int | None) -> None:
        self.opts = opts
        self.out = out
        self.width = width
        self.long = opts.has("l") or opts.has("n")
        self.numeric = opts.has("n")
        self.classify = opts.has("F")
        self.human = opts.has("h")
        self.inode = opts.has("i")
        # The last of -1 / -C / -l wins, as in GNU ls.
        self.columns_mode = width is not None
        for flag, _ in opts.seen:
            if flag in ("1", "l", "n"):
                self.columns_mode = False
            elif flag == "C":
                self.columns_mode = True
        self.epoch = 0
        self.now_ns = 0
        self.users: dict[int, str] = {}
        self.groups: dict[int, str] = {}
        self.status = 0

    async def setup(self) -> None:
        """Read the clock and, for long listings, the user and group names."""
        self.epoch = await boot_epoch_ns()
        self.now_ns = await sys.clock_gettime(CLOCK_REALTIME)
        if self.long and not self.numeric:
            self.users = await user_names()
            self.groups = await group_names()

    def sort(self, items: list[tuple[str, Stat]]) -> list[tuple[str, Stat]]:
        """Order entries by name, or by -t / -S, reversed by -r."""
        items = sorted(items, key=lambda it: it[0].encode())
        last = None
        for flag, _ in self.opts.seen:
            if flag in ("t", "S"):
                last = flag
        if last == "t":
            items.sort(key=lambda it: -it[1].st_mtime_ns)
        elif last == "S":
            items.sort(key=lambda it: -it[1].st_size)
        if self.opts.has("r"):
            items.reverse()
        return items

    async def entries(self, path: str) -> list[tuple[str, Stat]]:
        """The entries of a directory that the options let through, with their lstat.

        Raises:
            Error: the directory cannot be read.
        """
        names = await listdir(path)
        if self.opts.has("a"):
            names = [".", "..", *names]
        elif not self.opts.has("A"):
            names = [n for n in names if not n.startswith(".")]
        out = []
        for i, name in enumerate(names):
            if i % 200 == 199:
                await sys.checkpoint()
            try:
                st = await sys.lstat(join(path, name))
            except Error as err:
                await self.out.flush()
                await kio.warn("ls", f"cannot access '{join(path, name)}': {err.message}")
                self.status = max(self.status, 1)
                continue
            out.append((name, st))
        return self.sort(out)

    def size_field(self, st: Stat) -> str:
        kind = st.st_mode & S_IFMT
        if kind in (0o020000, 0o060000):
            return f"{dev_major(st.st_rdev)}, {dev_minor(st.st_rdev)}"
        return human_size(st.st_size) if self.human else str(st.st_size)

    async def label(self, name: str, st: Stat, base: str) -> str:
        """The name column of a long listing: ``name``, ``name/`` or ``link -> target``."""
        if not S_ISLNK(st.st_mode):
            return name + (indicator(st) if self.classify else "")
        path = join(base, name) if base else name
        try:
            target = await sys.readlink(path)
        except Error:
            return name
        suffix = ""
        if self.classify:
            try:
                suffix = indicator(await sys.stat(path))
            except Error:
                suffix = ""
        return f"{name} -> {target}{suffix}"

    async def show(self, items: list[tuple[str, Stat]], base: str, *, total: bool) -> None:
        """Print one group of entries (a directory's, or the file operands')."""
        if self.long:
            await self.show_long(items, base, total=total)
            return
        names = []
        for name, st in items:
            text = name + (indicator(st) if self.classify else "")
            if self.inode:
                text = f"{st.st_ino} {text}"
            names.append(text)
        if not self.columns_mode or not names:
            for n in names:
                await self.out.line(n)
            return
        await self.columns(names)

    async def show_long(self, items: list[tuple[str, Stat]], base: str, *, total: bool) -> None:
        if total:
            blocks = sum(st.st_blocks for _, st in items)
            kib = -(-blocks // 2)
            await self.out.line(f"total {human_size(kib * 1024) if self.human else kib}")
        rows = []
        for name, st in items:
            row = [
                mode_string(st.st_mode),
                str(st.st_nlink),
                str(st.st_uid) if self.numeric else self.users.get(st.st_uid, str(st.st_uid)),
                str(st.st_gid) if self.numeric else self.groups.get(st.st_gid, str(st.st_gid)),
                self.size_field(st),
                ls_date(wall_time(self.epoch + st.st_mtime_ns), wall_time(self.now_ns)),
                await self.label(name, st, base),
                str(st.st_ino),
            ]
            rows.append(row)
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(8)]
        for r in rows:
            ino = f"{r[7]:>{widths[7]}} " if self.inode else ""
            await self.out.line(
                f"{ino}{r[0]} {r[1]:>{widths[1]}} {r[2]:<{widths[2]}} "
                f"{r[3]:<{widths[3]}} {r[4]:>{widths[4]}} {r[5]} {r[6]}"
            )

    async def columns(self, names: list[str]) -> None:
        """Down-then-across columns, as GNU ls prints to a terminal."""
        width = self.width or 80
        for ncols in range(min(len(names), max(1, width // 3)), 0, -1):
            nrows = -(-len(names) // ncols)
            cols = [names[i * nrows : (i + 1) * nrows] for i in range(ncols)]
            cols = [c for c in cols if c]
            widths = [max(len(n) for n in c) + 2 for c in cols]
            if sum(widths) - 2 < width or len(cols) == 1:
                for r in range(nrows):
                    parts = []
                    for ci, col in enumerate(cols):
                        if r < len(col):
                            last = ci == len(cols) - 1 or r >= len(cols[ci + 1])
                            parts.append(col[r] if last else col[r].ljust(widths[ci]))
                    await self.out.line("".join(parts))
                return

    async def list_dir(self, path: str, *, header: bool, first: bool, top: bool) -> None:
        """List one directory (and, with -R, the ones below it)."""
        try:
            items = await self.entries(path)
        except Error as err:
            await self.out.flush()
            await kio.warn("ls", f"cannot open directory '{path}': {err.message}")
            self.status = 2 if top else max(self.status, 1)
            return
        if header:
            await self.out.line(("" if first else "\n") + f"{path}:")
        await self.show(items, path, total=True)
        if self.opts.has("R"):
            for name, st in items:
                if S_ISDIR(st.st_mode) and name not in (".", ".."):
                    await self.list_dir(join(path, name), header=True, first=False, top=False)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("ls", argv, "aAdlF1RhtSrinC", USAGE, status=2, long=LONG)
    if isinstance(opts, int):
        return opts
    try:
        ws = await sys.ioctl(1, TIOCGWINSZ)
        width: int | None = ws.cols or 80
    except Error:
        width = None
    out = kio.Output(1)
    ls = Lister(opts, out, width)
    await ls.setup()
    # Without -l, -d or -F, a command-line link to a directory lists the directory.
    follow_links = not (ls.long or opts.has("d") or ls.classify)
    targets = opts.operands or ["."]
    files: list[tuple[str, Stat]] = []
    dirs: list[tuple[str, Stat]] = []
    for t in targets:
        try:
            st = await sys.lstat(t)
            if follow_links and S_ISLNK(st.st_mode):
                try:
                    st = await sys.stat(t)
                except Error:
                    pass
        except Error as err:
            await out.flush()
            await kio.warn("ls", f"cannot access '{t}': {err.message}")
            ls.status = 2
            continue
        if S_ISDIR(st.st_mode) and not opts.has("d"):
            dirs.append((t, st))
        else:
            files.append((t, st))
    if files:
        await ls.show(ls.sort(files), "", total=False)
    multiple = len(targets) > 1 or opts.has("R")
    first = not files
    for d, _ in ls.sort(dirs):
        await ls.list_dir(d, header=multiple, first=first, top=True)
        first = False
    await out.flush()
    return ls.status
