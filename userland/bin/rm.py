"""``rm [-rRfidv] FILE…``: remove files or directories.

:class:`Remover` is also what ``mv`` uses to delete a tree it copied to another file
system.
"""

from __future__ import annotations

from kernel.abi import ENOENT, S_ISDIR, Error, Stat
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import file_type
from userland.libk.walk import join, listdir

USAGE = """Usage: rm [OPTION]... [FILE]...
Remove (unlink) the FILE(s).

  -f, --force           ignore nonexistent files and arguments, never prompt
  -i                    prompt before every removal
  -r, -R, --recursive   remove directories and their contents recursively
  -d, --dir             remove empty directories
  -v, --verbose         explain what is being done
      --no-preserve-root  do not treat '/' specially
      --help            display this help and exit

By default, rm does not remove directories.  Use the --recursive (-r or -R)
option to remove each listed directory, too, along with all of its contents.
"""

LONG = {
    "force": "f",
    "interactive": "i",
    "recursive": "r",
    "dir": "d",
    "verbose": "v",
    "no-preserve-root": "N",
}


class Remover:
    """Removes files and trees with one set of options; ``status`` is 1 after a failure."""

    def __init__(
        self,
        prog: str = "rm",
        *,
        recursive: bool = False,
        force: bool = False,
        interactive: bool = False,
        empty_dirs: bool = False,
        verbose: bool = False,
    ) -> None:
        self.prog = prog
        self.recursive = recursive
        self.force = force
        self.interactive = interactive
        self.empty_dirs = empty_dirs
        self.verbose = verbose
        self.status = 0
        self._stdin: kio.LineReader | None = None

    async def ask(self, question: str) -> bool:
        """``rm: question? `` on stderr; a y/Y answer on stdin means yes."""
        await kio.write_all(2, f"{self.prog}: {question}? ")
        if self._stdin is None:
            self._stdin = kio.LineReader(0)
        line = await self._stdin.readline()
        return line.strip()[:1] in (b"y", b"Y")

    async def fail(self, path: str, err: Error) -> None:
        await kio.warn(self.prog, f"cannot remove '{path}': {err.message}")
        self.status = 1

    async def remove(self, path: str) -> bool:
        """Remove ``path`` (a whole tree with -r). Reports its own errors; True if gone."""
        try:
            st = await sys.lstat(path)
        except Error as err:
            if self.force and err.errno == ENOENT:
                return True
            await self.fail(path, err)
            return False
        if S_ISDIR(st.st_mode):
            return await self.remove_dir(path, st)
        if self.interactive and not await self.ask(
            f"remove {file_type(st.st_mode, st.st_size)} '{path}'"
        ):
            return False
        try:
            await sys.unlink(path)
        except Error as err:
            await self.fail(path, err)
            return False
        if self.verbose:
            await kio.write_all(1, f"removed '{path}'\n")
        return True

    async def remove_dir(self, path: str, st: Stat) -> bool:
        if not self.recursive:
            if not self.empty_dirs:
                await self.fail(path, Error(21))  # EISDIR: "Is a directory"
                return False
            if self.interactive and not await self.ask(f"remove directory '{path}'"):
                return False
            return await self.rmdir(path)
        try:
            names = await listdir(path)
        except Error as err:
            await self.fail(path, err)
            return False
        if names and self.interactive and not await self.ask(f"descend into directory '{path}'"):
            return False
        ok = True
        for name in names:
            ok = await self.remove(join(path, name)) and ok
        if not ok:
            return False
        if self.interactive and not await self.ask(f"remove directory '{path}'"):
            return False
        return await self.rmdir(path)

    async def rmdir(self, path: str) -> bool:
        try:
            await sys.rmdir(path)
        except Error as err:
            await self.fail(path, err)
            return False
        if self.verbose:
            await kio.write_all(1, f"removed directory '{path}'\n")
        return True


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("rm", argv, "fiIrRdv", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    force = interactive = False
    for flag, _ in opts.seen:
        if flag == "f":
            force, interactive = True, False
        elif flag == "i":
            force, interactive = False, True
    rm = Remover(
        recursive=opts.has("r") or opts.has("R"),
        force=force,
        interactive=interactive,
        empty_dirs=opts.has("d"),
        verbose=opts.has("v"),
    )
    if not opts.operands:
        if force:
            return 0
        return await text.usage_error("rm", "missing operand")
    for path in opts.operands:
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last in (".", ".."):
            await kio.warn("rm", f"refusing to remove '.' or '..' directory: skipping '{path}'")
            rm.status = 1
            continue
        if rm.recursive and not opts.has("N") and path and not path.strip("/"):
            await kio.warn(
                "rm",
                f"it is dangerous to operate recursively on '{path}'\n"
                "rm: use --no-preserve-root to override this failsafe",
            )
            rm.status = 1
            continue
        await rm.remove(path)
    return rm.status
