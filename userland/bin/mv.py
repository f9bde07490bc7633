"""``mv [-finvT] SOURCE… DEST``: move (rename) files.

A rename within one file system is one rename(2). Across file systems (EXDEV) mv
copies the tree with everything preserved and then removes the source, as GNU mv does.
"""

from __future__ import annotations

from kernel.abi import EXDEV, S_ISDIR, Error
from userland.bin.cp import Copier, ask, plan, same_file
from userland.bin.rm import Remover
from userland.libk import io as kio
from userland.libk import sys, text

USAGE = """Usage: mv [OPTION]... [-T] SOURCE DEST
  or:  mv [OPTION]... SOURCE... DIRECTORY
Rename SOURCE to DEST, or move SOURCE(s) to DIRECTORY.

  -f, --force                  do not prompt before overwriting
  -i, --interactive            prompt before overwrite
  -n, --no-clobber             do not overwrite an existing file
  -T, --no-target-directory    treat DEST as a normal file
  -v, --verbose                explain what is being done
      --help                   display this help and exit
"""

LONG = {
    "force": "f",
    "interactive": "i",
    "no-clobber": "n",
    "no-target-directory": "T",
    "verbose": "v",
}


async def move(src: str, dst: str, mode: str, verbose: bool) -> bool:
    """Move one file or tree; reports its own errors. ``mode``: ``f``, ``i`` or ``n``."""
    try:
        st = await sys.lstat(src)
    except Error as err:
        await kio.warn("mv", f"cannot stat '{src}': {err.message}")
        return False
    try:
        dst_st = await sys.lstat(dst)
    except Error:
        dst_st = None
    if dst_st is not None:
        if same_file(st, dst_st):
            await kio.warn("mv", f"'{src}' and '{dst}' are the same file")
            return False
        if mode == "n":
            return True
        if mode == "i" and not await ask("mv", f"overwrite '{dst}'?"):
            return True
        if S_ISDIR(dst_st.st_mode) and not S_ISDIR(st.st_mode):
            await kio.warn("mv", f"cannot overwrite directory '{dst}' with non-directory")
            return False
        if S_ISDIR(st.st_mode) and not S_ISDIR(dst_st.st_mode):
            await kio.warn("mv", f"cannot overwrite non-directory '{dst}' with directory '{src}'")
            return False
    try:
        await sys.rename(src, dst)
    except Error as err:
        if err.errno != EXDEV:
            if err.errno == 22 and S_ISDIR(st.st_mode):  # EINVAL: into itself
                await kio.warn("mv", f"cannot move '{src}' to a subdirectory of itself, '{dst}'")
            else:
                await kio.warn("mv", f"cannot move '{src}' to '{dst}': {err.message}")
            return False
        if not await across(src, dst, dst_st is not None and S_ISDIR(dst_st.st_mode)):
            return False
    if verbose:
        await kio.write_all(1, f"renamed '{src}' -> '{dst}'\n")
    return True


async def across(src: str, dst: str, replace_dir: bool) -> bool:
    """EXDEV: copy to the other file system, preserving everything, then remove ``src``."""
    remover = Remover("mv", recursive=True, force=True)
    if replace_dir:
        try:
            await sys.rmdir(dst)
        except Error as err:
            await kio.warn("mv", f"cannot move '{src}' to '{dst}': {err.message}")
            return False
    copier = Copier("mv", recursive=True, preserve=True, deref=False)
    await copier.setup()
    if not await copier.copy(src, dst):
        return False
    return await remover.remove(src)


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("mv", argv, "finTv", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    mode = "f"
    for flag, _ in opts.seen:
        if flag in "fin":
            mode = flag
    pairs = await plan("mv", opts.operands, opts.has("T"))
    if pairs is None:
        return 1
    status = 0
    for src, dst in pairs:
        if not await move(src, dst, mode, opts.has("v")):
            status = 1
    return status
