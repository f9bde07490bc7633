"""``ln [-s] [-f] [-n] [-v] TARGET… [LINK_NAME|DIRECTORY]``: make links between files."""

from __future__ import annotations

from kernel.abi import EEXIST, ENOENT, S_ISDIR, Error
from userland.libk import args, sys, text
from userland.libk import io as kio
from userland.libk.walk import join

USAGE = """Usage: ln [OPTION]... [-T] TARGET LINK_NAME
  or:  ln [OPTION]... TARGET
  or:  ln [OPTION]... TARGET... DIRECTORY
Create a link to TARGET with the name LINK_NAME (1st form), a link to
TARGET in the current directory (2nd form), or links to each TARGET in
DIRECTORY (3rd form). Create hard links by default, symbolic links with
--symbolic. When creating hard links, each TARGET must exist. Symbolic links
can hold arbitrary text; if later resolved, a relative link is interpreted
in relation to its parent directory.

  -f, --force                 remove existing destination files
  -n, --no-dereference        treat LINK_NAME as a normal file if
                                it is a symbolic link to a directory
  -s, --symbolic              make symbolic links instead of hard links
  -T, --no-target-directory   treat LINK_NAME as a normal file always
  -v, --verbose               print name of each linked file
      --help                  display this help and exit
"""

LONG = {
    "force": "f",
    "no-dereference": "n",
    "symbolic": "s",
    "no-target-directory": "T",
    "verbose": "v",
}


def base_name(path: str) -> str:
    """The last component of ``path``."""
    return path.rstrip("/").rsplit("/", 1)[-1] or "/"


async def is_dir(path: str, *, follow: bool) -> bool:
    try:
        st = await (sys.stat(path) if follow else sys.lstat(path))
    except Error:
        return False
    return S_ISDIR(st.st_mode)


async def make_link(target: str, name: str, opts: args.Options) -> bool:
    """One link; reports its own error. Returns True on success."""
    symbolic = opts.has("s")
    kind = "symbolic link" if symbolic else "hard link"
    if not symbolic:
        try:
            await sys.lstat(target)
        except Error as err:
            await kio.warn("ln", f"failed to access '{target}': {err.message}")
            return False
    if opts.has("f"):
        try:
            same = not symbolic and (await sys.lstat(target)) == (await sys.lstat(name))
        except Error:
            same = False
        if same:
            await kio.warn("ln", f"'{target}' and '{name}' are the same file")
            return False
        try:
            await sys.unlink(name)
        except Error as err:
            if err.errno != ENOENT:
                await kio.warn("ln", f"cannot remove '{name}': {err.message}")
                return False
    try:
        if symbolic:
            await sys.symlink(target, name)
        else:
            await sys.link(target, name)
    except Error as err:
        if err.errno == EEXIST or symbolic:
            await kio.warn("ln", f"failed to create {kind} '{name}': {err.message}")
        else:
            await kio.warn("ln", f"failed to create {kind} '{name}' => '{target}': {err.message}")
        return False
    if opts.has("v"):
        await kio.write_all(1, f"'{name}' {'->' if symbolic else '=>'} '{target}'\n")
    return True


async def main(argv: list[str]) -> int:
    """Entry point."""
    opts = await text.options("ln", argv, "fnsTv", USAGE, long=LONG)
    if isinstance(opts, int):
        return opts
    ops = opts.operands
    if not ops:
        return await text.usage_error("ln", "missing file operand")
    follow = not (opts.has("n") or opts.has("T"))
    if len(ops) == 1:
        pairs = [(ops[0], base_name(ops[0]))]
    elif opts.has("T"):
        if len(ops) > 2:
            return await text.usage_error("ln", f"extra operand '{ops[2]}'")
        pairs = [(ops[0], ops[1])]
    elif await is_dir(ops[-1], follow=follow):
        pairs = [(t, join(ops[-1], base_name(t))) for t in ops[:-1]]
    elif len(ops) > 2:
        await kio.warn("ln", f"target '{ops[-1]}' is not a directory")
        return 1
    else:
        pairs = [(ops[0], ops[1])]
    status = 0
    for target, name in pairs:
        if not await make_link(target, name, opts):
            status = 1
    return status
