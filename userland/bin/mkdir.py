"""``mkdir [-p] [-m MODE] [-v] DIRECTORY…``: make directories."""

from __future__ import annotations

from kernel.abi import EEXIST, ENOTDIR, S_ISDIR, Error
from userland.libk import io as kio
from userland.libk import sys, text
from userland.libk.fmt import ModeError, create_mode

USAGE = """Usage: mkdir [OPTION]... DIRECTORY...
Create the DIRECTORY(ies), if they do not already exist.

  -m, --mode=MODE   set file mode (as in chmod), not a=rwx - umask
  -p, --parents     no error if existing, make parent directories as needed,
                    with their file modes unaffected by any -m option.
  -v, --verbose     print a message for each created directory
      --help        display this help and exit
"""


class PathError(Exception):
    """A failure on a parent made by -p: which path, and why."""

    def __init__(self, path: str, err: Error) -> None:
        super().__init__(path)
        self.path = path
        self.err = err


class Maker:
    """One run of mkdir."""

    def __init__(self, mode: int | None, umask: int, verbose: bool) -> None:
        self.mode = mode
        self.umask = umask
        self.verbose = verbose

    async def make(self, path: str, mode: int | None) -> None:
        """mkdir(2), then chmod when -m asked for bits the umask would remove."""
        await sys.mkdir(path, 0o777 if mode is None else mode)
        if mode is not None and mode & ~(0o777 & ~self.umask) & 0o7777:
            await sys.chmod(path, mode)
        if self.verbose:
            await kio.write_all(1, f"mkdir: created directory '{path}'\n")

    async def parents(self, path: str) -> None:
        """``-p``: make every missing directory on the way, then ``path``."""
        parts = path.split("/")
        prefix = "/" if path.startswith("/") else ""
        built = prefix
        comps = [c for c in parts if c]
        for i, comp in enumerate(comps):
            built = f"{built}{comp}" if built in ("", "/") else f"{built}/{comp}"
            last = i == len(comps) - 1
            try:
                await self.make(built, self.mode if last else None)
            except Error as err:
                if err.errno != EEXIST:
                    raise PathError(built, err) from None
                try:
                    st = await sys.stat(built)
                except Error:
                    raise PathError(built, err) from None
                if not S_ISDIR(st.st_mode):
                    raise PathError(built, Error(ENOTDIR)) from None
            if not last:
                # Parents must be usable whatever the umask says: u+wx.
                try:
                    st = await sys.stat(built)
                    if st.st_mode & 0o300 != 0o300:
                        await sys.chmod(built, (st.st_mode | 0o300) & 0o7777)
                except Error:
                    pass


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options(
        "mkdir", argv, "m:pv", USAGE, long={"mode": "m", "parents": "p", "verbose": "v"}
    )
    if isinstance(opts, int):
        return opts
    if not opts.operands:
        return await text.usage_error("mkdir", "missing operand")
    try:
        mode, umask = await create_mode("mkdir", opts.value("m"), 0o777, is_dir=True)
    except ModeError:
        return 1
    maker = Maker(mode, umask, opts.has("v"))
    status = 0
    for path in opts.operands:
        try:
            if opts.has("p"):
                await maker.parents(path)
            else:
                await maker.make(path, mode)
        except Error as err:
            await kio.warn("mkdir", f"cannot create directory '{path}': {err.message}")
            status = 1
        except PathError as perr:
            await kio.warn("mkdir", f"cannot create directory '{perr.path}': {perr.err.message}")
            status = 1
    return status
