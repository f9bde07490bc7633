"""``insmod FILE [ARGS...]``: insert a module file into the kernel (kmod's), through
init_module(2) with the ``name=value`` arguments. As a convenience (not kmod's), a bare
name with no such file is looked up in modules.dep."""

from __future__ import annotations

from kernel.abi import EINVAL, ENOENT, ENOEXEC, ESRCH, Error, strerror
from userland.bin.lsmod import KMOD_VERSION, resolve
from userland.libk import io as kio
from userland.libk import sys

USAGE = """Usage:
    insmod [options] filename [args]
Options:
    -V, --version     show version
    -h, --help        show this help

A bare module name (no '/', no such file) is looked up in
/lib/modules/`uname -r`/modules.dep (a libk convenience).
"""


def mod_strerror(errno: int) -> str:
    """kmod's insmod messages for init_module's errors."""
    return {
        ENOEXEC: "Invalid module format",
        ENOENT: "Unknown symbol in module",
        ESRCH: "Unknown symbol in module",
        EINVAL: "Invalid parameters",
    }.get(errno, strerror(errno))


async def read_module(path: str) -> bytes:
    """A module file's bytes, or a bare name's through modules.dep.

    Raises:
        Error: the file cannot be read.
    """
    try:
        return await kio.read_file(path)
    except Error as err:
        if "/" in path:
            raise
        found = await resolve(path)
        if found is None:
            raise err from None
        return await kio.read_file(found[0])


async def main(argv: list[str]) -> int:
    """Entry point."""
    args = argv[1:]
    if args and args[0] in ("-h", "--help"):
        await kio.write_all(1, USAGE)
        return 0
    if args and args[0] in ("-V", "--version"):
        await kio.write_all(1, KMOD_VERSION)
        return 0
    if not args:
        await kio.warn("insmod", "ERROR: missing filename.")
        return 1
    path, params = args[0], " ".join(args[1:])
    try:
        image = await read_module(path)
    except Error as err:
        await kio.warn("insmod", f"ERROR: could not load module {path}: {strerror(err.errno)}")
        return 1
    try:
        await sys.init_module(image, params)
    except Error as err:
        msg = mod_strerror(err.errno)
        await kio.warn("insmod", f"ERROR: could not insert module {path}: {msg}")
        return 1
    return 0
