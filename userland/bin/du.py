"""``du [-sachbkm] [-d N] [--apparent-size] [FILE…]``: estimate file space usage.

Usage is counted from st_blocks (512-byte units) as GNU du counts it, in 1K blocks
by default, rounded up; a file with several hard links is counted once.
"""

from __future__ import annotations

from kernel.abi import S_ISDIR, Error
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.fmt import human_size
from userland.libk.walk import join, listdir

USAGE = """Usage: du [OPTION]... [FILE]...
Summarize device usage of the set of FILEs, recursively for directories.

  -a, --all             write counts for all files, not just directories
      --apparent-size   print apparent sizes rather than device usage
  -b, --bytes           equivalent to '--apparent-size --block-size=1'
  -c, --total           produce a grand total
  -d, --max-depth=N     print the total for a directory (or file, with --all)
                          only if it is N or fewer levels below the command
                          line argument;  --max-depth=0 is the same as
                          --summarize
  -h, --human-readable  print sizes in human readable format (e.g., 1K 234M 2G)
  -k                    like --block-size=1K
  -m                    like --block-size=1M
  -s, --summarize       display only a total for each argument
      --help            display this help and exit
"""

LONG = {
    "all": "a",
    "apparent-size": "A",
    "bytes": "b",
    "total": "c",
    "max-depth": "d",
    "human-readable": "h",
    "summarize": "s",
}


class Du:
    """One run of du: options, hard links seen, output and status."""

    def __init__(self, opts: args.Options, max_depth: int | None) -> None:
        self.all = opts.has("a")
        self.apparent = opts.has("A") or opts.has("b")
        self.max_depth = max_depth
        self.seen: set[tuple[int, int]] = set()
        self.out = kio.Output(1)
        self.status = 0
        unit = 1024
        self.human = False
        for flag, _ in opts.seen:
            if flag == "b":
                unit, self.human = 1, False
            elif flag == "k":
                unit, self.human = 1024, False
            elif flag == "m":
                unit, self.human = 1024 * 1024, False
            elif flag == "h":
                self.human = True
        self.unit = unit
        self.count = 0

    def show(self, size: int) -> str:
        if self.human:
            return human_size(size)
        return str(-(-size // self.unit))

    async def emit(self, size: int, path: str) -> None:
        await self.out.line(f"{self.show(size)}\t{path}")

    async def warn(self, message: str) -> None:
        await self.out.flush()
        await kio.warn("du", message)
        self.status = 1

    async def visit(self, path: str, depth: int, *, top: bool) -> int:
        """The bytes used below ``path``; prints the lines the options ask for."""
        try:
            st = await sys.lstat(path)
        except Error as err:
            await self.warn(f"cannot access '{path}': {err.message}")
            return 0
        self.count += 1
        if self.count % 200 == 0:
            await sys.checkpoint()
        key = (st.st_dev, st.st_ino)
        if key in self.seen:
            return 0  # as GNU du: a file or directory met again (hard link, repeat) counts once
        self.seen.add(key)
        size = st.st_size if self.apparent else st.st_blocks * 512
        shown = self.max_depth is None or depth <= self.max_depth
        if not S_ISDIR(st.st_mode):
            if shown and (self.all or top):
                await self.emit(size, path)
            return size
        try:
            names = await listdir(path)
        except Error as err:
            await self.warn(f"cannot read directory '{path}': {err.message}")
            names = []
        for name in names:
            size += await self.visit(join(path, name), depth + 1, top=False)
        if shown:
            await self.emit(size, path)
        return size


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("du", argv, "aAbcd:hkmsxL", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    max_depth = None
    depth_arg = opts.value("d")
    if depth_arg is not None:
        if not depth_arg.isdigit():
            await kio.warn("du", f"invalid maximum depth '{depth_arg}'")
            return 1
        max_depth = int(depth_arg)
    if opts.has("s"):
        if max_depth not in (None, 0):
            await kio.warn(
                "du",
                "cannot both summarize and show all entries"
                if opts.has("a")
                else f"warning: summarizing conflicts with --max-depth={max_depth}",
            )
            return 1
        if opts.has("a"):
            return await text.usage_error("du", "cannot both summarize and show all entries")
        max_depth = 0
    du = Du(opts, max_depth)
    total = 0
    for path in opts.operands or ["."]:
        total += await du.visit(path, 0, top=True)
    if opts.has("c"):
        await du.emit(total, "total")
    await du.out.flush()
    return du.status
